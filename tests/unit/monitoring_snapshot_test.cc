#include "monitoring/monitoring_snapshot.h"

#include <iterator>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "latency_series_for_test.h"

namespace zonecast {
namespace {

constexpr int64_t kMilli = 1'000'000;

// A percentile is its bucket's midpoint: within 1/128 of the value.
void ExpectWithinBucket(double actual_ms, double expected_ms) {
  EXPECT_NEAR(actual_ms, expected_ms, expected_ms / 128) << "expected ~" << expected_ms;
}

class MonitoringSnapshotTest : public ::testing::Test {};

TEST_F(MonitoringSnapshotTest, StageNamesAndClocks) {
  const char* const names[] = {"routing",           "durable",           "delivery_rtt",
                               "end_to_end",        "response_accepted", "response_en_route",
                               "response_on_scene", "response_resolved", "pub_ack",
                               "catch_up"};
  static_assert(std::size(names) == kLatencyStageCount, "a name for every stage");
  for (int i = 0; i < kLatencyStageCount; ++i) {
    const auto stage = static_cast<LatencyStage>(i);
    EXPECT_STREQ(LatencyStageName(stage), names[i]);
    const bool cross = stage == LatencyStage::kEndToEnd || stage == LatencyStage::kPubAck ||
                       stage == LatencyStage::kCatchUp;
    EXPECT_STREQ(LatencyStageClock(stage), cross ? "cross" : "broker");
  }
}

TEST_F(MonitoringSnapshotTest, SeriesAreSortedByStagePriorityZone) {
  std::vector<LatencySeries> series;
  series.push_back(Series(LatencyStage::kDurable, 2, "b", {kMilli}));
  series.push_back(Series(LatencyStage::kEndToEnd, 1, "a", {kMilli}));
  series.push_back(Series(LatencyStage::kRouting, 1, "z", {kMilli}));
  series.push_back(Series(LatencyStage::kRouting, 3, "a", {kMilli}));
  series.push_back(Series(LatencyStage::kRouting, 1, "a", {kMilli}));
  v1::StatsSnapshot stats;
  SummarizeLatency(series, &stats);

  ASSERT_EQ(stats.latency_size(), 5);
  const std::vector<std::vector<std::string>> expected = {{"routing", "P1", "a", "broker"},
                                                          {"routing", "P1", "z", "broker"},
                                                          {"routing", "P3", "a", "broker"},
                                                          {"durable", "P2", "b", "broker"},
                                                          {"end_to_end", "P1", "a", "cross"}};
  for (int i = 0; i < stats.latency_size(); ++i) {
    const v1::LatencySummary& s = stats.latency(i);
    EXPECT_EQ((std::vector<std::string>{s.stage(), s.priority(), s.zone(), s.clock()}),
              expected[static_cast<size_t>(i)])
        << i;
    EXPECT_EQ(s.count(), 1u);
  }
  ASSERT_EQ(stats.latency_by_stage_size(), 3);
  EXPECT_EQ(stats.latency_by_stage(0).stage(), "routing");
  EXPECT_EQ(stats.latency_by_stage(0).count(), 3u);
  EXPECT_EQ(stats.latency_by_stage(1).stage(), "durable");
  EXPECT_EQ(stats.latency_by_stage(2).stage(), "end_to_end");
  EXPECT_EQ(stats.latency_by_stage(2).clock(), "cross");
}

TEST_F(MonitoringSnapshotTest, KnownSamplesGiveKnownPercentilesInMilliseconds) {
  std::vector<int64_t> values;
  for (int64_t ms = 1; ms <= 1000; ++ms) values.push_back(ms * kMilli);
  std::vector<LatencySeries> series;
  series.push_back(Series(LatencyStage::kRouting, 1, "lanhua", values));
  v1::StatsSnapshot stats;
  SummarizeLatency(series, &stats);

  ASSERT_EQ(stats.latency_size(), 1);
  const v1::LatencySummary& s = stats.latency(0);
  EXPECT_EQ(s.count(), 1000u);
  ExpectWithinBucket(s.p50_ms(), 500);
  ExpectWithinBucket(s.p90_ms(), 900);
  ExpectWithinBucket(s.p99_ms(), 990);
  ExpectWithinBucket(s.p999_ms(), 999);
  // Extremes and mean are exact.
  EXPECT_DOUBLE_EQ(s.min_ms(), 1.0);
  EXPECT_DOUBLE_EQ(s.max_ms(), 1000.0);
  EXPECT_DOUBLE_EQ(s.mean_ms(), 500.5);
}

TEST_F(MonitoringSnapshotTest, OneValueIsExactAtEveryPercentile) {
  std::vector<LatencySeries> series;
  series.push_back(Series(LatencyStage::kDurable, 4, "none", {5 * kMilli, 5 * kMilli}));
  v1::StatsSnapshot stats;
  SummarizeLatency(series, &stats);
  ASSERT_EQ(stats.latency_size(), 1);
  const v1::LatencySummary& s = stats.latency(0);
  EXPECT_EQ(s.priority(), "P4");
  // Percentiles are clamped to [min, max].
  for (const double p :
       {s.p50_ms(), s.p90_ms(), s.p99_ms(), s.p999_ms(), s.min_ms(), s.max_ms(), s.mean_ms()}) {
    EXPECT_DOUBLE_EQ(p, 5.0);
  }
}

TEST_F(MonitoringSnapshotTest, ByStageMergesEveryPriorityAndZone) {
  std::vector<LatencySeries> series;
  series.push_back(
      Series(LatencyStage::kRouting, 1, "lanhua", std::vector<int64_t>(10, 2 * kMilli)));
  series.push_back(Series(LatencyStage::kRouting, 2, "xigu", std::vector<int64_t>(30, 8 * kMilli)));
  series.push_back(Series(LatencyStage::kResponseAccepted, 1, "lanhua", {60'000 * kMilli}));
  v1::StatsSnapshot stats;
  SummarizeLatency(series, &stats);

  ASSERT_EQ(stats.latency_by_stage_size(), 2);
  const v1::LatencySummary& routing = stats.latency_by_stage(0);
  EXPECT_EQ(routing.stage(), "routing");
  EXPECT_EQ(routing.priority(), "");
  EXPECT_EQ(routing.zone(), "");
  EXPECT_EQ(routing.clock(), "broker");
  EXPECT_EQ(routing.count(), 40u);
  EXPECT_DOUBLE_EQ(routing.min_ms(), 2.0);
  EXPECT_DOUBLE_EQ(routing.max_ms(), 8.0);
  EXPECT_DOUBLE_EQ(routing.mean_ms(), (10 * 2.0 + 30 * 8.0) / 40);
  // The 20th of 40 values is an 8 ms one; its bucket's midpoint is clamped
  // to max. p10 would be 2 ms, but the summary has no p10.
  EXPECT_DOUBLE_EQ(routing.p50_ms(), 8.0);
  EXPECT_DOUBLE_EQ(routing.p99_ms(), 8.0);

  const v1::LatencySummary& accepted = stats.latency_by_stage(1);
  EXPECT_EQ(accepted.stage(), "response_accepted");
  EXPECT_EQ(accepted.count(), 1u);
  EXPECT_DOUBLE_EQ(accepted.p50_ms(), 60'000.0);
}

TEST_F(MonitoringSnapshotTest, NoSeriesNoSummaries) {
  v1::StatsSnapshot stats;
  SummarizeLatency({}, &stats);
  EXPECT_EQ(stats.latency_size(), 0);
  EXPECT_EQ(stats.latency_by_stage_size(), 0);
}

}  // namespace
}  // namespace zonecast
