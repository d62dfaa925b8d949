#pragma once
// The ready file tells scripts and tests where the broker listens, once it
// does: "http=HOST:PORT" when the monitoring endpoint is up (already during
// journal recovery), then also "zmq=<endpoint>" once the ZeroMQ socket is
// bound, and "dispatch=<endpoint>" with a dispatch lane. Written to a
// temporary name and renamed, so a reader never sees half a file.
#include <string>

#include "absl/status/status.h"

namespace zonecast {

// Any endpoint may be empty (not listening yet, or disabled).
absl::Status WriteReadyFile(const std::string& path, const std::string& http,
                            const std::string& zmq, const std::string& dispatch);

}  // namespace zonecast
