#pragma once
// Wire errors and absl::Status, both ways, for the broker and the client
// library alike. The broker's modules return Status; a protocol error carries
// its wire ErrorCode as a payload so that the routing loop can answer the
// peer with the exact Error frame code (ARCHITECTURE.md, "Delivery contract"
// 7). The client turns an Error frame back into a Status whose canonical code
// follows the same table.
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "zonecast/wire.pb.h"

namespace zonecast {

// The canonical code a wire code maps to: InvalidArgument for bad input,
// ResourceExhausted for limits, FailedPrecondition for order,
// PermissionDenied, Unavailable for storage, Internal.
absl::StatusCode CanonicalCode(v1::ErrorCode code);

// A Status with CanonicalCode(code) and `text` that carries `code` itself.
absl::Status ProtocolError(v1::ErrorCode code, absl::string_view text);

// The wire code carried by `status`; INTERNAL if it carries none. OK -> UNSPECIFIED.
v1::ErrorCode ErrorCodeOf(const absl::Status& status);

// An Error frame as the caller sees it: CanonicalCode of its code, the
// message "<CODE>: <text>", and the code as payload (ErrorCodeOf reads it).
absl::Status StatusFromError(const v1::Error& error);

}  // namespace zonecast
