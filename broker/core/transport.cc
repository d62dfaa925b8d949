#include "core/transport.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "shared/connection_monitor.h"

namespace zonecast {

Transport::Socket Transport::BindOne(zmq::context_t& context, const TransportOptions& options,
                                     const std::string& endpoint, uint64_t io_threads) {
  zmq::socket_t socket(context, zmq::socket_type::router);
  socket.set(zmq::sockopt::affinity, io_threads);
  socket.set(zmq::sockopt::router_mandatory, 1);
  socket.set(zmq::sockopt::sndhwm, options.send_hwm);
  socket.set(zmq::sockopt::rcvhwm, options.receive_hwm);
  socket.set(zmq::sockopt::maxmsgsize, options.max_message_bytes);
  socket.set(zmq::sockopt::linger, 0);
  // libzmq's default of 100 overflows when thousands of terminals come
  // back at once after a restart: the kernel drops their handshakes, and
  // TCP retries them after 1, 3, 7, 15 s, so Hellos reach the broker many
  // seconds late and a session can time out before its Welcome lands.
  socket.set(zmq::sockopt::backlog, options.backlog);
  if (!options.curve_secret_key.empty()) {
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, options.curve_secret_key);
    socket.set(zmq::sockopt::zap_domain, "zonecast");
  }
  zmq::socket_t events = MonitorConnection(context, socket, /*closes=*/true);
  socket.bind(endpoint);
  std::string bound = socket.get(zmq::sockopt::last_endpoint);
  return Socket{std::move(socket), std::move(events), std::move(bound)};
}

absl::StatusOr<std::unique_ptr<Transport>> Transport::Bind(zmq::context_t& context,
                                                           const TransportOptions& options) {
  const std::string* binding = &options.endpoint;
  try {
    // More than one I/O thread for the terminals: after a restart ten
    // thousand connections are accepted and shaken hands with at once.
    const uint64_t main_threads = (uint64_t{1} << options.io_threads) - 1;
    Socket main = BindOne(context, options, options.endpoint, main_threads);
    Socket dispatch;
    if (!options.dispatch_endpoint.empty()) {
      binding = &options.dispatch_endpoint;
      // Its own ZeroMQ I/O thread: one thread serving 10,000 terminals'
      // connections reaches a console's bytes only in its turn among them.
      dispatch =
          BindOne(context, options, options.dispatch_endpoint, uint64_t{1} << options.io_threads);
    }
    return std::unique_ptr<Transport>(new Transport(std::move(main), std::move(dispatch)));
  } catch (const zmq::error_t& e) {
    return absl::UnavailableError(absl::StrCat("cannot bind ", *binding, ": ", e.what()));
  }
}

bool Transport::Receive(Lane lane, std::string* routing_id, zmq::message_t* body, int* parts) {
  zmq::socket_t& socket = Of(lane).socket;
  try {
    zmq::message_t id;
    if (!socket.recv(id, zmq::recv_flags::dontwait)) return false;
    routing_id->assign(1, static_cast<char>(lane));
    routing_id->append(static_cast<const char*>(id.data()), id.size());
    *parts = 0;
    // Always drain every part so a malformed multipart message cannot wedge
    // the socket; the caller rejects anything but exactly one body part.
    bool more = id.more();
    while (more) {
      if (!socket.recv(*body, zmq::recv_flags::none)) break;
      ++*parts;
      more = body->more();
    }
    if (*parts == 0) body->rebuild(size_t{0});
    return true;
  } catch (const zmq::error_t& e) {
    if (e.num() != ETERM) ZC_LOG(ERROR) << "receive failed: " << e.what();
    return false;
  }
}

Transport::SendResult Transport::Send(absl::string_view routing_id, zmq::message_t& body) {
  if (routing_id.empty()) return SendResult::kUnreachable;
  const Lane lane = LaneOf(routing_id);
  if (lane == Lane::kDispatch && !has_dispatch()) return SendResult::kUnreachable;
  zmq::socket_t& socket = Of(lane).socket;
  routing_id.remove_prefix(1);
  try {
    zmq::const_buffer id(routing_id.data(), routing_id.size());
    if (!socket.send(id, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return SendResult::kWouldBlock;
    }
    // Once the routing part is accepted the pipe has room for the body.
    socket.send(body, zmq::send_flags::none);
    return SendResult::kSent;
  } catch (const zmq::error_t& e) {
    if (e.num() == EHOSTUNREACH) {
      ZC_LOG(DEBUG) << "send: peer unreachable";
      return SendResult::kUnreachable;
    }
    if (e.num() == EAGAIN) return SendResult::kWouldBlock;
    ZC_LOG(ERROR) << "send failed: " << e.what();
    return SendResult::kUnreachable;
  }
}

}  // namespace zonecast
