#include "monitoring_get.h"

#include <cstdint>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "http_get.h"

namespace zonecast::cli {
namespace {

constexpr char kDefaultHttpEndpoint[] = "http://127.0.0.1:7480";

// The first line of an error body, short enough for one message.
std::string FirstLine(const std::string& body) {
  std::string line(absl::StripAsciiWhitespace(body.substr(0, body.find('\n'))));
  if (line.size() > 200) line = line.substr(0, 200) + "...";
  return line;
}

}  // namespace

MonitoringAnswer GetFromMonitoring(const std::string& command, const std::string& path) {
  std::string base = absl::GetFlag(FLAGS_http);
  if (base.empty()) base = kDefaultHttpEndpoint;
  if (absl::Status status = ParseHttpUrl(base).status(); !status.ok()) {
    return {UsageError(command, absl::StrCat("--http: ", status.message())), ""};
  }
  const int32_t timeout_ms = absl::GetFlag(FLAGS_timeout_ms);
  if (timeout_ms <= 0) return {UsageError(command, "--timeout_ms must be positive"), ""};
  absl::StatusOr<std::string> token = HttpToken();
  if (!token.ok()) return {Failure(command, token.status()), ""};
  const std::string url = JoinUrlPath(base, path);
  absl::StatusOr<HttpGetResult> response = HttpGet(url, absl::Milliseconds(timeout_ms), *token);
  if (!response.ok()) return {Failure(command, response.status()), ""};
  if (response->status != 200) {
    const std::string detail = FirstLine(response->body);
    return {Failure(command, absl::UnavailableError(
                                 absl::StrCat("GET ", url, " answered HTTP ", response->status,
                                              detail.empty() ? "" : ": ", detail))),
            ""};
  }
  return {kExitOk, std::move(response->body)};
}

int PrintAnswer(const std::string& body) {
  std::cout << body;
  if (!absl::EndsWith(body, "\n")) std::cout << "\n";
  std::cout.flush();
  return kExitOk;
}

}  // namespace zonecast::cli
