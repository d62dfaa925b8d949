#pragma once
// The receive loop of `zonecast terminal` and `zonecast watch`.
#include <cstdint>
#include <string>

#include "zonecast/client.h"

namespace zonecast::cli {

// Receives and prints deliveries (text or JSON lines) until `count` of them
// (0: no limit) or SIGINT/SIGTERM; sends `respond` (unless UNSPECIFIED) for
// every alert. Returns the exit code: failure on SESSION_TAKEN_OVER.
// With `interactive`, lines typed on standard input ("accepted", "on_scene
// arrived", ...) are sent as the officer's response to the last alert shown.
int ReceiveLoop(const std::string& command, Client& client, bool json, int32_t count,
                v1::AckLevel respond, bool interactive = false);

}  // namespace zonecast::cli
