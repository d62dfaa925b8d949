// zonecast alert: one alert's timeline, for the center's wall and for
// after-action review.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "output.h"

namespace zonecast::cli {
namespace {

std::string EntryText(const v1::TimelineEntry& entry, int64_t published_ms, absl::TimeZone tz) {
  const absl::Time t = absl::FromUnixMillis(entry.unix_ms());
  std::string line = absl::StrCat(
      "  ", absl::FormatTime("%H:%M:%E3S", t, tz),
      absl::StrFormat("  %+8.3fs  ", static_cast<double>(entry.unix_ms() - published_ms) / 1000.0));
  switch (entry.kind()) {
    case v1::TimelineEntry::PUBLISHED:
      absl::StrAppend(&line, "PUBLISHED     by ", entry.unit(), " (zone ", entry.zone(), ")");
      break;
    case v1::TimelineEntry::DELIVERED:
    case v1::TimelineEntry::REDELIVERED:
      absl::StrAppend(
          &line,
          entry.kind() == v1::TimelineEntry::DELIVERED ? "DELIVERED     to " : "REDELIVERED   to ",
          entry.unit(), " (zone ", entry.zone(), ", delivery ", entry.delivery_count(), ")");
      break;
    case v1::TimelineEntry::ACK:
      absl::StrAppend(&line, absl::StrFormat("%-13s ", v1::AckLevel_Name(entry.level())),
                      entry.unit());
      if (!entry.text().empty()) absl::StrAppend(&line, " \"", entry.text(), "\"");
      break;
    case v1::TimelineEntry::ESCALATED:
      absl::StrAppend(&line, "ESCALATED     ", entry.text(), " (zone ", entry.zone(), ")");
      break;
    case v1::TimelineEntry::DEAD_LETTERED:
      absl::StrAppend(&line, "DEAD LETTER   ", entry.unit(), " after ", entry.delivery_count(),
                      " deliveries");
      break;
    case v1::TimelineEntry::TAKEN:
      absl::StrAppend(&line, "TAKEN         by ", entry.unit(), " (the zone was told",
                      entry.text().empty() ? "" : ": ", entry.text(), ")");
      break;
    case v1::TimelineEntry::AMENDED:
      absl::StrAppend(&line, "AMENDED       by ", entry.unit(), ": ", entry.text());
      break;
    case v1::TimelineEntry::ASSIGNED:
      absl::StrAppend(&line, "ASSIGNED      to ", entry.unit(), " ", entry.text());
      break;
    case v1::TimelineEntry::CANCELLED:
    case v1::TimelineEntry::CLOSED:
      absl::StrAppend(
          &line,
          entry.kind() == v1::TimelineEntry::CANCELLED ? "CANCELLED     by " : "CLOSED        by ",
          entry.unit());
      if (!entry.text().empty()) absl::StrAppend(&line, " \"", entry.text(), "\"");
      break;
    default:
      absl::StrAppend(&line, "?");
  }
  return line;
}

}  // namespace

int RunAlert() {
  const std::string command = "alert";
  std::string alert_id = absl::GetFlag(FLAGS_id);
  if (alert_id.empty() && !PositionalArgs().empty()) alert_id = PositionalArgs()[0];
  if (alert_id.empty()) return UsageError(command, "give the ALERT_ID");
  if (PositionalArgs().size() > 1) return UsageError(command, "give one ALERT_ID");
  absl::StatusOr<absl::TimeZone> tz = DisplayTimeZone();
  if (!tz.ok()) return UsageError(command, std::string(tz.status().message()));
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectCenter("timeline");
  if (!client.ok()) return Failure(command, client.status());
  absl::StatusOr<v1::AlertTimeline> timeline = (*client)->Timeline(alert_id);
  if (!timeline.ok()) return Failure(command, timeline.status());
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << ToJsonLine(*timeline, /*all_fields=*/false) << std::endl;
    return kExitOk;
  }
  const v1::Alert& alert = timeline->alert();
  std::cout << "alert " << alert.alert_id() << " (seq " << timeline->seq() << ") "
            << v1::Priority_Name(alert.priority()) << " " << alert.topic() << " \"" << alert.title()
            << "\" - " << timeline->state() << "  (times "
            << absl::FormatTime("%Y-%m-%d %Z, UTC%Ez", absl::Now(), *tz) << ")\n";
  if (timeline->deadline_unix_ms() != 0) {
    std::cout << "  response deadline "
              << absl::FormatTime("%H:%M:%E3S", absl::FromUnixMillis(timeline->deadline_unix_ms()),
                                  *tz)
              << "\n";
  }
  const int64_t published = timeline->entries().empty() ? 0 : timeline->entries(0).unix_ms();
  for (const v1::TimelineEntry& entry : timeline->entries()) {
    std::cout << EntryText(entry, published, *tz) << "\n";
  }
  return kExitOk;
}

}  // namespace zonecast::cli
