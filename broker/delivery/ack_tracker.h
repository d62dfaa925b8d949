#pragma once
// AckTracker: durable messages delivered to connected terminals and not yet
// acknowledged RECEIVED. Once a copy has been handed to the socket (OnSent;
// a copy still waiting in a slow session's queue cannot have been received),
// it waits ack_wait(priority); then it is queued again, marked redelivered
// with its count, and waits each backoff step after being sent, until
// max_deliveries, after which it is dead-lettered (ARCHITECTURE.md, delivery contract 5). A
// terminal that disconnects drops its entries here: they are still unsettled in DurableSessions, so
// the replay on reconnect sends them again.
//
// Core loop thread only.
#include <array>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/timer_queue.h"
#include "delivery/redelivery_policy.h"
#include "protocol/session_id.h"
#include "zmq.hpp"
#include "zonecast/domain.pb.h"

namespace zonecast {

struct PendingDelivery {
  SessionId session = 0;
  uint64_t seq = 0;
  std::string topic;
  std::string alert_id;
  v1::Priority priority = v1::P4;
  zmq::message_t frame;  // the Deliver as first sent (shared bytes)
  uint32_t delivery_count = 1;
  bool replayed = false;  // sent from the journal to a terminal catching up
  MonoNanos due = 0;      // 0 while the copy waits in the session's queue
  MonoNanos sent_at = 0;  // when the latest copy went to the socket
};

class AckTracker {
 public:
  explicit AckTracker(RedeliveryPolicy policy) : policy_(std::move(policy)) {}

  // A durable message was queued for `session` (delivery_count as sent).
  void OnDelivered(SessionId session, uint64_t seq, const std::string& topic,
                   const std::string& alert_id, v1::Priority priority, const zmq::message_t& frame,
                   uint32_t delivery_count, MonoNanos now, bool replayed = false);
  // The copy queued by OnDelivered (or a redelivery) went to the socket:
  // start its wait.
  void OnSent(SessionId session, uint64_t seq, MonoNanos now);
  // RECEIVED arrived. Returns when the acknowledged copy was sent (0 if it
  // still sat in the queue) and whether it came from a replay, or nothing
  // if nothing was pending for it.
  struct Settled {
    MonoNanos sent_at = 0;  // when its latest copy went to the socket
    bool replayed = false;  // a copy from a catch-up replay
  };
  std::optional<Settled> OnReceived(SessionId session, uint64_t seq);
  // Deliveries sent to `session` and not yet RECEIVED.
  size_t PendingFor(SessionId session) const;
  // The delivery of `seq` to `session` awaiting RECEIVED, or nullptr.
  const PendingDelivery* Find(SessionId session, uint64_t seq) const {
    auto it = pending_.find(Key(session, seq));
    return it == pending_.end() ? nullptr : &it->second;
  }
  // The session is gone: forget its deliveries.
  void DropSession(SessionId session);

  enum class Action { kRedeliver, kDeadLetter };
  // For every delivery whose wait ran out: fn(Action, PendingDelivery&).
  // kRedeliver: delivery_count was incremented; the caller queues it again
  // (with seq and ack_tracked set) and its next wait starts when it is sent. kDeadLetter: it
  // reached max_deliveries and is no longer tracked. At most `limit` waits
  // are looked at (the earliest); the rest stay due for the next call. A
  // session's redeliveries past the policy's per_session_per_pass are put
  // off by kPostpone (counted in postponed()).
  template <typename Fn>
  void Expire(MonoNanos now, Fn&& fn, size_t limit = SIZE_MAX);

  // Lowest seq still waiting for RECEIVED from `session`, 0 if none.
  uint64_t LowestPending(SessionId session) const;

  MonoNanos NextDue() const { return timers_.NextDue(); }
  uint64_t postponed() const { return postponed_; }
  size_t pending() const { return pending_.size(); }
  const RedeliveryPolicy& policy() const { return policy_; }

 private:
  using Key = std::pair<SessionId, uint64_t>;
  // How long a redelivery over a session's share of one pass waits.
  static constexpr MonoNanos kPostpone = 100'000'000;

  // `wait` stretched by the policy's jitter.
  MonoNanos Jittered(absl::Duration wait);

  RedeliveryPolicy policy_;
  std::minstd_rand random_;  // fixed seed: runs repeat
  uint64_t postponed_ = 0;
  absl::flat_hash_map<SessionId, size_t> pass_counts_;  // Expire's scratch
  absl::flat_hash_map<Key, PendingDelivery> pending_;
  absl::flat_hash_map<SessionId, absl::flat_hash_set<uint64_t>> by_session_;
  TimerQueue<Key> timers_;
};

template <typename Fn>
void AckTracker::Expire(MonoNanos now, Fn&& fn, size_t limit) {
  const bool per_session = policy_.per_session_per_pass != SIZE_MAX;
  pass_counts_.clear();
  timers_.PopDue(
      now,
      [&](const Key& key, MonoNanos due) {
        auto it = pending_.find(key);
        if (it == pending_.end() || it->second.due != due) return;  // acked or rescheduled
        PendingDelivery& delivery = it->second;
        if (per_session && ++pass_counts_[key.first] > policy_.per_session_per_pass) {
          delivery.due = now + kPostpone;
          timers_.Schedule(delivery.due, key);
          ++postponed_;
          return;
        }
        if (delivery.delivery_count >= policy_.max_deliveries) {
          PendingDelivery dead = std::move(delivery);
          pending_.erase(it);
          if (auto s = by_session_.find(key.first); s != by_session_.end())
            s->second.erase(key.second);
          fn(Action::kDeadLetter, dead);
          return;
        }
        delivery.delivery_count++;
        delivery.due = 0;  // until OnSent
        fn(Action::kRedeliver, delivery);
      },
      limit);
}

}  // namespace zonecast
