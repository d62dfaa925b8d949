// CoreLoop's durable sessions: what a patrol terminal is owed across
// disconnects, takeovers and broker restarts (ARCHITECTURE.md, delivery contract 3 and 5).
//
// A terminal is a durable session keyed by its unit id. Its subscriptions are
// journaled with the seq they start after; its RECEIVED acks settle messages
// (journaled). While connected, each durable delivery waits for RECEIVED in
// the AckTracker and is redelivered with backoff, then dead-lettered. When
// it (re)connects, the HistoryReader replays from the journal every durable
// message matching its patterns that it has not settled, flagged
// redelivered, in seq order; live messages that arrive meanwhile are held and
// sent after the replay, so per-topic order holds.
#include "absl/strings/str_cat.h"
#include "alerts/zones.h"
#include "common/log.h"
#include "core/core_loop.h"
#include "protocol/frame_codec.h"
#include "protocol/topic.h"

namespace zonecast {

void CoreLoop::ResumeDurableSession(Session& session) {
  const DurableUnit* unit = journal_->units().Find(session.unit_id());
  if (unit == nullptr || unit->patterns.empty()) return;
  std::vector<std::string> patterns;
  HistoryReader::ReplayRequest request;
  request.session = session.id();
  for (const auto& [pattern, since] : unit->patterns) {
    patterns.push_back(pattern);
    request.patterns.emplace_back(pattern, since);
  }
  // Back in the trie at once, so nothing published from now on is missed;
  // the client's own re-Subscribe of the same patterns is then a no-op.
  if (absl::Status status = router_.Subscribe(session, patterns); !status.ok()) {
    ZC_LOG(WARNING) << "unit " << session.unit_id()
                    << ": cannot restore subscriptions: " << status.message();
  }
  request.floor = unit->floor;
  request.settled.assign(unit->settled.begin(), unit->settled.end());
  request.upto_seq = journal_->last_durable_seq();
  if (request.upto_seq <= request.floor) return;  // nothing can be owed
  session.replaying = true;
  ++counters_.replays_started;
  history_->SubmitReplay(std::move(request));
}

void CoreLoop::RecordSubscriptions(Session& session, const std::vector<std::string>& patterns,
                                   bool removed) {
  if (session.role() != v1::TERMINAL) return;
  for (const std::string& pattern : patterns) {
    journal_->AddSubscription(session.unit_id(), pattern, removed);
  }
}

void CoreLoop::DeliverDurable(Session& session, uint64_t seq, const std::string& topic,
                              const std::string& alert_id, v1::Priority priority,
                              const zmq::message_t& frame, uint32_t delivery_count) {
  OutboundMessage message;
  message.frame.copy(const_cast<zmq::message_t&>(frame));
  message.priority = priority;
  message.seq = seq;
  message.ack_tracked = true;
  if (!router_.Enqueue(session, std::move(message))) return;
  ack_tracker_.OnDelivered(session.id(), seq, topic, alert_id, priority, frame, delivery_count,
                           clock_.NowMono());
  JournalDelivered(session, seq, topic, alert_id, delivery_count);
}

void CoreLoop::OnReplay(HistoryReader::Reply& reply) {
  Session* session = sessions_.Find(reply.session);
  if (session == nullptr) return;  // it left (or was taken over) meanwhile
  for (HistoryReader::ReplayItem& item : reply.items) {
    ++counters_.replayed;
    DeliverDurable(*session, item.seq, item.topic, item.alert_id, item.priority, item.frame,
                   item.delivery_count);
  }
  if (!reply.replay_done) return;
  // Live messages held during the replay go out now, after the older ones.
  for (Session::Held& held : session->held) {
    if (held.seq <= reply.upto_seq) continue;  // the replay covered it
    DeliverDurable(*session, held.seq, held.topic, held.alert_id, held.priority, held.frame, 1);
  }
  session->held.clear();
  session->replaying = false;
  // Everything up to the replay's end is settled except what it just sent.
  const uint64_t floor = reply.first_unsettled == 0 ? reply.upto_seq : reply.first_unsettled - 1;
  journal_->units().RaiseFloor(session->unit_id(), floor);
}

void CoreLoop::OnReceived(Session& session, const v1::AckFrame& ack) {
  const std::optional<MonoNanos> sent_at = ack_tracker_.OnReceived(session.id(), ack.seq());
  // Only the RECEIVED that settles a pending delivery is a sample: a repeat
  // (the terminal resent it) would count one message twice.
  if (sent_at.has_value()) {
    latency_.OnReceived(ack.seq(), *sent_at, clock_.NowMono(),
                        absl::ToUnixMillis(clock_.NowWall()));
  }
}

void CoreLoop::ExpireDeliveries() {
  ack_tracker_.Expire(clock_.NowMono(), [&](AckTracker::Action action, PendingDelivery& d) {
    if (action == AckTracker::Action::kDeadLetter) {
      DeadLetter(d);
      return;
    }
    Session* session = sessions_.Find(d.session);
    if (session == nullptr) return;
    v1::Frame frame;
    if (!frame.ParseFromArray(d.frame.data(), static_cast<int>(d.frame.size()))) return;
    frame.mutable_deliver()->set_delivery_count(d.delivery_count);
    frame.mutable_deliver()->set_redelivered(true);
    OutboundMessage message;
    message.frame = EncodeFrame(frame);
    message.priority = d.priority;
    message.seq = d.seq;
    message.ack_tracked = true;
    ++counters_.redelivered;
    router_.Enqueue(*session, std::move(message));
    JournalDelivered(*session, d.seq, d.topic, d.alert_id, d.delivery_count);
  });
}

void CoreLoop::DeadLetter(PendingDelivery& delivery) {
  ++counters_.dead_lettered;
  Session* session = sessions_.Find(delivery.session);
  const std::string unit = session != nullptr ? session->unit_id() : "";
  ZC_LOG(WARNING) << "dead letter: seq " << delivery.seq << " on " << delivery.topic << " to unit "
                  << unit << " after " << delivery.delivery_count << " deliveries without RECEIVED";
  v1::JournalDelivery record;
  record.set_unit(unit);
  record.set_seq(delivery.seq);
  record.set_kind(v1::JournalDelivery::DEAD_LETTERED);
  record.set_alert_id(delivery.alert_id);
  record.set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  record.set_delivery_count(delivery.delivery_count);
  if (!unit.empty()) journal_->AddDelivery(record);
  std::string city;
  std::string zone;
  if (!CityAndZone(delivery.topic, &city, &zone)) return;
  v1::Event event;
  v1::DeadLetter* dead = event.mutable_dead_letter();
  dead->set_seq(delivery.seq);
  dead->set_topic(delivery.topic);
  dead->set_unit(unit);
  dead->set_alert_id(delivery.alert_id);
  dead->set_deliveries(delivery.delivery_count);
  dead->set_reason(absl::StrCat("no RECEIVED after ", delivery.delivery_count, " deliveries"));
  dead->set_unix_ms(record.unix_ms());
  PublishInternal(absl::StrCat("dlq.", city, ".", zone), v1::P2, std::move(event));
}

void CoreLoop::ExpireDurableSessions() {
  const int64_t now_ms = absl::ToUnixMillis(clock_.NowWall());
  const int64_t expiry_ms = absl::ToInt64Milliseconds(options_.session_expiry);
  std::vector<std::string> expired;
  journal_->units().ForEach([&](const std::string& unit, const DurableUnit& state) {
    if (sessions_.FindByUnit(unit) != nullptr) return;  // online
    if (now_ms - state.last_seen_unix_ms > expiry_ms) expired.push_back(unit);
  });
  for (const std::string& unit : expired) {
    ++counters_.sessions_expired;
    ZC_LOG(INFO) << "durable session of unit " << unit << " expired (unused for "
                 << absl::FormatDuration(options_.session_expiry) << ")";
    journal_->ExpireUnit(unit);
  }
}

void CoreLoop::CompactDurableSessions() {
  const uint64_t durable = journal_->last_durable_seq();
  sessions_.ForEach([&](Session& session) {
    if (session.role() != v1::TERMINAL || session.replaying || session.queue().behind()) return;
    // Everything up to `durable` was routed to it while connected (or
    // replayed); what is not settled is still pending in the tracker.
    const uint64_t lowest = ack_tracker_.LowestPending(session.id());
    journal_->units().RaiseFloor(session.unit_id(), lowest == 0 ? durable : lowest - 1);
  });
}

void CoreLoop::CatchUpBehindSessions() {
  sessions_.ForEach([&](Session& session) {
    if (!session.queue().behind() || session.replaying || !session.queue().empty()) return;
    session.queue().clear_behind();
    ++counters_.catch_up_replays;
    ZC_LOG(INFO) << "unit " << session.unit_id()
                 << " fell behind (queue over its hard limit): replaying from the journal";
    ResumeDurableSession(session);
  });
}

uint64_t CoreLoop::PublishInternal(const std::string& topic, v1::Priority priority, v1::Event event,
                                   const std::string& alert_id) {
  v1::Frame frame;
  v1::Deliver* deliver = frame.mutable_deliver();
  deliver->set_topic(topic);
  deliver->set_priority(priority);
  deliver->set_delivery_count(1);
  deliver->set_publisher(options_.broker_id);
  deliver->set_broker_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  *deliver->mutable_event() = std::move(event);
  PendingPublish pending;
  pending.seq = journal_->NextSeq();
  deliver->set_seq(pending.seq);
  pending.topic = topic;
  pending.priority = priority;
  pending.alert_id = alert_id;
  pending.frame = EncodeFrame(frame);
  pending.ingress = clock_.NowMono();
  pending.deliver.Swap(deliver);
  const uint64_t seq = pending.seq;
  AppendDurable(std::move(pending));
  return seq;
}

void CoreLoop::JournalDelivered(const Session& session, uint64_t seq, const std::string& topic,
                                const std::string& alert_id, uint32_t delivery_count) {
  // Only alerts have timelines; other durable traffic is not worth a record
  // per recipient.
  if (alert_id.empty()) return;
  v1::JournalDelivery record;
  record.set_unit(session.unit_id());
  record.set_seq(seq);
  record.set_kind(v1::JournalDelivery::DELIVERED);
  record.set_alert_id(alert_id);
  record.set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  record.set_delivery_count(delivery_count);
  std::string city;
  std::string zone;
  if (CityAndZone(topic, &city, &zone)) record.set_zone(zone);
  journal_->AddDelivery(record);
}

}  // namespace zonecast
