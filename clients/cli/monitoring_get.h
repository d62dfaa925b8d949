#pragma once
// A GET from the broker's monitoring endpoint as the CLI's commands make it
// (`zonecast stats`, `zonecast units`): --http (default
// http://127.0.0.1:7480), --http_token_file's bearer token, --timeout_ms.
#include <string>

namespace zonecast::cli {

struct MonitoringAnswer {
  int exit_code = 0;  // 0: `body` is a 200 answer; else the command's exit code
  std::string body;
};

// GETs `path` ("/v1/stats") for `command`. On bad flags, an unreachable
// endpoint or an answer other than 200 it says why on stderr and returns
// the exit code (2, or 1).
MonitoringAnswer GetFromMonitoring(const std::string& command, const std::string& path);

// Prints an answer's body as it came (--json), ending it with a newline;
// returns kExitOk.
int PrintAnswer(const std::string& body);

}  // namespace zonecast::cli
