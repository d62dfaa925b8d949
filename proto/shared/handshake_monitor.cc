#include "shared/handshake_monitor.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>

namespace zonecast {

zmq::socket_t MonitorHandshakes(zmq::context_t& context, zmq::socket_t& socket) {
  // One inproc endpoint per monitored socket: a process may hold several
  // (tests run brokers and clients side by side).
  static std::atomic<uint64_t> monitors{0};
  const std::string endpoint =
      "inproc://zonecast-handshakes-" + std::to_string(monitors.fetch_add(1));
  if (zmq_socket_monitor(socket.handle(), endpoint.c_str(),
                         ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                             ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                             ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) != 0) {
    throw zmq::error_t();
  }
  zmq::socket_t events(context, zmq::socket_type::pair);
  events.set(zmq::sockopt::linger, 0);
  events.connect(endpoint);
  return events;
}

HandshakeFailure NextHandshakeFailure(zmq::socket_t& events) {
  try {
    // An event is two parts: 2 bytes of event id and 4 of value, then the
    // peer's endpoint.
    zmq::message_t event;
    if (!events.recv(event, zmq::recv_flags::dontwait)) return HandshakeFailure::kNone;
    zmq::message_t address;
    if (event.more()) (void)events.recv(address, zmq::recv_flags::none);
    if (event.size() < 6) return HandshakeFailure::kProtocol;
    uint16_t id = 0;
    uint32_t value = 0;
    std::memcpy(&id, event.data(), sizeof id);
    std::memcpy(&value, static_cast<const char*>(event.data()) + sizeof id, sizeof value);
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) return HandshakeFailure::kRefused;
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
        value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
      return HandshakeFailure::kMechanism;
    }
    return HandshakeFailure::kProtocol;
  } catch (const zmq::error_t&) {
    return HandshakeFailure::kNone;
  }
}

}  // namespace zonecast
