#include "support/raw_peer.h"

#include "absl/time/clock.h"

namespace zonecast::testing {

RawPeer::RawPeer(const std::string& endpoint, int receive_hwm, int receive_buffer_bytes) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::rcvhwm, receive_hwm);
  if (receive_buffer_bytes > 0) socket_.set(zmq::sockopt::rcvbuf, receive_buffer_bytes);
  socket_.connect(endpoint);
}

void RawPeer::SendBytes(const std::string& bytes) {
  socket_.send(zmq::buffer(bytes), zmq::send_flags::none);
}

void RawPeer::SendParts(const std::vector<std::string>& parts) {
  for (size_t i = 0; i < parts.size(); ++i) {
    socket_.send(zmq::buffer(parts[i]),
                 i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

void RawPeer::Send(const v1::Frame& frame) { SendBytes(frame.SerializeAsString()); }

std::optional<v1::Frame> RawPeer::Receive(absl::Duration timeout) {
  return ReceiveUntil([](const v1::Frame&) { return true; }, timeout);
}

std::optional<v1::Frame> RawPeer::ReceiveUntil(const std::function<bool(const v1::Frame&)>& match,
                                               absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::nullopt;
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1,
              std::chrono::milliseconds(std::max<int64_t>(1, absl::ToInt64Milliseconds(left))));
    if (!(item.revents & ZMQ_POLLIN)) continue;
    zmq::message_t message;
    if (!socket_.recv(message, zmq::recv_flags::dontwait)) continue;
    v1::Frame frame;
    if (!frame.ParseFromArray(message.data(), static_cast<int>(message.size()))) continue;
    if (frame.has_heartbeat()) continue;
    if (match(frame)) return frame;
  }
}

bool RawPeer::Hello(v1::Role role, const std::string& unit_id, const std::string& group,
                    const std::string& zone) {
  v1::Frame frame;
  v1::Hello* hello = frame.mutable_hello();
  hello->set_protocol_version(1);
  hello->set_role(role);
  hello->set_unit_id(unit_id);
  hello->set_patrol_group(group);
  hello->set_zone(zone);
  Send(frame);
  return ReceiveUntil([](const v1::Frame& f) { return f.has_welcome() || f.has_error(); })
      .value_or(v1::Frame())
      .has_welcome();
}

bool RawPeer::Subscribe(const std::vector<std::string>& patterns) {
  v1::Frame frame;
  const uint64_t id = next_request_id_++;
  frame.mutable_subscribe()->set_request_id(id);
  for (const std::string& p : patterns) frame.mutable_subscribe()->add_patterns(p);
  Send(frame);
  auto reply = ReceiveUntil([id](const v1::Frame& f) {
    return (f.has_subscribed() && f.subscribed().request_id() == id) ||
           (f.has_error() && f.error().request_id() == id);
  });
  return reply.has_value() && reply->has_subscribed();
}

}  // namespace zonecast::testing
