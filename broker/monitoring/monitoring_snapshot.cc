#include "monitoring/monitoring_snapshot.h"

#include <algorithm>
#include <memory>
#include <tuple>

#include "absl/strings/str_cat.h"

namespace zonecast {
namespace {

constexpr double kNanosPerMilli = 1e6;

double Millis(int64_t nanos) { return static_cast<double>(nanos) / kNanosPerMilli; }

void Fill(const LatencyHistogram& h, v1::LatencySummary* out) {
  out->set_count(h.count());
  out->set_p50_ms(Millis(h.Percentile(0.50)));
  out->set_p90_ms(Millis(h.Percentile(0.90)));
  out->set_p99_ms(Millis(h.Percentile(0.99)));
  out->set_p999_ms(Millis(h.Percentile(0.999)));
  out->set_max_ms(Millis(h.max()));
  out->set_min_ms(Millis(h.min()));
  out->set_mean_ms(h.count() == 0 ? 0.0
                                  : h.sum() / static_cast<double>(h.count()) / kNanosPerMilli);
}

}  // namespace

const char* LatencyStageName(LatencyStage stage) {
  switch (stage) {
    case LatencyStage::kRouting:
      return "routing";
    case LatencyStage::kDurable:
      return "durable";
    case LatencyStage::kDeliveryRtt:
      return "delivery_rtt";
    case LatencyStage::kEndToEnd:
      return "end_to_end";
    case LatencyStage::kResponseAccepted:
      return "response_accepted";
    case LatencyStage::kResponseEnRoute:
      return "response_en_route";
    case LatencyStage::kResponseOnScene:
      return "response_on_scene";
    case LatencyStage::kResponseResolved:
      return "response_resolved";
    case LatencyStage::kPubAck:
      return "pub_ack";
    case LatencyStage::kCatchUp:
      return "catch_up";
  }
  return "unknown";
}

const char* LatencyStageClock(LatencyStage stage) {
  return stage == LatencyStage::kEndToEnd || stage == LatencyStage::kPubAck ||
                 stage == LatencyStage::kCatchUp
             ? "cross"
             : "broker";
}

void SummarizeLatency(const std::vector<LatencySeries>& series, v1::StatsSnapshot* stats) {
  // Sort pointers, not the series: each holds an ~18 KiB histogram.
  std::vector<const LatencySeries*> sorted;
  sorted.reserve(series.size());
  for (const LatencySeries& s : series) sorted.push_back(&s);
  std::sort(sorted.begin(), sorted.end(), [](const LatencySeries* a, const LatencySeries* b) {
    return std::tie(a->stage, a->priority, a->zone) < std::tie(b->stage, b->priority, b->zone);
  });

  for (const LatencySeries* s : sorted) {
    v1::LatencySummary* summary = stats->add_latency();
    summary->set_stage(LatencyStageName(s->stage));
    summary->set_priority(absl::StrCat("P", s->priority));
    summary->set_zone(s->zone);
    summary->set_clock(LatencyStageClock(s->stage));
    Fill(s->histogram, summary);
  }

  // `sorted` groups each stage's series together, in enum order. One merged
  // histogram at a time, on the heap (too large for the stack).
  auto merged = std::make_unique<LatencyHistogram>();
  for (size_t i = 0; i < sorted.size();) {
    const LatencyStage stage = sorted[i]->stage;
    merged->Reset();
    for (; i < sorted.size() && sorted[i]->stage == stage; ++i) merged->Merge(sorted[i]->histogram);
    v1::LatencySummary* summary = stats->add_latency_by_stage();
    summary->set_stage(LatencyStageName(stage));
    summary->set_clock(LatencyStageClock(stage));
    Fill(*merged, summary);
  }
  // And by stage and priority, all zones together (the wall's table).
  for (size_t i = 0; i < sorted.size();) {
    const LatencyStage stage = sorted[i]->stage;
    const int priority = sorted[i]->priority;
    merged->Reset();
    for (; i < sorted.size() && sorted[i]->stage == stage && sorted[i]->priority == priority; ++i) {
      merged->Merge(sorted[i]->histogram);
    }
    v1::LatencySummary* summary = stats->add_latency_by_priority();
    summary->set_stage(LatencyStageName(stage));
    summary->set_priority(absl::StrCat("P", priority));
    summary->set_clock(LatencyStageClock(stage));
    Fill(*merged, summary);
  }
}

}  // namespace zonecast
