#pragma once
// Shared pieces of the zonecast CLI subcommands: exit codes, error
// messages, connection options and argument parsing.
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "zonecast/client.h"

namespace zonecast::cli {

// Exit codes of every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // broker unreachable, Error frame, timeout
inline constexpr int kExitUsage = 2;    // bad flags or arguments

// Prints "zonecast <command>: <message>" to stderr and returns kExitUsage.
int UsageError(const std::string& command, const std::string& message);
// Prints "zonecast <command>: <status>" to stderr and returns kExitFailure.
int Failure(const std::string& command, const absl::Status& status);

// ClientOptions from --broker, --timeout_ms and the key files of --key and
// --broker_key; an error names the flag or file that is wrong.
absl::StatusOr<ClientOptions> BaseOptions();

// The bearer token in --http_token_file (its first line, trimmed), or ""
// without the flag. NotFound if the file cannot be read.
absl::StatusOr<std::string> HttpToken();

// The time zone for times shown to people (--tz): an IANA name, "UTC", an
// offset such as "+08:00" or "-5", or (empty) the system's local zone.
// InvalidArgument naming the value if it is none of these.
absl::StatusOr<absl::TimeZone> DisplayTimeZone();

// A default unit id for a console or watcher: "<prefix>-<pid>"; none with
// --key (the broker knows the client by its key).
std::string DefaultUnitId(const std::string& prefix);

// Connects as a center console: BaseOptions, --unit or DefaultUnitId(prefix).
absl::StatusOr<std::unique_ptr<Client>> ConnectCenter(const std::string& prefix);

// Parses a --lat/--lon value in degrees. Empty text leaves *out alone and
// is accepted; anything else must be a number.
bool ParseCoordinate(const std::string& text, double* out);

}  // namespace zonecast::cli
