#pragma once
// RawPeer: a bare ZeroMQ DEALER for tests that must speak to zonecastd below
// the client library: malformed bytes, frames out of order, a terminal that
// never reads, a terminal that never heartbeats.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "zmq.hpp"
#include "zonecast/wire.pb.h"

namespace zonecast::testing {

class RawPeer {
 public:
  // Connects a DEALER to `endpoint`. `receive_hwm` bounds what ZeroMQ
  // buffers for us (a tiny value and no reads make a slow consumer).
  explicit RawPeer(const std::string& endpoint, int receive_hwm = 1000,
                   int receive_buffer_bytes = 0);

  void SendBytes(const std::string& bytes);
  void SendParts(const std::vector<std::string>& parts);
  void Send(const v1::Frame& frame);

  // The next frame that is not a Heartbeat, or nullopt after `timeout`.
  std::optional<v1::Frame> Receive(absl::Duration timeout = absl::Seconds(5));
  // Receives until `match` accepts a frame (others are dropped).
  std::optional<v1::Frame> ReceiveUntil(const std::function<bool(const v1::Frame&)>& match,
                                        absl::Duration timeout = absl::Seconds(5));

  // Sends Hello and waits for the Welcome. False if none came.
  bool Hello(v1::Role role, const std::string& unit_id, const std::string& group = "",
             const std::string& zone = "");
  // Subscribes and waits for Subscribed.
  bool Subscribe(const std::vector<std::string>& patterns);

  zmq::socket_t& socket() { return socket_; }

 private:
  zmq::context_t context_{1};
  zmq::socket_t socket_{context_, zmq::socket_type::dealer};
  uint64_t next_request_id_ = 1000;
};

}  // namespace zonecast::testing
