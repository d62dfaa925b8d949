#include "routing/session_queue.h"

#include "common/check.h"

namespace zonecast {

SessionQueue::SessionQueue(QueueLimits limits) : limits_(limits) {}

SessionQueue::~SessionQueue() {
  if (limits_.shared_replies != nullptr) limits_.shared_replies->used -= reply_bytes_;
}

size_t SessionQueue::LaneOf(const OutboundMessage& message) {
  if (message.best_effort) return kBestEffortLane;
  switch (message.priority) {
    case v1::P1:
      return 0;
    case v1::P2:
      return 1;
    case v1::P3:
      return 2;
    default:
      return 3;
  }
}

void SessionQueue::Append(size_t lane, OutboundMessage&& message) {
  message.bytes = message.frame.size();
  bytes_ += message.bytes;
  if (message.reply) {
    reply_bytes_ += message.bytes;
    if (limits_.shared_replies != nullptr) limits_.shared_replies->used += message.bytes;
  }
  ++messages_;
  lanes_[lane].push_back(std::move(message));
}

void SessionQueue::PopLane(size_t lane) {
  ZC_DCHECK(!lanes_[lane].empty());
  const OutboundMessage& front = lanes_[lane].front();
  bytes_ -= front.bytes;
  if (front.reply) {
    reply_bytes_ -= front.bytes;
    if (limits_.shared_replies != nullptr) limits_.shared_replies->used -= front.bytes;
  }
  --messages_;
  lanes_[lane].pop_front();
}

SessionQueue::Transition SessionQueue::UpdateSlow() {
  const double high = limits_.high_watermark * static_cast<double>(limits_.soft_bytes);
  const double low = limits_.low_watermark * static_cast<double>(limits_.soft_bytes);
  const bool over_messages = messages_ >= limits_.soft_messages;
  if (!slow_ && (static_cast<double>(bytes_) >= high || over_messages)) {
    slow_ = true;
    ++counters_.slow_detected;
    return Transition::kBecameSlow;
  }
  if (slow_ && static_cast<double>(bytes_) <= low && messages_ <= limits_.soft_messages / 2) {
    slow_ = false;
    ++counters_.slow_recovered;
    return Transition::kRecovered;
  }
  return Transition::kNone;
}

SessionQueue::PushResult SessionQueue::Push(OutboundMessage&& message, Transition* transition) {
  const size_t lane = LaneOf(message);
  const size_t size = message.frame.size();
  auto over_soft = [&] {
    return bytes_ + size > limits_.soft_bytes || messages_ + 1 > limits_.soft_messages;
  };
  PushResult result = PushResult::kQueued;
  if (message.reply) {
    const ReplyBudget* shared = limits_.shared_replies;
    if (reply_bytes_ + size > limits_.reply_bytes ||
        (shared != nullptr && shared->used + size > shared->limit)) {
      *transition = Transition::kNone;
      return PushResult::kReplyOverLimit;
    }
    // Replies are small or paged, and bounded above: the delivery policy
    // below (which would drop a page and replay the session) is not theirs.
    Append(lane, std::move(message));
    *transition = UpdateSlow();
    return result;
  }
  if (over_soft()) {
    if (message.best_effort) {
      // The newest position is worth more than the oldest ones: evict
      // best-effort messages, oldest first, until the new one fits.
      while (over_soft() && !lanes_[kBestEffortLane].empty()) {
        PopLane(kBestEffortLane);
        ++counters_.dropped_best_effort;
        result = PushResult::kQueuedEvictedBestEffort;
      }
      if (over_soft()) {
        ++counters_.dropped_best_effort;
        *transition = UpdateSlow();
        return PushResult::kDroppedBestEffort;
      }
    } else if (lane != 0 && bytes_ + size > limits_.hard_bytes) {
      ++counters_.dropped_behind;
      behind_ = true;
      *transition = UpdateSlow();
      return PushResult::kDroppedBehind;
    } else {
      ++counters_.retained_over_limit;
      result = PushResult::kRetainedOverLimit;
    }
  }
  Append(lane, std::move(message));
  *transition = UpdateSlow();
  return result;
}

OutboundMessage* SessionQueue::Front() {
  for (auto& lane : lanes_) {
    if (!lane.empty()) return &lane.front();
  }
  return nullptr;
}

SessionQueue::Transition SessionQueue::Pop() {
  for (size_t lane = 0; lane < kLaneCount; ++lane) {
    if (!lanes_[lane].empty()) {
      PopLane(lane);
      return UpdateSlow();
    }
  }
  ZC_CHECK(false) << "Pop on an empty SessionQueue";
  return Transition::kNone;
}

}  // namespace zonecast
