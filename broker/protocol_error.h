#pragma once
// Protocol errors travel as absl::Status with the wire ErrorCode attached as a
// payload, so modules keep returning Status while the core loop can still
// answer the peer with the exact Error frame code (DESIGN.md contract 7).
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "zonecast/wire.pb.h"

namespace zonecast {

// A Status whose canonical code follows from `code` (InvalidArgument for bad
// input, ResourceExhausted for limits, FailedPrecondition for order,
// PermissionDenied, Unavailable for storage) and that carries `code` itself.
absl::Status ProtocolError(v1::ErrorCode code, absl::string_view text);

// The wire code carried by `status`; INTERNAL if it carries none. OK -> UNSPECIFIED.
v1::ErrorCode ErrorCodeOf(const absl::Status& status);

}  // namespace zonecast
