#pragma once
// Which request a frame belongs to. Requests (Subscribe, Publish, ...) carry
// a request id chosen by the client; the broker's answer (Subscribed, PubAck,
// Error, ...) carries the same id back. The broker uses it to address an
// Error to the request that caused it, the client library to hand a reply to
// the call waiting for it.
#include <cstdint>

#include "zonecast/wire.pb.h"

namespace zonecast {

// The request id `frame` carries (a request) or answers (a reply); 0 for
// frames that are neither, and for requests sent without one.
uint64_t RequestIdOf(const v1::Frame& frame);

}  // namespace zonecast
