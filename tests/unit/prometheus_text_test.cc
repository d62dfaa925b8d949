#include "monitoring/prometheus_text.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "latency_series_for_test.h"
#include "support/promtool.h"

namespace zonecast {
namespace {

using ::testing::Contains;
using ::testing::Not;

constexpr int64_t kMicro = 1'000;
constexpr int64_t kMilli = 1'000'000;
constexpr int64_t kSecond = 1'000'000'000;

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

// The family a sample line belongs to: its metric name, less a histogram
// suffix when `histograms` holds the base name.
std::string FamilyOf(const std::string& line, const std::set<std::string>& histograms) {
  std::string name = line.substr(0, line.find_first_of("{ "));
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    if (absl::EndsWith(name, suffix)) {
      std::string base = name.substr(0, name.size() - strlen(suffix));
      if (histograms.contains(base)) return base;
    }
  }
  return name;
}

// Skips (or fails, when ZONECAST_REQUIRE_PROMTOOL is set) without promtool.
#define EXPECT_PROMTOOL_ACCEPTS(text)                                         \
  do {                                                                        \
    const absl::Status status = testing::CheckWithPromtool(text);             \
    if (absl::IsFailedPrecondition(status)) {                                 \
      if (std::getenv("ZONECAST_REQUIRE_PROMTOOL") != nullptr) {              \
        FAIL() << "ZONECAST_REQUIRE_PROMTOOL is set: " << status;             \
      }                                                                       \
      GTEST_SKIP() << status;                                                 \
    }                                                                         \
    EXPECT_TRUE(status.ok()) << status << "\n--- exposition ---\n" << (text); \
  } while (false)

class PrometheusTextTest : public ::testing::Test {
 protected:
  // Every kind of input: plain and per-code counters, gauges (one in ms, one
  // shadowed by a labelled family), a label value that needs escaping and
  // two latency series with known samples.
  static MonitoringSnapshot FullSnapshot() {
    MonitoringSnapshot snapshot;
    v1::StatsSnapshot& stats = snapshot.stats;
    stats.set_broker_id("b1");
    stats.set_version("1.2.3");
    stats.set_ready(true);
    stats.set_uptime_s(12.5);
    auto& counters = *stats.mutable_counters();
    counters["published_durable"] = 7;
    counters["delivered"] = 11;
    counters["escalations"] = 0;
    counters["errors.MALFORMED_FRAME"] = 2;
    counters["errors.FRAME_TOO_LARGE"] = 1;
    counters["acks.RECEIVED"] = 5;
    counters["acks.ACCEPTED"] = 3;
    counters["weird.key-x"] = 4;
    auto& gauges = *stats.mutable_gauges();
    gauges["queued_messages"] = 4;
    gauges["recovery_ms"] = 1500;
    gauges["journal_healthy"] = 1;
    gauges["sessions"] = 9;  // shadowed by the labelled family
    snapshot.labelled_gauges.push_back({"sessions", {{"role", "terminal"}, {"zone", "lanhua"}}, 3});
    snapshot.labelled_gauges.push_back(
        {"sessions", {{"role", "center"}, {"zone", "we\"ird\\zo\nne"}}, 1});
    // Away from the bounds, where a sample's bucket midpoint could fall on
    // the other side of one (200 us counts towards le=0.00025, ...).
    snapshot.latency.push_back(
        Series(LatencyStage::kRouting, 1, "lanhua",
               {200 * kMicro, 400 * kMicro, 900 * kMicro, 3 * kMilli, 40 * kMilli}));
    // 2 h is past the histogram's range: only in +Inf.
    snapshot.latency.push_back(
        Series(LatencyStage::kEndToEnd, 2, "none", {2 * kSecond, 7 * kSecond, 7200 * kSecond}));
    return snapshot;
  }
};

TEST_F(PrometheusTextTest, CountersGaugesAndBuildInfo) {
  const std::vector<std::string> lines = Lines(RenderPrometheus(FullSnapshot()));
  for (const char* expected : {
           "# TYPE zonecast_published_durable_total counter",
           "zonecast_published_durable_total 7",
           "zonecast_delivered_total 11",
           "zonecast_escalations_total 0",
           "# TYPE zonecast_errors_total counter",
           "zonecast_errors_total{code=\"FRAME_TOO_LARGE\"} 1",
           "zonecast_errors_total{code=\"MALFORMED_FRAME\"} 2",
           "zonecast_acks_total{level=\"ACCEPTED\"} 3",
           "zonecast_acks_total{level=\"RECEIVED\"} 5",
           "# HELP zonecast_weird_key_x_total zonecast counter weird.key-x",
           "zonecast_weird_key_x_total 4",
           "# TYPE zonecast_queued_messages gauge",
           "zonecast_queued_messages 4",
           "zonecast_recovery_seconds 1.5",
           "zonecast_journal_healthy 1",
           "zonecast_ready 1",
           "zonecast_uptime_seconds 12.5",
           "zonecast_build_info{version=\"1.2.3\",broker_id=\"b1\"} 1",
           "# TYPE zonecast_sessions gauge",
           "zonecast_sessions{role=\"terminal\",zone=\"lanhua\"} 3",
           "zonecast_sessions{role=\"center\",zone=\"we\\\"ird\\\\zo\\nne\"} 1",
       }) {
    EXPECT_THAT(lines, Contains(expected));
  }
  EXPECT_THAT(lines, Not(Contains("zonecast_sessions 9")));
  EXPECT_THAT(lines, Not(Contains(::testing::HasSubstr("recovery_ms"))));
}

TEST_F(PrometheusTextTest, LatencyBucketsAreCumulativeAndExact) {
  const std::vector<std::string> lines = Lines(RenderPrometheus(FullSnapshot()));
  const std::string routing =
      "zonecast_latency_seconds_bucket{stage=\"routing\",priority=\"P1\",zone=\"lanhua\","
      "clock=\"broker\",le=";
  const std::map<std::string, int> routing_expected = {
      {"0.0001", 0}, {"0.00025", 1}, {"0.0005", 2}, {"0.001", 3}, {"0.0025", 3},
      {"0.005", 4},  {"0.025", 4},   {"0.05", 5},   {"3600", 5},  {"+Inf", 5}};
  for (const auto& [le, count] : routing_expected) {
    EXPECT_THAT(lines, Contains(absl::StrCat(routing, "\"", le, "\"} ", count)));
  }
  EXPECT_THAT(lines, Contains("zonecast_latency_seconds_sum{stage=\"routing\",priority=\"P1\","
                              "zone=\"lanhua\",clock=\"broker\"} 0.0445"));
  EXPECT_THAT(lines, Contains("zonecast_latency_seconds_count{stage=\"routing\",priority=\"P1\","
                              "zone=\"lanhua\",clock=\"broker\"} 5"));

  const std::string e2e =
      "zonecast_latency_seconds_bucket{stage=\"end_to_end\",priority=\"P2\",zone=\"none\","
      "clock=\"cross\",le=";
  const std::map<std::string, int> e2e_expected = {{"1", 0},    {"2.5", 1},  {"5", 1},   {"10", 2},
                                                   {"1800", 2}, {"3600", 2}, {"+Inf", 3}};
  for (const auto& [le, count] : e2e_expected) {
    EXPECT_THAT(lines, Contains(absl::StrCat(e2e, "\"", le, "\"} ", count)));
  }
  EXPECT_THAT(lines, Contains("zonecast_latency_seconds_sum{stage=\"end_to_end\",priority=\"P2\","
                              "zone=\"none\",clock=\"cross\"} 7209"));
  EXPECT_THAT(lines, Contains("zonecast_latency_seconds_count{stage=\"end_to_end\","
                              "priority=\"P2\",zone=\"none\",clock=\"cross\"} 3"));
}

TEST_F(PrometheusTextTest, EveryBucketSeriesIsMonotonicAndEndsAtCount) {
  // Many spread samples, so that most bounds see a change.
  MonitoringSnapshot snapshot;
  std::vector<int64_t> values;
  for (int64_t v = 500; v < 4'000 * kSecond; v = v * 11 / 10 + 1) values.push_back(v);
  snapshot.latency.push_back(Series(LatencyStage::kDeliveryRtt, 3, "xigu", values));
  const std::vector<std::string> lines = Lines(RenderPrometheus(snapshot));

  std::vector<uint64_t> counts;
  std::vector<std::string> bounds;
  for (const std::string& line : lines) {
    if (!absl::StartsWith(line, "zonecast_latency_seconds_bucket{")) continue;
    const size_t le = line.find("le=\"");
    bounds.push_back(line.substr(le + 4, line.find('"', le + 4) - le - 4));
    uint64_t count = 0;
    ASSERT_TRUE(absl::SimpleAtoi(line.substr(line.rfind(' ') + 1), &count)) << line;
    counts.push_back(count);
  }
  const std::vector<std::string> expected_bounds = {
      "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
      "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5",    "10",
      "30",     "60",      "120",    "300",   "600",    "1800",  "3600", "+Inf"};
  EXPECT_EQ(bounds, expected_bounds);
  ASSERT_EQ(counts.size(), expected_bounds.size());
  for (size_t i = 1; i < counts.size(); ++i) EXPECT_LE(counts[i - 1], counts[i]) << bounds[i];
  EXPECT_EQ(counts.back(), values.size());
  EXPECT_LT(counts[counts.size() - 2], values.size());  // some are past 1 h
  EXPECT_THAT(lines, Contains("zonecast_latency_seconds_count{stage=\"delivery_rtt\","
                              "priority=\"P3\",zone=\"xigu\",clock=\"broker\"} " +
                              std::to_string(values.size())));
}

TEST_F(PrometheusTextTest, FamiliesAreSortedWholeAndDeclaredOnce) {
  const std::string text = RenderPrometheus(FullSnapshot());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_FALSE(absl::StrContains(text, "# EOF"));

  std::set<std::string> histograms;
  std::vector<std::string> order;  // families in the order they appear
  std::map<std::string, int> help_count;
  std::map<std::string, int> type_count;
  for (const std::string& line : Lines(text)) {
    if (absl::StartsWith(line, "# HELP ") || absl::StartsWith(line, "# TYPE ")) {
      const std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(' ', 3));
      ASSERT_GE(parts.size(), 4u) << line;
      (parts[1] == "HELP" ? help_count : type_count)[parts[2]]++;
      if (parts[1] == "TYPE" && parts[3] == "histogram") histograms.insert(parts[2]);
      continue;
    }
    const std::string family = FamilyOf(line, histograms);
    EXPECT_EQ(help_count[family], 1) << line;
    EXPECT_EQ(type_count[family], 1) << line;
    if (order.empty() || order.back() != family) order.push_back(family);
  }
  // One run per family (no family split in two), in sorted order.
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(std::set<std::string>(order.begin(), order.end()).size(), order.size());
  for (const auto& [family, n] : type_count) EXPECT_EQ(n, 1) << family;
}

TEST_F(PrometheusTextTest, OutputIsDeterministic) {
  EXPECT_EQ(RenderPrometheus(FullSnapshot()), RenderPrometheus(FullSnapshot()));
}

TEST_F(PrometheusTextTest, HelpTextIsEscaped) {
  MonitoringSnapshot snapshot;
  (*snapshot.stats.mutable_counters())["back\\slash"] = 1;
  const std::vector<std::string> lines = Lines(RenderPrometheus(snapshot));
  EXPECT_THAT(lines, Contains("# HELP zonecast_back_slash_total zonecast counter back\\\\slash"));
  EXPECT_THAT(lines, Contains("zonecast_back_slash_total 1"));
}

TEST_F(PrometheusTextTest, EmptySnapshotStillSaysNotReady) {
  const std::vector<std::string> lines = Lines(RenderPrometheus(MonitoringSnapshot()));
  EXPECT_THAT(lines, Contains("zonecast_ready 0"));
  EXPECT_THAT(lines, Contains("zonecast_uptime_seconds 0"));
  EXPECT_THAT(lines, Not(Contains(::testing::HasSubstr("zonecast_latency_seconds"))));
  EXPECT_THAT(lines, Not(Contains(::testing::HasSubstr("zonecast_errors_total"))));
}

TEST_F(PrometheusTextTest, PromtoolAcceptsFullSnapshot) {
  EXPECT_PROMTOOL_ACCEPTS(RenderPrometheus(FullSnapshot()));
}

TEST_F(PrometheusTextTest, PromtoolAcceptsEmptySnapshot) {
  EXPECT_PROMTOOL_ACCEPTS(RenderPrometheus(MonitoringSnapshot()));
}

TEST_F(PrometheusTextTest, PromtoolAcceptsEveryKnownCounterAndGauge) {
  // Every name the broker emits, so that lint (units, _total) covers them all.
  MonitoringSnapshot snapshot;
  for (const char* name : {"frames_received",
                           "frames_sent",
                           "bytes_received",
                           "bytes_sent",
                           "sessions_opened",
                           "sessions_closed",
                           "session_takeovers",
                           "heartbeat_timeouts",
                           "heartbeat_timeouts_deferred",
                           "sessions_unconfirmed",
                           "alerts_placed",
                           "alerts_on_border",
                           "alerts_outside_zones",
                           "positions_not_kept",
                           "connections_closed",
                           "peer_unreachable",
                           "published_durable",
                           "published_best_effort",
                           "published_no_interest",
                           "delivered",
                           "acks_received",
                           "subscriptions_added",
                           "subscriptions_removed",
                           "send_would_block",
                           "dropped_best_effort",
                           "dropped_behind",
                           "retained_over_limit",
                           "slow_consumer_detected",
                           "slow_consumer_recovered",
                           "errors_sent",
                           "errors_unsent",
                           "protocol_errors",
                           "duplicates",
                           "storage_failures",
                           "history_requests",
                           "replays_started",
                           "replayed",
                           "redelivered",
                           "redeliveries_postponed",
                           "dead_lettered",
                           "sessions_expired",
                           "escalations",
                           "emergencies",
                           "timeline_requests",
                           "catch_up_replays",
                           "auth_accepted",
                           "auth_refused_unknown_key",
                           "auth_refused_malformed",
                           "handshakes_failed_plain",
                           "handshakes_failed_protocol",
                           "handshakes_failed_refused",
                           "identity_mismatches",
                           "keys_reloads",
                           "keys_reload_failures",
                           "sessions_revoked",
                           "subscriptions_revoked",
                           "audit_events",
                           "audit_failures",
                           "sessions_refused",
                           "publishes_rate_limited",
                           "replies_dropped",
                           "sessions_cut_unread_replies",
                           "history_requests_refused",
                           "publishes_storage_busy",
                           "journal_batches",
                           "journal_fsyncs",
                           "journal_failures",
                           "http_requests",
                           "errors.MALFORMED_FRAME",
                           "acks.RECEIVED"}) {
    (*snapshot.stats.mutable_counters())[name] = 1;
  }
  for (const char* name :
       {"sessions", "sessions_slow", "sessions_replaying", "queued_messages", "queued_bytes",
        "subscriptions", "journal_bytes", "journal_segments", "journal_healthy", "durable_lag",
        "pending_acks", "open_alerts", "last_seq", "recovery_ms", "recovery_damaged_segments",
        "journal_inflight_bytes", "recovery_losses"}) {
    (*snapshot.stats.mutable_gauges())[name] = 2;
  }
  const std::string text = RenderPrometheus(snapshot);
  EXPECT_FALSE(absl::StrContains(text, "zonecast counter ")) << "a counter lacks its HELP";
  EXPECT_FALSE(absl::StrContains(text, "zonecast gauge ")) << "a gauge lacks its HELP";
  EXPECT_PROMTOOL_ACCEPTS(text);
}

// The helper is only worth having if it fails on bad text. (promtool 2.42
// accepts a family split in two when the second part has no HELP/TYPE of its
// own, and duplicate samples: FamiliesAreSortedWholeAndDeclaredOnce checks
// those itself.)
TEST_F(PrometheusTextTest, PromtoolRejectsBadExpositions) {
  const std::string declared_twice =
      "# HELP zonecast_a_total a\n# TYPE zonecast_a_total counter\nzonecast_a_total{x=\"1\"} 1\n"
      "# HELP zonecast_b_total b\n# TYPE zonecast_b_total counter\nzonecast_b_total 1\n"
      "# HELP zonecast_a_total a\n# TYPE zonecast_a_total counter\nzonecast_a_total{x=\"2\"} 1\n";
  const std::string lint =
      "# HELP zonecast_a_ms a\n# TYPE zonecast_a_ms counter\nzonecast_a_ms 1\n";
  for (const std::string& bad : {declared_twice, lint}) {
    const absl::Status status = testing::CheckWithPromtool(bad);
    if (absl::IsFailedPrecondition(status)) {
      if (std::getenv("ZONECAST_REQUIRE_PROMTOOL") != nullptr) FAIL() << status;
      GTEST_SKIP() << status;
    }
    EXPECT_TRUE(absl::IsInternal(status)) << status;
  }
}

}  // namespace
}  // namespace zonecast
