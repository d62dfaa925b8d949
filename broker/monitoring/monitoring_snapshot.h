#pragma once
// MonitoringSnapshot: an immutable picture of the broker that the core loop
// builds and publishes, and that the HTTP thread (and sys.stats) render.
// The loop never waits for a reader: it swaps in a new shared_ptr and readers
// keep the old one as long as they need it.
#include <cstdint>
#include <string>
#include <vector>

#include "common/clock.h"
#include "monitoring/latency_histogram.h"
#include "zonecast/monitoring.pb.h"

namespace zonecast {

// The stages of a durable message that are timed (see monitoring.proto
// LatencySummary.stage for their meaning).
enum class LatencyStage : uint8_t {
  kRouting,
  kDurable,
  kDeliveryRtt,
  kEndToEnd,
  kResponseAccepted,
  kResponseEnRoute,
  kResponseOnScene,
  kResponseResolved,
  kPubAck,
  kCatchUp,  // end_to_end of a copy replayed to a terminal that was away
};
inline constexpr int kLatencyStageCount = 10;

// "routing", "durable", "delivery_rtt", "end_to_end", "response_accepted", ...
const char* LatencyStageName(LatencyStage stage);
// "cross" for end_to_end and pub_ack (publisher wall clock to broker wall
// clock), else
// "broker" (the broker's monotonic clock at both ends).
const char* LatencyStageClock(LatencyStage stage);

// One histogram series: a stage, a priority and a zone.
struct LatencySeries {
  LatencyStage stage = LatencyStage::kRouting;
  int priority = 0;  // 1..4 (v1::Priority)
  std::string zone;  // zone token, "none" for topics without one, "(other)" past the zone limit
  LatencyHistogram histogram;
};

// A gauge with labels, e.g. sessions{role="terminal",zone="lanhua"}.
struct LabelledGauge {
  std::string name;                                         // e.g. "sessions"
  std::vector<std::pair<std::string, std::string>> labels;  // in output order
  int64_t value = 0;
};

// Parts of a snapshot that cost more than the rest and are built only when a
// reader asks for them: a list of every session, and of every open alert
// (ten thousand alerts take the loop tens of milliseconds to copy, which a
// scrape of /metrics every 100 ms must not pay).
enum SnapshotPart : uint32_t {
  kSnapshotSessions = 1,
  kSnapshotOpenAlerts = 2,
};

struct MonitoringSnapshot {
  uint64_t generation = 0;  // increases with every snapshot the loop publishes
  uint32_t parts = 0;       // SnapshotPart bits: which optional lists are filled
  MonoNanos built_at = 0;   // broker monotonic clock
  // counters, gauges, ready flag, broker id, uptime. Its latency lists are
  // empty here: readers compute them from `latency` (SummarizeLatency).
  v1::StatsSnapshot stats;
  std::vector<LabelledGauge> labelled_gauges;
  std::vector<LatencySeries> latency;  // only series with samples
  v1::SessionList sessions;            // kSnapshotSessions
  v1::AlertStatusList open_alerts;     // kSnapshotOpenAlerts
};

// Fills stats->latency (per series) and stats->latency_by_stage (merged)
// from the series.
void SummarizeLatency(const std::vector<LatencySeries>& series, v1::StatsSnapshot* stats);

}  // namespace zonecast
