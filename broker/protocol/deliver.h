#pragma once
// NewDeliver: the one place a Deliver frame is started. Every message the
// broker sends to subscribers (a client's publish, an ack event, presence,
// stats, escalations and dead letters) carries the same envelope: topic,
// priority, publisher, the broker's clock, delivery count 1. The caller
// fills the event (and, for a client's publish, sent_unix_ms and seq).
#include <cstdint>

#include "absl/strings/string_view.h"
#include "zonecast/wire.pb.h"

namespace zonecast {

v1::Frame NewDeliver(absl::string_view topic, v1::Priority priority, absl::string_view publisher,
                     int64_t broker_unix_ms);

}  // namespace zonecast
