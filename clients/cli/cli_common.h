#pragma once
// Shared pieces of the zonecast CLI subcommands: connecting, output in text
// or JSON, and the exit codes.
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
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

// ClientOptions from --broker and --timeout_ms.
ClientOptions BaseOptions();

// A default unit id for a console or watcher: "<prefix>-<pid>".
std::string DefaultUnitId(const std::string& prefix);

// One-line JSON of a message with proto field names and every field, also
// zero ones (a PubAck's "seq":0 says "not durable"); 64-bit integers are
// printed as JSON numbers (not strings) so that `jq .seq` compares numbers.
std::string ToJsonLine(const google::protobuf::Message& message, bool all_fields = true);

// One flat JSON object for a Deliver: the event's own fields (alert_id,
// title, ... or unit, kind, ...) plus seq, topic, priority, delivery_count,
// publisher, sent_unix_ms, broker_unix_ms and "event" (alert, radio, ack,
// session, canary).
std::string DeliveryJson(const v1::Deliver& deliver);

// Parses a --lat/--lon value in degrees. Empty text leaves *out alone and
// is accepted; anything else must be a number.
bool ParseCoordinate(const std::string& text, double* out);

// Receives and prints deliveries (text or JSON lines) until `count` of them
// (0: no limit) or SIGINT/SIGTERM; sends `respond` (unless UNSPECIFIED) for
// every alert. Returns the exit code: failure on SESSION_TAKEN_OVER.
// With `interactive`, lines typed on standard input ("accepted", "on_scene
// arrived", ...) are sent as the officer's response to the last alert shown.
int ReceiveLoop(const std::string& command, Client& client, bool json, int32_t count,
                v1::AckLevel respond, bool interactive = false);

// One human-readable line for a Deliver.
std::string DeliveryText(const v1::Deliver& deliver);

}  // namespace zonecast::cli
