#pragma once
// Transport: the broker's ZeroMQ ROUTER sockets. This is the only file that
// touches zmq::error_t; everything above it sees Status and enums.
//
// Two lanes: the main socket (--listen) for everyone, and optionally a
// dispatch socket (--dispatch_listen) for the command center's consoles. A
// ROUTER reads its peers' pipes in turn, so with 10,000 terminals acking an
// alert burst a console's P1 waits behind one frame of every terminal; on
// its own socket, read first every turn, it waits for nobody. A routing id
// the loop sees starts with its lane's byte, so the sessions above need not
// know which socket a peer is on.
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
  std::string dispatch_endpoint;  // empty: no dispatch lane
  int send_hwm = 1000;
  int receive_hwm = 10000;
  int64_t max_message_bytes = 4 << 20;
  // Connections the kernel may hold before they are accepted (listen(2);
  // the kernel caps it at net.core.somaxconn).
  int backlog = 4096;
  // libzmq I/O threads serving the main endpoint's connections (the
  // context's first ones); the dispatch lane gets the next one to itself.
  // REQUIRES: the context has io_threads (+ 1 with a dispatch lane).
  int io_threads = 1;
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
  // The first byte of every routing id the loop sees.
  enum class Lane : char { kMain = 'm', kDispatch = 'd' };

  // Binds a ROUTER on options.endpoint, and one on dispatch_endpoint if set.
  // Unavailable if a bind fails (address in use, bad interface), with
  // ZeroMQ's reason.
  static absl::StatusOr<std::unique_ptr<Transport>> Bind(zmq::context_t& context,
                                                         const TransportOptions& options);

  // The bound endpoints with the real port ("tcp://127.0.0.1:41234");
  // dispatch_endpoint() is empty without a dispatch lane.
  const std::string& endpoint() const { return main_.endpoint; }
  const std::string& dispatch_endpoint() const { return dispatch_.endpoint; }
  bool has_dispatch() const { return dispatch_.socket.handle() != nullptr; }

  // For zmq::poll. REQUIRES: has_dispatch() for the dispatch lane.
  zmq::socket_t& socket(Lane lane) { return Of(lane).socket; }
  // Handshake failures and closed connections of the lane's peers
  // (shared/connection_monitor.h):
  // poll events(lane), read them with NextConnectionEvent(events(lane)).
  zmq::socket_t& events(Lane lane) { return Of(lane).events; }

  // The lane a routing id from Receive() came in on.
  static Lane LaneOf(absl::string_view routing_id) {
    return !routing_id.empty() && routing_id[0] == static_cast<char>(Lane::kDispatch)
               ? Lane::kDispatch
               : Lane::kMain;
  }

  // Receives one message from `lane` without blocking. Returns false when
  // none is ready. `*routing_id` starts with the lane's byte; `*body`
  // receives the last part; `*parts` counts the parts after the routing id
  // (1 for a well-formed client frame).
  bool Receive(Lane lane, std::string* routing_id, zmq::message_t* body, int* parts);

  // Sends body to the peer (on the lane its routing id names) without
  // blocking. On kSent the body was consumed; otherwise it is left intact
  // for a later retry.
  SendResult Send(absl::string_view routing_id, zmq::message_t& body);

 private:
  struct Socket {
    zmq::socket_t socket;
    zmq::socket_t events;  // PAIR, connected to the socket's monitor
    std::string endpoint;
  };
  // io_threads: ZeroMQ affinity bit mask (bit k: the context's I/O thread
  // k), spread over by the connections accepted on `endpoint`.
  static Socket BindOne(zmq::context_t& context, const TransportOptions& options,
                        const std::string& endpoint, uint64_t io_threads);
  Transport(Socket main, Socket dispatch)
      : main_(std::move(main)), dispatch_(std::move(dispatch)) {}
  Socket& Of(Lane lane) { return lane == Lane::kDispatch ? dispatch_ : main_; }

  Socket main_;
  Socket dispatch_;  // unset sockets without a dispatch lane
};

}  // namespace zonecast
