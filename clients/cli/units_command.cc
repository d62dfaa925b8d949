// zonecast units --near LAT,LON: the online units nearest a place, with
// their distance, read from the broker's monitoring endpoint
// (GET /v1/units?near=LAT,LON), which knows each unit's last radio
// POSITION.
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "google/protobuf/util/json_util.h"
#include "monitoring_get.h"
#include "zonecast/monitoring.pb.h"

namespace zonecast::cli {
namespace {

constexpr char kCommand[] = "units";

// "35.4907,112.8511" -> lat, lon.
bool ParseNear(const std::string& text, double* lat, double* lon) {
  std::vector<std::string> parts = absl::StrSplit(text, ',');
  return parts.size() == 2 && absl::SimpleAtod(absl::StripAsciiWhitespace(parts[0]), lat) &&
         absl::SimpleAtod(absl::StripAsciiWhitespace(parts[1]), lon) && std::abs(*lat) <= 90 &&
         std::abs(*lon) <= 180;
}

std::string Distance(double metres) {
  return metres < 1000 ? absl::StrFormat("%.0f m", metres)
                       : absl::StrFormat("%.2f km", metres / 1000);
}

}  // namespace

int RunUnits() {
  double lat = 0;
  double lon = 0;
  if (!ParseNear(absl::GetFlag(FLAGS_near), &lat, &lon)) {
    return UsageError(kCommand, "--near LAT,LON is required (e.g. --near 35.4907,112.8511)");
  }
  const int32_t limit = absl::GetFlag(FLAGS_limit);
  if (limit <= 0) return UsageError(kCommand, "--limit must be positive");
  const MonitoringAnswer answer = GetFromMonitoring(
      kCommand, absl::StrFormat("/v1/units?near=%.6f,%.6f&limit=%d", lat, lon, limit));
  if (answer.exit_code != kExitOk) return answer.exit_code;
  if (absl::GetFlag(FLAGS_json)) return PrintAnswer(answer.body);
  v1::UnitPositions units;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (const auto status = google::protobuf::util::JsonStringToMessage(answer.body, &units, options);
      !status.ok()) {
    return Failure(kCommand, absl::DataLossError(absl::StrCat(
                                 "GET /v1/units did not return units: ", status.ToString())));
  }
  if (units.units().empty()) {
    std::cout << "no online unit has reported its position\n" << std::flush;
    return kExitOk;
  }
  const int64_t now_ms = units.unix_ms() != 0 ? units.unix_ms() : absl::ToUnixMillis(absl::Now());
  std::cout << absl::StrFormat("%-16s %-6s %10s  %-22s %s\n", "unit", "zone", "distance",
                               "position", "reported");
  for (const v1::UnitPosition& unit : units.units()) {
    std::cout << absl::StrFormat("%-16s %-6s %10s  (%.5f,%.5f)  %.0f s ago\n", unit.unit(),
                                 unit.zone(), Distance(unit.distance_m()), unit.lat(), unit.lon(),
                                 static_cast<double>(now_ms - unit.reported_unix_ms()) / 1000);
  }
  std::cout.flush();
  return kExitOk;
}

}  // namespace zonecast::cli
