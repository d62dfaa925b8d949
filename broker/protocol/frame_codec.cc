#include "protocol/frame_codec.h"

#include "absl/strings/str_cat.h"
#include "shared/wire_status.h"

namespace zonecast {

absl::Status DecodeFrame(absl::string_view bytes, size_t max_frame_bytes, v1::Frame* frame) {
  if (bytes.size() > max_frame_bytes) {
    return ProtocolError(
        v1::FRAME_TOO_LARGE,
        absl::StrCat("frame of ", bytes.size(), " bytes exceeds the limit of ", max_frame_bytes));
  }
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !frame->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return ProtocolError(v1::MALFORMED_FRAME,
                         absl::StrCat("frame of ", bytes.size(), " bytes does not parse"));
  }
  if (frame->body_case() == v1::Frame::BODY_NOT_SET) {
    return ProtocolError(v1::UNKNOWN_FRAME_TYPE,
                         bytes.empty() ? "empty frame" : "frame carries no known frame type");
  }
  return absl::OkStatus();
}

zmq::message_t EncodeFrame(const v1::Frame& frame) {
  const size_t size = frame.ByteSizeLong();
  zmq::message_t message(size);
  frame.SerializeWithCachedSizesToArray(static_cast<uint8_t*>(message.data()));
  return message;
}

v1::Frame MakeErrorFrame(v1::ErrorCode code, absl::string_view text, uint64_t request_id) {
  v1::Frame frame;
  v1::Error* error = frame.mutable_error();
  error->set_code(code);
  error->set_text(std::string(text));
  error->set_request_id(request_id);
  return frame;
}

}  // namespace zonecast
