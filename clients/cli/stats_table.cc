#include "stats_table.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

namespace zonecast::cli {
namespace {

// A table of text cells; `numeric[i]` right-aligns column i. The first row
// is the heading. Columns are separated by two spaces, lines carry no
// trailing spaces.
std::string RenderTable(const std::vector<std::vector<std::string>>& rows,
                        const std::vector<bool>& numeric) {
  std::vector<size_t> widths(numeric.size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      if (i > 0) line += "  ";
      const std::string pad(widths[i] - row[i].size(), ' ');
      absl::StrAppend(&line, numeric[i] ? pad : "", row[i], numeric[i] ? "" : pad);
    }
    absl::StrAppend(&out, absl::StripTrailingAsciiWhitespace(line), "\n");
  }
  return out;
}

std::string Uptime(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  auto total = static_cast<uint64_t>(seconds);
  const uint64_t days = total / 86400;
  const uint64_t hours = total / 3600 % 24;
  const uint64_t minutes = total / 60 % 60;
  const uint64_t secs = total % 60;
  if (days > 0) return absl::StrFormat("%dd%02dh%02dm%02ds", days, hours, minutes, secs);
  if (hours > 0) return absl::StrFormat("%dh%02dm%02ds", hours, minutes, secs);
  if (minutes > 0) return absl::StrFormat("%dm%02ds", minutes, secs);
  return absl::StrFormat("%ds", secs);
}

std::string Ms(double value) { return absl::StrFormat("%.3f", value); }

std::vector<std::string> LatencyRow(const v1::LatencySummary& s, const std::string& priority,
                                    const std::string& zone) {
  return {s.stage(),      priority,       zone,           s.clock(),       absl::StrCat(s.count()),
          Ms(s.p50_ms()), Ms(s.p90_ms()), Ms(s.p99_ms()), Ms(s.p999_ms()), Ms(s.max_ms())};
}

std::string LatencyTable(const v1::StatsSnapshot& snapshot) {
  if (snapshot.latency_by_stage().empty() && snapshot.latency().empty()) {
    return "latency (ms): no samples yet\n";
  }
  std::vector<std::vector<std::string>> rows = {
      {"stage", "priority", "zone", "clock", "count", "p50", "p90", "p99", "p99.9", "max"}};
  std::map<std::string, size_t> stage_rank;
  for (const v1::LatencySummary& s : snapshot.latency_by_stage()) {
    stage_rank.emplace(s.stage(), stage_rank.size());
    rows.push_back(LatencyRow(s, "all", "all"));
  }
  // Stages without an aggregate row (a broker that sends only details) go
  // last, by name.
  auto rank = [&](const std::string& stage) {
    auto it = stage_rank.find(stage);
    return it == stage_rank.end() ? stage_rank.size() : it->second;
  };
  std::vector<const v1::LatencySummary*> details;
  details.reserve(snapshot.latency().size());
  for (const v1::LatencySummary& s : snapshot.latency()) details.push_back(&s);
  std::sort(details.begin(), details.end(),
            [&](const v1::LatencySummary* a, const v1::LatencySummary* b) {
              return std::make_tuple(rank(a->stage()), a->stage(), a->priority(), a->zone()) <
                     std::make_tuple(rank(b->stage()), b->stage(), b->priority(), b->zone());
            });
  for (const v1::LatencySummary* s : details) {
    rows.push_back(LatencyRow(*s, s->priority().empty() ? "-" : s->priority(),
                              s->zone().empty() ? "-" : s->zone()));
  }
  return absl::StrCat("latency (ms)\n", RenderTable(rows, {false, false, false, false, true, true,
                                                           true, true, true, true}));
}

template <typename Map>
std::string NameValueTable(const std::string& title, const Map& values, bool skip_zero) {
  std::vector<std::pair<std::string, std::string>> entries;
  for (const auto& [name, value] : values) {
    if (skip_zero && value == 0) continue;
    entries.emplace_back(name, absl::StrCat(value));
  }
  if (entries.empty()) return absl::StrCat(title, ": ", skip_zero ? "all zero" : "none", "\n");
  std::sort(entries.begin(), entries.end());
  std::vector<std::vector<std::string>> rows;
  rows.reserve(entries.size());
  for (auto& [name, value] : entries) rows.push_back({std::move(name), std::move(value)});
  return absl::StrCat(title, "\n", RenderTable(rows, {false, true}));
}

}  // namespace

std::string FormatStatsTable(const v1::StatsSnapshot& snapshot) {
  std::string header =
      absl::StrCat("broker ", snapshot.broker_id().empty() ? "?" : snapshot.broker_id());
  if (!snapshot.version().empty()) absl::StrAppend(&header, "  version ", snapshot.version());
  absl::StrAppend(&header, "  up ", Uptime(snapshot.uptime_s()), "  ");
  if (snapshot.ready()) {
    absl::StrAppend(&header, "ready");
  } else {
    // The reason is one line by contract; make sure of it.
    const std::string reason = absl::StrReplaceAll(
        absl::StripAsciiWhitespace(snapshot.not_ready_reason()), {{"\r", " "}, {"\n", " "}});
    absl::StrAppend(&header, "NOT READY", reason.empty() ? "" : ": ", reason);
  }
  return absl::StrCat(header, "\n\n", LatencyTable(snapshot), "\n",
                      NameValueTable("counters", snapshot.counters(), /*skip_zero=*/true), "\n",
                      NameValueTable("gauges", snapshot.gauges(), /*skip_zero=*/false));
}

}  // namespace zonecast::cli
