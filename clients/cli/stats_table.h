#pragma once
// The person-readable rendering of a broker's StatsSnapshot that `zonecast
// stats` prints. Kept apart from the command so tests can call it on a
// hand-built snapshot.
#include <string>

#include "zonecast/monitoring.pb.h"

namespace zonecast::cli {

// Renders `snapshot` as text, every line ending in '\n':
//
//   broker zc-1  version 0.1.0  up 1h02m03s  ready
//
//   latency (ms)
//   stage    priority  zone  clock   count    p50    p90    p99  p99.9    max
//   routing  all       all   broker     42  0.051  0.090  0.210  0.230  0.230
//   routing  P1        z03   broker     12  0.048  0.071  0.120  0.120  0.120
//
//   counters
//   publishes.accepted  42
//
//   gauges
//   sessions.terminal    3
//
// The header says "NOT READY: <reason>" when the broker is not ready. The
// latency table has the per-stage aggregates first (priority and zone
// "all", in the snapshot's order), then the per (stage, priority, zone)
// rows, ordered by stage as in the aggregates, then priority, then zone.
// Counters that are zero are left out; counters and gauges are sorted by
// name. Columns are aligned (names left, numbers right).
std::string FormatStatsTable(const v1::StatsSnapshot& snapshot);

}  // namespace zonecast::cli
