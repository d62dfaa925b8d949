#pragma once
// A LatencySeries with the given samples (nanoseconds), for the tests of
// what reads series: SummarizeLatency and the Prometheus exposition.
#include <string>
#include <utility>
#include <vector>

#include "monitoring/monitoring_snapshot.h"

namespace zonecast {

inline LatencySeries Series(LatencyStage stage, int priority, std::string zone,
                            const std::vector<int64_t>& nanos) {
  LatencySeries s;
  s.stage = stage;
  s.priority = priority;
  s.zone = std::move(zone);
  for (const int64_t v : nanos) s.histogram.Record(v);
  return s;
}

}  // namespace zonecast
