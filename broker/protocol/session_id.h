#pragma once
// SessionId: the broker's number for one session (a connected console,
// terminal or probe), unique for the life of the process. Its own header so
// that layers which only carry a session's number back to the routing loop
// (history replies, ack tracking) need not know what a session is.
#include <cstdint>

namespace zonecast {

using SessionId = uint64_t;

}  // namespace zonecast
