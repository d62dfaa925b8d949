#include "cli_common.h"

#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "cli_flags.h"
#include "shared/flags.h"
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

absl::StatusOr<ClientOptions> BaseOptions() {
  ClientOptions options;
  const std::string key = absl::GetFlag(FLAGS_key);
  const std::string broker_key = absl::GetFlag(FLAGS_broker_key);
  if (key.empty() != broker_key.empty()) {
    return absl::InvalidArgumentError(
        "--key and --broker_key go together: this client's secret key file and the broker's "
        "public key file");
  }
  if (!key.empty()) {
    if (absl::Status status = LoadKeyFiles(key, broker_key, &options); !status.ok()) {
      return status;
    }
  }
  options.broker = absl::GetFlag(FLAGS_broker);
  const int32_t timeout_ms = std::max(1, absl::GetFlag(FLAGS_timeout_ms));
  options.connect_timeout = absl::Milliseconds(timeout_ms);
  options.request_timeout = absl::Milliseconds(timeout_ms);
  options.client_name = absl::StrCat("zonecast-cli/", kVersion);
  return options;
}

absl::StatusOr<std::string> HttpToken() {
  const std::string path = absl::GetFlag(FLAGS_http_token_file);
  if (path.empty()) return std::string();
  absl::StatusOr<std::string> token = ReadTokenFile(path);
  if (!token.ok()) {
    return absl::Status(token.status().code(),
                        absl::StrCat("--http_token_file: ", token.status().message()));
  }
  return token;
}

absl::StatusOr<absl::TimeZone> DisplayTimeZone() {
  const std::string name = absl::GetFlag(FLAGS_tz);
  if (name.empty()) return absl::LocalTimeZone();
  // An offset: [+-]H[H][:MM].
  if (name[0] == '+' || name[0] == '-') {
    const std::vector<std::string> parts = absl::StrSplit(name.substr(1), ':');
    int hours = 0;
    int minutes = 0;
    if (parts.size() <= 2 && absl::SimpleAtoi(parts[0], &hours) && hours <= 14 &&
        (parts.size() == 1 || (absl::SimpleAtoi(parts[1], &minutes) && minutes < 60))) {
      const int seconds = (hours * 3600 + minutes * 60) * (name[0] == '-' ? -1 : 1);
      return absl::FixedTimeZone(seconds);
    }
  } else {
    absl::TimeZone zone;
    if (absl::LoadTimeZone(name, &zone)) return zone;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--tz ", name,
                   " is no time zone: give an IANA name (Asia/Shanghai; needs tzdata), UTC or "
                   "an offset such as +08:00"));
}

std::string DefaultUnitId(const std::string& prefix) {
  // With a key the broker names the session after the key's identity.
  if (!absl::GetFlag(FLAGS_key).empty()) return "";
  return absl::StrCat(prefix, "-", getpid());
}

absl::StatusOr<std::unique_ptr<Client>> ConnectCenter(const std::string& prefix) {
  absl::StatusOr<ClientOptions> options = BaseOptions();
  if (!options.ok()) return options.status();
  options->role = v1::CENTER;
  options->unit_id = absl::GetFlag(FLAGS_unit);
  if (options->unit_id.empty()) options->unit_id = DefaultUnitId(prefix);
  return Client::Connect(*options);
}

}  // namespace zonecast::cli
