#include "cli_common.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli_flags.h"
#include "zonecast/version.h"

namespace zonecast::cli {

bool ParseCoordinate(const std::string& text, double* out) {
  return text.empty() || absl::SimpleAtod(text, out);
}

int UsageError(const std::string& command, const std::string& message) {
  std::cerr << "zonecast " << command << ": " << message << " (see zonecast " << command
            << " --help)\n";
  return kExitUsage;
}

int Failure(const std::string& command, const absl::Status& status) {
  std::cerr << "zonecast " << command << ": " << status.message() << "\n";
  return kExitFailure;
}

ClientOptions BaseOptions() {
  ClientOptions options;
  options.broker = absl::GetFlag(FLAGS_broker);
  const int32_t timeout_ms = std::max(1, absl::GetFlag(FLAGS_timeout_ms));
  options.connect_timeout = absl::Milliseconds(timeout_ms);
  options.request_timeout = absl::Milliseconds(timeout_ms);
  options.client_name = absl::StrCat("zonecast-cli/", kVersion);
  return options;
}

std::string DefaultUnitId(const std::string& prefix) { return absl::StrCat(prefix, "-", getpid()); }

}  // namespace zonecast::cli
