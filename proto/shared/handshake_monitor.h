#pragma once
// Why a ZeroMQ connection failed its security handshake, read from the
// socket's own monitor events: the broker counts failures, the client
// explains them ("the broker refused this key") instead of timing out.
#include "zmq.hpp"

namespace zonecast {

enum class HandshakeFailure {
  kNone,
  kMechanism,  // the two sides speak different mechanisms (plain vs CURVE)
  kProtocol,   // any other handshake failure (wrong server key, garbage)
  kRefused,    // the server's authentication (ZAP) refused the client's key
};

// Starts reporting the handshake failures of `socket` and returns the PAIR
// socket they arrive on (poll it for ZMQ_POLLIN). Throws zmq::error_t.
zmq::socket_t MonitorHandshakes(zmq::context_t& context, zmq::socket_t& socket);

// The next reported failure, without blocking; kNone when none is waiting.
HandshakeFailure NextHandshakeFailure(zmq::socket_t& events);

}  // namespace zonecast
