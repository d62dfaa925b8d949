#pragma once
// The receive loop of `zonecast terminal` and `zonecast watch`.
#include <cstdint>
#include <string>

#include "zonecast/client.h"

namespace zonecast::cli {

// Receives and prints deliveries (text or JSON lines) until `count` of them
// (0: no limit) or SIGINT/SIGTERM; sends `respond` (unless UNSPECIFIED) for
// every alert. Returns the exit code: failure on SESSION_TAKEN_OVER.
// With `interactive`, lines typed on standard input are the officer's:
// "accepted", "on_scene arrived", ... answer the last alert shown;
// "emergency [text]", "status CODE [text]", "position LAT LON" and
// "text MESSAGE" go out as radio events on `radio_topic`
// (radio.<city>.<zone>.<unit>; empty: the terminal has no zone to send on).
int ReceiveLoop(const std::string& command, Client& client, bool json, int32_t count,
                v1::AckLevel respond, bool interactive = false,
                const std::string& radio_topic = "");

// Client::Connect, again and again while the broker is down or does not
// answer (printing "waiting for the broker" with each attempt, backing off
// up to 30 s), until connected, `give_up` has passed (ZeroDuration: never),
// SIGINT/SIGTERM, or an error waiting will not cure (refused key, bad
// options). A terminal started before its broker comes up this way.
absl::StatusOr<std::unique_ptr<Client>> ConnectWaiting(const std::string& command,
                                                       const ClientOptions& options,
                                                       absl::Duration give_up);

}  // namespace zonecast::cli
