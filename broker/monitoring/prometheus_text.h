#pragma once
// RenderPrometheus: a MonitoringSnapshot in the Prometheus text exposition
// format 0.0.4, for GET /metrics. A pure function of the snapshot: the HTTP
// thread calls it on the immutable snapshot the core loop published.
//
// What comes out (every name prefixed zonecast_, families sorted by name,
// each family's samples together under one # HELP and one # TYPE):
//
//   stats.counters "errors.CODE"   zonecast_errors_total{code="CODE"}        counter
//                  "acks.LEVEL"    zonecast_acks_total{level="LEVEL"}        counter
//                  other k         zonecast_<k>_total                        counter
//   stats.gauges   k               zonecast_<k>                              gauge
//   stats.ready                    zonecast_ready (0/1)                      gauge
//   stats.uptime_s                 zonecast_uptime_seconds                   gauge
//   stats.version, broker_id       zonecast_build_info{version,broker_id} 1  gauge
//   labelled_gauges                zonecast_<name>{labels...}                gauge
//   latency                        zonecast_latency_seconds{stage,priority,zone,clock}
//                                                                            histogram
//
// Names: a character outside [a-zA-Z0-9_] becomes '_'. Keys ending in a unit
// abbreviation are renamed to base units, as Prometheus asks (and promtool's
// lint checks): "_ms" -> "_seconds" (value / 1000), "_us", "_ns" likewise,
// "_s" -> "_seconds". A plain gauge whose name is also a labelled family is
// left out: the labelled samples carry it, and a total beside them would be
// counted twice by sum(). Where two keys still map to one name, the first
// one rendered wins.
//
// Latency buckets (le, seconds): 0.0001 0.00025 0.0005 0.001 0.0025 0.005
// 0.01 0.025 0.05 0.1 0.25 0.5 1 2.5 5 10 30 60 120 300 600 1800 3600 +Inf.
// The LatencyHistogram has finer log-linear buckets (1/64 of a power of two);
// each of those counts towards a bound L when its midpoint is <= L, so a
// bound is exact to within one internal bucket width (1.6% of L). Values
// past 1 h count only in +Inf. The +Inf bucket and _count are the
// histogram's exact count, _sum its exact sum (seconds).
#include <string>

#include "absl/strings/string_view.h"
#include "monitoring/monitoring_snapshot.h"

namespace zonecast {

// The Content-Type of RenderPrometheus's output.
inline constexpr absl::string_view kPrometheusContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// The whole exposition, one sample per line, ending with a newline (0.0.4
// text has no "# EOF" line). Deterministic: the same snapshot gives the same
// bytes.
std::string RenderPrometheus(const MonitoringSnapshot& snapshot);
// The same from the parts, for a reader that amends the stats (the HTTP
// endpoint adds its own counters) without copying the histograms.
std::string RenderPrometheus(const v1::StatsSnapshot& stats,
                             const std::vector<LabelledGauge>& labelled_gauges,
                             const std::vector<LatencySeries>& latency);

}  // namespace zonecast
