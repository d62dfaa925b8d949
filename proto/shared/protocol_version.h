#pragma once
// The version of the wire protocol (proto/zonecast/wire.proto) that this
// broker and this client library speak; Hello carries it and the broker
// refuses any other with UNSUPPORTED_VERSION.
#include <cstdint>

namespace zonecast {

inline constexpr uint32_t kProtocolVersion = 1;

}  // namespace zonecast
