#pragma once
// What happened to a socket's ZeroMQ connections, read from the socket's own
// monitor events: why a security handshake failed (the broker counts
// failures, the client explains them, "the broker refused this key", instead
// of timing out) and, when asked, that a connection closed.
#include "zmq.hpp"

namespace zonecast {

enum class ConnectionEvent {
  kNone,
  kMechanism,  // handshake: the two sides speak different mechanisms (plain vs CURVE)
  kProtocol,   // handshake: any other failure (wrong server key, garbage)
  kRefused,    // handshake: the server's authentication (ZAP) refused the client's key
  // A connection closed: the peer left, the network lost it, or ZeroMQ cut
  // it for a message over ZMQ_MAXMSGSIZE (libzmq reports all three alike).
  kClosed,
};

// Starts reporting the handshake failures of `socket` (and its closed
// connections if `closes`) and returns the PAIR socket they arrive on (poll
// it for ZMQ_POLLIN). Throws zmq::error_t.
zmq::socket_t MonitorConnection(zmq::context_t& context, zmq::socket_t& socket,
                                bool closes = false);

// The next reported event, without blocking; kNone when none is waiting.
ConnectionEvent NextConnectionEvent(zmq::socket_t& events);

}  // namespace zonecast
