#pragma once
// SessionQueue: one session's outbound backlog, between the router and the
// ZeroMQ pipe. The ROUTER's own per-peer pipe is kept small (SNDHWM) and
// sends are non-blocking, so a slow or dead terminal backs up here, where the
// policy below decides, and never in the core loop.
//
// Lanes, served in this order: durable P1, P2, P3, P4, then best-effort (radio
// positions, PTT, canaries). Each lane is FIFO, so messages of one priority on
// one topic are never reordered (ARCHITECTURE.md, delivery contract 4).
//
// Policy when the queue is over its soft limit (bytes or messages):
//  - a best-effort message evicts queued best-effort messages, oldest first,
//    until it fits, or is dropped if it still does not; each drop is counted;
//  - a durable message is kept ("retained over limit", counted): a P1 alert
//    is never dropped for a slow consumer (contract 6);
//  - above the hard byte limit, durable P2..P4 messages are dropped and the
//    session is marked `behind` (counted): the journal holds them and the
//    durable-session replay brings them back. P1 is still kept.
// Slow state uses two watermarks so it does not flap (Envoy): slow when bytes
// reach the high watermark, recovered when they fall to the low one.
//
// Owned by its Session; core loop thread only.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>

#include "zmq.hpp"
#include "zonecast/domain.pb.h"

namespace zonecast {

// Bytes of replies queued across all sessions, against one limit, so that
// many sessions that never read cannot add up to more than it either.
struct ReplyBudget {
  size_t used = 0;
  size_t limit = SIZE_MAX;
};

struct QueueLimits {
  size_t soft_bytes = 8 << 20;
  size_t soft_messages = 65536;
  size_t hard_bytes = 64 << 20;
  // Watermarks as fractions of soft_bytes.
  double high_watermark = 0.75;
  double low_watermark = 0.375;
  // Replies (answers to the session's own requests) queued at most; and the
  // budget shared by every session (may be null: none). Not owned.
  size_t reply_bytes = 4 << 20;
  ReplyBudget* shared_replies = nullptr;
};

struct OutboundMessage {
  zmq::message_t frame;  // encoded v1::Frame, often a shared copy
  v1::Priority priority = v1::P4;
  bool best_effort = false;
  // The seq of a durable message (0 otherwise): its first send is a latency
  // stage.
  uint64_t seq = 0;
  // A terminal's copy the AckTracker follows: its wait for RECEIVED starts
  // when the copy is handed to the socket, not when queued.
  bool ack_tracked = false;
  // An answer to the session's own request (PubAck, Error, history page,
  // stats): bounded by the reply limits, not by the delivery policy, so a
  // peer that asks and never reads cannot grow the broker.
  bool reply = false;
  // Size accounted for this message; set by Push. Kept apart from frame
  // because a successful send empties the frame before Pop.
  size_t bytes = 0;
};

class SessionQueue {
 public:
  enum class PushResult {
    kQueued,
    kQueuedEvictedBestEffort,  // queued; older best-effort messages were dropped
    kDroppedBestEffort,        // the new best-effort message was dropped
    kRetainedOverLimit,        // durable, queued beyond the soft limit
    kDroppedBehind,            // durable P2..P4 over the hard limit: dropped, session behind
    kReplyOverLimit,           // a reply over the session's or the shared reply limit: not queued
  };
  // Watermark crossings reported by Push and Pop, each exactly once.
  enum class Transition { kNone, kBecameSlow, kRecovered };

  struct Counters {
    uint64_t dropped_best_effort = 0;
    uint64_t retained_over_limit = 0;
    uint64_t dropped_behind = 0;
    uint64_t slow_detected = 0;
    uint64_t slow_recovered = 0;
  };

  explicit SessionQueue(QueueLimits limits = {});
  ~SessionQueue();  // gives its replies' bytes back to the shared budget
  SessionQueue(const SessionQueue&) = delete;
  SessionQueue& operator=(const SessionQueue&) = delete;

  PushResult Push(OutboundMessage&& message, Transition* transition);

  // The next message to send, or nullptr when empty. Valid until Pop/Push.
  OutboundMessage* Front();
  // Removes the front message (after it was sent).
  // REQUIRES: !empty().
  Transition Pop();

  bool empty() const { return messages_ == 0; }
  size_t bytes() const { return bytes_; }
  size_t messages() const { return messages_; }
  size_t reply_bytes() const { return reply_bytes_; }
  size_t lane_messages(size_t lane) const { return lanes_[lane].size(); }
  bool slow() const { return slow_; }
  // True once a durable message was dropped over the hard limit; cleared by
  // whoever replays the session from the journal.
  bool behind() const { return behind_; }
  void clear_behind() { behind_ = false; }
  const Counters& counters() const { return counters_; }

  static constexpr size_t kBestEffortLane = 4;
  static constexpr size_t kLaneCount = 5;

 private:
  static size_t LaneOf(const OutboundMessage& message);
  void Append(size_t lane, OutboundMessage&& message);
  void PopLane(size_t lane);
  Transition UpdateSlow();

  QueueLimits limits_;
  std::array<std::deque<OutboundMessage>, kLaneCount> lanes_;
  size_t bytes_ = 0;
  size_t messages_ = 0;
  size_t reply_bytes_ = 0;
  bool slow_ = false;
  bool behind_ = false;
  Counters counters_;
};

}  // namespace zonecast
