#include "monitoring/latency_tracker.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace zonecast {
namespace {

constexpr int64_t kMs = 1'000'000;

const LatencySeries* Find(const std::vector<LatencySeries>& all, LatencyStage stage, int priority,
                          const std::string& zone) {
  for (const LatencySeries& s : all) {
    if (s.stage == stage && s.priority == priority && s.zone == zone) return &s;
  }
  return nullptr;
}

TEST(LatencyTrackerTest, EveryStageOfOneAlert) {
  LatencyTracker tracker;
  // ingress at 100 ms, durable at 102, first copy sent at 103, second at 104,
  // RECEIVED of the first at 110, ACCEPTED at 5 s, ON_SCENE at 60 s.
  tracker.OnDurable(7, "alert.jincheng.z07", v1::P1, 100 * kMs, 102 * kMs,
                    /*sent_unix_ms=*/1'000, /*alert=*/true);
  tracker.OnSent(7, 103 * kMs);
  tracker.OnSent(7, 104 * kMs);  // a second recipient: not a second routing sample
  tracker.OnReceived(7, 103 * kMs, 110 * kMs, /*now_unix_ms=*/1'012);
  tracker.OnResponse(7, v1::ACCEPTED, 5'000 * kMs);
  tracker.OnResponse(7, v1::ACCEPTED, 6'000 * kMs);  // a second officer: first one counts
  tracker.OnResponse(7, v1::ON_SCENE, 60'000 * kMs);

  const std::vector<LatencySeries> all = tracker.Series();
  auto value = [&](LatencyStage stage) -> int64_t {
    const LatencySeries* s = Find(all, stage, 1, "z07");
    if (s == nullptr || s->histogram.count() != 1) return -1;
    return s->histogram.max();
  };
  EXPECT_EQ(value(LatencyStage::kDurable), 2 * kMs);
  EXPECT_EQ(value(LatencyStage::kRouting), 3 * kMs);
  EXPECT_EQ(value(LatencyStage::kDeliveryRtt), 7 * kMs);
  EXPECT_EQ(value(LatencyStage::kEndToEnd), 12 * kMs);
  EXPECT_EQ(value(LatencyStage::kResponseAccepted), (5'000 - 103) * kMs);
  EXPECT_EQ(value(LatencyStage::kResponseOnScene), (60'000 - 103) * kMs);
  EXPECT_EQ(Find(all, LatencyStage::kResponseEnRoute, 1, "z07"), nullptr);
  EXPECT_EQ(all.size(), 6u);
}

// Publish -> PubAck from the publisher's own send time: what waited in
// sockets before the loop read the frame is in it.
TEST(LatencyTrackerTest, PubAckIsMeasuredFromThePublishersSend) {
  LatencyTracker tracker;
  tracker.OnDurable(1, "alert.jincheng.z10", v1::P1, 1, 2, /*sent_unix_ms=*/1'000, false);
  tracker.OnPubAck(1, /*now_unix_ms=*/1'750);
  tracker.OnDurable(2, "alert.jincheng.z10", v1::P1, 1, 2, /*sent_unix_ms=*/2'000, false);
  tracker.OnPubAck(2, /*now_unix_ms=*/1'990);
  const std::vector<LatencySeries> all = tracker.Series();
  const LatencySeries* s = Find(all, LatencyStage::kPubAck, 1, "z10");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->histogram.count(), 2u);
  EXPECT_EQ(s->histogram.max(), 750 * kMs);
  EXPECT_EQ(tracker.negative_cross_clock(), 1u);
}

// A terminal back after ten minutes away gets the alerts it missed in its
// replay: their end-to-end time is the absence, not the broker's latency,
// so it goes to catch_up and the live end_to_end stays clean.
TEST(LatencyTrackerTest, ReplayedCopiesAreCatchUpNotEndToEnd) {
  LatencyTracker tracker;
  tracker.OnDurable(3, "alert.jincheng.z10", v1::P1, 1, 2, /*sent_unix_ms=*/1'000, false);
  tracker.OnReceived(3, 2, 3, /*now_unix_ms=*/1'020);  // a unit online: live
  tracker.OnReceived(3, 600'000 * kMs, 600'001 * kMs, /*now_unix_ms=*/601'000,
                     /*replayed=*/true);  // a unit that was away
  const std::vector<LatencySeries> all = tracker.Series();
  const LatencySeries* live = Find(all, LatencyStage::kEndToEnd, 1, "z10");
  ASSERT_NE(live, nullptr);
  EXPECT_EQ(live->histogram.count(), 1u);
  EXPECT_EQ(live->histogram.max(), 20 * kMs);
  const LatencySeries* catch_up = Find(all, LatencyStage::kCatchUp, 1, "z10");
  ASSERT_NE(catch_up, nullptr);
  EXPECT_EQ(catch_up->histogram.count(), 1u);
  EXPECT_EQ(catch_up->histogram.max(), 600'000 * kMs);
  EXPECT_STREQ(LatencyStageName(LatencyStage::kCatchUp), "catch_up");
  EXPECT_STREQ(LatencyStageClock(LatencyStage::kCatchUp), "cross");
}

TEST(LatencyTrackerTest, CrossClockValuesBelowZeroAreCountedNotRecordedNegative) {
  LatencyTracker tracker;
  tracker.OnDurable(1, "alert.jincheng.z01", v1::P2, 1, 2, /*sent_unix_ms=*/5'000, false);
  tracker.OnSent(1, 3);
  tracker.OnReceived(1, 3, 4, /*now_unix_ms=*/4'990);  // publisher's clock 10 ms ahead
  EXPECT_EQ(tracker.negative_cross_clock(), 1u);
  const std::vector<LatencySeries> all = tracker.Series();
  const LatencySeries* e2e = Find(all, LatencyStage::kEndToEnd, 2, "z01");
  ASSERT_NE(e2e, nullptr);
  EXPECT_EQ(e2e->histogram.count(), 1u);
  EXPECT_EQ(e2e->histogram.max(), 0);
}

TEST(LatencyTrackerTest, TopicsWithoutZoneAndTooManyZones) {
  LatencyTracker::Limits limits;
  limits.zones = 4;  // "none", two named zones, "(other)"
  LatencyTracker tracker(limits);
  const std::vector<std::string> topics = {"escalation.jincheng", "alert.c.a", "alert.c.b",
                                           "alert.c.c", "alert.c.d"};
  uint64_t seq = 0;
  for (const std::string& topic : topics) {
    ++seq;
    tracker.OnDurable(seq, topic, v1::P3, 1, 2, 0, false);
    tracker.OnSent(seq, 5);
  }
  const std::vector<LatencySeries> all = tracker.Series();
  std::vector<std::string> zones;
  for (const LatencySeries& s : all) {
    if (s.stage == LatencyStage::kRouting) zones.push_back(s.zone);
  }
  EXPECT_EQ(zones, (std::vector<std::string>{"none", "a", "b", "(other)"}));
  const LatencySeries* other = Find(all, LatencyStage::kRouting, 3, "(other)");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->histogram.count(), 2u);
}

TEST(LatencyTrackerTest, MemoryIsBoundedAndOldMessagesAreForgotten) {
  LatencyTracker::Limits limits;
  limits.messages = 100;
  limits.alerts = 10;
  LatencyTracker tracker(limits);
  for (uint64_t seq = 1; seq <= 1000; ++seq) {
    tracker.OnDurable(seq, "alert.c.z", v1::P2, 1, 2, 0, true);
  }
  EXPECT_EQ(tracker.tracked_messages(), 100u);
  tracker.OnSent(1, 10);     // forgotten: no routing sample
  tracker.OnSent(1000, 10);  // recent: one sample
  const std::vector<LatencySeries> first = tracker.Series();
  const LatencySeries* routing = Find(first, LatencyStage::kRouting, 2, "z");
  ASSERT_NE(routing, nullptr);
  EXPECT_EQ(routing->histogram.count(), 1u);
  tracker.OnResponse(995, v1::ACCEPTED, 20);  // in the alert window but never sent: no sample
  tracker.OnResponse(1000, v1::ACCEPTED, 20);
  const std::vector<LatencySeries> second = tracker.Series();
  const LatencySeries* accepted = Find(second, LatencyStage::kResponseAccepted, 2, "z");
  ASSERT_NE(accepted, nullptr);
  EXPECT_EQ(accepted->histogram.count(), 1u);
}

}  // namespace
}  // namespace zonecast
