#include "routing/session_queue.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <utility>

#include "zmq.hpp"
#include "zonecast/domain.pb.h"

namespace zonecast {
namespace {

using PushResult = SessionQueue::PushResult;
using Transition = SessionQueue::Transition;

constexpr size_t kMessageBytes = 100;

// soft 1000 bytes, hard 4000 bytes; watermarks at 750 (slow) and 375 (recovered) bytes.
QueueLimits SmallLimits() {
  QueueLimits limits;
  limits.soft_bytes = 1000;
  limits.hard_bytes = 4000;
  return limits;
}

class SessionQueueTest : public ::testing::Test {
 protected:
  SessionQueueTest() : queue_(SmallLimits()) {}

  // A message of `bytes` bytes, each set to `tag` so it can be recognised at the front.
  static OutboundMessage Message(size_t bytes, v1::Priority priority, bool best_effort,
                                 char tag = 0) {
    OutboundMessage message;
    message.frame = zmq::message_t(bytes);
    if (bytes > 0) std::memset(message.frame.data(), tag, bytes);
    message.priority = priority;
    message.best_effort = best_effort;
    return message;
  }
  static OutboundMessage Durable(v1::Priority priority, char tag = 0) {
    return Message(kMessageBytes, priority, /*best_effort=*/false, tag);
  }
  static OutboundMessage BestEffort(char tag = 0) {
    return Message(kMessageBytes, v1::P4, /*best_effort=*/true, tag);
  }

  PushResult Push(OutboundMessage&& message) {
    Transition transition = Transition::kNone;
    const PushResult result = queue_.Push(std::move(message), &transition);
    last_push_transition_ = transition;
    return result;
  }

  // The tag of the front message; -1 when empty.
  int FrontTag() {
    OutboundMessage* front = queue_.Front();
    if (front == nullptr) return -1;
    if (front->frame.size() == 0) return -2;
    return static_cast<const char*>(front->frame.data())[0];
  }

  SessionQueue queue_;
  Transition last_push_transition_ = Transition::kNone;
};

TEST_F(SessionQueueTest, EmptyQueueHasNoFront) {
  EXPECT_TRUE(queue_.empty());
  EXPECT_EQ(queue_.Front(), nullptr);
  EXPECT_EQ(queue_.bytes(), 0u);
  EXPECT_EQ(queue_.messages(), 0u);
  EXPECT_FALSE(queue_.slow());
  EXPECT_FALSE(queue_.behind());
}

TEST_F(SessionQueueTest, PushAccountsBytesAndMessages) {
  EXPECT_EQ(Push(Message(123, v1::P2, false)), PushResult::kQueued);
  EXPECT_EQ(Push(Message(45, v1::P4, true)), PushResult::kQueued);
  EXPECT_FALSE(queue_.empty());
  EXPECT_EQ(queue_.bytes(), 168u);
  EXPECT_EQ(queue_.messages(), 2u);
  EXPECT_EQ(queue_.lane_messages(1), 1u);
  EXPECT_EQ(queue_.lane_messages(SessionQueue::kBestEffortLane), 1u);
  ASSERT_NE(queue_.Front(), nullptr);
  EXPECT_EQ(queue_.Front()->bytes, 123u);
}

TEST_F(SessionQueueTest, HigherPriorityLaneIsServedFirst) {
  ASSERT_EQ(Push(Durable(v1::P3, 3)), PushResult::kQueued);
  ASSERT_EQ(Push(Durable(v1::P1, 1)), PushResult::kQueued);
  EXPECT_EQ(FrontTag(), 1);
  queue_.Pop();
  EXPECT_EQ(FrontTag(), 3);
  queue_.Pop();
  EXPECT_TRUE(queue_.empty());
}

TEST_F(SessionQueueTest, LanesAreServedP1ToP4ThenBestEffort) {
  ASSERT_EQ(Push(BestEffort(5)), PushResult::kQueued);
  ASSERT_EQ(Push(Durable(v1::P4, 4)), PushResult::kQueued);
  ASSERT_EQ(Push(Durable(v1::P2, 2)), PushResult::kQueued);
  ASSERT_EQ(Push(Durable(v1::P3, 3)), PushResult::kQueued);
  ASSERT_EQ(Push(Durable(v1::P1, 1)), PushResult::kQueued);
  for (size_t lane = 0; lane < SessionQueue::kLaneCount; ++lane) {
    EXPECT_EQ(queue_.lane_messages(lane), 1u) << "lane " << lane;
  }
  for (int expected = 1; expected <= 5; ++expected) {
    EXPECT_EQ(FrontTag(), expected);
    queue_.Pop();
  }
  EXPECT_TRUE(queue_.empty());
}

TEST_F(SessionQueueTest, BestEffortP1IsServedAfterDurableP4) {
  // Best-effort goes to its own lane whatever its priority.
  ASSERT_EQ(Push(Message(kMessageBytes, v1::P1, /*best_effort=*/true, 5)), PushResult::kQueued);
  ASSERT_EQ(Push(Durable(v1::P4, 4)), PushResult::kQueued);
  EXPECT_EQ(queue_.lane_messages(SessionQueue::kBestEffortLane), 1u);
  EXPECT_EQ(FrontTag(), 4);
  queue_.Pop();
  EXPECT_EQ(FrontTag(), 5);
}

TEST_F(SessionQueueTest, UnspecifiedPriorityGoesToP4Lane) {
  ASSERT_EQ(Push(Durable(v1::PRIORITY_UNSPECIFIED)), PushResult::kQueued);
  EXPECT_EQ(queue_.lane_messages(3), 1u);
}

TEST_F(SessionQueueTest, LaneIsFifo) {
  for (char tag = 1; tag <= 5; ++tag) ASSERT_EQ(Push(Durable(v1::P2, tag)), PushResult::kQueued);
  for (char tag = 1; tag <= 5; ++tag) {
    EXPECT_EQ(FrontTag(), tag);
    queue_.Pop();
  }
  EXPECT_TRUE(queue_.empty());
}

TEST_F(SessionQueueTest, BestEffortLaneIsFifo) {
  for (char tag = 1; tag <= 5; ++tag) ASSERT_EQ(Push(BestEffort(tag)), PushResult::kQueued);
  for (char tag = 1; tag <= 5; ++tag) {
    EXPECT_EQ(FrontTag(), tag);
    queue_.Pop();
  }
}

TEST_F(SessionQueueTest, MessageExactlyAtSoftLimitIsQueued) {
  for (int i = 0; i < 9; ++i) ASSERT_EQ(Push(BestEffort()), PushResult::kQueued);
  // 900 + 100 == soft_bytes: not over it.
  EXPECT_EQ(Push(BestEffort()), PushResult::kQueued);
  EXPECT_EQ(queue_.bytes(), 1000u);
  EXPECT_EQ(queue_.counters().dropped_best_effort, 0u);
}

TEST_F(SessionQueueTest, BestEffortOverSoftLimitEvictsOldestBestEffort) {
  for (char tag = 1; tag <= 10; ++tag) ASSERT_EQ(Push(BestEffort(tag)), PushResult::kQueued);
  ASSERT_EQ(queue_.bytes(), 1000u);

  EXPECT_EQ(Push(BestEffort(11)), PushResult::kQueuedEvictedBestEffort);
  EXPECT_EQ(queue_.counters().dropped_best_effort, 1u);
  EXPECT_EQ(queue_.messages(), 10u);
  EXPECT_EQ(queue_.bytes(), 1000u);
  // The oldest (1) is gone; 2..11 remain in order, the newest last.
  for (char tag = 2; tag <= 11; ++tag) {
    EXPECT_EQ(FrontTag(), tag);
    queue_.Pop();
  }
  EXPECT_TRUE(queue_.empty());
}

TEST_F(SessionQueueTest, BestEffortOverSoftLimitEvictsBestEffortNotDurable) {
  for (int i = 0; i < 9; ++i) ASSERT_EQ(Push(Durable(v1::P3, 3)), PushResult::kQueued);
  ASSERT_EQ(Push(BestEffort(7)), PushResult::kQueued);

  EXPECT_EQ(Push(BestEffort(8)), PushResult::kQueuedEvictedBestEffort);
  EXPECT_EQ(queue_.lane_messages(2), 9u);
  EXPECT_EQ(queue_.lane_messages(SessionQueue::kBestEffortLane), 1u);
  for (int i = 0; i < 9; ++i) queue_.Pop();
  EXPECT_EQ(FrontTag(), 8);
}

TEST_F(SessionQueueTest, BestEffortOverSoftLimitWithoutBestEffortQueuedIsDropped) {
  for (int i = 0; i < 10; ++i) ASSERT_EQ(Push(Durable(v1::P3)), PushResult::kQueued);

  EXPECT_EQ(Push(BestEffort()), PushResult::kDroppedBestEffort);
  EXPECT_EQ(Push(BestEffort()), PushResult::kDroppedBestEffort);
  EXPECT_EQ(queue_.counters().dropped_best_effort, 2u);
  EXPECT_EQ(queue_.messages(), 10u);
  EXPECT_EQ(queue_.bytes(), 1000u);
  EXPECT_EQ(queue_.lane_messages(SessionQueue::kBestEffortLane), 0u);
  EXPECT_FALSE(queue_.behind());
}

TEST_F(SessionQueueTest, DurableOverSoftLimitIsRetainedAndCounted) {
  for (int i = 0; i < 10; ++i) ASSERT_EQ(Push(Durable(v1::P3)), PushResult::kQueued);

  EXPECT_EQ(Push(Durable(v1::P3)), PushResult::kRetainedOverLimit);
  EXPECT_EQ(Push(Durable(v1::P4)), PushResult::kRetainedOverLimit);
  EXPECT_EQ(Push(Durable(v1::P1)), PushResult::kRetainedOverLimit);
  EXPECT_EQ(queue_.counters().retained_over_limit, 3u);
  EXPECT_EQ(queue_.messages(), 13u);
  EXPECT_EQ(queue_.bytes(), 1300u);
  EXPECT_FALSE(queue_.behind());
  EXPECT_EQ(queue_.counters().dropped_behind, 0u);
}

TEST_F(SessionQueueTest, SoftMessageLimitAlsoTriggersPolicy) {
  QueueLimits limits = SmallLimits();
  limits.soft_messages = 3;
  SessionQueue queue(limits);
  Transition transition = Transition::kNone;
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(queue.Push(Message(1, v1::P3, false), &transition), PushResult::kQueued);
  }
  EXPECT_EQ(queue.Push(Message(1, v1::P4, true), &transition), PushResult::kDroppedBestEffort);
  EXPECT_EQ(queue.Push(Message(1, v1::P3, false), &transition), PushResult::kRetainedOverLimit);
  EXPECT_EQ(queue.counters().dropped_best_effort, 1u);
  EXPECT_EQ(queue.counters().retained_over_limit, 1u);
  EXPECT_EQ(queue.messages(), 4u);
}

TEST_F(SessionQueueTest, DurableP2OverHardLimitIsDroppedAndMarksBehind) {
  // 40 messages fill the queue to exactly the hard limit; the last 30 are over the soft limit.
  for (int i = 0; i < 40; ++i) {
    const PushResult result = Push(Durable(v1::P3));
    ASSERT_TRUE(result == PushResult::kQueued || result == PushResult::kRetainedOverLimit);
  }
  ASSERT_EQ(queue_.bytes(), 4000u);
  ASSERT_FALSE(queue_.behind());

  EXPECT_EQ(Push(Durable(v1::P2)), PushResult::kDroppedBehind);
  EXPECT_TRUE(queue_.behind());
  EXPECT_EQ(queue_.counters().dropped_behind, 1u);
  EXPECT_EQ(queue_.counters().retained_over_limit, 30u);
  EXPECT_EQ(queue_.bytes(), 4000u);
  EXPECT_EQ(queue_.messages(), 40u);
  EXPECT_EQ(queue_.lane_messages(1), 0u);

  EXPECT_EQ(Push(Durable(v1::P4)), PushResult::kDroppedBehind);
  EXPECT_EQ(queue_.counters().dropped_behind, 2u);

  queue_.clear_behind();
  EXPECT_FALSE(queue_.behind());
}

TEST_F(SessionQueueTest, P1OverHardLimitIsStillQueued) {
  for (int i = 0; i < 40; ++i) Push(Durable(v1::P3));
  ASSERT_EQ(queue_.bytes(), 4000u);

  EXPECT_EQ(Push(Durable(v1::P1, 1)), PushResult::kRetainedOverLimit);
  EXPECT_EQ(Push(Durable(v1::P1, 1)), PushResult::kRetainedOverLimit);
  EXPECT_FALSE(queue_.behind());
  EXPECT_EQ(queue_.counters().dropped_behind, 0u);
  EXPECT_EQ(queue_.bytes(), 4200u);
  EXPECT_EQ(queue_.lane_messages(0), 2u);
  // And it goes out first.
  EXPECT_EQ(FrontTag(), 1);
}

TEST_F(SessionQueueTest, BecameSlowIsReportedOnceWhenCrossingHighWatermark) {
  // High watermark: 0.75 * 1000 = 750 bytes, reached by the 8th 100-byte message.
  for (int i = 0; i < 7; ++i) {
    ASSERT_EQ(Push(Durable(v1::P3)), PushResult::kQueued);
    EXPECT_EQ(last_push_transition_, Transition::kNone) << "push " << i + 1;
  }
  EXPECT_FALSE(queue_.slow());

  ASSERT_EQ(Push(Durable(v1::P3)), PushResult::kQueued);
  EXPECT_EQ(last_push_transition_, Transition::kBecameSlow);
  EXPECT_TRUE(queue_.slow());
  EXPECT_EQ(queue_.counters().slow_detected, 1u);

  // Further pushes, including ones over the soft limit, report nothing more.
  for (int i = 0; i < 5; ++i) {
    Push(Durable(v1::P3));
    EXPECT_EQ(last_push_transition_, Transition::kNone);
    Push(BestEffort());
    EXPECT_EQ(last_push_transition_, Transition::kNone);
  }
  EXPECT_TRUE(queue_.slow());
  EXPECT_EQ(queue_.counters().slow_detected, 1u);
  EXPECT_EQ(queue_.counters().slow_recovered, 0u);
}

TEST_F(SessionQueueTest, RecoveredIsReportedOnceWhenPoppingToLowWatermark) {
  for (int i = 0; i < 10; ++i) ASSERT_EQ(Push(Durable(v1::P3)), PushResult::kQueued);
  ASSERT_TRUE(queue_.slow());

  // Low watermark: 0.375 * 1000 = 375 bytes. 1000 -> 400 bytes stays slow (no flapping
  // back to recovered just below the high watermark).
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(queue_.Pop(), Transition::kNone) << "pop " << i + 1;
    EXPECT_TRUE(queue_.slow());
  }
  ASSERT_EQ(queue_.bytes(), 400u);

  EXPECT_EQ(queue_.Pop(), Transition::kRecovered);  // 300 bytes
  EXPECT_FALSE(queue_.slow());
  EXPECT_EQ(queue_.counters().slow_recovered, 1u);

  for (int i = 0; i < 3; ++i) EXPECT_EQ(queue_.Pop(), Transition::kNone);
  EXPECT_TRUE(queue_.empty());
  EXPECT_EQ(queue_.counters().slow_detected, 1u);
  EXPECT_EQ(queue_.counters().slow_recovered, 1u);
}

TEST_F(SessionQueueTest, NoTransitionBetweenWatermarks) {
  // Growing to 700 bytes (below high) and back reports nothing.
  for (int i = 0; i < 7; ++i) {
    Push(Durable(v1::P3));
    EXPECT_EQ(last_push_transition_, Transition::kNone);
  }
  for (int i = 0; i < 7; ++i) EXPECT_EQ(queue_.Pop(), Transition::kNone);
  EXPECT_EQ(queue_.counters().slow_detected, 0u);
  EXPECT_EQ(queue_.counters().slow_recovered, 0u);
}

TEST_F(SessionQueueTest, SlowCycleCanRepeat) {
  for (int cycle = 1; cycle <= 3; ++cycle) {
    for (int i = 0; i < 8; ++i) Push(Durable(v1::P3));
    EXPECT_TRUE(queue_.slow());
    while (!queue_.empty()) queue_.Pop();
    EXPECT_FALSE(queue_.slow());
    EXPECT_EQ(queue_.counters().slow_detected, static_cast<uint64_t>(cycle));
    EXPECT_EQ(queue_.counters().slow_recovered, static_cast<uint64_t>(cycle));
  }
}

TEST_F(SessionQueueTest, DroppedPushOverwritesTransition) {
  // With soft_messages = 2 the queue is slow (messages >= soft_messages) once two are queued;
  // the push that gets there reports it, and a later dropped push reports kNone.
  QueueLimits limits = SmallLimits();
  limits.soft_messages = 2;
  SessionQueue queue(limits);
  Transition transition = Transition::kNone;
  ASSERT_EQ(queue.Push(Message(1, v1::P3, false), &transition), PushResult::kQueued);
  EXPECT_EQ(transition, Transition::kNone);
  ASSERT_EQ(queue.Push(Message(1, v1::P3, false), &transition), PushResult::kQueued);
  EXPECT_EQ(transition, Transition::kBecameSlow);
  transition = Transition::kRecovered;  // must be overwritten
  EXPECT_EQ(queue.Push(Message(1, v1::P4, true), &transition), PushResult::kDroppedBestEffort);
  EXPECT_EQ(transition, Transition::kNone);
}

TEST_F(SessionQueueTest, SlowByMessageCountRecoversAtHalfOfIt) {
  QueueLimits limits = SmallLimits();
  limits.soft_messages = 4;
  SessionQueue queue(limits);
  Transition transition = Transition::kNone;
  for (int i = 0; i < 3; ++i) {
    queue.Push(Message(1, v1::P3, false), &transition);
    EXPECT_EQ(transition, Transition::kNone);
  }
  queue.Push(Message(1, v1::P3, false), &transition);
  EXPECT_EQ(transition, Transition::kBecameSlow);
  EXPECT_EQ(queue.Pop(), Transition::kNone);       // 3 messages: above 4 / 2
  EXPECT_EQ(queue.Pop(), Transition::kRecovered);  // 2: at half, recovered
  EXPECT_EQ(queue.Pop(), Transition::kNone);       // 1
  EXPECT_EQ(queue.counters().slow_detected, 1u);
  EXPECT_EQ(queue.counters().slow_recovered, 1u);
}

// A case that once failed: with a soft limit of 1 message, "below half" was
// never reached and the queue stayed slow forever.
TEST_F(SessionQueueTest, SingleMessageLimitRecovers) {
  QueueLimits limits = SmallLimits();
  limits.soft_messages = 1;
  SessionQueue queue(limits);
  Transition transition = Transition::kNone;
  queue.Push(Message(10, v1::P3, false), &transition);
  EXPECT_EQ(transition, Transition::kBecameSlow);
  EXPECT_EQ(queue.Pop(), Transition::kRecovered);
  EXPECT_FALSE(queue.slow());
}

// A case that once failed: a large best-effort message evicted only one older
// one and could push the queue past the hard limit.
TEST_F(SessionQueueTest, LargeBestEffortEvictsUntilItFitsOrIsDropped) {
  Push(Message(10, v1::P4, true));
  for (int i = 0; i < 9; ++i) Push(Durable(v1::P3, static_cast<char>(i)));
  ASSERT_EQ(queue_.bytes(), 910u);
  // 910 + 300 > 1000 even after evicting the 10-byte position: dropped.
  EXPECT_EQ(Push(Message(300, v1::P4, true)), PushResult::kDroppedBestEffort);
  EXPECT_LE(queue_.bytes(), 1000u);
  EXPECT_EQ(queue_.lane_messages(SessionQueue::kBestEffortLane), 0u);
  EXPECT_EQ(queue_.counters().dropped_best_effort, 2u);
}

TEST_F(SessionQueueTest, AccountingSurvivesFrameMovedOutBeforePop) {
  Push(Durable(v1::P1, 1));
  Push(Durable(v1::P3, 3));
  Push(Message(250, v1::P4, true, 5));
  for (int i = 0; i < 7; ++i) Push(Durable(v1::P2, 2));
  ASSERT_EQ(queue_.bytes(), 1150u);
  ASSERT_EQ(queue_.messages(), 10u);
  ASSERT_TRUE(queue_.slow());

  size_t expected_bytes = queue_.bytes();
  size_t expected_messages = queue_.messages();
  Transition last = Transition::kNone;
  int recovered = 0;
  while (OutboundMessage* front = queue_.Front()) {
    const size_t size = front->frame.size();
    EXPECT_EQ(front->bytes, size);
    // What a successful send does: the frame's bytes move into the socket.
    zmq::message_t sink(std::move(front->frame));
    EXPECT_EQ(sink.size(), size);
    EXPECT_EQ(front->frame.size(), 0u);
    last = queue_.Pop();
    if (last == Transition::kRecovered) ++recovered;
    expected_bytes -= size;
    --expected_messages;
    EXPECT_EQ(queue_.bytes(), expected_bytes);
    EXPECT_EQ(queue_.messages(), expected_messages);
  }
  EXPECT_TRUE(queue_.empty());
  EXPECT_EQ(queue_.bytes(), 0u);
  EXPECT_EQ(queue_.messages(), 0u);
  EXPECT_EQ(recovered, 1);
  EXPECT_FALSE(queue_.slow());
}

TEST_F(SessionQueueTest, EvictionAccountsEvictedMessageSize) {
  ASSERT_EQ(Push(Message(300, v1::P4, true, 1)), PushResult::kQueued);
  for (int i = 0; i < 7; ++i) ASSERT_EQ(Push(Durable(v1::P3)), PushResult::kQueued);
  ASSERT_EQ(queue_.bytes(), 1000u);

  EXPECT_EQ(Push(Message(50, v1::P4, true, 2)), PushResult::kQueuedEvictedBestEffort);
  EXPECT_EQ(queue_.bytes(), 750u);
  EXPECT_EQ(queue_.messages(), 8u);
  while (!queue_.empty()) queue_.Pop();
  EXPECT_EQ(queue_.bytes(), 0u);
}

TEST_F(SessionQueueTest, EmptyFrameIsQueuedWithZeroBytes) {
  ASSERT_EQ(Push(Message(0, v1::P2, false)), PushResult::kQueued);
  EXPECT_EQ(queue_.messages(), 1u);
  EXPECT_EQ(queue_.bytes(), 0u);
  queue_.Pop();
  EXPECT_TRUE(queue_.empty());
}

// Replies (answers to the session's own requests) have their own limit,
// per session and shared by all; over it they are not queued, and the
// delivery policy (drop, behind) never applies to them.
TEST_F(SessionQueueTest, RepliesAreBoundedPerSessionAndTogether) {
  ReplyBudget shared;
  shared.limit = 700;
  QueueLimits limits = SmallLimits();
  limits.reply_bytes = 500;
  limits.shared_replies = &shared;
  auto reply = [](size_t bytes) {
    OutboundMessage message = Message(bytes, v1::P1, /*best_effort=*/false);
    message.reply = true;
    return message;
  };
  Transition transition = Transition::kNone;
  {
    SessionQueue first(limits);
    EXPECT_EQ(first.Push(reply(300), &transition), PushResult::kQueued);
    EXPECT_EQ(first.Push(reply(300), &transition), PushResult::kReplyOverLimit);
    EXPECT_EQ(first.Push(reply(200), &transition), PushResult::kQueued);
    EXPECT_EQ(first.reply_bytes(), 500u);
    EXPECT_EQ(shared.used, 500u);
    // A delivery is not a reply: the reply limit does not hold it back.
    EXPECT_EQ(first.Push(Durable(v1::P2), &transition), PushResult::kQueued);

    SessionQueue second(limits);
    EXPECT_EQ(second.Push(reply(300), &transition), PushResult::kReplyOverLimit)
        << "over the shared budget";
    EXPECT_EQ(second.Push(reply(200), &transition), PushResult::kQueued);
    EXPECT_EQ(shared.used, 700u);

    first.Pop();  // the first reply was sent
    EXPECT_EQ(first.reply_bytes(), 200u);
    EXPECT_EQ(shared.used, 400u);
  }
  EXPECT_EQ(shared.used, 0u) << "queues give their replies' bytes back when they go";
}

TEST_F(SessionQueueTest, ReplyOverTheSoftLimitIsNeitherDroppedNorBehind) {
  QueueLimits limits = SmallLimits();
  limits.reply_bytes = 3000;
  SessionQueue queue(limits);
  Transition transition = Transition::kNone;
  for (int i = 0; i < 5; ++i) {
    OutboundMessage page = Message(500, v1::P3, /*best_effort=*/false);
    page.reply = true;
    EXPECT_EQ(queue.Push(std::move(page), &transition), PushResult::kQueued);
  }
  EXPECT_FALSE(queue.behind());
  EXPECT_EQ(queue.bytes(), 2500u);
}

}  // namespace
}  // namespace zonecast
