// The transport's two lanes: the main ROUTER and the consoles' ROUTER
// (--dispatch_listen), over real loopback TCP with real DEALER peers.
#include "core/transport.h"

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "zmq.hpp"

namespace zonecast {
namespace {

using Lane = Transport::Lane;

constexpr auto kWait = std::chrono::milliseconds(5000);

class TransportTest : public ::testing::Test {
 protected:
  std::unique_ptr<Transport> Bind(bool dispatch) {
    TransportOptions options;
    options.endpoint = "tcp://127.0.0.1:*";
    if (dispatch) options.dispatch_endpoint = "tcp://127.0.0.1:*";
    absl::StatusOr<std::unique_ptr<Transport>> transport = Transport::Bind(context_, options);
    EXPECT_TRUE(transport.ok()) << transport.status();
    return transport.ok() ? *std::move(transport) : nullptr;
  }

  zmq::socket_t Dealer(const std::string& endpoint) {
    zmq::socket_t dealer(context_, zmq::socket_type::dealer);
    dealer.set(zmq::sockopt::linger, 0);
    dealer.connect(endpoint);
    return dealer;
  }

  // Waits (bounded) for a frame on `lane` and receives it.
  static bool ReceiveWithin(Transport& transport, Lane lane, std::string* routing_id,
                            std::string* body) {
    zmq::pollitem_t item{transport.socket(lane).handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, kWait) == 0) return false;
    zmq::message_t message;
    int parts = 0;
    if (!transport.Receive(lane, routing_id, &message, &parts) || parts != 1) return false;
    *body = message.to_string();
    return true;
  }

  static std::string ReceiveFrom(zmq::socket_t& dealer) {
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, kWait) == 0) return "(nothing)";
    zmq::message_t message;
    (void)dealer.recv(message, zmq::recv_flags::none);
    return message.to_string();
  }

  zmq::context_t context_{2};
};

TEST_F(TransportTest, EachLaneReadsItsOwnPeersAndNamesItInTheRoutingId) {
  std::unique_ptr<Transport> transport = Bind(/*dispatch=*/true);
  ASSERT_NE(transport, nullptr);
  ASSERT_TRUE(transport->has_dispatch());
  ASSERT_NE(transport->dispatch_endpoint(), transport->endpoint());
  zmq::socket_t terminal = Dealer(transport->endpoint());
  zmq::socket_t console = Dealer(transport->dispatch_endpoint());
  terminal.send(zmq::str_buffer("from the terminal"));
  console.send(zmq::str_buffer("from the console"));

  std::string console_id, terminal_id, body;
  ASSERT_TRUE(ReceiveWithin(*transport, Lane::kDispatch, &console_id, &body));
  EXPECT_EQ(body, "from the console");
  EXPECT_EQ(Transport::LaneOf(console_id), Lane::kDispatch);
  ASSERT_TRUE(ReceiveWithin(*transport, Lane::kMain, &terminal_id, &body));
  EXPECT_EQ(body, "from the terminal");
  EXPECT_EQ(Transport::LaneOf(terminal_id), Lane::kMain);

  // Nothing more on either lane: each frame came out of its own socket once.
  zmq::message_t none;
  std::string id;
  int parts = 0;
  EXPECT_FALSE(transport->Receive(Lane::kMain, &id, &none, &parts));
  EXPECT_FALSE(transport->Receive(Lane::kDispatch, &id, &none, &parts));

  // A reply goes out on the socket its routing id names.
  zmq::message_t to_console(std::string("to the console"));
  zmq::message_t to_terminal(std::string("to the terminal"));
  EXPECT_EQ(transport->Send(console_id, to_console), Transport::SendResult::kSent);
  EXPECT_EQ(transport->Send(terminal_id, to_terminal), Transport::SendResult::kSent);
  EXPECT_EQ(ReceiveFrom(console), "to the console");
  EXPECT_EQ(ReceiveFrom(terminal), "to the terminal");
}

TEST_F(TransportTest, WithoutADispatchLaneItsRoutingIdsReachNobody) {
  std::unique_ptr<Transport> transport = Bind(/*dispatch=*/false);
  ASSERT_NE(transport, nullptr);
  EXPECT_FALSE(transport->has_dispatch());
  EXPECT_TRUE(transport->dispatch_endpoint().empty());
  zmq::socket_t terminal = Dealer(transport->endpoint());
  terminal.send(zmq::str_buffer("hello"));
  std::string id, body;
  ASSERT_TRUE(ReceiveWithin(*transport, Lane::kMain, &id, &body));

  // The same peer's id with the other lane's byte, and an empty id.
  std::string wrong_lane = id;
  wrong_lane[0] = static_cast<char>(Lane::kDispatch);
  zmq::message_t reply(std::string("x"));
  EXPECT_EQ(transport->Send(wrong_lane, reply), Transport::SendResult::kUnreachable);
  EXPECT_EQ(transport->Send("", reply), Transport::SendResult::kUnreachable);
  EXPECT_EQ(transport->Send(id, reply), Transport::SendResult::kSent);
  EXPECT_EQ(ReceiveFrom(terminal), "x");
}

TEST_F(TransportTest, ABindFailureNamesTheEndpoint) {
  TransportOptions options;
  options.endpoint = "tcp://127.0.0.1:*";
  options.dispatch_endpoint = "tcp://256.0.0.1:1";
  absl::StatusOr<std::unique_ptr<Transport>> transport = Transport::Bind(context_, options);
  ASSERT_FALSE(transport.ok());
  EXPECT_EQ(transport.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(transport.status().message().find("tcp://256.0.0.1:1"), std::string::npos)
      << transport.status();
}

}  // namespace
}  // namespace zonecast
