#include "monitoring/prometheus_text.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "monitoring/latency_histogram.h"

namespace zonecast {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// Label values escape backslash, double quote and newline; HELP text only
// backslash and newline (text format 0.0.4).
std::string EscapeLabelValue(absl::string_view value) {
  return absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}
std::string EscapeHelp(absl::string_view help) {
  return absl::StrReplaceAll(help, {{"\\", "\\\\"}, {"\n", "\\n"}});
}

// [a-zA-Z_][a-zA-Z0-9_]*: every other character becomes '_', and a leading
// digit gets a '_' before it. (Metric names may also hold ':', but that is
// reserved for recording rules.)
std::string Sanitize(absl::string_view name) {
  std::string out;
  out.reserve(name.size() + 1);
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) out.push_back('_');
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    out.push_back(ok ? c : '_');
  }
  return out;
}

// The shortest digits that parse back to the same double, and the spellings
// Prometheus uses for the special values. Plain decimals from 1e-4 up (Go's
// clients write le="0.0001", and bucket bounds are matched as strings:
// le="1e-04" would be another series); exponents only for tiny or huge
// values.
std::string FormatDouble(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  const double magnitude = std::fabs(value);
  const bool fixed = magnitude == 0 || (magnitude >= 1e-4 && magnitude < 1e21);
  char buffer[64];  // fixed below 1e21: at most 21 integer or 22 fraction characters
  const std::to_chars_result result =
      fixed ? std::to_chars(buffer, buffer + sizeof(buffer), value, std::chars_format::fixed)
            : std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// A metric name from a stats key, in base units: "recovery_ms" becomes
// zonecast_recovery_seconds with its value scaled by 1e-3.
struct MetricName {
  std::string name;
  double scale = 1;  // multiply the key's value by this
};
MetricName NameFromKey(absl::string_view key) {
  static constexpr std::pair<absl::string_view, double> kUnitSuffixes[] = {
      {"_ms", 1e-3}, {"_us", 1e-6}, {"_ns", 1e-9}, {"_s", 1}};
  MetricName out{absl::StrCat("zonecast_", Sanitize(key))};
  for (const auto& [suffix, scale] : kUnitSuffixes) {
    if (absl::EndsWith(out.name, suffix)) {
      out.name.resize(out.name.size() - suffix.size());
      out.name += "_seconds";
      out.scale = scale;
      break;
    }
  }
  return out;
}

template <typename Int>
std::string FormatScaled(Int value, double scale) {
  return scale == 1 ? absl::StrCat(value) : FormatDouble(static_cast<double>(value) * scale);
}

// PrometheusWriter collects samples per family and writes each family once,
// families sorted by name: the text format does not allow a family to be
// split, and sorting makes the output stable whatever order the snapshot's
// maps iterate in.
class PrometheusWriter {
 public:
  // Declares family `name` (a valid metric name) with its type and HELP
  // text. A later declaration of the same name and type is a no-op; one with
  // another type returns false and declares nothing.
  bool Declare(const std::string& name, MetricType type, absl::string_view help) {
    const auto [it, inserted] = families_.try_emplace(name);
    if (inserted) {
      it->second.type = type;
      it->second.help = std::string(help);
      return true;
    }
    return it->second.type == type;
  }

  bool Has(const std::string& name) const { return families_.contains(name); }

  // Adds `family``suffix`{labels} value. REQUIRES: `family` was declared.
  // `suffix` is empty, or _bucket/_sum/_count for a histogram. A second
  // sample with the same name and labels is dropped: Prometheus rejects a
  // scrape's duplicate samples (promtool 2.42 does not notice them).
  void Add(const std::string& family, absl::string_view suffix, const Labels& labels,
           absl::string_view value) {
    auto it = families_.find(family);
    if (it == families_.end()) return;
    std::string series = absl::StrCat(family, suffix);
    if (!labels.empty()) {
      series.push_back('{');
      for (size_t i = 0; i < labels.size(); ++i) {
        absl::StrAppend(&series, i == 0 ? "" : ",", Sanitize(labels[i].first), "=\"",
                        EscapeLabelValue(labels[i].second), "\"");
      }
      series.push_back('}');
    }
    if (!it->second.series.insert(series).second) return;
    absl::StrAppend(&it->second.lines, series, " ", value, "\n");
  }

  std::string Finish() const {
    std::string out;
    for (const auto& [name, family] : families_) {
      if (family.lines.empty()) continue;
      absl::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(family.help), "\n", "# TYPE ", name,
                      " ", TypeName(family.type), "\n", family.lines);
    }
    return out;
  }

 private:
  struct Family {
    MetricType type = MetricType::kGauge;
    std::string help;
    std::string lines;  // rendered samples, in the order added
    absl::flat_hash_set<std::string> series;
  };
  std::map<std::string, Family> families_;
};

// HELP text of the counters and gauges we know; others get a generic line.
constexpr std::pair<absl::string_view, absl::string_view> kCounterHelp[] = {
    {"http_connections", "HTTP connections accepted by the monitoring endpoint."},
    {"http_connections_rejected",
     "HTTP connections closed at once: over the endpoint's connection limit."},
    {"http_accept_errors", "HTTP accepts that failed (out of file descriptors, ...), retried."},
    {"http_handler_errors", "HTTP requests whose handler threw or returned a bad response."},
    {"http_malformed", "HTTP requests that did not parse (answered 400, closed)."},
    {"http_timeouts", "HTTP connections closed for an idle, request or write timeout."},
    {"http_responses_2xx", "HTTP responses with a 2xx status."},
    {"http_responses_3xx", "HTTP responses with a 3xx status."},
    {"http_responses_4xx", "HTTP responses with a 4xx status."},
    {"http_responses_5xx", "HTTP responses with a 5xx status."},
    {"journal_records", "Records written to the journal."},
    {"journal_bytes_written", "Bytes written to the journal."},
    {"journal_segments_deleted", "Journal segments deleted by retention."},
    {"latency_negative_cross_clock",
     "Cross-clock latency samples below zero (a publisher's clock ahead of the broker's), "
     "recorded as 0."},
    {"match_cache_hits", "Topic lookups answered by the match cache."},
    {"match_cache_misses", "Topic lookups that walked the subscription trie."},
    {"match_cache_evictions", "Match cache entries evicted for room."},
    {"match_cache_invalidations", "Match cache flushes after a subscription change."},
    {"frames_received", "Frames read from the socket."},
    {"frames_sent", "Frames written to the socket."},
    {"bytes_received", "Bytes of frames read from the socket."},
    {"bytes_sent", "Bytes of frames written to the socket."},
    {"sessions_opened", "Sessions that completed Hello."},
    {"sessions_closed", "Sessions that ended, for any reason."},
    {"session_takeovers", "Sessions replaced by a new connection of the same unit."},
    {"stale_hellos",
     "Hellos a client had already retried on a newer connection, refused instead of taking "
     "its session back to the abandoned one."},
    {"heartbeat_timeouts", "Sessions closed because their heartbeats stopped."},
    {"sessions_unconfirmed",
     "Sessions closed silent since their Welcome: the peer never used them (most often a "
     "terminal that had already reconnected on a new connection)."},
    {"alerts_placed",
     "Alerts published to alert.<city> that the broker placed in a zone by their location."},
    {"alerts_on_border",
     "Placed alerts whose location is on a border: sent to every zone that shares it."},
    {"alerts_outside_zones",
     "Alerts refused because their location is in no zone of the map (UNKNOWN_ZONE)."},
    {"positions_not_kept",
     "Radio positions not kept as a unit's last: out of range, or too many units."},
    {"connections_closed",
     "TCP connections that closed, for any reason: a client leaving, a network loss, or "
     "ZeroMQ dropping a message over --transport_max_bytes (it does not say which)."},
    {"heartbeat_timeouts_deferred",
     "Heartbeat judgements put off because the broker itself heard almost nobody (behind on "
     "its input)."},
    {"peer_unreachable", "Sends that failed because the peer was gone."},
    {"published_durable", "Durable publishes accepted (journaled before the PubAck)."},
    {"published_best_effort", "Best-effort publishes accepted."},
    {"published_no_interest", "Publishes that matched no subscriber."},
    {"delivered", "Message copies sent to subscribers."},
    {"acks_received", "Acks received from terminals, all levels."},
    {"subscriptions_added", "Subscriptions added."},
    {"subscriptions_removed", "Subscriptions removed."},
    {"send_would_block", "Sends deferred because a peer's pipe was full."},
    {"dropped_best_effort", "Best-effort messages dropped for slow consumers."},
    {"dropped_behind",
     "Queued durable messages given up by sessions marked behind "
     "(they replay from the journal)."},
    {"retained_over_limit", "P1 messages kept although the queue was over its limit."},
    {"slow_consumer_detected", "Sessions whose queue crossed the high watermark."},
    {"slow_consumer_recovered", "Slow sessions whose queue drained below the low watermark."},
    {"errors_sent", "Error frames sent."},
    {"errors_unsent", "Error frames that could not be sent."},
    {"protocol_errors", "Frames rejected as protocol violations."},
    {"duplicates", "Publishes recognised as duplicates and not routed again."},
    {"alerts_ended", "Alerts the center cancelled or closed."},
    {"alerts_amended", "Amendments of open alerts by the center (text, priority or location)."},
    {"alerts_assigned", "Assignments of open alerts to a unit by the center."},
    {"alerts_held", "P1 alerts and emergencies the journal could not store, sent live and held."},
    {"alerts_held_stored", "Held P1 alerts and emergencies stored once the journal healed."},
    {"alert_id_conflicts",
     "Alerts refused with ALERT_ID_CONFLICT: their id was used for another alert."},
    {"publishes_unknown_zone",
     "Alerts refused with UNKNOWN_ZONE: a city or zone the zones map does not have."},
    {"storage_failures", "Publishes refused because the journal failed."},
    {"history_requests", "History requests served."},
    {"replays_started", "Replays from the journal started."},
    {"replayed", "Messages sent again from the journal."},
    {"redelivered", "Durable messages redelivered after no RECEIVED ack."},
    {"redeliveries_postponed",
     "Redeliveries put off because their session had its share of the loop turn."},
    {"dead_lettered", "Durable messages given up after the last redelivery."},
    {"sessions_expired", "Durable sessions expired after being away too long."},
    {"escalations", "Alerts escalated because nobody responded in time."},
    {"emergencies", "Emergency button presses received."},
    {"timeline_requests", "Alert timeline requests served."},
    {"catch_up_replays", "Replays for terminals catching up after reconnecting."},
    {"auth_accepted", "CURVE clients whose key the keys file binds to an identity."},
    {"auth_refused_unknown_key", "CURVE clients refused: their key is in no grant."},
    {"auth_refused_malformed", "Authentication requests that were not CURVE requests."},
    {"handshakes_failed_plain",
     "Connections refused for speaking another security mechanism (plain at CURVE)."},
    {"handshakes_failed_protocol", "Connections whose handshake broke the protocol."},
    {"handshakes_failed_refused", "Connections closed after their key was refused."},
    {"identity_mismatches", "Hellos naming another role or unit than the key's identity."},
    {"keys_reloads", "Keys files reloaded on SIGHUP."},
    {"keys_reload_failures", "Keys files rejected on SIGHUP (the previous one stayed in force)."},
    {"sessions_revoked", "Sessions cut because a reload revoked their key."},
    {"subscriptions_revoked", "Subscriptions dropped because a reload narrowed their grants."},
    {"audit_events", "Lines written to the audit log."},
    {"audit_failures", "Audit log lines that could not be written."},
    {"sessions_refused", "Hellos refused because the broker held --max_sessions sessions."},
    {"publishes_rate_limited", "Publishes refused over a session's --publish_rate."},
    {"replies_dropped",
     "Error replies dropped because the session left --session_reply_bytes of replies unread."},
    {"sessions_cut_unread_replies",
     "Sessions ended because their unread replies went over --session_reply_bytes or "
     "--replies_total_bytes."},
    {"publishes_storage_busy",
     "Durable publishes refused with STORAGE_BUSY while the journal was too far behind the "
     "disk."},
    {"history_requests_refused",
     "History or timeline requests refused while the session had too many unanswered."},
    {"journal_batches", "Batches written to the journal."},
    {"journal_fsyncs", "fdatasync calls on the journal."},
    {"journal_failures", "Journal writes or syncs that failed."},
    {"http_requests", "Requests served by the monitoring HTTP endpoint."},
};

constexpr std::pair<absl::string_view, absl::string_view> kGaugeHelp[] = {
    {"sessions", "Sessions online."},
    {"sessions_slow", "Sessions currently marked slow."},
    {"sessions_replaying", "Terminals being replayed from the journal (live messages held)."},
    {"queued_messages", "Messages waiting in session queues."},
    {"queued_bytes", "Bytes waiting in session queues."},
    {"subscriptions", "Active subscriptions."},
    {"journal_bytes", "Bytes in the journal's segments."},
    {"journal_segments", "Journal segment files."},
    {"journal_healthy",
     "1 while the journal accepts writes, 0 from a failure until a write succeeds again."},
    {"recovery_damaged_segments",
     "Journal segments the last start found damaged (set aside, good prefix kept)."},
    {"recovery_losses",
     "Stored records the last start found missing without damage (a segment cut or removed)."},
    {"durable_lag", "Durable publishes waiting for the disk."},
    {"journal_inflight_bytes",
     "Journal bytes handed to the writer and not yet on disk (over --max_inflight_bytes: "
     "STORAGE_BUSY)."},
    {"pending_acks", "Deliveries sent and not yet acknowledged RECEIVED."},
    {"open_alerts",
     "Alerts not resolved, cancelled or closed yet: the open alerts of /v1/alerts?state=open."},
    {"alerts_awaiting_response",
     "Open alerts nobody has taken yet: each has an escalation step to come."},
    {"alerts_held_unstored",
     "P1 alerts and emergencies sent live but not stored yet (the journal cannot store): lost "
     "if the broker dies before the disk heals."},
    {"sessions.center", "Center consoles online."},
    {"sessions.terminal", "Patrol terminals online."},
    {"sessions.probe", "Probes online."},
    {"dedup_entries", "Alert ids in the dedup window."},
    {"durable_sessions", "Terminals' durable sessions kept by the journal (online or away)."},
    {"latency_tracked_messages", "Durable messages whose latency stages are still followed."},
    {"match_cache_entries", "Topics in the match cache."},
    {"trie_nodes", "Nodes of the subscription trie."},
    {"recovery_records", "Journal records the last start read."},
    {"recovery_torn_tails", "Torn tails (a write cut short) the last start cut off."},
    {"recovery_torn_bytes", "Bytes of torn tails the last start cut off."},
    {"http_open_connections", "HTTP connections open on the monitoring endpoint."},
    {"last_seq", "Sequence number of the last journaled message."},
    {"recovery_ms", "Time the last start spent recovering the journal, in seconds."},
};

template <size_t N>
std::string HelpFor(const std::pair<absl::string_view, absl::string_view> (&table)[N],
                    absl::string_view key, absl::string_view kind) {
  for (const auto& [name, help] : table) {
    if (name == key) return std::string(help);
  }
  return absl::StrCat("zonecast ", kind, " ", key);
}

template <typename Map>
std::vector<std::pair<std::string, typename Map::mapped_type>> Sorted(const Map& map) {
  std::vector<std::pair<std::string, typename Map::mapped_type>> out;
  out.reserve(map.size());
  for (const auto& [key, value] : map) out.emplace_back(key, value);
  std::sort(out.begin(), out.end());
  return out;
}

void AddCounters(const v1::StatsSnapshot& stats, PrometheusWriter& writer) {
  const std::string errors = "zonecast_errors_total";
  const std::string acks = "zonecast_acks_total";
  writer.Declare(errors, MetricType::kCounter, "Error frames sent, by error code.");
  writer.Declare(acks, MetricType::kCounter, "Acks received from terminals, by level.");
  for (const auto& [key, value] : Sorted(stats.counters())) {
    if (absl::StartsWith(key, "errors.")) {
      writer.Add(errors, "", {{"code", key.substr(7)}}, absl::StrCat(value));
      continue;
    }
    if (absl::StartsWith(key, "acks.")) {
      writer.Add(acks, "", {{"level", key.substr(5)}}, absl::StrCat(value));
      continue;
    }
    MetricName metric = NameFromKey(key);
    if (!absl::EndsWith(metric.name, "_total")) metric.name += "_total";
    if (!writer.Declare(metric.name, MetricType::kCounter, HelpFor(kCounterHelp, key, "counter"))) {
      continue;
    }
    writer.Add(metric.name, "", {}, FormatScaled(value, metric.scale));
  }
}

void AddGauges(const v1::StatsSnapshot& stats, PrometheusWriter& writer) {
  for (const auto& [key, value] : Sorted(stats.gauges())) {
    const MetricName metric = NameFromKey(key);
    // A labelled family of the same name already carries this value split
    // by its labels (see the header).
    if (writer.Has(metric.name)) continue;
    writer.Declare(metric.name, MetricType::kGauge, HelpFor(kGaugeHelp, key, "gauge"));
    writer.Add(metric.name, "", {}, FormatScaled(value, metric.scale));
  }
}

void AddLabelledGauges(const std::vector<LabelledGauge>& gauges, PrometheusWriter& writer) {
  std::vector<const LabelledGauge*> sorted;
  sorted.reserve(gauges.size());
  for (const LabelledGauge& g : gauges) sorted.push_back(&g);
  std::sort(sorted.begin(), sorted.end(), [](const LabelledGauge* a, const LabelledGauge* b) {
    return std::tie(a->name, a->labels) < std::tie(b->name, b->labels);
  });
  for (const LabelledGauge* g : sorted) {
    const MetricName metric = NameFromKey(g->name);
    if (!writer.Declare(metric.name, MetricType::kGauge, HelpFor(kGaugeHelp, g->name, "gauge"))) {
      continue;
    }
    writer.Add(metric.name, "", g->labels, FormatScaled(g->value, metric.scale));
  }
}

// Upper bounds of the exported latency buckets, in seconds (+Inf follows).
constexpr double kLatencyBoundsSeconds[] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,  0.25, 0.5,
    1,      2.5,     5,      10,    30,     60,    120,  300,   600,  1800, 3600};

void AddHistogram(const std::string& family, const Labels& labels, const LatencyHistogram& h,
                  PrometheusWriter& writer) {
  const std::string bucket = "_bucket";
  Labels with_le = labels;
  with_le.emplace_back("le", "");
  // One pass over the internal buckets: their midpoints increase with the
  // index, so each bound takes the buckets after the previous bound's and
  // the counts are cumulative and monotonic by construction.
  int next = 0;
  uint64_t cumulative = 0;
  // Values past LatencyHistogram::kMaxNanos (1 h) sit in its top bucket,
  // whose midpoint is below 1 h; they belong only in +Inf.
  const uint64_t finite = h.count() - h.overflow();
  for (const double bound_seconds : kLatencyBoundsSeconds) {
    const auto bound_nanos = static_cast<int64_t>(std::llround(bound_seconds * 1e9));
    // midpoint <= bound, without rounding: lower + upper <= 2 * bound.
    while (next < LatencyHistogram::kBucketCount &&
           LatencyHistogram::BucketLower(next) + LatencyHistogram::BucketUpper(next) <=
               2 * bound_nanos) {
      cumulative += h.bucket_count(next);
      ++next;
    }
    with_le.back().second = FormatDouble(bound_seconds);
    writer.Add(family, bucket, with_le, absl::StrCat(std::min(cumulative, finite)));
  }
  with_le.back().second = "+Inf";
  writer.Add(family, bucket, with_le, absl::StrCat(h.count()));
  writer.Add(family, "_sum", labels, FormatDouble(h.sum() / 1e9));
  writer.Add(family, "_count", labels, absl::StrCat(h.count()));
}

void AddLatency(const std::vector<LatencySeries>& series, PrometheusWriter& writer) {
  const std::string family = "zonecast_latency_seconds";
  if (series.empty()) return;
  writer.Declare(family, MetricType::kHistogram,
                 "Durable message latency by stage (routing, durable, delivery_rtt, end_to_end, "
                 "response_*), priority and zone. clock=\"cross\" spans two machines' clocks.");
  std::vector<const LatencySeries*> sorted;
  sorted.reserve(series.size());
  for (const LatencySeries& s : series) sorted.push_back(&s);
  const auto key = [](const LatencySeries* s) { return std::tie(s->stage, s->priority, s->zone); };
  std::sort(sorted.begin(), sorted.end(),
            [&key](const LatencySeries* a, const LatencySeries* b) { return key(a) < key(b); });
  // Series with the same labels (not expected) are merged: one series each.
  std::unique_ptr<LatencyHistogram> merged;
  for (size_t i = 0; i < sorted.size();) {
    const LatencySeries& first = *sorted[i];
    size_t end = i + 1;
    while (end < sorted.size() && key(sorted[end]) == key(&first)) ++end;
    const LatencyHistogram* h = &first.histogram;
    if (end - i > 1) {
      if (!merged) merged = std::make_unique<LatencyHistogram>();
      merged->Reset();
      for (size_t j = i; j < end; ++j) merged->Merge(sorted[j]->histogram);
      h = merged.get();
    }
    AddHistogram(family,
                 {{"stage", LatencyStageName(first.stage)},
                  {"priority", absl::StrCat("P", first.priority)},
                  {"zone", first.zone},
                  {"clock", LatencyStageClock(first.stage)}},
                 *h, writer);
    i = end;
  }
}

}  // namespace

std::string RenderPrometheus(const MonitoringSnapshot& snapshot) {
  return RenderPrometheus(snapshot.stats, snapshot.labelled_gauges, snapshot.latency);
}

std::string RenderPrometheus(const v1::StatsSnapshot& stats,
                             const std::vector<LabelledGauge>& labelled_gauges,
                             const std::vector<LatencySeries>& latency) {
  PrometheusWriter writer;
  // Fixed families first, then labelled gauges (so that AddGauges sees them),
  // then the rest; the first family to claim a name keeps it.
  writer.Declare("zonecast_ready", MetricType::kGauge,
                 "1 when the broker is ready to accept publishes, else 0.");
  writer.Add("zonecast_ready", "", {}, stats.ready() ? "1" : "0");
  writer.Declare("zonecast_uptime_seconds", MetricType::kGauge,
                 "Seconds since the broker started.");
  writer.Add("zonecast_uptime_seconds", "", {}, FormatDouble(stats.uptime_s()));
  writer.Declare("zonecast_build_info", MetricType::kGauge,
                 "Always 1; the labels say which broker and version.");
  writer.Add("zonecast_build_info", "",
             {{"version", stats.version()}, {"broker_id", stats.broker_id()}}, "1");
  AddLabelledGauges(labelled_gauges, writer);
  AddLatency(latency, writer);
  AddCounters(stats, writer);
  AddGauges(stats, writer);
  return writer.Finish();
}

}  // namespace zonecast
