// AckTracker: durable deliveries waiting for RECEIVED. A copy is queued
// (OnDelivered), its wait starts when it is handed to the socket (OnSent):
// ack_wait(priority) after the first send, then each backoff step after each
// redelivery is sent, until max_deliveries, when it is dead-lettered. Time is
// plain MonoNanos values; no clock is needed.
#include "delivery/ack_tracker.h"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

constexpr MonoNanos kStart = 1'000'000'000'000;  // an arbitrary monotonic epoch

MonoNanos Ns(absl::Duration d) { return absl::ToInt64Nanoseconds(d); }

// One call of the Expire callback, copied out.
struct Fired {
  AckTracker::Action action;
  SessionId session = 0;
  uint64_t seq = 0;
  std::string topic;
  std::string alert_id;
  v1::Priority priority = v1::P4;
  std::string frame;
  uint32_t delivery_count = 0;
  MonoNanos due = 0;
};

class AckTrackerTest : public ::testing::Test {
 protected:
  AckTrackerTest() : tracker_(Policy()) {}

  // The defaults spelled out, so the expectations below do not depend on them.
  static RedeliveryPolicy Policy() {
    RedeliveryPolicy policy;
    policy.ack_wait = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(5), absl::Seconds(10)};
    policy.backoff = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(4), absl::Seconds(8)};
    policy.max_deliveries = 5;
    return policy;
  }

  static std::string FrameBytes(SessionId session, uint64_t seq) {
    return "deliver-" + std::to_string(session) + "-" + std::to_string(seq);
  }

  // OnDelivered only: the copy waits in the session's queue.
  static void Queue(AckTracker& tracker, SessionId session, uint64_t seq, v1::Priority priority,
                    MonoNanos now, uint32_t delivery_count = 1) {
    const std::string bytes = FrameBytes(session, seq);
    zmq::message_t frame(bytes.data(), bytes.size());
    tracker.OnDelivered(session, seq, "alert.jincheng.z03", "A-" + std::to_string(seq), priority,
                        frame, delivery_count, now);
  }
  // Queued and handed to the socket at once.
  static void Deliver(AckTracker& tracker, SessionId session, uint64_t seq, v1::Priority priority,
                      MonoNanos now, uint32_t delivery_count = 1) {
    Queue(tracker, session, seq, priority, now, delivery_count);
    tracker.OnSent(session, seq, now);
  }
  void Queue(SessionId session, uint64_t seq, v1::Priority priority, MonoNanos now,
             uint32_t delivery_count = 1) {
    Queue(tracker_, session, seq, priority, now, delivery_count);
  }
  void Deliver(SessionId session, uint64_t seq, v1::Priority priority, MonoNanos now,
               uint32_t delivery_count = 1) {
    Deliver(tracker_, session, seq, priority, now, delivery_count);
  }

  static std::vector<Fired> ExpireAt(AckTracker& tracker, MonoNanos now) {
    std::vector<Fired> fired;
    tracker.Expire(now, [&](AckTracker::Action action, PendingDelivery& d) {
      fired.push_back(Fired{action, d.session, d.seq, d.topic, d.alert_id, d.priority,
                            std::string(static_cast<const char*>(d.frame.data()), d.frame.size()),
                            d.delivery_count, d.due});
    });
    return fired;
  }
  std::vector<Fired> ExpireAt(MonoNanos now) { return ExpireAt(tracker_, now); }

  // Runs the tracker to quiescence as a core loop with an instant socket
  // would: expire at each next due and send every redelivery right away.
  static std::vector<Fired> RunToQuiescence(AckTracker& tracker) {
    std::vector<Fired> all;
    for (int turn = 0; turn < 100 && tracker.NextDue() != INT64_MAX; ++turn) {
      const MonoNanos now = tracker.NextDue();
      for (Fired& f : ExpireAt(tracker, now)) {
        if (f.action == AckTracker::Action::kRedeliver) {
          tracker.OnSent(f.session, f.seq, now);
          f.due = now;  // when it was sent again
        }
        all.push_back(f);
      }
    }
    return all;
  }

  AckTracker tracker_;
};

TEST_F(AckTrackerTest, EmptyTrackerHasNothingDue) {
  EXPECT_EQ(tracker_.pending(), 0u);
  EXPECT_EQ(tracker_.NextDue(), INT64_MAX);
  EXPECT_TRUE(ExpireAt(INT64_MAX - 1).empty());
  EXPECT_FALSE(tracker_.OnReceived(1, 1));
  EXPECT_EQ(tracker_.LowestPending(1), 0u);
  tracker_.OnSent(1, 1, kStart);  // nothing tracked: no timer
  EXPECT_EQ(tracker_.NextDue(), INT64_MAX);
}

TEST_F(AckTrackerTest, NothingExpiresBeforeTheAckWait) {
  Deliver(1, 7, v1::P1, kStart);
  EXPECT_EQ(tracker_.pending(), 1u);
  EXPECT_EQ(tracker_.NextDue(), kStart + Ns(absl::Seconds(1)));

  EXPECT_TRUE(ExpireAt(kStart).empty());
  EXPECT_TRUE(ExpireAt(kStart + Ns(absl::Seconds(1)) - 1).empty());
  EXPECT_EQ(tracker_.pending(), 1u);
  EXPECT_EQ(tracker_.NextDue(), kStart + Ns(absl::Seconds(1)));
}

TEST_F(AckTrackerTest, QueuedCopyWaitsOnlyOnceSent) {
  Queue(1, 7, v1::P1, kStart);
  EXPECT_EQ(tracker_.pending(), 1u);
  EXPECT_EQ(tracker_.NextDue(), INT64_MAX);  // still in the session's queue
  EXPECT_TRUE(ExpireAt(kStart + Ns(absl::Hours(1))).empty());

  // Sent a minute later: the ack wait counts from then.
  const MonoNanos sent = kStart + Ns(absl::Minutes(1));
  tracker_.OnSent(1, 7, sent);
  EXPECT_EQ(tracker_.NextDue(), sent + Ns(absl::Seconds(1)));
  EXPECT_TRUE(ExpireAt(sent + Ns(absl::Seconds(1)) - 1).empty());
  std::vector<Fired> fired = ExpireAt(sent + Ns(absl::Seconds(1)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].delivery_count, 2u);
}

TEST_F(AckTrackerTest, SecondSendOfAWaitingCopyKeepsTheFirstWait) {
  Deliver(1, 7, v1::P1, kStart);
  tracker_.OnSent(1, 7, kStart + Ns(absl::Milliseconds(600)));  // e.g. a duplicate copy
  EXPECT_EQ(tracker_.NextDue(), kStart + Ns(absl::Seconds(1)));
  std::vector<Fired> fired = ExpireAt(kStart + Ns(absl::Seconds(1)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_TRUE(ExpireAt(kStart + Ns(absl::Milliseconds(1600))).empty());
}

TEST_F(AckTrackerTest, RedeliversAfterAckWaitWithBackoff) {
  Deliver(1, 7, v1::P1, kStart);

  // The ack wait of P1 ran out: second delivery, queued again.
  MonoNanos now = kStart + Ns(absl::Seconds(1));
  std::vector<Fired> fired = ExpireAt(now);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].action, AckTracker::Action::kRedeliver);
  EXPECT_EQ(fired[0].session, 1u);
  EXPECT_EQ(fired[0].seq, 7u);
  EXPECT_EQ(fired[0].topic, "alert.jincheng.z03");
  EXPECT_EQ(fired[0].alert_id, "A-7");
  EXPECT_EQ(fired[0].priority, v1::P1);
  EXPECT_EQ(fired[0].frame, FrameBytes(1, 7));  // the frame as first sent
  EXPECT_EQ(fired[0].delivery_count, 2u);
  EXPECT_EQ(fired[0].due, 0);  // no wait until the redelivery is sent
  EXPECT_EQ(tracker_.pending(), 1u);
  EXPECT_EQ(tracker_.NextDue(), INT64_MAX);
  EXPECT_TRUE(ExpireAt(now + Ns(absl::Hours(1))).empty());

  // Sent: the next wait is backoff[0].
  now += Ns(absl::Milliseconds(200));
  tracker_.OnSent(1, 7, now);
  EXPECT_EQ(tracker_.NextDue(), now + Ns(absl::Seconds(1)));
  EXPECT_TRUE(ExpireAt(now + Ns(absl::Seconds(1)) - 1).empty());

  now += Ns(absl::Seconds(1));
  fired = ExpireAt(now);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].action, AckTracker::Action::kRedeliver);
  EXPECT_EQ(fired[0].delivery_count, 3u);

  // Third delivery sent: the next wait is backoff[1].
  tracker_.OnSent(1, 7, now);
  EXPECT_EQ(tracker_.NextDue(), now + Ns(absl::Seconds(2)));
}

TEST_F(AckTrackerTest, OneRedeliveryPerExpiryEvenLongAfterTheDue) {
  Deliver(1, 7, v1::P1, kStart);
  const MonoNanos now = kStart + Ns(absl::Hours(1));
  std::vector<Fired> fired = ExpireAt(now);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].action, AckTracker::Action::kRedeliver);
  EXPECT_EQ(fired[0].delivery_count, 2u);
  tracker_.OnSent(1, 7, now);
  EXPECT_EQ(tracker_.NextDue(), now + Ns(absl::Seconds(1)));
  EXPECT_TRUE(ExpireAt(now).empty());
}

TEST_F(AckTrackerTest, ReceivedStopsRedelivery) {
  Deliver(1, 7, v1::P1, kStart);
  Deliver(1, 8, v1::P1, kStart);
  EXPECT_TRUE(tracker_.OnReceived(1, 7));
  EXPECT_FALSE(tracker_.OnReceived(1, 7));  // only once
  EXPECT_FALSE(tracker_.OnReceived(2, 8));  // another session's seq
  EXPECT_EQ(tracker_.pending(), 1u);

  std::vector<Fired> fired = ExpireAt(kStart + Ns(absl::Hours(1)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].seq, 8u);

  // RECEIVED while the redelivery is queued also stops it; a late send of
  // that copy starts nothing.
  EXPECT_TRUE(tracker_.OnReceived(1, 8));
  EXPECT_EQ(tracker_.pending(), 0u);
  tracker_.OnSent(1, 8, kStart + Ns(absl::Hours(1)));
  EXPECT_EQ(tracker_.NextDue(), INT64_MAX);
  EXPECT_TRUE(ExpireAt(kStart + Ns(absl::Hours(2))).empty());
}

TEST_F(AckTrackerTest, DeadLettersAtMaxDeliveriesExactlyOnce) {
  Deliver(1, 7, v1::P1, kStart);
  Deliver(1, 9, v1::P4, kStart);
  ASSERT_EQ(tracker_.pending(), 2u);
  ASSERT_TRUE(tracker_.OnReceived(1, 9));  // acknowledged before its wait
  ASSERT_EQ(tracker_.pending(), 1u);
  Queue(1, 11, v1::P1, kStart);  // never sent: stays pending, never expires

  std::vector<uint32_t> redelivered_counts;
  std::vector<Fired> dead;
  for (const Fired& f : RunToQuiescence(tracker_)) {
    ASSERT_EQ(f.seq, 7u);
    if (f.action == AckTracker::Action::kRedeliver) {
      redelivered_counts.push_back(f.delivery_count);
    } else {
      dead.push_back(f);
    }
  }
  EXPECT_EQ(redelivered_counts, (std::vector<uint32_t>{2, 3, 4, 5}));
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].action, AckTracker::Action::kDeadLetter);
  EXPECT_EQ(dead[0].delivery_count, 5u);
  EXPECT_EQ(dead[0].frame, FrameBytes(1, 7));
  EXPECT_EQ(dead[0].alert_id, "A-7");
  EXPECT_EQ(tracker_.pending(), 1u);  // only the unsent seq 11
  EXPECT_EQ(tracker_.LowestPending(1), 11u);
  EXPECT_EQ(tracker_.NextDue(), INT64_MAX);
  EXPECT_FALSE(tracker_.OnReceived(1, 7));
  tracker_.OnSent(1, 7, kStart + Ns(absl::Hours(1)));  // a stale copy going out
  EXPECT_TRUE(ExpireAt(kStart + Ns(absl::Hours(2))).empty());
}

TEST_F(AckTrackerTest, DeadLetterRemovesOnlyThatEntry) {
  RedeliveryPolicy policy = Policy();
  policy.max_deliveries = 1;  // the first expiry dead-letters
  AckTracker tracker(policy);
  Deliver(tracker, 1, 7, v1::P1, kStart);
  Deliver(tracker, 1, 8, v1::P4, kStart);
  ASSERT_EQ(tracker.pending(), 2u);

  std::vector<Fired> fired = ExpireAt(tracker, kStart + Ns(absl::Seconds(1)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].action, AckTracker::Action::kDeadLetter);
  EXPECT_EQ(fired[0].seq, 7u);
  EXPECT_EQ(fired[0].delivery_count, 1u);
  EXPECT_EQ(tracker.pending(), 1u);
  EXPECT_EQ(tracker.LowestPending(1), 8u);
  EXPECT_EQ(tracker.NextDue(), kStart + Ns(absl::Seconds(10)));
  EXPECT_TRUE(ExpireAt(tracker, kStart + Ns(absl::Seconds(5))).empty());
  EXPECT_TRUE(tracker.OnReceived(1, 8));
  EXPECT_EQ(tracker.pending(), 0u);
  EXPECT_EQ(tracker.LowestPending(1), 0u);
}

TEST_F(AckTrackerTest, DropSessionForgetsOnlyThatSession) {
  Deliver(1, 10, v1::P1, kStart);
  Deliver(1, 11, v1::P2, kStart);
  Queue(1, 12, v1::P2, kStart);
  Deliver(2, 10, v1::P1, kStart);
  ASSERT_EQ(tracker_.pending(), 4u);

  tracker_.DropSession(1);
  EXPECT_EQ(tracker_.pending(), 1u);
  EXPECT_EQ(tracker_.LowestPending(1), 0u);
  EXPECT_EQ(tracker_.LowestPending(2), 10u);
  tracker_.DropSession(1);   // again: nothing left to drop
  tracker_.DropSession(99);  // unknown
  EXPECT_EQ(tracker_.pending(), 1u);

  tracker_.OnSent(1, 12, kStart);  // a copy of the dropped session: ignored
  std::vector<Fired> fired = ExpireAt(kStart + Ns(absl::Minutes(1)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].session, 2u);
  EXPECT_EQ(fired[0].seq, 10u);
  EXPECT_FALSE(tracker_.OnReceived(1, 10));
  EXPECT_FALSE(tracker_.OnReceived(1, 11));
  EXPECT_TRUE(tracker_.OnReceived(2, 10));
}

TEST_F(AckTrackerTest, SessionDeliveredAgainAfterDropStartsFresh) {
  Deliver(1, 10, v1::P1, kStart);
  tracker_.DropSession(1);
  // The replay on reconnect sends it again (to the same session id here).
  Deliver(1, 10, v1::P1, kStart + Ns(absl::Milliseconds(500)), /*delivery_count=*/2);
  EXPECT_EQ(tracker_.pending(), 1u);
  EXPECT_TRUE(ExpireAt(kStart + Ns(absl::Seconds(1))).empty());  // the dropped timer is stale
  // A replayed redelivery (count 2) waits backoff[0] after it is sent.
  std::vector<Fired> fired = ExpireAt(kStart + Ns(absl::Milliseconds(1500)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].delivery_count, 3u);
  tracker_.DropSession(1);
  EXPECT_EQ(tracker_.pending(), 0u);
}

TEST_F(AckTrackerTest, AckWaitDependsOnPriority) {
  const RedeliveryPolicy& policy = tracker_.policy();
  EXPECT_EQ(policy.AckWait(v1::P1), absl::Seconds(1));
  EXPECT_EQ(policy.AckWait(v1::P2), absl::Seconds(2));
  EXPECT_EQ(policy.AckWait(v1::P3), absl::Seconds(5));
  EXPECT_EQ(policy.AckWait(v1::P4), absl::Seconds(10));
  EXPECT_LT(policy.AckWait(v1::P1), policy.AckWait(v1::P4));

  Deliver(1, 1, v1::P4, kStart);
  Deliver(1, 2, v1::P1, kStart);
  Deliver(1, 3, v1::P3, kStart);
  EXPECT_EQ(tracker_.NextDue(), kStart + Ns(absl::Seconds(1)));

  std::vector<Fired> fired = ExpireAt(kStart + Ns(absl::Seconds(1)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].priority, v1::P1);

  ASSERT_TRUE(tracker_.OnReceived(1, 2));
  fired = ExpireAt(kStart + Ns(absl::Seconds(5)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].priority, v1::P3);

  ASSERT_TRUE(tracker_.OnReceived(1, 3));
  EXPECT_TRUE(ExpireAt(kStart + Ns(absl::Seconds(10)) - 1).empty());
  fired = ExpireAt(kStart + Ns(absl::Seconds(10)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].priority, v1::P4);
}

TEST_F(AckTrackerTest, BackoffLastStepRepeats) {
  const RedeliveryPolicy& policy = tracker_.policy();
  EXPECT_EQ(policy.Backoff(1), absl::Seconds(1));
  EXPECT_EQ(policy.Backoff(2), absl::Seconds(2));
  EXPECT_EQ(policy.Backoff(3), absl::Seconds(4));
  EXPECT_EQ(policy.Backoff(4), absl::Seconds(8));
  EXPECT_EQ(policy.Backoff(5), absl::Seconds(8));
  EXPECT_EQ(policy.Backoff(1000), absl::Seconds(8));

  // Through the tracker: the waits between sending a redelivery and the next
  // follow the steps, then stay at the last one.
  RedeliveryPolicy many = Policy();
  many.max_deliveries = 8;
  AckTracker tracker(many);
  Deliver(tracker, 1, 7, v1::P2, kStart);
  std::vector<absl::Duration> waits;
  MonoNanos previous = kStart;
  for (const Fired& f : RunToQuiescence(tracker)) {
    waits.push_back(absl::Nanoseconds(f.due - previous));  // f.due: when it fired
    previous = f.due;
  }
  // P2's ack wait, then 1, 2, 4, 8, 8, 8 s, then the dead letter after 8 s.
  EXPECT_EQ(waits, (std::vector<absl::Duration>{
                       absl::Seconds(2), absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                       absl::Seconds(8), absl::Seconds(8), absl::Seconds(8), absl::Seconds(8)}));
}

TEST_F(AckTrackerTest, EmptyBackoffFallsBackToOneSecond) {
  RedeliveryPolicy policy = Policy();
  policy.backoff.clear();
  EXPECT_EQ(policy.Backoff(1), absl::Seconds(1));
  EXPECT_EQ(policy.Backoff(7), absl::Seconds(1));
}

TEST_F(AckTrackerTest, ReplayOfTheSameDeliveryDoesNotDuplicateRedeliveries) {
  Deliver(1, 7, v1::P1, kStart);
  // Sent again (a replay) half a second later: one entry, one live timer.
  Deliver(1, 7, v1::P1, kStart + Ns(absl::Milliseconds(500)));
  EXPECT_EQ(tracker_.pending(), 1u);

  // The first copy's timer is stale.
  EXPECT_TRUE(ExpireAt(kStart + Ns(absl::Seconds(1))).empty());
  std::vector<Fired> fired = ExpireAt(kStart + Ns(absl::Milliseconds(1500)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].delivery_count, 2u);

  // From here on a single chain of redeliveries.
  const MonoNanos now = kStart + Ns(absl::Milliseconds(1500));
  tracker_.OnSent(1, 7, now);
  fired = ExpireAt(now + Ns(absl::Hours(1)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].delivery_count, 3u);
}

TEST_F(AckTrackerTest, ReplayQueuedBehindTheFirstCopyRedeliversOnce) {
  // The replay's copy is queued while the first copy is still unsent; the
  // first send starts the wait and the second changes nothing.
  Queue(1, 7, v1::P1, kStart);
  Queue(1, 7, v1::P1, kStart + Ns(absl::Milliseconds(100)));
  tracker_.OnSent(1, 7, kStart + Ns(absl::Milliseconds(200)));
  tracker_.OnSent(1, 7, kStart + Ns(absl::Milliseconds(300)));
  EXPECT_EQ(tracker_.pending(), 1u);
  EXPECT_EQ(tracker_.NextDue(), kStart + Ns(absl::Milliseconds(1200)));
  std::vector<Fired> fired = ExpireAt(kStart + Ns(absl::Seconds(10)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].delivery_count, 2u);
}

TEST_F(AckTrackerTest, ReplayAtTheSameInstantRedeliversOnce) {
  Deliver(1, 7, v1::P1, kStart);
  Deliver(1, 7, v1::P1, kStart);  // two timers with the same due for one entry
  EXPECT_EQ(tracker_.pending(), 1u);
  std::vector<Fired> fired = ExpireAt(kStart + Ns(absl::Seconds(1)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].delivery_count, 2u);

  // And at max_deliveries it is dead-lettered once, not once per timer.
  RedeliveryPolicy policy = Policy();
  policy.max_deliveries = 1;
  AckTracker tracker(policy);
  Deliver(tracker, 1, 7, v1::P1, kStart);
  Deliver(tracker, 1, 7, v1::P1, kStart);
  fired = ExpireAt(tracker, kStart + Ns(absl::Seconds(1)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].action, AckTracker::Action::kDeadLetter);
  EXPECT_EQ(tracker.pending(), 0u);
}

TEST_F(AckTrackerTest, ReplayKeepsTheHigherDeliveryCount) {
  Deliver(1, 7, v1::P1, kStart, /*delivery_count=*/3);
  // A delivery already redelivered waits its backoff step, not the ack wait.
  EXPECT_EQ(tracker_.NextDue(), kStart + Ns(absl::Seconds(2)));
  std::vector<Fired> fired = ExpireAt(kStart + Ns(absl::Seconds(2)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].delivery_count, 4u);
  // A replay that says "first delivery" does not reset the count.
  Deliver(1, 7, v1::P1, kStart + Ns(absl::Seconds(3)), /*delivery_count=*/1);
  fired = ExpireAt(kStart + Ns(absl::Seconds(7)));  // backoff[2] after the send
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].delivery_count, 5u);
  // 5 == max_deliveries: the next expiry dead-letters.
  tracker_.OnSent(1, 7, kStart + Ns(absl::Seconds(7)));
  fired = ExpireAt(kStart + Ns(absl::Seconds(15)));
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].action, AckTracker::Action::kDeadLetter);
}

TEST_F(AckTrackerTest, ReplayedDeliveryAlreadyAtMaxIsDeadLetteredAtItsWait) {
  Deliver(1, 7, v1::P3, kStart, /*delivery_count=*/7);
  const MonoNanos due = kStart + Ns(tracker_.policy().Backoff(6));
  EXPECT_EQ(tracker_.NextDue(), due);
  EXPECT_TRUE(ExpireAt(due - 1).empty());
  std::vector<Fired> fired = ExpireAt(due);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_EQ(fired[0].action, AckTracker::Action::kDeadLetter);
  EXPECT_EQ(fired[0].delivery_count, 7u);
  EXPECT_EQ(tracker_.pending(), 0u);
}

TEST_F(AckTrackerTest, LowestPendingIsTheSmallestUnacknowledgedSeq) {
  Deliver(1, 30, v1::P2, kStart);
  Deliver(1, 10, v1::P2, kStart);
  Queue(1, 20, v1::P2, kStart);
  Deliver(2, 5, v1::P2, kStart);
  EXPECT_EQ(tracker_.LowestPending(1), 10u);
  EXPECT_EQ(tracker_.LowestPending(2), 5u);
  ASSERT_TRUE(tracker_.OnReceived(1, 10));
  EXPECT_EQ(tracker_.LowestPending(1), 20u);
  ASSERT_TRUE(tracker_.OnReceived(1, 20));
  ASSERT_TRUE(tracker_.OnReceived(1, 30));
  EXPECT_EQ(tracker_.LowestPending(1), 0u);
  EXPECT_EQ(tracker_.LowestPending(2), 5u);
}

}  // namespace
}  // namespace zonecast

namespace zonecast {
namespace {

TEST(AckTrackerJitterTest, WaitsAreStretchedWithinTheJitterAndSpread) {
  RedeliveryPolicy policy;
  policy.jitter = 0.25;
  AckTracker tracker(policy);
  const MonoNanos start = 1'000'000'000;
  const MonoNanos wait = absl::ToInt64Nanoseconds(policy.AckWait(v1::P1));
  const std::string bytes = "deliver";
  zmq::message_t frame(bytes.data(), bytes.size());
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    tracker.OnDelivered(1, seq, "alert.jincheng.z03", "", v1::P1, frame, 1, start);
    tracker.OnSent(1, seq, start);
  }
  std::set<MonoNanos> dues;
  for (uint64_t seq = 1; seq <= 200; ++seq) {
    const PendingDelivery* d = tracker.Find(1, seq);
    ASSERT_NE(d, nullptr);
    EXPECT_GE(d->due, start + wait) << "a wait was shortened";
    EXPECT_LE(d->due, start + wait + wait / 4) << "a wait was stretched past the jitter";
    dues.insert(d->due);
  }
  // 200 copies sent together come due at (nearly) 200 different times.
  EXPECT_GT(dues.size(), 150u);
}

TEST(AckTrackerJitterTest, OneSessionGetsItsShareOfAPassAndTheRestLater) {
  RedeliveryPolicy policy;
  policy.per_session_per_pass = 3;
  AckTracker tracker(policy);
  const std::string bytes = "deliver";
  zmq::message_t frame(bytes.data(), bytes.size());
  const MonoNanos start = 1'000'000'000;
  // Session 1 has 10 copies due, session 2 has 2.
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    tracker.OnDelivered(1, seq, "alert.jincheng.z03", "", v1::P1, frame, 1, start);
    tracker.OnSent(1, seq, start);
  }
  for (uint64_t seq = 11; seq <= 12; ++seq) {
    tracker.OnDelivered(2, seq, "alert.jincheng.z03", "", v1::P1, frame, 1, start);
    tracker.OnSent(2, seq, start);
  }
  const MonoNanos due = start + absl::ToInt64Nanoseconds(policy.AckWait(v1::P1));
  std::map<SessionId, int> redelivered;
  tracker.Expire(due, [&](AckTracker::Action action, PendingDelivery& d) {
    EXPECT_EQ(action, AckTracker::Action::kRedeliver);
    ++redelivered[d.session];
  });
  EXPECT_EQ(redelivered[1], 3);
  EXPECT_EQ(redelivered[2], 2) << "the other session's copies waited behind the first's";
  EXPECT_EQ(tracker.postponed(), 7u);
  // The postponed ones come due a little later, still as first redeliveries.
  EXPECT_GT(tracker.NextDue(), due);
  redelivered.clear();
  tracker.Expire(tracker.NextDue(), [&](AckTracker::Action, PendingDelivery& d) {
    EXPECT_EQ(d.delivery_count, 2u);
    ++redelivered[d.session];
  });
  EXPECT_EQ(redelivered[1], 3);
}

}  // namespace
}  // namespace zonecast
