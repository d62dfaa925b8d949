#pragma once
// Bytes <-> wire frames. Every ZeroMQ message body is one serialized
// v1::Frame; decoding is where untrusted bytes meet the broker, so it checks
// the size limit before parsing and reports each failure with its wire code.
#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "zmq.hpp"
#include "zonecast/wire.pb.h"

namespace zonecast {

// Parses `bytes` into *frame.
//  - ResourceExhausted/FRAME_TOO_LARGE if bytes.size() > max_frame_bytes;
//  - InvalidArgument/MALFORMED_FRAME if the bytes are not a Frame;
//  - InvalidArgument/UNKNOWN_FRAME_TYPE if no body we know is set (a newer
//    client's frame type, or garbage that happens to parse).
// The ErrorCode is attached as in protocol_error.h.
absl::Status DecodeFrame(absl::string_view bytes, size_t max_frame_bytes, v1::Frame* frame);

// Serializes `frame` straight into a ZeroMQ message body. Fan-out callers
// encode once and hand each recipient a zmq copy (reference-counted bytes).
zmq::message_t EncodeFrame(const v1::Frame& frame);

// Builds an Error frame.
v1::Frame MakeErrorFrame(v1::ErrorCode code, absl::string_view text, uint64_t request_id);

}  // namespace zonecast
