#include "shared/wire_status.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace zonecast {
namespace {

constexpr absl::string_view kPayloadUrl = "type.zonecast/zonecast.v1.ErrorCode";

}  // namespace

absl::StatusCode CanonicalCode(v1::ErrorCode code) {
  switch (code) {
    case v1::FRAME_TOO_LARGE:
    case v1::TOO_MANY_SUBSCRIPTIONS:
    case v1::TOO_MANY_SESSIONS:
    case v1::RATE_LIMITED:
    case v1::REPLIES_NOT_READ:
      return absl::StatusCode::kResourceExhausted;
    case v1::HELLO_REQUIRED:
    case v1::SESSION_TAKEN_OVER:
      return absl::StatusCode::kFailedPrecondition;
    case v1::PERMISSION_DENIED:
    case v1::IDENTITY_MISMATCH:
    case v1::SUBSCRIBE_DENIED:
    case v1::ACK_DENIED:
    case v1::READ_DENIED:
    case v1::KEY_REVOKED:
      return absl::StatusCode::kPermissionDenied;
    case v1::STORAGE_UNAVAILABLE:
    case v1::STORAGE_BUSY:
      return absl::StatusCode::kUnavailable;
    case v1::INTERNAL:
      return absl::StatusCode::kInternal;
    case v1::UNKNOWN_ZONE:
      return absl::StatusCode::kNotFound;
    case v1::ALERT_ID_CONFLICT:
      return absl::StatusCode::kAlreadyExists;
    case v1::ALERT_NOT_OPEN:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kInvalidArgument;
  }
}

absl::Status ProtocolError(v1::ErrorCode code, absl::string_view text) {
  absl::Status status(CanonicalCode(code), text);
  status.SetPayload(kPayloadUrl, absl::Cord(std::to_string(static_cast<int>(code))));
  return status;
}

v1::ErrorCode ErrorCodeOf(const absl::Status& status) {
  if (status.ok()) return v1::ERROR_CODE_UNSPECIFIED;
  auto payload = status.GetPayload(kPayloadUrl);
  int value = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &value) ||
      !v1::ErrorCode_IsValid(value)) {
    return v1::INTERNAL;
  }
  return static_cast<v1::ErrorCode>(value);
}

absl::Status StatusFromError(const v1::Error& error) {
  return ProtocolError(error.code(),
                       absl::StrCat(v1::ErrorCode_Name(error.code()), ": ", error.text()));
}

}  // namespace zonecast
