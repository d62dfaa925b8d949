#pragma once
// CoreLoop: the broker's routing thread. It owns every piece of routing state
// (sessions, topic trie and match cache, queues, counters) and runs
//
//   poll -> read up to read_batch frames -> handle each (route best-effort at
//   once, collect durable publishes) -> commit the durable batch -> route it
//   and PubAck -> flush every session that got output, once -> timers
//
// so that one pass serves many publishes. The routing state is the loop's
// alone and takes no lock; other threads talk to the loop through sockets,
// file descriptors and short queues (the journal writer's and the history
// reader's, the monitoring exchange), whose mutexes are held only to hand
// work over.
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "alerts/escalator.h"
#include "alerts/unit_positions.h"
#include "alerts/unresolved_alerts.h"
#include "alerts/zones.h"
#include "auth/audit_log.h"
#include "common/clock.h"
#include "core/authenticator.h"
#include "core/held_alerts.h"
#include "core/options.h"
#include "core/pending_publishes.h"
#include "core/snapshot_builder.h"
#include "core/transport.h"
#include "delivery/durable_delivery.h"
#include "delivery/notice_batches.h"
#include "journal/history.h"
#include "journal/journal.h"
#include "monitoring/broker_counters.h"
#include "monitoring/latency_tracker.h"
#include "monitoring/monitoring_exchange.h"
#include "protocol/topic.h"
#include "routing/access_policy.h"
#include "routing/deafness.h"
#include "routing/router.h"
#include "routing/session_table.h"
#include "zmq.hpp"
#include "zonecast/wire.pb.h"

namespace zonecast {

class CoreLoop {
 public:
  // `clock` and `exchange` (may be null: no monitoring) must outlive the loop.
  CoreLoop(BrokerOptions options, const Clock& clock, MonitoringExchange* exchange = nullptr);
  ~CoreLoop();
  CoreLoop(const CoreLoop&) = delete;
  CoreLoop& operator=(const CoreLoop&) = delete;

  // Recovers the journal, starts its writer, binds the ROUTER socket and
  // writes the ready file. Errors from recovery (DataLoss in strict mode,
  // Unavailable for I/O), bind or file writes.
  absl::Status Start();

  // Runs until `stop_fd` says stop, then says Goodbye to every session and
  // returns. `stop_fd` is a signalfd (SIGHUP reloads the keys file, any
  // other signal stops) or a pipe (readable: stop).
  // REQUIRES: Start() succeeded.
  void Run(int stop_fd);

  const std::string& endpoint() const { return transport_->endpoint(); }
  // The consoles' endpoint (--dispatch_listen) as bound; empty without one.
  const std::string& dispatch_endpoint() const { return transport_->dispatch_endpoint(); }
  // The broker's CURVE public key (Z85); empty without a keys file.
  std::string public_key() const { return auth_ != nullptr ? auth_->public_key() : ""; }
  // Before Start: the wall console's sign-in, told the keys in force and
  // asked about the keys it admits for its operators' actions.
  void set_console_sign_in(ConsoleSignIn* sign_in) { console_sign_in_ = sign_in; }
  const BrokerCounters& counters() const { return counters_; }

 private:
  // Reads up to read_batch frames and handles them; true if the socket had
  // no more.
  bool ReadBatch(Transport::Lane lane);
  // Whether `session` (a terminal) is a unit of the zone of alert `topic`.
  // `tokens`: SplitTopic(topic), split once per fan-out.
  static bool IsUnitOfZone(const Session& session, const std::string& topic,
                           const TopicTokens& tokens);
  // The open alert's amendments and assignments so far, for the key of
  // update `event` (0 if the alert is not open).
  uint32_t UpdateRevision(const v1::Event& event) const;
  // The stored record of `change` if it repeats the alert's last applied
  // amendment or assignment (a retry after its PubAck), else nullptr.
  const DedupWindow::Entry* FindRepeatedChange(const v1::AlertUpdate& change) const;
  // An update from the center must name an open alert, on its own topic.
  absl::Status CheckUpdate(const v1::Deliver& deliver) const;
  // `unit` is the units_taken-th unit to take the alert: AlertUpdate TAKEN
  // on its topic, until as many as its priority needs have taken it.
  void PublishTaken(const std::string& alert_id, const std::string& unit, size_t units_taken);
  // A stored update from the center, told to the zones the alert was
  // escalated to as well. An amendment changes what later escalation
  // steps carry (and a new priority its deadline); a cancel or close
  // ends the alert: it escalates no more and leaves the open-alerts list.
  void ApplyUpdate(const v1::AlertUpdate& update);
  // Publishes `event` under `key` to each zone alert `open` escalated to.
  void PublishToZonesReached(const UnresolvedAlerts::Entry& open, v1::Priority priority,
                             const v1::Event& event, const std::string& key);
  // With a zones map: an alert's city and zone must be in it (UNKNOWN_ZONE).
  absl::Status CheckZoneKnown(const std::string& topic) const;
  // A center's alert to alert.<city> (no zone) with a location is put on
  // the topic of the zone whose outline holds the location (the first, on a
  // shared border, with all of them in located_in). INVALID_TOPIC without
  // outlines, INVALID_ARGUMENT without a location, UNKNOWN_ZONE outside
  // every zone. Clears located_in and copy_of_zone of any other alert:
  // only the broker sets them.
  absl::Status PlaceByLocation(const Session& session, v1::Publish& publish);
  // A stored alert on a shared border: a copy to each other zone that holds
  // its location, which then also hears its updates.
  void CopyToBorderZones(const PendingPublish& publish);
  // Tells the wall's viewers (the exchange's EventFeed) of `message`, as
  // JSON, under `type`; nothing at all while nobody watches.
  void Tell(absl::string_view type, const google::protobuf::Message& message);
  // A stored publish, for the wall: each kind of event under its own type.
  void TellStored(const PendingPublish& publish);
  // A unit's radio POSITION: kept as its last known place.
  void NotePosition(const Session& session, const std::string& topic, const v1::RadioEvent& radio,
                    int64_t unix_ms);
  // Decodes one message and hands it to its handler.
  void HandleMessage(const std::string& routing_id, const zmq::message_t& body, int parts);
  // With a keys file: the key's identity, and the socket's handshake
  // failures counted.
  absl::Status StartAuthentication(TransportOptions& transport);
  absl::Status OpenAuditLog();
  // Appends to the audit log (if any); counted as audit_events or
  // audit_failures.
  void Audit(absl::string_view event, absl::string_view identity, v1::Role role,
             absl::string_view address, absl::string_view detail,
             absl::string_view public_key = "");
  void CountConnectionEvents(Transport::Lane lane);
  // Answers libzmq's questions about client keys; audits the refused ones.
  void AnswerHandshakes();
  void Dispatch(Session& session, v1::Frame& frame);
  // Checks a Hello's version, role and unit id (naming anonymous consoles).
  absl::Status CheckHello(v1::Hello& hello);
  void HandleHello(const std::string& routing_id, const v1::Hello& hello,
                   const zmq::message_t& body);
  // Refuses a request the session's identity may not make: counted by its
  // code, answered with an Error; the session stays up.
  void Refuse(Session& session, v1::ErrorCode code, const std::string& text, uint64_t request_id);
  // A newer connection with the same unit id: the old one is told and closed.
  void TakeOver(Session& previous);
  // Tells the session why it ends (an Error with `code`) and closes it.
  void EndSession(Session& session, v1::ErrorCode code, absl::string_view text,
                  absl::string_view reason);
  // Handles the signals waiting on `signal_fd`; false: stop.
  bool OnSignals(int signal_fd);
  // SIGHUP: reads the keys file again; revoked keys' sessions are cut and
  // narrowed grants drop subscriptions. A bad file leaves the keys in force.
  void ReloadKeys();
  void SendWelcome(Session& session);
  void HandleSubscription(Session& session,
                          const google::protobuf::RepeatedPtrField<std::string>& patterns,
                          uint64_t request_id, bool remove);
  // The topic's validity and the role's right to publish there.
  absl::StatusOr<PublishClass> CheckPublish(const Session& session,
                                            const v1::Publish& publish) const;
  void HandlePublish(Session& session, v1::Publish& publish);
  // A durable publish (its Deliver built in `frame`): a repeat of an alert
  // id is answered from the dedup window or waits for the first; anything
  // else goes to the journal.
  void PublishDurable(Session& session, uint64_t request_id, v1::Frame& frame);
  void HandleAck(Session& session, const v1::AckFrame& ack);
  // With a keys file: an identity acks only topics it may receive, and a
  // terminal only alerts it was sent. PermissionDenied with the reason.
  absl::Status CheckAck(const Session& session, const v1::AckFrame& ack) const;
  // The ack as an event on ack.<city>.<zone>, and to the alert's publisher.
  void RouteAckEvent(const Session& session, const v1::AckFrame& ack);
  void HandleTimeline(Session& session, v1::TimelineRequest& request);
  void HandleStats(Session& session, const v1::StatsRequest& request);
  void HandleHistory(Session& session, v1::HistoryRequest& request);
  void SendHistoryReplies();
  // Hands the timeline queries of HTTP readers to the journal reader.
  void AnswerTimelineQueries();
  // Gives the Deliver in `frame` the next seq, encodes it, appends it to the
  // journal and returns its entry in pending_publishes_ (kept until its
  // batch is on disk) for the caller to complete.
  // `fingerprint`: an alert's AlertFingerprint, 0 for anything else.
  PendingPublish& AppendDurable(v1::Frame& frame, const std::string& alert_id,
                                uint32_t fingerprint);
  // The journal's report that `seq` is on disk (or failed), queued to be
  // routed: fanning out a whole batch at once could take a turn seconds.
  void QueueStored(uint64_t seq, const absl::Status& status);
  // Routes and answers queued stored publishes: every P1, then the rest
  // until this turn's fan-out reaches `budget` recipients.
  void RouteStoredPublishes(size_t budget);
  // Routes and answers the stored publishes of `queue`, oldest first, until
  // this turn's fan-out reaches `until` recipients.
  void RouteStored(std::deque<std::pair<uint64_t, absl::Status>>& queue, size_t until);
  // PubAcks every stored P1, then routes them all.
  void RouteStoredP1s();
  // Called between the frames and the messages of a long turn: at most
  // every kUrgentEvery, reads the consoles' lane, hands what this turn
  // appended to the disk, and PubAcks and routes the P1s the disk stored.
  // A turn of a burst's fan-out and acks lasts tens of milliseconds; a
  // dispatcher's P1 would wait for its end once to be journaled and once
  // more to be acknowledged.
  void ServeUrgent();
  // Takes the journal's completed batches into stored_p1_ / stored_rest_.
  void TakeCompletions();
  void OnDurable(uint64_t seq, const absl::Status& status);
  // Stored: route it, follow it (escalation, emergency), PubAck (a P1's
  // before its fan-out).
  void OnStored(const PendingPublish& publish);
  // Stored: its latency stage, and an alert into the open-alerts list.
  void NoteStored(const PendingPublish& publish);
  // The PubAck to the publisher and to repeats of the same alert id.
  void AnswerPublisher(const PendingPublish& publish, size_t recipients);
  // Not stored: STORAGE_UNAVAILABLE to whoever waits.
  void OnNotStored(const PendingPublish& publish, const absl::Status& status);
  // A P1 alert or emergency the journal could not store: sends it live,
  // holds it and tells the publisher (PubAck.held). False if it is not one,
  // or the held alerts are full: then it is refused like any other.
  bool HoldUnstored(const PendingPublish& publish);
  // Once the journal is healthy: appends the held alerts again.
  void StoreHeld();
  // `held`: a P1 sent live and held, not stored yet (durable false, seq 0).
  // `at_once`: sent now rather than with the turn's other frames (the
  // publisher waits for it).
  void SendPubAck(SessionId session, uint64_t request_id, uint64_t seq, const std::string& alert_id,
                  bool duplicate, size_t recipients, bool held = false, bool at_once = true);
  size_t RouteDeliver(const v1::Frame& deliver, bool best_effort);
  // Queues an encoded Deliver to every matching session. For a durable
  // message (seq > 0) each terminal's delivery is tracked for RECEIVED,
  // or held while that terminal is being replayed.
  // *terminals (if given) counts the terminals it reached.
  size_t RouteEncoded(const std::string& topic, v1::Priority priority, const zmq::message_t& bytes,
                      bool best_effort, uint64_t seq = 0, const std::string& alert_id = "",
                      size_t* terminals = nullptr);
  // The delivery loop of RouteEncoded, for callers that matched already.
  size_t RouteToSessions(const std::vector<SessionId>& recipients, const std::string& topic,
                         v1::Priority priority, const zmq::message_t& bytes, bool best_effort,
                         uint64_t seq, const std::string& alert_id, size_t* terminals);

  // Publishes a message that the broker itself originates (dead letters,
  // escalations) through the journal like any durable publish.
  // Returns the seq it got.
  uint64_t PublishInternal(const std::string& topic, v1::Priority priority, v1::Event event,
                           const std::string& alert_id = "");

  // Journals, counts and publishes what the Escalator decided; `seq` is the
  // stored message that set it off (0 for a deadline).
  void CarryOut(Escalation escalation, uint64_t seq);
  void RememberPublisher(uint64_t seq, const std::string& unit);
  void RoutePresence(const Session& session, v1::SessionEvent::State state,
                     absl::string_view reason);
  void CloseSession(Session& session, absl::string_view reason);

  // Sending: Send* go to one session (through its queue), Route* to every
  // session whose subscriptions match a topic.
  // Control frames and other replies are bounded (QueueLimits::reply_bytes,
  // --replies_total_bytes): over the limits a `droppable` one (an Error) is
  // dropped and counted, anything else marks the session to be cut at the
  // end of the turn (CutSessions). False if not queued.
  bool SendControl(Session& session, const v1::Frame& frame, bool droppable = false);
  bool SendReply(Session& session, OutboundMessage&& message, bool droppable);
  // Ends the sessions SendReply marked, with REPLIES_NOT_READ.
  void CutSessions();
  // A history or timeline request may go to the reader: fewer than
  // max_history_in_flight of the session's are unanswered. Else refused.
  bool AdmitHistoryRequest(Session& session, uint64_t request_id);
  // Answers a failed request: counts it by wire code and sends an Error frame,
  // through the session's queue when there is a session, directly otherwise.
  void SendError(const std::string& routing_id, Session* session, const absl::Status& status,
                 uint64_t request_id);
  // Queues a batch of ack notices for its publisher, if still connected.
  void SendNotices(SessionId to, v1::Frame batch);
  // Sends what the sessions touched since the last call have queued, and
  // with `retry_blocked` first retries the sessions whose pipe was full.
  void FlushDirty(bool retry_blocked = true);
  void FlushSession(Session& session);
  void OnTick();
  void Shutdown();

  // Builds a snapshot for the exchange (a reader asked, or it is time for
  // sys.stats) and, when due, publishes it on sys.stats.
  void ShareSnapshot(bool to_subscribers, uint32_t parts = 0);

  BrokerOptions options_;
  const Clock& clock_;
  zmq::context_t context_;
  std::unique_ptr<AuditLog> audit_;      // unless --audit_log=off
  std::unique_ptr<Authenticator> auth_;  // with a keys file only
  ConsoleSignIn* console_sign_in_ = nullptr;
  std::unique_ptr<Transport> transport_;
  // Unread replies of all sessions; before sessions_, whose queues give
  // their bytes back when destroyed.
  ReplyBudget reply_budget_;
  SessionTable sessions_;
  BrokerCounters counters_;
  Router router_;
  std::unique_ptr<Journal> journal_;
  PendingPublishes pending_publishes_;
  ZoneIndex zones_;
  Escalator escalator_{zones_, clock_};
  MonoNanos next_expiry_check_ = 0;
  // Alert seq -> publishing unit, so acks reach the publisher (bounded).
  absl::flat_hash_map<uint64_t, std::string> alert_publishers_;
  std::deque<uint64_t> alert_publisher_order_;
  std::unique_ptr<HistoryReader> history_;      // reads journal_'s files; destroyed first
  std::unique_ptr<DurableDelivery> durable_;    // from Start() on
  std::unique_ptr<SnapshotBuilder> snapshots_;  // from Start() on
  uint64_t anonymous_sessions_ = 0;             // names consoles that gave none
  std::vector<SessionId> blocked_;              // sessions whose pipe was full
  std::vector<SessionId> to_cut_;               // sessions SendReply marked
  MonoNanos next_tick_ = 0;
  MonoNanos input_drained_at_ = 0;  // turn start when every waiting frame was read
  DeafSpells deaf_spells_;          // the last stretch in which it was not
  // Stored publishes not yet routed (QueueStored): P1s, and the rest in
  // seq order.
  std::deque<std::pair<uint64_t, absl::Status>> stored_p1_;
  std::deque<std::pair<uint64_t, absl::Status>> stored_rest_;
  MonoNanos turn_now_ = 0;           // this turn's clock, after its poll
  size_t turn_fanout_ = 0;           // recipients of this turn's routed messages so far
  std::vector<MonoNanos> silences_;  // OnTick's scratch: each session's time since heard
  MonoNanos last_redelivery_ = 0;    // turn start of the last redelivery slice
  MonoNanos last_urgent_ = 0;        // when ServeUrgent last ran
  bool in_urgent_ = false;           // ServeUrgent runs (it never nests)
  MonitoringExchange* exchange_;
  LatencyTracker latency_;
  ReceivedAlerts received_;  // which alerts each unit confirmed
  NoticeBatches notices_;    // this turn's acks for publishers that read Deliveries
  UnresolvedAlerts unresolved_alerts_;
  HeldAlerts held_alerts_;
  UnitPositions unit_positions_;  // each unit's last radio POSITION
  MonoNanos started_at_ = 0;
  MonoNanos next_stats_ = INT64_MAX;
  v1::Frame scratch_frame_;  // reused for decoding, to keep allocations warm
};

}  // namespace zonecast
