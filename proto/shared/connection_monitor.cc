#include "shared/connection_monitor.h"

#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>

namespace zonecast {

zmq::socket_t MonitorConnection(zmq::context_t& context, zmq::socket_t& socket, bool closes) {
  // One inproc endpoint per monitored socket: a process may hold several
  // (tests run brokers and clients side by side).
  static std::atomic<uint64_t> monitors{0};
  const std::string endpoint =
      "inproc://zonecast-handshakes-" + std::to_string(monitors.fetch_add(1));
  const int handshakes = ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL |
                         ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
  if (zmq_socket_monitor(socket.handle(), endpoint.c_str(),
                         handshakes | (closes ? ZMQ_EVENT_DISCONNECTED : 0)) != 0) {
    throw zmq::error_t();
  }
  zmq::socket_t events(context, zmq::socket_type::pair);
  events.set(zmq::sockopt::linger, 0);
  events.connect(endpoint);
  return events;
}

ConnectionEvent NextConnectionEvent(zmq::socket_t& events) {
  try {
    // An event is two parts: 2 bytes of event id and 4 of value, then the
    // peer's endpoint.
    zmq::message_t event;
    if (!events.recv(event, zmq::recv_flags::dontwait)) return ConnectionEvent::kNone;
    zmq::message_t address;
    if (event.more()) (void)events.recv(address, zmq::recv_flags::none);
    if (event.size() < 6) return ConnectionEvent::kProtocol;
    uint16_t id = 0;
    uint32_t value = 0;
    std::memcpy(&id, event.data(), sizeof id);
    std::memcpy(&value, static_cast<const char*>(event.data()) + sizeof id, sizeof value);
    if (id == ZMQ_EVENT_DISCONNECTED) return ConnectionEvent::kClosed;
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) return ConnectionEvent::kRefused;
    if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL &&
        value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
      return ConnectionEvent::kMechanism;
    }
    return ConnectionEvent::kProtocol;
  } catch (const zmq::error_t&) {
    return ConnectionEvent::kNone;
  }
}

}  // namespace zonecast
