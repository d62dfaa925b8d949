// zonecast stats: the broker's counters, gauges and latency percentiles,
// read from its monitoring HTTP endpoint (GET /v1/stats).
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "google/protobuf/util/json_util.h"
#include "http_get.h"
#include "stats_table.h"
#include "zonecast/monitoring.pb.h"

namespace zonecast::cli {
namespace {

constexpr char kCommand[] = "stats";
constexpr char kDefaultHttpEndpoint[] = "http://127.0.0.1:7480";

// The first line of an error body, short enough for one message.
std::string FirstLine(const std::string& body) {
  std::string line(absl::StripAsciiWhitespace(body.substr(0, body.find('\n'))));
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace

int RunStats() {
  std::string base = absl::GetFlag(FLAGS_http);
  if (base.empty()) base = kDefaultHttpEndpoint;
  if (absl::Status status = ParseHttpUrl(base).status(); !status.ok()) {
    return UsageError(kCommand, absl::StrCat("--http: ", status.message()));
  }
  const int32_t timeout_ms = absl::GetFlag(FLAGS_timeout_ms);
  if (timeout_ms <= 0) return UsageError(kCommand, "--timeout_ms must be positive");
  absl::StatusOr<std::string> token = HttpToken();
  if (!token.ok()) return Failure(kCommand, token.status());
  const std::string url = JoinUrlPath(base, "/v1/stats");
  absl::StatusOr<HttpGetResult> response = HttpGet(url, absl::Milliseconds(timeout_ms), *token);
  if (!response.ok()) return Failure(kCommand, response.status());
  if (response->status != 200) {
    const std::string detail = FirstLine(response->body);
    return Failure(kCommand, absl::UnavailableError(
                                 absl::StrCat("GET ", url, " answered HTTP ", response->status,
                                              detail.empty() ? "" : ": ", detail)));
  }
  if (absl::GetFlag(FLAGS_json)) {
    std::cout << response->body;
    if (!absl::EndsWith(response->body, "\n")) std::cout << "\n";
    std::cout.flush();
    return kExitOk;
  }
  v1::StatsSnapshot snapshot;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (const auto status =
          google::protobuf::util::JsonStringToMessage(response->body, &snapshot, options);
      !status.ok()) {
    return Failure(kCommand,
                   absl::DataLossError(absl::StrCat(
                       "GET ", url, " did not return a stats snapshot: ", status.ToString())));
  }
  std::cout << FormatStatsTable(snapshot) << std::flush;
  return kExitOk;
}

}  // namespace zonecast::cli
