#include "core/core_loop.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/check.h"
#include "common/log.h"
#include "core/ready_file.h"
#include "core/startup_recovery.h"
#include "protocol/alert_fingerprint.h"
#include "protocol/alert_updates.h"
#include "protocol/deliver.h"
#include "protocol/frame_codec.h"
#include "protocol/topic.h"
#include "routing/access_policy.h"
#include "routing/deafness.h"
#include "shared/connection_monitor.h"
#include "shared/proto_json.h"
#include "shared/protocol_version.h"
#include "shared/request_ids.h"
#include "shared/wire_status.h"

namespace zonecast {

CoreLoop::CoreLoop(BrokerOptions options, const Clock& clock, MonitoringExchange* exchange)
    : options_(std::move(options)),
      clock_(clock),
      // The dispatch lane gets an I/O thread of its own (Transport).
      context_(options_.io_threads + (options_.dispatch_listen.empty() ? 0 : 1)),
      router_(sessions_, counters_, options_.match_cache_entries,
              options_.max_subscriptions_per_session),
      exchange_(exchange) {
  reply_budget_.limit = options_.replies_total_bytes;
  options_.queue_limits.shared_replies = &reply_budget_;
}

CoreLoop::~CoreLoop() {
  transport_.reset();  // close the sockets before the context
  auth_.reset();
  context_.close();
}

absl::Status CoreLoop::Start() {
  if (!options_.zones_path.empty()) {
    absl::StatusOr<ZoneIndex> zones = ZoneIndex::Load(options_.zones_path);
    if (!zones.ok()) return zones.status();
    zones_ = std::move(zones).value();
    ZC_LOG(INFO) << "zones: " << zones_.map().zones_size() << " zones of " << zones_.city()
                 << " from " << options_.zones_path
                 << (zones_.shapes().empty() ? "" : ", with their outlines");
    if (exchange_ != nullptr && !zones_.shapes().empty()) {
      // With the city beside the outlines (a foreign member, as GeoJSON
      // allows): the wall's console names alert.<city>.<zone> topics.
      exchange_->SetZoneOutlines(std::make_shared<const std::string>(
          JsonWithMember(zones_.shapes().geojson(), "city", JsonString(zones_.city()))));
    }
  }
  journal_ = std::make_unique<Journal>(options_.journal, clock_);
  // Acks are checked only against keys: without, nothing to remember.
  StartupRecovery recovery(zones_, clock_, unresolved_alerts_, escalator_,
                           options_.secure() ? &received_ : nullptr);
  const journal::RecoveryVisitor alerts = recovery.Visitor();
  if (exchange_ != nullptr) exchange_->SetPhase(MonitoringExchange::Phase::kRecovering);
  if (absl::Status status = journal_->Open(&alerts); !status.ok()) return status;
  recovery.Finish(journal_->Segments());
  history_ =
      std::make_unique<HistoryReader>([journal = journal_.get()] { return journal->Segments(); });
  DurableDelivery::Parts parts;
  parts.clock = &clock_;
  parts.journal = journal_.get();
  parts.sessions = &sessions_;
  parts.router = &router_;
  parts.counters = &counters_;
  parts.latency = &latency_;
  parts.received = &received_;
  parts.replay = [this](HistoryReader::ReplayRequest request) {
    history_->SubmitReplay(std::move(request));
  };
  parts.publish = [this](const std::string& topic, v1::Priority priority, v1::Event event) {
    PublishInternal(topic, priority, std::move(event));
  };
  durable_ = std::make_unique<DurableDelivery>(std::move(parts), options_.redelivery,
                                               options_.session_expiry);
  TransportOptions transport_options;
  transport_options.endpoint = options_.listen;
  transport_options.dispatch_endpoint = options_.dispatch_listen;
  transport_options.send_hwm = options_.pipe_hwm;
  transport_options.backlog = options_.listen_backlog;
  transport_options.io_threads = options_.io_threads;
  transport_options.max_message_bytes = options_.TransportMaxBytes();
  if (absl::Status status = OpenAuditLog(); !status.ok()) return status;
  if (absl::Status status = StartAuthentication(transport_options); !status.ok()) return status;
  auto transport = Transport::Bind(context_, transport_options);
  if (!transport.ok()) return transport.status();
  transport_ = std::move(transport).value();
  ZC_LOG(INFO) << "listening on " << transport_->endpoint();
  if (transport_->has_dispatch()) {
    ZC_LOG(INFO) << "dispatch consoles on " << transport_->dispatch_endpoint();
  }
  next_tick_ = clock_.NowMono();
  started_at_ = next_tick_;
  snapshots_ = std::make_unique<SnapshotBuilder>(
      LoopState{options_.broker_id, &clock_, started_at_, &counters_, &sessions_, &router_,
                journal_.get(), durable_.get(), &escalator_, &unresolved_alerts_, &latency_,
                &held_alerts_, &unit_positions_});
  if (options_.stats_interval > absl::ZeroDuration()) {
    next_stats_ = started_at_ + absl::ToInt64Nanoseconds(options_.stats_interval);
  }
  if (exchange_ != nullptr) {
    ShareSnapshot(/*to_subscribers=*/false);
    exchange_->SetPhase(MonitoringExchange::Phase::kServing);
  }
  // Last: whoever waits for the ready file may send and probe at once.
  if (!options_.ready_file.empty()) {
    return WriteReadyFile(options_.ready_file, options_.http, transport_->endpoint(),
                          transport_->dispatch_endpoint());
  }
  return absl::OkStatus();
}

namespace {

// The peer's IP address of a message's connection (libzmq's Peer-Address),
// or "" when the transport has none.
std::string PeerAddress(const zmq::message_t& message) {
  const char* address = zmq_msg_gets(message.handle(), "Peer-Address");
  return address == nullptr ? "" : address;
}

}  // namespace

absl::Status CoreLoop::StartAuthentication(TransportOptions& transport) {
  if (!options_.secure()) {
    if (IsLoopbackEndpoint(options_.listen)) {
      ZC_LOG(INFO) << "no --keys_file: plain connections, from this machine only";
    } else {
      ZC_LOG(WARNING) << "--insecure: plain, unauthenticated connections on " << options_.listen
                      << "; anyone who reaches it may read and publish alerts";
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::unique_ptr<Authenticator>> auth =
      Authenticator::Start(options_, context_, clock_, console_sign_in_);
  if (!auth.ok()) return auth.status();
  auth_ = *std::move(auth);
  transport.curve_secret_key = auth_->secret_key();
  ZC_LOG(INFO) << "CURVE: " << auth_->keys() << " client keys from " << options_.keys_file
               << "; broker public key " << auth_->public_key() << "; plain connections refused";
  return absl::OkStatus();
}

absl::Status CoreLoop::OpenAuditLog() {
  if (options_.audit_log == "off") return absl::OkStatus();
  AuditLog::Options audit;
  audit.path =
      options_.audit_log.empty() ? options_.journal.data_dir + "/audit.log" : options_.audit_log;
  audit.max_bytes = options_.audit_log_bytes;
  absl::StatusOr<std::unique_ptr<AuditLog>> log = AuditLog::Open(audit, clock_);
  if (!log.ok()) return log.status();
  audit_ = *std::move(log);
  return absl::OkStatus();
}

void CoreLoop::Audit(absl::string_view event, absl::string_view identity, v1::Role role,
                     absl::string_view address, absl::string_view detail,
                     absl::string_view public_key) {
  if (audit_ == nullptr) return;
  v1::AuditEvent entry;
  entry.set_event(std::string(event));
  entry.set_identity(std::string(identity));
  if (role != v1::ROLE_UNSPECIFIED) entry.set_role(std::string(RoleName(role)));
  entry.set_address(std::string(address));
  entry.set_detail(std::string(detail));
  entry.set_public_key(std::string(public_key));
  if (audit_->Record(std::move(entry))) {
    ++counters_.audit_events;
  } else {
    ++counters_.audit_failures;
  }
}

void CoreLoop::AnswerHandshakes() {
  for (const ZapHandler::Decision& refused : auth_->AnswerHandshakes(counters_)) {
    Audit("refused_key", "", v1::ROLE_UNSPECIFIED, refused.address,
          "the key is in no grant of the keys file", refused.public_key);
  }
}

void CoreLoop::CountConnectionEvents(Transport::Lane lane) {
  while (true) {
    switch (NextConnectionEvent(transport_->events(lane))) {
      case ConnectionEvent::kNone:
        return;
      case ConnectionEvent::kMechanism:
        ++counters_.handshakes_failed_plain;
        Audit("refused_handshake", "", v1::ROLE_UNSPECIFIED, "",
              "another security mechanism (a plain client at a CURVE broker)");
        break;
      case ConnectionEvent::kProtocol:
        ++counters_.handshakes_failed_protocol;
        break;
      case ConnectionEvent::kRefused:
        ++counters_.handshakes_failed_refused;
        break;
      case ConnectionEvent::kClosed:
        ++counters_.connections_closed;
        break;
    }
  }
}

namespace {
// Recipients routed in a turn up to which their frames leave before the
// turn reads the socket (a window of alerts to a few terminals each).
constexpr size_t kFlushBeforeReadFanout = 1024;
}  // namespace

void CoreLoop::Run(int stop_fd) {
  ZC_CHECK(transport_ != nullptr) << "Run() before a successful Start()";
  using Lane = Transport::Lane;
  std::vector<zmq::pollitem_t> items = {
      {transport_->socket(Lane::kMain).handle(), 0, ZMQ_POLLIN, 0},
      {nullptr, stop_fd, ZMQ_POLLIN, 0},
      {nullptr, journal_->completion_fd(), ZMQ_POLLIN, 0},
      {nullptr, history_->reply_fd(), ZMQ_POLLIN, 0},
      {transport_->events(Lane::kMain).handle(), 0, ZMQ_POLLIN, 0},
  };
  // Optional parts poll after the fixed ones; SIZE_MAX: absent.
  const size_t dispatch_item = transport_->has_dispatch() ? items.size() : SIZE_MAX;
  const size_t dispatch_events_item = transport_->has_dispatch() ? items.size() + 1 : SIZE_MAX;
  if (transport_->has_dispatch()) {
    items.push_back({transport_->socket(Lane::kDispatch).handle(), 0, ZMQ_POLLIN, 0});
    items.push_back({transport_->events(Lane::kDispatch).handle(), 0, ZMQ_POLLIN, 0});
  }
  const size_t exchange_item = exchange_ != nullptr ? items.size() : SIZE_MAX;
  if (exchange_ != nullptr) items.push_back({nullptr, exchange_->request_fd(), ZMQ_POLLIN, 0});
  const size_t zap_item = auth_ != nullptr ? items.size() : SIZE_MAX;
  if (auth_ != nullptr) items.push_back({auth_->zap_socket().handle(), 0, ZMQ_POLLIN, 0});
  auto ready = [&items](size_t i) { return i < items.size() && (items[i].revents & ZMQ_POLLIN); };
  const MonoNanos heartbeat_period = static_cast<MonoNanos>(options_.heartbeat_ms) * 1'000'000;
  while (true) {
    const MonoNanos now = clock_.NowMono();
    long timeout_ms = std::max<long>(0, (next_tick_ - now + 999'999) / 1'000'000);
    const MonoNanos next_due = std::min({durable_->NextDue(), escalator_.NextDue(), next_stats_});
    if (next_due != INT64_MAX) {
      timeout_ms =
          std::min<long>(timeout_ms, std::max<long>(0, (next_due - now + 999'999) / 1'000'000));
    }
    // A full peer pipe gives no writable event per peer, so retry soon.
    if (!blocked_.empty()) timeout_ms = std::min<long>(timeout_ms, 1);
    if (!stored_p1_.empty() || !stored_rest_.empty()) timeout_ms = 0;
    // The socket is always read, also while the disk is slow: heartbeats,
    // acks and best-effort traffic go on, and durable publishes over the
    // journal's in-flight limit are answered STORAGE_BUSY (PublishDurable).
    try {
      zmq::poll(items, std::chrono::milliseconds(timeout_ms));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      ZC_LOG(ERROR) << "poll failed: " << e.what();
      break;
    }
    turn_now_ = clock_.NowMono();  // when this turn's frames go out
    if (ready(1) && !OnSignals(stop_fd)) break;
    if (ready(2)) TakeCompletions();
    turn_fanout_ = 0;
    RouteStoredPublishes(options_.fanout_per_turn);
    // A small fan-out of what the disk finished goes out before this turn
    // reads new input, so a delivery does not wait behind the next window
    // of publishes. A large one waits for the end of the turn: sending it
    // first would keep a console's P1 unread behind thousands of frames.
    if (turn_fanout_ <= kFlushBeforeReadFanout) FlushDirty(/*retry_blocked=*/false);
    if (ready(3)) SendHistoryReplies();
    if (ready(4)) CountConnectionEvents(Lane::kMain);
    if (ready(dispatch_events_item)) CountConnectionEvents(Lane::kDispatch);
    if (ready(exchange_item)) {
      if (std::optional<uint32_t> parts = exchange_->TakeRequest()) {
        ShareSnapshot(/*to_subscribers=*/false, *parts);
      }
      AnswerTimelineQueries();
    }
    if (ready(zap_item)) AnswerHandshakes();
    // Liveness counts only silence we could have heard: once every frame
    // that had arrived was read (see OnTick).
    // The consoles' lane first: a dispatcher's P1 waits for no terminal.
    turn_fanout_ = 0;
    if (ready(dispatch_item)) (void)ReadBatch(Lane::kDispatch);
    const bool drained = !ready(0) || ReadBatch(Lane::kMain);
    if (drained) {
      deaf_spells_.OnDrained(input_drained_at_, now, heartbeat_period);
      input_drained_at_ = now;
    }
    if (!to_cut_.empty()) CutSessions();
    // Redelivery in slices, and only once the acks that have arrived were
    // read (an ack in the socket wins over a redelivery of its message),
    // unless input never drains for a heartbeat period.
    if (drained || now - last_redelivery_ >= heartbeat_period) {
      last_redelivery_ = now;
      durable_->ExpireDeliveries(options_.redeliveries_per_turn);
    }
    for (Escalation& escalation : escalator_.Expire()) CarryOut(std::move(escalation), 0);
    // What the disk finished while this turn read and redelivered: its P1s
    // are routed and acknowledged now, not a whole turn later.
    TakeCompletions();
    RouteStoredP1s();
    for (auto& [to, batch] : notices_.TakeAll()) SendNotices(to, std::move(batch));
    journal_->Flush();
    FlushDirty();
    const MonoNanos after = clock_.NowMono();  // one clock read for both timers
    if (after >= next_stats_) {
      next_stats_ = after + absl::ToInt64Nanoseconds(options_.stats_interval);
      ShareSnapshot(/*to_subscribers=*/true);
    }
    if (after >= next_tick_) OnTick();
  }
  Shutdown();
}

bool CoreLoop::ReadBatch(Transport::Lane lane) {
  std::string routing_id;
  zmq::message_t body;
  int parts = 0;
  // A turn also ends once its publishes were fanned out to
  // --fanout_per_turn recipients: a window of alerts to crowded zones is
  // then spread over turns, and between them PubAcks of what the disk
  // already holds go out and the socket is read again (acks, heartbeats,
  // a console's P1).
  for (size_t i = 0; i < options_.read_batch && turn_fanout_ < options_.fanout_per_turn; ++i) {
    if (!transport_->Receive(lane, &routing_id, &body, &parts)) return true;
    HandleMessage(routing_id, body, parts);
    if (lane == Transport::Lane::kMain) ServeUrgent();
  }
  return false;
}

void CoreLoop::ServeUrgent() {
  constexpr MonoNanos kUrgentEvery = 2'000'000;
  const MonoNanos now = clock_.NowMono();
  if (in_urgent_ || now - last_urgent_ < kUrgentEvery) return;
  in_urgent_ = true;
  last_urgent_ = now;
  if (transport_->has_dispatch()) {
    std::string routing_id;
    zmq::message_t body;
    int parts = 0;
    // A few: a console sends one publish at a time, or a window of them.
    for (int i = 0;
         i < 64 && transport_->Receive(Transport::Lane::kDispatch, &routing_id, &body, &parts);
         ++i) {
      HandleMessage(routing_id, body, parts);
    }
  }
  journal_->Flush();
  TakeCompletions();
  RouteStoredP1s();
  in_urgent_ = false;
}

void CoreLoop::TakeCompletions() {
  journal_->Complete(
      [this](uint64_t seq, const absl::Status& status) { QueueStored(seq, status); });
}

void CoreLoop::HandleMessage(const std::string& routing_id, const zmq::message_t& body, int parts) {
  ++counters_.frames_received;
  counters_.bytes_received += body.size();
  Session* session = sessions_.FindByRouting(routing_id);
  if (parts != 1) {
    SendError(
        routing_id, session,
        ProtocolError(v1::MALFORMED_FRAME,
                      absl::StrCat("expected one frame part after the routing id, got ", parts)),
        0);
    return;
  }
  v1::Frame& frame = scratch_frame_;
  frame.Clear();
  absl::Status decoded =
      DecodeFrame(absl::string_view(static_cast<const char*>(body.data()), body.size()),
                  options_.max_frame_bytes, &frame);
  if (!decoded.ok()) {
    SendError(routing_id, session, decoded, 0);
    return;
  }
  if (frame.has_hello()) {
    HandleHello(routing_id, frame.hello(), body);
    return;
  }
  if (session == nullptr) {
    if (frame.has_goodbye()) return;  // nothing to end
    SendError(routing_id, nullptr,
              ProtocolError(v1::HELLO_REQUIRED, "send Hello first: no session on this connection"),
              RequestIdOf(frame));
    return;
  }
  if (auth_ != nullptr && !Authenticator::SameIdentity(body, *session)) {
    // Another connection presenting this one's routing id: never act on it.
    ++counters_.identity_mismatches;
    SendError(routing_id, nullptr,
              ProtocolError(v1::IDENTITY_MISMATCH, "this connection is not the session's identity"),
              RequestIdOf(frame));
    return;
  }
  session->Heard(clock_.NowMono());
  Dispatch(*session, frame);
}

void CoreLoop::Dispatch(Session& session, v1::Frame& frame) {
  switch (frame.body_case()) {
    case v1::Frame::kSubscribe:
      HandleSubscription(session, frame.subscribe().patterns(), frame.subscribe().request_id(),
                         /*remove=*/false);
      return;
    case v1::Frame::kUnsubscribe:
      HandleSubscription(session, frame.unsubscribe().patterns(), frame.unsubscribe().request_id(),
                         /*remove=*/true);
      return;
    case v1::Frame::kPublish:
      HandlePublish(session, *frame.mutable_publish());
      return;
    case v1::Frame::kAck:
      HandleAck(session, frame.ack());
      return;
    case v1::Frame::kHeartbeat:
      return;  // liveness already noted
    case v1::Frame::kStatsRequest:
      HandleStats(session, frame.stats_request());
      return;
    case v1::Frame::kHistoryRequest:
      HandleHistory(session, *frame.mutable_history_request());
      return;
    case v1::Frame::kTimelineRequest:
      HandleTimeline(session, *frame.mutable_timeline_request());
      return;
    case v1::Frame::kGoodbye:
      CloseSession(session, "goodbye");
      return;
    default:
      SendError(
          session.routing_id(), &session,
          ProtocolError(v1::UNKNOWN_FRAME_TYPE, absl::StrCat("frame field ", frame.body_case(),
                                                             " is sent by the broker, not to it")),
          0);
      return;
  }
}

void CoreLoop::HandleSubscription(Session& session,
                                  const google::protobuf::RepeatedPtrField<std::string>& field,
                                  uint64_t request_id, bool remove) {
  const std::vector<std::string> patterns(field.begin(), field.end());
  if (!remove) {
    for (const std::string& pattern : patterns) {
      if (!session.MaySubscribe(pattern)) {
        Refuse(session, v1::SUBSCRIBE_DENIED,
               absl::StrCat(session.unit_id(), " may not subscribe to ", pattern), request_id);
        return;
      }
    }
  }
  const absl::Status status =
      remove ? router_.Unsubscribe(session, patterns) : router_.Subscribe(session, patterns);
  if (!status.ok()) {
    SendError(session.routing_id(), &session, status, request_id);
    return;
  }
  durable_->RecordSubscriptions(session, patterns, remove);
  v1::Frame reply;
  reply.mutable_subscribed()->set_request_id(request_id);
  for (const std::string& pattern : session.patterns()) {
    reply.mutable_subscribed()->add_patterns(pattern);
  }
  SendControl(session, reply);
}

void CoreLoop::Refuse(Session& session, v1::ErrorCode code, const std::string& text,
                      uint64_t request_id) {
  ZC_LOG(DEBUG) << "refused: " << text;
  Audit("denied", session.unit_id(), session.role(), "",
        absl::StrCat(v1::ErrorCode_Name(code), ": ", text));
  SendError(session.routing_id(), &session, ProtocolError(code, text), request_id);
}

void CoreLoop::HandleTimeline(Session& session, v1::TimelineRequest& request) {
  // A timeline names officers and places: the center's to read.
  if (session.restricted() && session.role() != v1::CENTER) {
    Refuse(session, v1::READ_DENIED,
           absl::StrCat(session.unit_id(), " may not read alert timelines (centers only)"),
           request.request_id());
    return;
  }
  if (!AdmitHistoryRequest(session, request.request_id())) return;
  const OpenAlert* open = escalator_.Find(request.alert_id());
  ++counters_.timeline_requests;
  history_->SubmitTimeline(session.id(), std::move(request),
                           open != nullptr ? open->deadline_unix_ms : 0);
}

absl::Status CoreLoop::CheckHello(v1::Hello& hello) {
  if (hello.protocol_version() != kProtocolVersion) {
    return ProtocolError(v1::UNSUPPORTED_VERSION,
                         absl::StrCat("protocol version ", hello.protocol_version(),
                                      " is not supported; this broker speaks ", kProtocolVersion));
  }
  if (hello.role() != v1::CENTER && hello.role() != v1::TERMINAL && hello.role() != v1::PROBE) {
    return ProtocolError(v1::INVALID_ARGUMENT, "Hello needs a role: center, terminal or probe");
  }
  if (hello.unit_id().empty() && hello.role() != v1::TERMINAL) {
    // Consoles and probes may be anonymous; give them a unique name.
    hello.set_unit_id(absl::StrCat(RoleName(hello.role()), "-anon-", ++anonymous_sessions_));
  }
  if (absl::Status status = ValidateUnitId(hello.unit_id()); !status.ok()) {
    return ProtocolError(v1::INVALID_ARGUMENT, status.message());
  }
  return absl::OkStatus();
}

void CoreLoop::HandleHello(const std::string& routing_id, const v1::Hello& hello_in,
                           const zmq::message_t& body) {
  v1::Hello hello = hello_in;
  Session* same_connection = sessions_.FindByRouting(routing_id);
  const Identity* identity = nullptr;
  if (auth_ != nullptr) {
    absl::StatusOr<const Identity*> bound = auth_->BindHello(body, hello);
    if (!bound.ok()) {
      ++counters_.identity_mismatches;
      ZC_LOG(WARNING) << "refused a Hello: " << bound.status().message();
      Audit("identity_mismatch", Authenticator::PeerIdentity(body), hello.role(), PeerAddress(body),
            bound.status().message());
      SendError(routing_id, same_connection, bound.status(), 0);
      return;
    }
    identity = *bound;
  }
  if (absl::Status status = CheckHello(hello); !status.ok()) {
    SendError(routing_id, same_connection, status, 0);
    return;
  }
  if (hello.role() == v1::TERMINAL && Transport::LaneOf(routing_id) == Transport::Lane::kDispatch) {
    // Thousands of terminals there would put the consoles back in line.
    SendError(routing_id, same_connection,
              ProtocolError(v1::PERMISSION_DENIED,
                            "this is the consoles' endpoint (--dispatch_listen): terminals "
                            "connect to the broker's --listen endpoint"),
              0);
    return;
  }
  // A repeated Hello on one connection restarts its session; a new
  // connection with a unit id in use takes that session over (the terminal
  // moved to another mobile cell and its old connection is stale). Either
  // frees the session it replaces.
  Session* previous = sessions_.FindByUnit(hello.unit_id());
  if (previous == same_connection) previous = nullptr;  // closed below as a re-Hello
  if (previous != nullptr && previous->IsOlderThanMine(hello)) {
    // The client's own earlier Hello, from a connection it has abandoned,
    // read after the Hello it retried with: taking the session over would
    // move it to a dead connection, where it would only time out.
    ++counters_.stale_hellos;
    SendError(routing_id, same_connection,
              ProtocolError(v1::SESSION_TAKEN_OVER,
                            "a newer Hello of this client already holds the session"),
              0);
    return;
  }
  if (same_connection == nullptr && previous == nullptr &&
      sessions_.size() >= options_.max_sessions) {
    ++counters_.sessions_refused;
    Audit("denied", hello.unit_id(), hello.role(), PeerAddress(body), "TOO_MANY_SESSIONS");
    SendError(
        routing_id, nullptr,
        ProtocolError(v1::TOO_MANY_SESSIONS, absl::StrCat("the broker holds ", sessions_.size(),
                                                          " sessions, its --max_sessions")),
        0);
    return;
  }
  if (same_connection != nullptr && same_connection->IsRetryOfMine(hello)) {
    // The client said Hello again before our Welcome reached it: the
    // session stands (no replay from scratch); it gets the Welcome again.
    same_connection->set_hello_attempt(hello.attempt());
    SendWelcome(*same_connection);
    return;
  }
  if (same_connection != nullptr) CloseSession(*same_connection, "rehello");
  if (previous != nullptr) TakeOver(*previous);
  Session& session = sessions_.Add(routing_id, hello, options_.queue_limits, clock_.NowMono());
  if (identity != nullptr) session.RestrictSubscriptions(identity->subscribe);
  const double rate =
      session.role() == v1::CENTER ? options_.center_publish_rate : options_.publish_rate;
  session.set_publish_limit(TokenBucket(rate, options_.publish_burst, clock_.NowMono()));
  session.online_since_unix_ms = absl::ToUnixMillis(clock_.NowWall());
  ++counters_.sessions_opened;
  ZC_LOG(INFO) << "session " << session.id() << " online: " << RoleName(session.role()) << " "
               << session.unit_id()
               << (session.patrol_group().empty() ? "" : " group " + session.patrol_group());
  Audit("connect", session.unit_id(), session.role(), PeerAddress(body),
        identity != nullptr ? "authenticated" : "unauthenticated (no keys file)");
  SendWelcome(session);
  RoutePresence(session, v1::SessionEvent::ONLINE, "hello");
  if (session.role() == v1::TERMINAL) {
    journal_->durable_sessions().Touch(session.unit_id(), absl::ToUnixMillis(clock_.NowWall()));
    durable_->Resume(session);
  }
}

void CoreLoop::TakeOver(Session& previous) {
  ++counters_.session_takeovers;
  ZC_LOG(INFO) << "unit " << previous.unit_id() << " taken over by a new connection";
  Audit("take_over", previous.unit_id(), previous.role(), "",
        "a newer connection of the same identity took the session");
  EndSession(previous, v1::SESSION_TAKEN_OVER, "a newer connection with the same unit id took over",
             "taken_over");
}

void CoreLoop::EndSession(Session& session, v1::ErrorCode code, absl::string_view text,
                          absl::string_view reason) {
  // Straight to the socket, ahead of whatever the session's queue holds:
  // the session is gone once this returns.
  zmq::message_t bytes = EncodeFrame(MakeErrorFrame(code, text, 0));
  if (transport_->Send(session.routing_id(), bytes) == Transport::SendResult::kSent) {
    ++counters_.errors_sent;
    ++counters_.errors_by_code[code];
  } else {
    ++counters_.errors_unsent;
  }
  CloseSession(session, reason);
}

bool CoreLoop::OnSignals(int signal_fd) {
  bool keep_running = true;
  signalfd_siginfo info{};
  while (true) {
    const ssize_t n = ::read(signal_fd, &info, sizeof info);
    if (n < 0 && errno == EAGAIN) return keep_running;
    // A closed descriptor, or a pipe rather than a signalfd: stop.
    if (n != static_cast<ssize_t>(sizeof info)) return false;
    if (info.ssi_signo == SIGHUP) {
      ReloadKeys();
    } else {
      keep_running = false;
    }
  }
}

void CoreLoop::ReloadKeys() {
  if (auth_ == nullptr) {
    ZC_LOG(INFO) << "SIGHUP: no --keys_file to reload";
    return;
  }
  if (absl::Status status = auth_->Reload(options_.keys_file); !status.ok()) {
    ++counters_.keys_reload_failures;
    ZC_LOG(ERROR) << "SIGHUP: " << status.message() << "; the keys in force stay";
    Audit("keys_reload_failed", "", v1::ROLE_UNSPECIFIED, "", status.message());
    return;
  }
  ++counters_.keys_reloads;
  std::vector<Session*> revoked;
  sessions_.ForEach([&](Session& session) {
    const Identity* identity = auth_->Find(session.unit_id());
    if (identity == nullptr || identity->role != session.role()) {
      revoked.push_back(&session);
      return;
    }
    session.RestrictSubscriptions(identity->subscribe);
    std::vector<std::string> dropped;
    for (const std::string& pattern : session.patterns()) {
      if (!session.MaySubscribe(pattern)) dropped.push_back(pattern);
    }
    if (dropped.empty()) return;
    counters_.subscriptions_revoked += dropped.size();
    ZC_LOG(WARNING) << session.unit_id() << " may no longer subscribe to "
                    << absl::StrJoin(dropped, ", ") << ": dropped";
    (void)router_.Unsubscribe(session, dropped).ok();  // they are there: nothing to fail
    durable_->RecordSubscriptions(session, dropped, /*removed=*/true);
  });
  for (Session* session : revoked) {
    ++counters_.sessions_revoked;
    ZC_LOG(WARNING) << "the key of " << session->unit_id() << " was revoked: session cut";
    Audit("key_revoked", session->unit_id(), session->role(), "", "session cut");
    EndSession(*session, v1::KEY_REVOKED, "the keys file no longer lets this key in",
               "key_revoked");
  }
  ZC_LOG(INFO) << "SIGHUP: " << auth_->keys() << " keys from " << options_.keys_file << "; "
               << revoked.size() << " sessions cut";
  Audit("keys_reloaded", "", v1::ROLE_UNSPECIFIED, "",
        absl::StrCat(auth_->keys(), " keys from ", options_.keys_file, "; ", revoked.size(),
                     " sessions cut"));
}

void CoreLoop::SendWelcome(Session& session) {
  v1::Frame reply;
  v1::Welcome* welcome = reply.mutable_welcome();
  welcome->set_protocol_version(kProtocolVersion);
  welcome->set_session_id(absl::StrCat(session.id()));
  welcome->set_heartbeat_ms(options_.heartbeat_ms);
  welcome->set_heartbeat_misses(options_.heartbeat_misses);
  welcome->set_last_seq(journal_->last_seq());
  welcome->set_max_frame_bytes(options_.max_frame_bytes);
  welcome->set_broker_id(options_.broker_id);
  welcome->set_unit_id(session.unit_id());
  SendControl(session, reply);
}

absl::StatusOr<PublishClass> CoreLoop::CheckPublish(const Session& session,
                                                    const v1::Publish& publish) const {
  const std::string& topic = publish.topic();
  if (HasWildcard(topic)) {
    return ProtocolError(v1::WILDCARD_IN_PUBLISH,
                         absl::StrCat("cannot publish to wildcard topic '", topic, "'"));
  }
  if (absl::Status status = ValidateTopic(topic); !status.ok()) {
    return ProtocolError(v1::INVALID_TOPIC, status.message());
  }
  return ClassifyPublish(session.role(), session.unit_id(), publish);
}

absl::Status CoreLoop::CheckUpdate(const v1::Deliver& deliver) const {
  const v1::AlertUpdate& update = deliver.event().alert_update();
  const UnresolvedAlerts::Entry* open = unresolved_alerts_.Find(update.alert_id());
  if (open == nullptr) {
    const std::string kind = absl::AsciiStrToLower(v1::AlertUpdate::Kind_Name(update.kind()));
    return ProtocolError(
        v1::ALERT_NOT_OPEN,
        absl::StrCat("alert ", update.alert_id(),
                     " is not open (unknown, resolved, cancelled, closed or older than the "
                     "open-alerts list keeps): it cannot be ",
                     kind));
  }
  if (open->topic != deliver.topic()) {
    return ProtocolError(v1::INVALID_ARGUMENT,
                         absl::StrCat("alert ", update.alert_id(), " was published on ",
                                      open->topic, ", not ", deliver.topic()));
  }
  return absl::OkStatus();
}

void CoreLoop::PublishTaken(const std::string& alert_id, const std::string& unit,
                            size_t units_taken) {
  const UnresolvedAlerts::Entry* open = unresolved_alerts_.Find(alert_id);
  if (open == nullptr) return;
  const uint32_t needed = zones_.UnitsNeeded(open->priority);
  // Beyond the units it needs, the zone has been told to stand down.
  if (units_taken > needed) return;
  // Told on the alert's topic, so that the other units of the zone stand
  // down (or know how many more are needed); at the alert's priority, so
  // that it comes as fast as the alert.
  v1::Event event;
  v1::AlertUpdate* taken = event.mutable_alert_update();
  taken->set_alert_id(alert_id);
  taken->set_kind(v1::AlertUpdate::TAKEN);
  taken->set_unit(unit);
  taken->set_by(unit);
  taken->set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  taken->set_units_taken(static_cast<uint32_t>(units_taken));
  taken->set_units_needed(needed);
  const std::string key = AlertUpdateKey(*taken, 0);
  PublishInternal(open->topic, open->priority, event, key);
  // Units of the zones it escalated to may be on their way too.
  PublishToZonesReached(*open, open->priority, event, key);
}

void CoreLoop::PublishToZonesReached(const UnresolvedAlerts::Entry& open, v1::Priority priority,
                                     const v1::Event& event, const std::string& key) {
  std::string city;
  std::string zone;
  if (!CityAndZone(open.topic, &city, &zone)) return;
  for (const std::string& other : open.zones_reached) {
    PublishInternal(absl::StrCat("alert.", city, ".", other), priority, event, key);
  }
}

void CoreLoop::ApplyUpdate(const v1::AlertUpdate& update) {
  if (update.kind() == v1::AlertUpdate::TAKEN) return;
  const std::string kind = absl::AsciiStrToLower(v1::AlertUpdate::Kind_Name(update.kind()));
  const std::string what =
      update.kind() == v1::AlertUpdate::AMENDED ? DescribeAmendment(update)
      : update.kind() == v1::AlertUpdate::ASSIGNED
          ? absl::StrCat("to ", update.unit(), update.reason().empty() ? "" : ": ", update.reason())
          : update.reason();
  ZC_LOG(INFO) << "alert " << update.alert_id() << " " << kind << " by " << update.by()
               << (what.empty() ? "" : ": ") << what;
  // Units of the zones it was escalated to got the alert too, and may be on
  // their way: they are told as well.
  if (const UnresolvedAlerts::Entry* open = unresolved_alerts_.Find(update.alert_id())) {
    v1::Event copy;
    *copy.mutable_alert_update() = update;
    PublishToZonesReached(*open, v1::P1, copy, AlertUpdateKey(update, open->revisions));
  }
  const int64_t now_ms = absl::ToUnixMillis(clock_.NowWall());
  switch (update.kind()) {
    case v1::AlertUpdate::AMENDED:
      ++counters_.alerts_amended;
      escalator_.OnAmended(update);
      unresolved_alerts_.OnAmended(update.alert_id(), update, now_ms);
      break;
    case v1::AlertUpdate::ASSIGNED:
      ++counters_.alerts_assigned;
      unresolved_alerts_.OnAssigned(update.alert_id(), now_ms);
      break;
    default:
      ++counters_.alerts_ended;
      escalator_.OnEnded(update.alert_id());
      unresolved_alerts_.OnEnded(update.alert_id());
      break;
  }
}

const DedupWindow::Entry* CoreLoop::FindRepeatedChange(const v1::AlertUpdate& change) const {
  if (change.kind() != v1::AlertUpdate::AMENDED && change.kind() != v1::AlertUpdate::ASSIGNED) {
    return nullptr;
  }
  const UnresolvedAlerts::Entry* open = unresolved_alerts_.Find(change.alert_id());
  if (open == nullptr || open->revisions == 0) return nullptr;
  return journal_->FindCommitted(AlertUpdateKey(change, open->revisions - 1));
}

uint32_t CoreLoop::UpdateRevision(const v1::Event& event) const {
  const UnresolvedAlerts::Entry* open = unresolved_alerts_.Find(event.alert_update().alert_id());
  return open != nullptr ? open->revisions : 0;
}

absl::Status CoreLoop::CheckZoneKnown(const std::string& topic) const {
  if (zones_.empty()) return absl::OkStatus();
  const TopicTokens tokens = SplitTopic(topic);
  if (tokens.size() != 3 || tokens[0] != "alert") return absl::OkStatus();
  if (zones_.Find(tokens[1], tokens[2]) != nullptr) return absl::OkStatus();
  return ProtocolError(
      v1::UNKNOWN_ZONE,
      absl::StrCat("no zone ", tokens[1], ".", tokens[2], " in the zones map (city ", zones_.city(),
                   ", ", zones_.map().zones_size(), " zones): nobody would be sent this alert"));
}

absl::Status CoreLoop::PlaceByLocation(const Session& session, v1::Publish& publish) {
  if (!publish.event().has_alert()) return absl::OkStatus();
  v1::Alert* alert = publish.mutable_event()->mutable_alert();
  alert->clear_located_in();
  alert->clear_copy_of_zone();
  // Only alert.<city> is placed: every other alert passes without a split.
  const std::string& topic = publish.topic();
  if (session.role() != v1::CENTER || std::count(topic.begin(), topic.end(), '.') != 1) {
    return absl::OkStatus();  // CheckPublish judges it
  }
  const TopicTokens tokens = SplitTopic(topic);
  if (tokens[0] != "alert") return absl::OkStatus();
  const ZoneShapes& shapes = zones_.shapes();
  if (shapes.empty()) {
    return ProtocolError(v1::INVALID_TOPIC,
                         absl::StrCat("alert topic '", publish.topic(),
                                      "' names no zone, and this broker has no zone outlines to "
                                      "place it by its location: publish to alert.<city>.<zone>"));
  }
  if (tokens[1] != zones_.city()) {
    return ProtocolError(v1::UNKNOWN_ZONE,
                         absl::StrCat("no city ", tokens[1], " in the zones map (city ",
                                      zones_.city(), "): nobody would be sent this alert"));
  }
  if (!alert->has_location()) {
    return ProtocolError(v1::INVALID_ARGUMENT,
                         absl::StrCat("an alert to ", publish.topic(),
                                      " is placed by its location: give its lat and lon, or "
                                      "publish to alert.<city>.<zone>"));
  }
  const double lat = alert->location().lat();
  const double lon = alert->location().lon();
  std::vector<std::string> zones = shapes.ZonesAt(lat, lon);
  if (zones.empty()) {
    ++counters_.alerts_outside_zones;
    return ProtocolError(
        v1::UNKNOWN_ZONE,
        absl::StrFormat("location %.5f,%.5f is in none of the %d zones of %s: check it, or "
                        "publish to alert.%s.<zone> to send it to a zone anyway",
                        lat, lon, static_cast<int>(shapes.size()), zones_.city(), zones_.city()));
  }
  ++counters_.alerts_placed;
  if (zones.size() > 1) ++counters_.alerts_on_border;
  publish.set_topic(absl::StrCat(publish.topic(), ".", zones.front()));
  for (std::string& zone : zones) *alert->add_located_in() = std::move(zone);
  return absl::OkStatus();
}

void CoreLoop::CopyToBorderZones(const PendingPublish& publish) {
  std::string city;
  std::string zone;
  if (!CityAndZone(publish.topic, &city, &zone)) return;
  google::protobuf::RepeatedPtrField<std::string> others;
  for (const std::string& other : publish.event.alert().located_in()) {
    if (other == zone) continue;
    v1::Event copy;
    v1::Alert* alert = copy.mutable_alert();
    *alert = publish.event.alert();
    alert->set_topic(absl::StrCat("alert.", city, ".", other));
    alert->set_copy_of_zone(zone);
    const std::string topic = alert->topic();
    const uint64_t seq =
        PublishInternal(topic, publish.priority, std::move(copy), publish.alert_id);
    // The center hears the acks of the copy as of the original.
    if (!publish.publisher_unit.empty()) RememberPublisher(seq, publish.publisher_unit);
    *others.Add() = other;
  }
  unresolved_alerts_.AddZonesReached(publish.alert_id, others);
}

void CoreLoop::NotePosition(const Session& session, const std::string& topic,
                            const v1::RadioEvent& radio, int64_t unix_ms) {
  const TopicTokens tokens = SplitTopic(topic);
  if (tokens.size() != 4 || !radio.has_position()) return;
  if (!unit_positions_.Update(session.unit_id(), tokens[2], radio.position().lat(),
                              radio.position().lon(), unix_ms)) {
    ++counters_.positions_not_kept;
    return;
  }
  if (exchange_ != nullptr && exchange_->events().watched()) {
    v1::UnitPosition position;
    position.set_unit(session.unit_id());
    position.set_zone(std::string(tokens[2]));
    position.set_lat(radio.position().lat());
    position.set_lon(radio.position().lon());
    position.set_reported_unix_ms(unix_ms);
    position.set_online(true);
    Tell("position", position);
  }
}

void CoreLoop::Tell(absl::string_view type, const google::protobuf::Message& message) {
  if (exchange_ == nullptr || !exchange_->events().watched()) return;
  exchange_->events().Append(std::string(type), ProtoToJson(message));
}

void CoreLoop::TellStored(const PendingPublish& publish) {
  if (exchange_ == nullptr || !exchange_->events().watched()) return;
  v1::Frame frame;
  if (!frame.ParseFromArray(publish.frame.data(), static_cast<int>(publish.frame.size()))) return;
  switch (frame.deliver().event().kind_case()) {
    case v1::Event::kAlert:
      Tell("alert", frame.deliver());
      return;
    case v1::Event::kAlertUpdate:
      Tell("update", frame.deliver());
      return;
    case v1::Event::kEscalation:
      Tell("escalation", frame.deliver());
      return;
    case v1::Event::kRadio:
      Tell("radio", frame.deliver());
      return;
    default:
      return;
  }
}

void CoreLoop::HandlePublish(Session& session, v1::Publish& publish) {
  if (absl::Status placed = PlaceByLocation(session, publish); !placed.ok()) {
    SendError(session.routing_id(), &session, placed, publish.request_id());
    return;
  }
  absl::StatusOr<PublishClass> klass = CheckPublish(session, publish);
  if (!klass.ok()) {
    SendError(session.routing_id(), &session, klass.status(), publish.request_id());
    return;
  }
  if (absl::Status known = CheckZoneKnown(publish.topic()); !known.ok()) {
    ++counters_.publishes_unknown_zone;
    SendError(session.routing_id(), &session, known, publish.request_id());
    return;
  }
  // An officer's distress button is never held back by a rate limit.
  const bool emergency =
      publish.event().has_radio() && publish.event().radio().kind() == v1::RadioEvent::EMERGENCY;
  if (!emergency && !session.publish_limit().Take(clock_)) {
    ++counters_.publishes_rate_limited;
    SendError(session.routing_id(), &session,
              ProtocolError(v1::RATE_LIMITED,
                            absl::StrCat(session.unit_id(), " publishes faster than its limit")),
              publish.request_id());
    return;
  }
  const std::string& topic = publish.topic();
  v1::Frame frame =
      NewDeliver(topic, klass->priority, session.unit_id(), absl::ToUnixMillis(clock_.NowWall()));
  v1::Deliver* deliver = frame.mutable_deliver();
  deliver->set_sent_unix_ms(publish.sent_unix_ms());
  deliver->mutable_event()->Swap(publish.mutable_event());
  if (deliver->event().has_alert()) {
    deliver->mutable_event()->mutable_alert()->set_topic(topic);  // the routed topic rules
  } else if (deliver->event().has_radio()) {
    if (deliver->event().radio().unit().empty()) {
      deliver->mutable_event()->mutable_radio()->set_unit(std::string(SplitTopic(topic)[3]));
    }
    if (deliver->event().radio().kind() == v1::RadioEvent::POSITION) {
      NotePosition(session, topic, deliver->event().radio(), deliver->broker_unix_ms());
    }
  }
  if (klass->durable) {
    PublishDurable(session, publish.request_id(), frame);
    return;
  }
  ++counters_.published_best_effort;
  const size_t recipients = RouteDeliver(frame, /*best_effort=*/true);
  if (publish.request_id() != 0) {
    v1::Frame reply;
    v1::PubAck* ack = reply.mutable_pub_ack();
    ack->set_request_id(publish.request_id());
    ack->set_durable(false);
    ack->set_recipients(static_cast<uint32_t>(recipients));
    SendControl(session, reply);
  }
}

void CoreLoop::PublishDurable(Session& session, uint64_t request_id, v1::Frame& frame) {
  v1::Deliver* deliver = frame.mutable_deliver();
  // The idempotency key: an alert's id, or an update's "<alert id>#<kind>".
  const bool update = deliver->event().has_alert_update();
  const std::string alert_id =
      deliver->event().has_alert() ? deliver->event().alert().alert_id()
      : update ? AlertUpdateKey(deliver->event().alert_update(), UpdateRevision(deliver->event()))
               : std::string();
  const uint32_t fingerprint =
      deliver->event().has_alert()
          ? AlertFingerprint(deliver->topic(), deliver->priority(), deliver->event().alert())
          : 0;
  if (!alert_id.empty()) {
    // An alert id is an idempotency key: a retry gets the original PubAck
    // and is routed once. Another alert under the same id is refused, not
    // swallowed as a "duplicate" nobody would ever be sent.
    if (held_alerts_.Contains(alert_id)) {
      // Sent live and held: a retry is told so again, not sent twice.
      ++counters_.duplicates;
      SendPubAck(session.id(), request_id, 0, alert_id, /*duplicate=*/true, 0, /*held=*/true);
      return;
    }
    const DedupWindow::Entry* seen = journal_->FindCommitted(alert_id);
    if (seen == nullptr && update) seen = FindRepeatedChange(deliver->event().alert_update());
    const PendingPublish* in_flight =
        seen == nullptr ? pending_publishes_.FindByAlert(alert_id) : nullptr;
    const uint64_t original = seen != nullptr        ? seen->seq
                              : in_flight != nullptr ? in_flight->seq
                                                     : 0;
    const uint32_t original_fingerprint = seen != nullptr        ? seen->fingerprint
                                          : in_flight != nullptr ? in_flight->fingerprint
                                                                 : 0;
    // 0: journaled before fingerprints, taken as the same alert.
    if (original_fingerprint != 0 && original_fingerprint != fingerprint) {
      ++counters_.alert_id_conflicts;
      ZC_LOG(WARNING) << session.unit_id() << " re-used alert id " << alert_id << " (seq "
                      << original << ") for another alert on " << deliver->topic() << ": refused";
      SendError(session.routing_id(), &session,
                ProtocolError(
                    v1::ALERT_ID_CONFLICT,
                    absl::StrCat("alert id ", alert_id, " was used for another alert (seq ",
                                 original, "); choose a new id, or repeat that alert unchanged")),
                request_id);
      return;
    }
    if (seen != nullptr) {
      ++counters_.duplicates;
      SendPubAck(session.id(), request_id, seen->seq, alert_id, /*duplicate=*/true, 0);
      return;
    }
    if (in_flight != nullptr) {
      (void)pending_publishes_.AttachDuplicate(alert_id, session.id(), request_id);
      ++counters_.duplicates;
      return;
    }
  }
  if (update) {
    if (absl::Status open = CheckUpdate(*deliver); !open.ok()) {
      SendError(session.routing_id(), &session, open, request_id);
      return;
    }
    v1::AlertUpdate* change = deliver->mutable_event()->mutable_alert_update();
    change->set_by(session.unit_id());
    change->set_unix_ms(deliver->broker_unix_ms());
    if (change->kind() != v1::AlertUpdate::ASSIGNED) change->clear_unit();
    change->clear_units_taken();
    change->clear_units_needed();
  }
  // A slow or stalled disk: push back on durable publishers with a clear
  // answer instead of growing without bound or going deaf. A P1 gets twice
  // the room: it is small, and the last thing to turn away.
  const uint64_t room = journal_->max_inflight_bytes() * (deliver->priority() == v1::P1 ? 2 : 1);
  if (journal_->inflight_bytes() > room) {
    ++counters_.publishes_storage_busy;
    SendError(session.routing_id(), &session,
              ProtocolError(v1::STORAGE_BUSY,
                            absl::StrCat("the journal is ", journal_->inflight_bytes() >> 20,
                                         " MiB behind the disk (slow or stalled); publish "
                                         "again shortly")),
              request_id);
    return;
  }
  ++counters_.published_durable;
  PendingPublish& pending = AppendDurable(frame, alert_id, fingerprint);
  pending.publisher = session.id();
  pending.request_id = request_id;
  pending.sent_unix_ms = deliver->sent_unix_ms();
  pending.publisher_unit = session.unit_id();
  pending.awaits_response = deliver->event().has_alert();
  pending.emergency =
      deliver->event().has_radio() && deliver->event().radio().kind() == v1::RadioEvent::EMERGENCY;
  if (pending.awaits_response) pending.title = deliver->event().alert().title();
  if (pending.emergency || update || (pending.awaits_response && !zones_.empty())) {
    pending.event.Swap(deliver->mutable_event());
  }
}

PendingPublish& CoreLoop::AppendDurable(v1::Frame& frame, const std::string& alert_id,
                                        uint32_t fingerprint) {
  v1::Deliver* deliver = frame.mutable_deliver();
  PendingPublish& pending = pending_publishes_.Add(journal_->NextSeq(), alert_id);
  pending.fingerprint = fingerprint;
  deliver->set_seq(pending.seq);
  pending.topic = deliver->topic();
  pending.priority = deliver->priority();
  pending.broker_unix_ms = deliver->broker_unix_ms();
  pending.frame = EncodeFrame(frame);
  pending.ingress = clock_.NowMono();
  journal_->AppendPublish(journal::PublishRecord{
      pending.seq, pending.broker_unix_ms, pending.alert_id, pending.topic,
      absl::string_view(static_cast<const char*>(pending.frame.data()), pending.frame.size()),
      static_cast<uint8_t>(pending.priority), pending.fingerprint});
  return pending;
}

uint64_t CoreLoop::PublishInternal(const std::string& topic, v1::Priority priority, v1::Event event,
                                   const std::string& alert_id) {
  v1::Frame frame =
      NewDeliver(topic, priority, options_.broker_id, absl::ToUnixMillis(clock_.NowWall()));
  *frame.mutable_deliver()->mutable_event() = std::move(event);
  return AppendDurable(frame, alert_id, /*fingerprint=*/0).seq;
}

void CoreLoop::QueueStored(uint64_t seq, const absl::Status& status) {
  const PendingPublish* found = pending_publishes_.Find(seq);
  const bool p1 = found != nullptr && found->priority == v1::P1;
  (p1 ? stored_p1_ : stored_rest_).emplace_back(seq, status);
}

void CoreLoop::RouteStoredPublishes(size_t budget) {
  // P1 first: a console's P1 stored in the same batch as a window of P2s
  // is routed and acknowledged before them. (Routing one adds nothing to
  // either queue: what it publishes itself waits for the disk first.)
  RouteStoredP1s();
  RouteStored(stored_rest_, budget);
}

void CoreLoop::RouteStoredP1s() {
  // Every stored P1 is acknowledged before any is fanned out: the last of
  // a window of P1s to crowded zones waited for the fan-out of all before
  // it. No copy of a durable P1 is ever dropped, so every matched session
  // will get it; and P1s are routed whatever the turn's budget.
  for (const auto& [seq, status] : stored_p1_) {
    if (!status.ok()) continue;
    PendingPublish* found = pending_publishes_.Find(seq);
    ZC_CHECK(found != nullptr) << "the journal completed seq " << seq << " that nobody appended";
    NoteStored(*found);
    AnswerPublisher(*found, router_.Match(found->topic)->size());
    found->answered = true;
  }
  RouteStored(stored_p1_, SIZE_MAX);
}

void CoreLoop::RouteStored(std::deque<std::pair<uint64_t, absl::Status>>& queue, size_t until) {
  while (turn_fanout_ < until && !queue.empty()) {
    auto [seq, status] = std::move(queue.front());
    queue.pop_front();
    OnDurable(seq, status);
    // A P1's fan-out is the urgent work itself.
    if (&queue != &stored_p1_) ServeUrgent();
  }
}

void CoreLoop::OnDurable(uint64_t seq, const absl::Status& status) {
  PendingPublish* found = pending_publishes_.Find(seq);
  ZC_CHECK(found != nullptr) << "the journal completed seq " << seq << " that nobody appended";
  // Used in place: what the handling publishes itself (escalations) is
  // added behind it without moving it.
  if (status.ok()) {
    OnStored(*found);
  } else {
    OnNotStored(*found, status);
  }
  pending_publishes_.Remove(seq);
}

void CoreLoop::OnNotStored(const PendingPublish& publish, const absl::Status& status) {
  ++counters_.storage_failures;
  if (HoldUnstored(publish)) return;
  // Nothing else that is not on disk is acknowledged: the publisher retries
  // with the same alert id.
  const absl::Status error = ProtocolError(
      v1::STORAGE_UNAVAILABLE, absl::StrCat("the journal cannot store: ", status.message()));
  if (Session* publisher = sessions_.Find(publish.publisher)) {
    SendError(publisher->routing_id(), publisher, error, publish.request_id);
  }
  for (const auto& [id, request] : publish.duplicates) {
    if (Session* again = sessions_.Find(id)) SendError(again->routing_id(), again, error, request);
  }
}

bool CoreLoop::HoldUnstored(const PendingPublish& publish) {
  if (publish.priority != v1::P1 || !(publish.awaits_response || publish.emergency)) return false;
  HeldAlerts::Held held;
  if (!held.frame.ParseFromArray(publish.frame.data(), static_cast<int>(publish.frame.size()))) {
    return false;
  }
  held.frame.mutable_deliver()->set_seq(0);
  held.alert_id = publish.alert_id;
  held.fingerprint = publish.fingerprint;
  held.bytes = publish.frame.size();
  if (publish.was_held) {
    // Sent live and acknowledged as held before: it waits again, quietly,
    // and so do the retries that came meanwhile.
    held.responses = publish.held_responses;
    (void)held_alerts_.Hold(std::move(held), /*again=*/true);
    for (const auto& [id, request] : publish.duplicates) {
      SendPubAck(id, request, 0, publish.alert_id, /*duplicate=*/true, 0, /*held=*/true);
    }
    return true;
  }
  v1::Frame live = held.frame;
  live.mutable_deliver()->set_not_stored(true);
  if (!held_alerts_.Hold(std::move(held))) return false;
  ++counters_.alerts_held;
  ZC_LOG(WARNING) << "P1 " << publish.alert_id << " on " << publish.topic
                  << " not stored (the journal cannot store): sent live and held until it heals";
  const size_t recipients = RouteDeliver(live, /*best_effort=*/true);
  if (publish.emergency) {
    // The officer's button raises its alarm now, live, to the unit's zone
    // and its neighbours; the stored one follows with the radio event.
    if (std::optional<Escalation> raised =
            escalator_.OnEmergency(0, publish.topic, publish.event.radio())) {
      for (EscalationMessage& message : raised->messages) {
        v1::Frame copy = NewDeliver(message.topic, message.priority, options_.broker_id,
                                    absl::ToUnixMillis(clock_.NowWall()));
        *copy.mutable_deliver()->mutable_event() = std::move(message.event);
        copy.mutable_deliver()->set_not_stored(true);
        RouteDeliver(copy, /*best_effort=*/true);
      }
    }
  }
  SendPubAck(publish.publisher, publish.request_id, 0, publish.alert_id, /*duplicate=*/false,
             recipients, /*held=*/true);
  for (const auto& [id, request] : publish.duplicates) {
    SendPubAck(id, request, 0, publish.alert_id, /*duplicate=*/true, 0, /*held=*/true);
  }
  return true;
}

void CoreLoop::StoreHeld() {
  for (HeldAlerts::Held& held : held_alerts_.TakeAll()) {
    const v1::Deliver& deliver = held.frame.deliver();
    PendingPublish& pending = AppendDurable(held.frame, held.alert_id, held.fingerprint);
    pending.was_held = true;
    pending.held_responses = std::move(held.responses);
    pending.publisher_unit = deliver.publisher();
    pending.sent_unix_ms = deliver.sent_unix_ms();
    pending.awaits_response = deliver.event().has_alert();
    pending.emergency =
        deliver.event().has_radio() && deliver.event().radio().kind() == v1::RadioEvent::EMERGENCY;
    if (pending.awaits_response) pending.title = deliver.event().alert().title();
    if (pending.emergency || (pending.awaits_response && !zones_.empty())) {
      pending.event = deliver.event();
    }
  }
  journal_->Flush();
}

void CoreLoop::NoteStored(const PendingPublish& publish) {
  latency_.OnDurable(publish.seq, publish.topic, publish.priority, publish.ingress,
                     clock_.NowMono(), publish.sent_unix_ms, publish.awaits_response);
  if (publish.awaits_response) {
    unresolved_alerts_.OnPublished(publish.alert_id, publish.title, publish.seq, publish.topic,
                                   publish.priority, publish.publisher_unit,
                                   absl::ToUnixMillis(clock_.NowWall()));
    if (publish.event.has_alert()) {
      unresolved_alerts_.SetLocation(publish.alert_id, publish.event.alert().location());
    }
  }
}

void CoreLoop::OnStored(const PendingPublish& publish) {
  if (publish.was_held) {
    ++counters_.alerts_held_stored;
    ZC_LOG(INFO) << "held P1 " << publish.alert_id << " stored as seq " << publish.seq;
  }
  // A P1 is acknowledged before its fan-out (RouteStoredP1s); the dispatcher
  // need not wait while it is queued for thousands of terminals.
  const bool ack_first = publish.priority == v1::P1;
  if (!publish.answered) {
    NoteStored(publish);
    if (ack_first) AnswerPublisher(publish, router_.Match(publish.topic)->size());
  }
  size_t terminals = 0;
  const size_t recipients = RouteEncoded(publish.topic, publish.priority, publish.frame,
                                         /*best_effort=*/false, publish.seq, publish.alert_id,
                                         publish.awaits_response ? &terminals : nullptr);
  ZC_DCHECK(!ack_first || recipients == router_.Match(publish.topic)->size())
      << "a P1 acknowledged for more sessions than it was queued for";
  if (publish.awaits_response && publish.event.has_alert() &&
      publish.event.alert().located_in_size() > 1) {
    CopyToBorderZones(publish);
  }
  TellStored(publish);
  std::optional<Escalation> escalation;
  if (publish.awaits_response) {
    // Without a zones map the alert was not kept parsed (it escalates only
    // when no unit got it): read it back from the stored frame then.
    v1::Frame stored;
    const v1::Alert* alert = &publish.event.alert();
    if (!publish.event.has_alert() && terminals == 0 &&
        stored.ParseFromArray(publish.frame.data(), static_cast<int>(publish.frame.size()))) {
      alert = &stored.deliver().event().alert();
    }
    escalation = escalator_.OnStored(publish.seq, publish.topic, publish.priority,
                                     publish.publisher_unit, *alert, terminals);
  } else if (publish.emergency) {
    escalation = escalator_.OnEmergency(publish.seq, publish.topic, publish.event.radio());
  }
  if (escalation.has_value()) CarryOut(std::move(*escalation), publish.seq);
  if (publish.event.has_alert_update()) ApplyUpdate(publish.event.alert_update());
  if (!publish.alert_id.empty() && publish.publisher != 0) {
    if (Session* publisher = sessions_.Find(publish.publisher)) {
      RememberPublisher(publish.seq, publisher->unit_id());
    }
  } else if (publish.was_held && !publish.publisher_unit.empty()) {
    RememberPublisher(publish.seq, publish.publisher_unit);
  }
  // Units that took its live copy took it.
  for (const auto& [unit, level] : publish.held_responses) {
    const size_t units_taken = unresolved_alerts_.OnAck(publish.alert_id, unit, level,
                                                        absl::ToUnixMillis(clock_.NowWall()));
    escalator_.OnAck(publish.alert_id, unit, level);
    if (units_taken > 0) PublishTaken(publish.alert_id, unit, units_taken);
  }
  if (!ack_first) AnswerPublisher(publish, recipients);
}

void CoreLoop::AnswerPublisher(const PendingPublish& publish, size_t recipients) {
  // A P1's publisher hears at once, ahead of the fan-out this turn queued
  // for thousands of terminals. Other PubAcks leave with the turn's other
  // frames: sent one by one, each would wake libzmq's I/O thread for a
  // frame of its own.
  SendPubAck(publish.publisher, publish.request_id, publish.seq, publish.alert_id,
             /*duplicate=*/false, recipients, /*held=*/false,
             /*at_once=*/publish.priority == v1::P1);
  // From the publisher's send: time spent in sockets and queues before the
  // loop read the frame counts too.
  if (publish.sent_unix_ms > 0 && publish.request_id != 0) {
    latency_.OnPubAck(publish.seq, absl::ToUnixMillis(clock_.NowWall()));
  }
  for (const auto& [id, request] : publish.duplicates) {
    SendPubAck(id, request, publish.seq, publish.alert_id, /*duplicate=*/true, 0);
  }
}

void CoreLoop::SendPubAck(SessionId session_id, uint64_t request_id, uint64_t seq,
                          const std::string& alert_id, bool duplicate, size_t recipients, bool held,
                          bool at_once) {
  Session* session = sessions_.Find(session_id);
  if (session == nullptr || request_id == 0) return;
  v1::Frame reply;
  v1::PubAck* ack = reply.mutable_pub_ack();
  ack->set_request_id(request_id);
  ack->set_seq(seq);
  ack->set_alert_id(alert_id);
  ack->set_durable(!held);
  ack->set_held(held);
  ack->set_duplicate(duplicate);
  ack->set_recipients(static_cast<uint32_t>(recipients));
  SendControl(*session, reply);
  if (at_once && !session->blocked) FlushSession(*session);
}

size_t CoreLoop::RouteDeliver(const v1::Frame& deliver, bool best_effort) {
  const v1::Deliver& d = deliver.deliver();
  MatchResult recipients = router_.Match(d.topic());
  if (recipients->empty()) {
    ++counters_.published_no_interest;
    return 0;
  }
  // Encode once; every recipient shares these bytes.
  return RouteToSessions(*recipients, d.topic(), d.priority(), EncodeFrame(deliver), best_effort, 0,
                         "", nullptr);
}

size_t CoreLoop::RouteEncoded(const std::string& topic, v1::Priority priority,
                              const zmq::message_t& bytes, bool best_effort, uint64_t seq,
                              const std::string& alert_id, size_t* terminals) {
  MatchResult recipients = router_.Match(topic);
  if (recipients->empty()) {
    ++counters_.published_no_interest;
    return 0;
  }
  return RouteToSessions(*recipients, topic, priority, bytes, best_effort, seq, alert_id,
                         terminals);
}

size_t CoreLoop::RouteToSessions(const std::vector<SessionId>& recipients, const std::string& topic,
                                 v1::Priority priority, const zmq::message_t& bytes,
                                 bool best_effort, uint64_t seq, const std::string& alert_id,
                                 size_t* terminals) {
  size_t accepted = 0;
  // The alert's city and zone, split once for the whole fan-out.
  const TopicTokens tokens = terminals != nullptr ? SplitTopic(topic) : TopicTokens();
  for (SessionId id : recipients) {
    Session* session = sessions_.Find(id);
    if (session == nullptr) continue;
    if (seq != 0 && session->role() == v1::TERMINAL) {
      durable_->Send(*session, seq, topic, alert_id, priority, bytes);
      ++accepted;
      if (terminals != nullptr && IsUnitOfZone(*session, topic, tokens)) ++*terminals;
      continue;
    }
    OutboundMessage message;
    // zmq_msg_copy shares the bytes and bumps a reference count.
    message.frame.copy(const_cast<zmq::message_t&>(bytes));
    message.priority = priority;
    message.best_effort = best_effort;
    message.seq = seq;
    if (router_.Enqueue(*session, std::move(message))) ++accepted;
  }
  counters_.delivered += accepted;
  turn_fanout_ += recipients.size();
  return accepted;
}

bool CoreLoop::IsUnitOfZone(const Session& session, const std::string& topic,
                            const TopicTokens& tokens) {
  // A unit of the zone subscribed to the zone's topic itself, or names the
  // zone as its home. A terminal that only matched through a wildcard (a
  // wall, a test rig on alert.>) is no unit there: were it counted, an
  // alert to a zone with nobody on duty would wait out its whole deadline.
  if (session.patterns().contains(topic)) return true;
  if (session.zone().empty() || tokens.size() != 3) return false;
  const absl::string_view zone = session.zone();
  return zone == tokens[2] || (zone.size() == tokens[1].size() + 1 + tokens[2].size() &&
                               absl::StartsWith(zone, tokens[1]) && zone[tokens[1].size()] == '.' &&
                               absl::EndsWith(zone, tokens[2]));
}

void CoreLoop::RememberPublisher(uint64_t seq, const std::string& unit) {
  // Bounded: acks for alerts older than the last 100k reach ack.> only.
  constexpr size_t kMaxRemembered = 100000;
  alert_publishers_.emplace(seq, unit);
  alert_publisher_order_.push_back(seq);
  if (alert_publisher_order_.size() > kMaxRemembered) {
    alert_publishers_.erase(alert_publisher_order_.front());
    alert_publisher_order_.pop_front();
  }
}

void CoreLoop::HandleAck(Session& session, const v1::AckFrame& ack) {
  if (ack.level() == v1::ACK_LEVEL_UNSPECIFIED || !v1::AckLevel_IsValid(ack.level())) {
    SendError(session.routing_id(), &session,
              ProtocolError(v1::INVALID_ARGUMENT, "ack level is missing or unknown"), 0);
    return;
  }
  if (absl::Status allowed = CheckAck(session, ack); !allowed.ok()) {
    Refuse(session, v1::ACK_DENIED, std::string(allowed.message()), 0);
    return;
  }
  ++counters_.acks_received;
  ++counters_.acks_by_level[ack.level()];
  if (session.restricted() && session.role() == v1::TERMINAL && !ack.alert_id().empty()) {
    received_.Record(session.unit_id(), ack.seq(), ack.alert_id());
  }
  // Only a patrol unit takes an alert (as the Escalator counts).
  const size_t units_taken =
      session.role() == v1::TERMINAL
          ? unresolved_alerts_.OnAck(ack.alert_id(), session.unit_id(), ack.level(),
                                     absl::ToUnixMillis(clock_.NowWall()))
          : 0;
  if (session.role() == v1::TERMINAL && ack.seq() == 0 && Escalator::IsResponse(ack.level()) &&
      held_alerts_.Contains(ack.alert_id())) {
    held_alerts_.NoteResponse(ack.alert_id(), session.unit_id(), ack.level());
  }
  if (ack.level() != v1::RECEIVED && ack.seq() != 0) {
    latency_.OnResponse(ack.seq(), ack.level(), clock_.NowMono());
  }
  if (session.role() == v1::TERMINAL && ack.seq() != 0) {
    if (ack.level() == v1::RECEIVED) durable_->OnReceived(session, ack.seq());
    escalator_.OnAck(ack.alert_id(), session.unit_id(), ack.level());
    v1::JournalDelivery record;
    record.set_unit(session.unit_id());
    record.set_seq(ack.seq());
    record.set_kind(v1::JournalDelivery::ACK);
    record.set_level(ack.level());
    record.set_alert_id(ack.alert_id());
    record.set_text(ack.text());
    record.set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
    journal_->AddDelivery(record);
    Tell("ack", record);
  }
  RouteAckEvent(session, ack);
  // After the ack's own record: the timeline reads ACCEPTED, then TAKEN.
  if (units_taken > 0 && session.role() == v1::TERMINAL) {
    PublishTaken(ack.alert_id(), session.unit_id(), units_taken);
  }
}

absl::Status CoreLoop::CheckAck(const Session& session, const v1::AckFrame& ack) const {
  if (!session.restricted()) return absl::OkStatus();
  // An ack names its message's topic: one the identity may receive.
  if (!ValidateTopic(ack.topic()).ok() || !session.MaySubscribe(ack.topic())) {
    return absl::PermissionDeniedError(
        absl::StrCat(session.unit_id(), " may not ack messages of ", ack.topic()));
  }
  // A unit acks alerts it was sent (awaiting its RECEIVED) or confirmed
  // before: else its ACCEPTED would stop the escalation of an alert nobody
  // who got it has taken.
  if (session.role() == v1::TERMINAL && !ack.alert_id().empty()) {
    // The live copy of a held P1 (seq 0) went to every unit online.
    if (ack.seq() == 0 && held_alerts_.Contains(ack.alert_id())) return absl::OkStatus();
    const PendingDelivery* sent = durable_->tracker().Find(session.id(), ack.seq());
    if ((sent == nullptr || sent->alert_id != ack.alert_id()) &&
        !received_.Contains(session.unit_id(), ack.seq(), ack.alert_id())) {
      return absl::PermissionDeniedError(absl::StrCat(session.unit_id(), " was not sent alert ",
                                                      ack.alert_id(), " (seq ", ack.seq(), ")"));
    }
  }
  return absl::OkStatus();
}

void CoreLoop::RouteAckEvent(const Session& session, const v1::AckFrame& ack) {
  // Route the ack as an event on ack.<city>.<zone> for the center and
  // monitors. The topic is the client's echo of the acked alert's topic,
  // validated as an alert topic.
  TopicTokens tokens = SplitTopic(ack.topic());
  if (tokens.size() != 3 || tokens[0] != "alert" || !ValidateTopic(ack.topic()).ok()) return;
  // A unit's RECEIVED of an alert's update (TAKEN, CANCELLED) settles its
  // delivery; the center and the walls follow acks of alerts.
  if (ack.alert_id().empty()) return;
  v1::Frame frame = NewDeliver(absl::StrCat("ack.", tokens[1], ".", tokens[2]), v1::P2,
                               session.unit_id(), absl::ToUnixMillis(clock_.NowWall()));
  v1::Ack* event = frame.mutable_deliver()->mutable_event()->mutable_ack();
  event->set_seq(ack.seq());
  event->set_alert_id(ack.alert_id());
  event->set_unit(session.unit_id());
  event->set_level(ack.level());
  event->set_text(ack.text());
  event->set_unix_ms(frame.deliver().broker_unix_ms());
  event->set_topic(ack.topic());
  const MatchResult watchers = router_.Match(frame.deliver().topic());
  // Walls and consoles on ack.> hear of a thousand acks per alert to a
  // crowded zone: those whose library reads batches get them batched per
  // turn, like a publisher's notices; the rest one frame each.
  std::vector<SessionId> one_by_one;
  for (SessionId id : *watchers) {
    Session* watcher = sessions_.Find(id);
    if (watcher == nullptr) continue;
    if (!watcher->reads_deliveries()) {
      one_by_one.push_back(id);
      continue;
    }
    ++counters_.delivered;
    if (std::optional<v1::Frame> full = notices_.Add(id, frame.deliver())) {
      SendNotices(id, std::move(*full));
    }
  }
  if (watchers->empty()) ++counters_.published_no_interest;
  if (!one_by_one.empty()) {
    RouteToSessions(one_by_one, frame.deliver().topic(), v1::P2, EncodeFrame(frame),
                    /*best_effort=*/false, 0, "", nullptr);
  }
  // The alert's publisher hears of every ack, subscribed to ack.> or not.
  auto publisher = alert_publishers_.find(ack.seq());
  if (publisher == alert_publishers_.end()) return;
  Session* center = sessions_.FindByUnit(publisher->second);
  if (center == nullptr || std::binary_search(watchers->begin(), watchers->end(), center->id())) {
    return;
  }
  if (center->reads_deliveries()) {
    if (std::optional<v1::Frame> full = notices_.Add(center->id(), frame.deliver())) {
      SendNotices(center->id(), std::move(*full));
    }
    return;
  }
  OutboundMessage message;
  message.frame = EncodeFrame(frame);
  message.priority = v1::P2;
  router_.Enqueue(*center, std::move(message));
}

void CoreLoop::SendNotices(SessionId to, v1::Frame batch) {
  Session* publisher = sessions_.Find(to);
  if (publisher == nullptr) return;  // gone: its acks are in the journal and on ack.>
  OutboundMessage message;
  message.frame = EncodeFrame(batch);
  message.priority = v1::P2;
  router_.Enqueue(*publisher, std::move(message));
}

void CoreLoop::HandleStats(Session& session, const v1::StatsRequest& request) {
  v1::StatsSnapshot snapshot;
  snapshots_->FillCountersAndGauges(&snapshot);
  v1::Frame reply;
  v1::StatsReply* stats = reply.mutable_stats_reply();
  stats->set_request_id(request.request_id());
  stats->mutable_counters()->swap(*snapshot.mutable_counters());
  stats->mutable_gauges()->swap(*snapshot.mutable_gauges());
  SendControl(session, reply);
}

void CoreLoop::HandleHistory(Session& session, v1::HistoryRequest& request) {
  if (absl::Status status = ValidatePattern(request.pattern()); !status.ok()) {
    SendError(session.routing_id(), &session, ProtocolError(v1::INVALID_TOPIC, status.message()),
              request.request_id());
    return;
  }
  if (!session.MaySubscribe(request.pattern())) {
    Refuse(session, v1::SUBSCRIBE_DENIED,
           absl::StrCat(session.unit_id(), " may not read the history of ", request.pattern()),
           request.request_id());
    return;
  }
  if (!AdmitHistoryRequest(session, request.request_id())) return;
  ++counters_.history_requests;
  history_->Submit(session.id(), std::move(request));
}

bool CoreLoop::AdmitHistoryRequest(Session& session, uint64_t request_id) {
  // The reader's queue and the replies it makes are bounded per session:
  // a few requests in flight, then wait for their answers.
  if (session.history_in_flight >= options_.max_history_in_flight) {
    ++counters_.history_requests_refused;
    SendError(session.routing_id(), &session,
              ProtocolError(v1::RATE_LIMITED,
                            absl::StrCat(session.history_in_flight,
                                         " history or timeline requests are still unanswered; "
                                         "read their replies first")),
              request_id);
    return false;
  }
  ++session.history_in_flight;
  return true;
}

void CoreLoop::AnswerTimelineQueries() {
  for (MonitoringExchange::TimelineQuery& query : exchange_->TakeTimelineQueries()) {
    v1::TimelineRequest request;
    request.set_alert_id(std::move(query.alert_id));
    history_->SubmitTimeline(std::move(request), query.deadline_unix_ms, std::move(query.done));
  }
}

void CoreLoop::SendHistoryReplies() {
  for (HistoryReader::Reply& reply : history_->TakeReplies()) {
    if (reply.replay) {
      durable_->OnReplay(reply);
      continue;
    }
    Session* session = sessions_.Find(reply.session);
    if (session == nullptr) continue;  // it left meanwhile
    if (reply.last && session->history_in_flight > 0) --session->history_in_flight;
    OutboundMessage message;
    message.frame = std::move(reply.frame);
    message.priority = v1::P3;
    message.reply = true;
    SendReply(*session, std::move(message), /*droppable=*/false);
  }
}

void CoreLoop::RoutePresence(const Session& session, v1::SessionEvent::State state,
                             absl::string_view reason) {
  v1::Frame frame = NewDeliver(absl::StrCat("sys.presence.", session.unit_id()), v1::P3,
                               options_.broker_id, absl::ToUnixMillis(clock_.NowWall()));
  v1::Deliver* deliver = frame.mutable_deliver();
  v1::SessionEvent* event = deliver->mutable_event()->mutable_session();
  event->set_unit(session.unit_id());
  event->set_role(std::string(RoleName(session.role())));
  event->set_patrol_group(session.patrol_group());
  event->set_zone(session.zone());
  event->set_state(state);
  event->set_reason(std::string(reason));
  event->set_unix_ms(deliver->broker_unix_ms());
  Tell("presence", *event);
  RouteDeliver(frame, /*best_effort=*/false);
}

void CoreLoop::CloseSession(Session& session, absl::string_view reason) {
  ZC_LOG(INFO) << "session " << session.id() << " offline: " << session.unit_id() << " (" << reason
               << ")";
  Audit("disconnect", session.unit_id(), session.role(), "", reason);
  ++counters_.sessions_closed;
  router_.RemoveAll(session);
  durable_->OnClosed(session);
  // Tell the others after unsubscribing, so the session does not hear itself.
  RoutePresence(session, v1::SessionEvent::OFFLINE, reason);
  std::erase(blocked_, session.id());
  sessions_.Remove(session);
}

bool CoreLoop::SendControl(Session& session, const v1::Frame& frame, bool droppable) {
  OutboundMessage message;
  message.frame = EncodeFrame(frame);
  message.priority = v1::P1;  // control frames go first
  message.reply = true;
  return SendReply(session, std::move(message), droppable);
}

bool CoreLoop::SendReply(Session& session, OutboundMessage&& message, bool droppable) {
  if (session.cut) return false;
  if (router_.Enqueue(session, std::move(message))) return true;
  // Over the reply limits: the session asks and does not read.
  if (droppable) {
    ++counters_.replies_dropped;
    return false;
  }
  // Ended at the end of the turn, not here: the caller may still hold it.
  session.cut = true;
  to_cut_.push_back(session.id());
  return false;
}

void CoreLoop::CutSessions() {
  std::vector<SessionId> cut;
  cut.swap(to_cut_);
  for (SessionId id : cut) {
    Session* session = sessions_.Find(id);
    if (session == nullptr) continue;
    ++counters_.sessions_cut_unread_replies;
    ZC_LOG(WARNING) << "unit " << session->unit_id() << " left " << session->queue().reply_bytes()
                    << " bytes of replies unread: ending it";
    EndSession(*session, v1::REPLIES_NOT_READ,
               absl::StrCat("over ", options_.queue_limits.reply_bytes,
                            " bytes of replies left unread (or the broker's total for all "
                            "sessions reached): read the replies to what you ask"),
               "unread_replies");
  }
}

void CoreLoop::SendError(const std::string& routing_id, Session* session,
                         const absl::Status& status, uint64_t request_id) {
  const v1::ErrorCode code = ErrorCodeOf(status);
  ++counters_.protocol_errors;
  ++counters_.errors_by_code[code];
  ZC_LOG(DEBUG) << "error to " << (session ? session->unit_id() : "unknown peer") << ": "
                << v1::ErrorCode_Name(code) << ": " << status.message();
  v1::Frame frame = MakeErrorFrame(code, status.message(), request_id);
  if (session != nullptr) {
    // An error is the cheapest reply: dropped, not queued, for a session
    // that leaves its replies unread.
    if (SendControl(*session, frame, /*droppable=*/true)) ++counters_.errors_sent;
    return;
  }
  zmq::message_t bytes = EncodeFrame(frame);
  if (transport_->Send(routing_id, bytes) == Transport::SendResult::kSent) {
    ++counters_.errors_sent;
    ++counters_.frames_sent;
  } else {
    ++counters_.errors_unsent;
  }
}

void CoreLoop::FlushDirty(bool retry_blocked) {
  // Blocked sessions first: they have waited longest.
  if (retry_blocked && !blocked_.empty()) {
    std::vector<SessionId> retry;
    retry.swap(blocked_);
    for (SessionId id : retry) {
      if (Session* session = sessions_.Find(id)) {
        session->blocked = false;
        FlushSession(*session);
      }
    }
  }
  for (SessionId id : router_.TakeDirty()) {
    Session* session = sessions_.Find(id);
    if (session == nullptr) continue;
    session->dirty = false;
    if (!session->blocked) FlushSession(*session);
  }
}

void CoreLoop::FlushSession(Session& session) {
  SessionQueue& queue = session.queue();
  while (OutboundMessage* message = queue.Front()) {
    const size_t size = message->frame.size();
    const uint64_t seq = message->seq;
    const bool ack_tracked = message->ack_tracked;
    const Transport::SendResult result = transport_->Send(session.routing_id(), message->frame);
    switch (result) {
      case Transport::SendResult::kSent: {
        ++counters_.frames_sent;
        session.last_sent = turn_now_;
        if (seq != 0) {
          const MonoNanos now = clock_.NowMono();
          if (ack_tracked) durable_->OnSent(session.id(), seq, now);
          latency_.OnSent(seq, now);
        }
        counters_.bytes_sent += size;
        const SessionQueue::Transition transition = queue.Pop();
        if (transition == SessionQueue::Transition::kRecovered) {
          ++counters_.slow_consumer_recovered;
          ZC_LOG(INFO) << "slow consumer recovered: unit " << session.unit_id();
        }
        break;
      }
      case Transport::SendResult::kWouldBlock:
      case Transport::SendResult::kUnreachable:
        // libzmq 4.3 reports EHOSTUNREACH, not EAGAIN, for a pipe that was
        // full and has drained but not yet been reactivated, so an
        // "unreachable" known peer is retried like a full one. A peer that
        // is really gone stops heartbeating and is closed by OnTick.
        if (result == Transport::SendResult::kWouldBlock) {
          ++counters_.send_would_block;
        } else {
          ++counters_.peer_unreachable;
        }
        if (!session.blocked) {
          session.blocked = true;
          blocked_.push_back(session.id());
        }
        return;
    }
  }
}

void CoreLoop::OnTick() {
  const MonoNanos now = clock_.NowMono();
  const MonoNanos period = static_cast<MonoNanos>(options_.heartbeat_ms) * 1'000'000;
  next_tick_ = now + period;
  const MonoNanos dead_after = period * options_.heartbeat_misses;
  journal_->ExpireDedup(absl::ToUnixMillis(clock_.NowWall()));
  journal_->ProbeIfUnhealthy();
  if (!held_alerts_.empty() && journal_->WriterStats().healthy) {
    StoreHeld();
  }
  unresolved_alerts_.Expire(absl::ToUnixMillis(clock_.NowWall()));
  if (now >= next_expiry_check_) {
    // Once a minute, or more often when sessions expire sooner than that.
    next_expiry_check_ =
        now +
        std::min<int64_t>(60'000'000'000,
                          std::max<int64_t>(absl::ToInt64Nanoseconds(options_.session_expiry) / 2,
                                            1'000'000'000));
    durable_->ExpireAndCompact();
  }
  durable_->CatchUpBehind();
  std::vector<Session*> dead;
  v1::Frame beat;
  beat.mutable_heartbeat()->set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  zmq::message_t beat_bytes = EncodeFrame(beat);
  // Silent only up to the last time all input was read: frames waiting in
  // the broker's own socket are not the peer's silence. Nor are those still
  // in ZeroMQ's I/O thread or the kernel: while even the freshest sessions
  // have not been heard for longer than a period, everyone gets that long.
  silences_.clear();
  sessions_.ForEach(
      [&](Session& session) { silences_.push_back(input_drained_at_ - session.last_heard()); });
  // And after a spell in which the broker read not all its input, the
  // spell's length (see DeafSpells).
  const MonoNanos grace =
      std::max(DeafnessGrace(silences_, period), deaf_spells_.Grace(input_drained_at_, dead_after));
  sessions_.ForEach([&](Session& session) {
    const MonoNanos silence = input_drained_at_ - session.last_heard();
    if (silence > dead_after + grace) {
      dead.push_back(&session);
      return;
    }
    if (silence > dead_after) ++counters_.heartbeat_timeouts_deferred;
    // One sent a frame within the last half period heard from us recently
    // enough (the next tick comes within a period, so the gap stays under
    // two): in an alert burst that spares thousands of sends in one turn.
    // A backlog that has not moved for that long is no sign of life to the
    // peer: it gets the heartbeat past its queue (a full pipe refuses it,
    // and then nothing would get through anyway).
    if (now - session.last_sent < period / 2) return;
    zmq::message_t copy;
    copy.copy(beat_bytes);
    if (transport_->Send(session.routing_id(), copy) == Transport::SendResult::kSent) {
      ++counters_.frames_sent;
      session.last_sent = now;
    }
  });
  for (Session* session : dead) {
    if (!session->confirmed()) {
      ++counters_.sessions_unconfirmed;
      ZC_LOG(INFO) << "unit " << session->unit_id()
                   << " never answered its Welcome: session closed";
      CloseSession(*session, "welcome_unanswered");
      continue;
    }
    ++counters_.heartbeat_timeouts;
    ZC_LOG(WARNING) << "unit " << session->unit_id() << " missed " << options_.heartbeat_misses
                    << " heartbeats";
    CloseSession(*session, "heartbeat_timeout");
  }
  FlushDirty();
}

void CoreLoop::Shutdown() {
  if (exchange_ != nullptr) exchange_->SetPhase(MonitoringExchange::Phase::kStopping, "SIGTERM");
  ZC_LOG(INFO) << "shutting down: " << sessions_.size() << " sessions";
  // Everything read so far is stored and acknowledged before we leave.
  RouteStoredPublishes(SIZE_MAX);
  journal_->Close([this](uint64_t seq, const absl::Status& status) { OnDurable(seq, status); });
  // Held P1s never reached the disk: say which, for the operator.
  for (const HeldAlerts::Held& held : held_alerts_.TakeAll()) {
    ZC_LOG(ERROR) << "held P1 " << held.alert_id << " on " << held.frame.deliver().topic()
                  << " was never stored (the journal could not store it): lost with this stop";
  }
  FlushDirty();
  v1::Frame goodbye;
  goodbye.mutable_goodbye()->set_reason("broker shutting down");
  zmq::message_t bytes = EncodeFrame(goodbye);
  sessions_.ForEach([&](Session& session) {
    zmq::message_t copy;
    copy.copy(bytes);
    (void)transport_->Send(session.routing_id(), copy);
  });
}

void CoreLoop::ShareSnapshot(bool to_subscribers, uint32_t parts) {
  std::shared_ptr<MonitoringSnapshot> snapshot = snapshots_->Build(parts);
  if (exchange_ != nullptr) exchange_->Publish(snapshot);
  if (!to_subscribers) return;
  const std::string topic = "sys.stats";
  if (router_.Match(topic)->empty()) return;  // nobody listens: skip the encoding
  v1::Frame frame = NewDeliver(topic, v1::P4, options_.broker_id, snapshot->stats.unix_ms());
  v1::StatsSnapshot* stats = frame.mutable_deliver()->mutable_event()->mutable_stats();
  *stats = snapshot->stats;
  SummarizeLatency(snapshot->latency, stats);
  // Many zones make many series: keep the event within a frame a client
  // accepts, dropping the per-zone detail first (per stage stays).
  if (frame.ByteSizeLong() > options_.max_frame_bytes / 2) stats->clear_latency();
  RouteDeliver(frame, /*best_effort=*/true);
}

void CoreLoop::CarryOut(Escalation escalation, uint64_t seq) {
  if (escalation.record.has_value()) {
    const v1::JournalEscalation& record = *escalation.record;
    ++counters_.escalations;
    unresolved_alerts_.OnEscalated(record.alert_id(), record.unix_ms(), record.zones());
    journal_->AddRecord(journal::RecordType::kEscalation, record.SerializeAsString());
  }
  if (escalation.raised_alert.has_value()) {
    const v1::Alert& alert = *escalation.raised_alert;
    ++counters_.emergencies;
    const int64_t now_ms = absl::ToUnixMillis(clock_.NowWall());
    unresolved_alerts_.OnPublished(alert.alert_id(), alert.title(), seq, escalation.raised_topic,
                                   v1::P1, options_.broker_id, now_ms);
    // The neighbours got it too: they hear who takes it and its end.
    google::protobuf::RepeatedPtrField<std::string> zones;
    for (const EscalationMessage& message : escalation.messages) {
      std::string city;
      std::string zone;
      if (message.topic != escalation.raised_topic && TopicFamily(message.topic) == "alert" &&
          CityAndZone(message.topic, &city, &zone)) {
        zones.Add(std::move(zone));
      }
    }
    unresolved_alerts_.OnEscalated(alert.alert_id(), now_ms, zones);
  }
  for (EscalationMessage& message : escalation.messages) {
    const uint64_t copy_seq = PublishInternal(message.topic, message.priority,
                                              std::move(message.event), message.alert_id);
    // Acks to a copy still reach the center that published the original.
    if (!message.publisher.empty()) RememberPublisher(copy_seq, message.publisher);
  }
}

}  // namespace zonecast
