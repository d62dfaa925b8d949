#include "delivery/ack_tracker.h"

#include <algorithm>

namespace zonecast {

void AckTracker::OnDelivered(SessionId session, uint64_t seq, const std::string& topic,
                             const std::string& alert_id, v1::Priority priority,
                             const zmq::message_t& frame, uint32_t delivery_count, MonoNanos now,
                             bool replayed) {
  const Key key{session, seq};
  PendingDelivery& delivery = pending_[key];
  const bool fresh = delivery.seq == 0;
  delivery.session = session;
  delivery.seq = seq;
  delivery.topic = topic;
  delivery.alert_id = alert_id;
  delivery.priority = priority;
  delivery.frame.copy(const_cast<zmq::message_t&>(frame));
  delivery.delivery_count = std::max(delivery.delivery_count, delivery_count);
  delivery.replayed = replayed;
  delivery.due = 0;  // the wait starts in OnSent
  (void)now;
  if (fresh) by_session_[session].insert(seq);
}

void AckTracker::OnSent(SessionId session, uint64_t seq, MonoNanos now) {
  auto it = pending_.find(Key{session, seq});
  if (it == pending_.end() || it->second.due != 0) return;
  PendingDelivery& delivery = it->second;
  const absl::Duration wait = delivery.delivery_count <= 1
                                  ? policy_.AckWait(delivery.priority)
                                  : policy_.Backoff(delivery.delivery_count - 1);
  delivery.due = now + Jittered(wait);
  delivery.sent_at = now;
  timers_.Schedule(delivery.due, it->first);
}

MonoNanos AckTracker::Jittered(absl::Duration wait) {
  const MonoNanos nanos = absl::ToInt64Nanoseconds(wait);
  if (policy_.jitter <= 0) return nanos;
  const auto extra = static_cast<MonoNanos>(static_cast<double>(nanos) * policy_.jitter);
  return nanos + std::uniform_int_distribution<MonoNanos>(0, extra)(random_);
}

std::optional<AckTracker::Settled> AckTracker::OnReceived(SessionId session, uint64_t seq) {
  auto pending = pending_.find(Key{session, seq});
  if (pending == pending_.end()) return std::nullopt;
  const Settled settled{pending->second.sent_at, pending->second.replayed};
  pending_.erase(pending);
  if (auto it = by_session_.find(session); it != by_session_.end()) {
    it->second.erase(seq);
    if (it->second.empty()) by_session_.erase(it);
  }
  return settled;
}

size_t AckTracker::PendingFor(SessionId session) const {
  auto it = by_session_.find(session);
  return it == by_session_.end() ? 0 : it->second.size();
}

void AckTracker::DropSession(SessionId session) {
  auto it = by_session_.find(session);
  if (it == by_session_.end()) return;
  for (uint64_t seq : it->second) pending_.erase(Key{session, seq});
  by_session_.erase(it);
}

}  // namespace zonecast

namespace zonecast {

uint64_t AckTracker::LowestPending(SessionId session) const {
  auto it = by_session_.find(session);
  if (it == by_session_.end() || it->second.empty()) return 0;
  return *std::min_element(it->second.begin(), it->second.end());
}

}  // namespace zonecast
