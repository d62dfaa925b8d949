// zonecast stats: the broker's counters, gauges and latency percentiles,
// read from its monitoring HTTP endpoint (GET /v1/stats).
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "google/protobuf/util/json_util.h"
#include "monitoring_get.h"
#include "stats_table.h"
#include "zonecast/monitoring.pb.h"

namespace zonecast::cli {
namespace {

constexpr char kCommand[] = "stats";

}  // namespace

int RunStats() {
  const MonitoringAnswer answer = GetFromMonitoring(kCommand, "/v1/stats");
  if (answer.exit_code != kExitOk) return answer.exit_code;
  if (absl::GetFlag(FLAGS_json)) return PrintAnswer(answer.body);
  v1::StatsSnapshot snapshot;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (const auto status =
          google::protobuf::util::JsonStringToMessage(answer.body, &snapshot, options);
      !status.ok()) {
    return Failure(kCommand,
                   absl::DataLossError(absl::StrCat(
                       "GET /v1/stats did not return a stats snapshot: ", status.ToString())));
  }
  std::cout << FormatStatsTable(snapshot) << std::flush;
  return kExitOk;
}

}  // namespace zonecast::cli
