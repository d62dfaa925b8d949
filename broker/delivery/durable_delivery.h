#pragma once
// DurableDelivery: what a patrol terminal is owed across disconnects,
// takeovers and broker restarts (ARCHITECTURE.md, delivery contract 3 and
// 5).
//
// A terminal is a durable session keyed by its unit id. Its subscriptions
// are journaled with the seq they start after; its RECEIVED acks settle
// messages (journaled). While connected, each durable delivery waits for
// RECEIVED in the AckTracker and is redelivered with backoff, then
// dead-lettered. When it (re)connects, the journal's history reader replays
// every durable message matching its patterns that it has not settled,
// flagged redelivered, in seq order; live messages that arrive meanwhile
// are held and sent after the replay, so per-topic order holds. A terminal
// whose queue went over its hard limit is replayed once its queue drained.
//
// Core loop thread only. Time comes from the Clock (a FakeClock in tests);
// replays and the broker's own publishes (dead letters) go through the
// functions the loop hands in.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"
#include "delivery/ack_tracker.h"
#include "delivery/received_alerts.h"
#include "journal/history.h"
#include "journal/journal.h"
#include "monitoring/broker_counters.h"
#include "monitoring/latency_tracker.h"
#include "routing/router.h"
#include "routing/session_table.h"
#include "zmq.hpp"
#include "zonecast/wire.pb.h"

namespace zonecast {

class DurableDelivery {
 public:
  // Submits a replay to the journal's history reader.
  using ReplayFn = std::function<void(HistoryReader::ReplayRequest)>;
  // Publishes a message the broker originates, through the journal.
  using PublishFn = std::function<void(const std::string& topic, v1::Priority, v1::Event)>;

  struct Parts {
    const Clock* clock = nullptr;
    Journal* journal = nullptr;
    SessionTable* sessions = nullptr;
    Router* router = nullptr;
    BrokerCounters* counters = nullptr;
    LatencyTracker* latency = nullptr;
    ReceivedAlerts* received = nullptr;  // forgotten with the unit's session
    ReplayFn replay;
    PublishFn publish;
  };
  // Every part must outlive this object.
  DurableDelivery(Parts parts, RedeliveryPolicy policy, absl::Duration session_expiry);

  // A terminal said Hello: restores its durable subscriptions and replays
  // what it has not settled.
  void Resume(Session& session);
  // A terminal (un)subscribed: journal it.
  void RecordSubscriptions(const Session& session, const std::vector<std::string>& patterns,
                           bool removed);
  // A stored message for a terminal: queued and tracked, or held while the
  // terminal's replay runs.
  void Send(Session& session, uint64_t seq, const std::string& topic, const std::string& alert_id,
            v1::Priority priority, const zmq::message_t& frame);
  // A replay from the journal answered (some of) what a terminal is owed.
  void OnReplay(HistoryReader::Reply& reply);
  // The copy of seq went to the terminal's socket: its ack wait starts.
  void OnSent(SessionId session, uint64_t seq, MonoNanos now) {
    tracker_.OnSent(session, seq, now);
  }
  // The terminal acknowledged RECEIVED.
  void OnReceived(Session& session, uint64_t seq);
  // The terminal is gone: its unacknowledged deliveries stay unsettled, so
  // the replay on reconnect sends them again.
  void OnClosed(const Session& session);

  // Redelivers what waited too long for RECEIVED, dead-letters what was
  // delivered too often.
  // Redelivers (or dead-letters) at most `budget` deliveries whose wait ran
  // out, earliest first; the rest wait for the next call.
  void ExpireDeliveries(size_t budget = SIZE_MAX);
  // Forgets durable sessions unused for the session expiry, and raises the
  // settled floor of terminals that are caught up (keeps settled sets small).
  void ExpireAndCompact();
  // Replays terminals that fell behind once their queue drained.
  void CatchUpBehind();

  MonoNanos NextDue() const { return tracker_.NextDue(); }
  const AckTracker& tracker() const { return tracker_; }

 private:
  // Queues a durable message for a terminal, tracks it and journals it.
  void SendTracked(Session& session, uint64_t seq, const std::string& topic,
                   const std::string& alert_id, v1::Priority priority, const zmq::message_t& frame,
                   uint32_t delivery_count, bool replayed = false);
  void Redeliver(PendingDelivery& delivery);
  void DeadLetter(PendingDelivery& delivery);
  void JournalDelivered(const Session& session, uint64_t seq, const std::string& topic,
                        const std::string& alert_id, uint32_t delivery_count);

  Parts parts_;
  AckTracker tracker_;
  absl::Duration session_expiry_;
};

}  // namespace zonecast
