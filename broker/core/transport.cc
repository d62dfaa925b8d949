#include "core/transport.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "shared/handshake_monitor.h"

namespace zonecast {

absl::StatusOr<std::unique_ptr<Transport>> Transport::Bind(zmq::context_t& context,
                                                           const TransportOptions& options) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::router);
    socket.set(zmq::sockopt::router_mandatory, 1);
    socket.set(zmq::sockopt::sndhwm, options.send_hwm);
    socket.set(zmq::sockopt::rcvhwm, options.receive_hwm);
    socket.set(zmq::sockopt::maxmsgsize, options.max_message_bytes);
    socket.set(zmq::sockopt::linger, 0);
    if (!options.curve_secret_key.empty()) {
      socket.set(zmq::sockopt::curve_server, 1);
      socket.set(zmq::sockopt::curve_secretkey, options.curve_secret_key);
      socket.set(zmq::sockopt::zap_domain, "zonecast");
    }
    zmq::socket_t events = MonitorHandshakes(context, socket);
    socket.bind(options.endpoint);
    std::string endpoint = socket.get(zmq::sockopt::last_endpoint);
    return std::unique_ptr<Transport>(
        new Transport(std::move(socket), std::move(events), std::move(endpoint)));
  } catch (const zmq::error_t& e) {
    return absl::UnavailableError(absl::StrCat("cannot bind ", options.endpoint, ": ", e.what()));
  }
}

Transport::Transport(zmq::socket_t socket, zmq::socket_t events, std::string endpoint)
    : socket_(std::move(socket)), events_(std::move(events)), endpoint_(std::move(endpoint)) {}

bool Transport::Receive(std::string* routing_id, zmq::message_t* body, int* parts) {
  try {
    zmq::message_t id;
    if (!socket_.recv(id, zmq::recv_flags::dontwait)) return false;
    routing_id->assign(static_cast<const char*>(id.data()), id.size());
    *parts = 0;
    // Always drain every part so a malformed multipart message cannot wedge
    // the socket; the caller rejects anything but exactly one body part.
    bool more = id.more();
    while (more) {
      if (!socket_.recv(*body, zmq::recv_flags::none)) break;
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
  try {
    zmq::const_buffer id(routing_id.data(), routing_id.size());
    if (!socket_.send(id, zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      return SendResult::kWouldBlock;
    }
    // Once the routing part is accepted the pipe has room for the body.
    socket_.send(body, zmq::send_flags::none);
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
