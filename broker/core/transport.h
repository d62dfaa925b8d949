#pragma once
// Transport: the broker's single ZeroMQ ROUTER socket. This is the only file
// that touches zmq::error_t; everything above it sees Status and enums.
//
// The ROUTER is set to ROUTER_MANDATORY so that a full or vanished peer is
// reported (EAGAIN / EHOSTUNREACH) instead of being dropped silently, and all
// sends are non-blocking: the real backlog lives in each SessionQueue.
//
// Core loop thread only.
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "zmq.hpp"

namespace zonecast {

struct TransportOptions {
  std::string endpoint;
  int send_hwm = 1000;
  int receive_hwm = 10000;
  int64_t max_message_bytes = 4 << 20;
  // The broker's CURVE secret key (Z85). Set: the socket is a CURVE server,
  // plain peers fail the handshake, and libzmq asks the context's ZAP
  // handler about every client key.
  std::string curve_secret_key;
};

class Transport {
 public:
  // kUnreachable: ZeroMQ has no ready pipe for that routing id: the peer is
  // gone, or (libzmq 4.3) its pipe is being reactivated after being full.
  enum class SendResult { kSent, kWouldBlock, kUnreachable };

  // Binds a ROUTER on options.endpoint. Unavailable if the bind fails
  // (address in use, bad interface), with ZeroMQ's reason.
  static absl::StatusOr<std::unique_ptr<Transport>> Bind(zmq::context_t& context,
                                                         const TransportOptions& options);

  // The bound endpoint with the real port ("tcp://127.0.0.1:41234").
  const std::string& endpoint() const { return endpoint_; }
  // For zmq::poll.
  zmq::socket_t& socket() { return socket_; }

  // Handshake failures of the socket's peers (shared/handshake_monitor.h):
  // poll events(), read them with NextHandshakeFailure(events()).
  zmq::socket_t& events() { return events_; }

  // Receives one message without blocking. Returns false when none is ready.
  // `*body` receives the last part; `*parts` counts the parts after the
  // routing id (1 for a well-formed client frame).
  bool Receive(std::string* routing_id, zmq::message_t* body, int* parts);

  // Sends body to the peer without blocking. On kSent the body was consumed;
  // otherwise it is left intact for a later retry.
  SendResult Send(absl::string_view routing_id, zmq::message_t& body);

 private:
  Transport(zmq::socket_t socket, zmq::socket_t events, std::string endpoint);
  zmq::socket_t socket_;
  zmq::socket_t events_;  // PAIR, connected to the socket's monitor
  std::string endpoint_;
};

}  // namespace zonecast
