// Bad input over a real socket (ARCHITECTURE.md, delivery contract 7): each gets an Error
// frame with its specific code and a text, one count in errors.<CODE>, and
// nothing else: the same connection goes on working, and so does the broker.
//
// Table-driven: BadInputTest runs each case against a fresh broker and checks
// that exactly one error of that code was counted; BadInputSuiteTest sends
// every case to one broker and checks all the counters together.
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "support/broker_process.h"
#include "support/raw_peer.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
using zonecast::Client;
using zonecast::testing::AlertPublish;
using zonecast::testing::BrokerProcess;
using zonecast::testing::ConnectAll;
using zonecast::testing::ConnectClient;
using zonecast::testing::Counter;
using zonecast::testing::Describe;
using zonecast::testing::HelloFrame;
using zonecast::testing::MakeAlert;
using zonecast::testing::NextDeliver;
using zonecast::testing::PublishFrame;
using zonecast::testing::RawPeer;
using zonecast::testing::RawRoundTrip;
using zonecast::testing::RawStats;
using zonecast::testing::SubscribeFrame;

constexpr uint32_t kMaxFrameBytes = 4096;

struct BadInput {
  std::string name;
  v1::ErrorCode code;
  // Whether the peer says Hello (as `role`) before the bad input. Without
  // it, the peer says Hello after the Error to prove the connection usable.
  bool hello_first = true;
  v1::Role role = v1::CENTER;
  // Sends the bad input; returns the request id the Error must carry (0:
  // none to check).
  std::function<uint64_t(RawPeer&)> send;
};

// Keeps GoogleTest from dumping the struct's bytes into test names and logs.
void PrintTo(const BadInput& input, std::ostream* os) { *os << input.name; }

v1::Publish CanaryPublish(const std::string& topic) {
  v1::Publish publish;
  publish.set_topic(topic);
  publish.mutable_event()->mutable_canary()->set_probe("bad-input-test");
  return publish;
}

std::vector<BadInput> Cases() {
  return {
      {"BytesThatDoNotParse", v1::MALFORMED_FRAME, true, v1::CENTER,
       [](RawPeer& peer) -> uint64_t {
         // A tag varint that never ends.
         peer.SendBytes(std::string(6, '\xff'));
         return 0;
       }},
      {"OnlyAnUnknownField", v1::UNKNOWN_FRAME_TYPE, true, v1::CENTER,
       [](RawPeer& peer) -> uint64_t {
         // Field 99, varint 1: parses, but carries no frame we know.
         peer.SendBytes(std::string("\x98\x06\x01", 3));
         return 0;
       }},
      {"FrameOverMaxFrameBytes", v1::FRAME_TOO_LARGE, true, v1::CENTER,
       [](RawPeer& peer) -> uint64_t {
         v1::Publish publish = CanaryPublish("probe.big");
         publish.mutable_event()->mutable_canary()->set_padding(std::string(8192, 'p'));
         peer.Send(PublishFrame(publish, 11));
         return 0;  // not parsed, so no request id to echo
       }},
      {"TwoPartMessage", v1::MALFORMED_FRAME, true, v1::CENTER,
       [](RawPeer& peer) -> uint64_t {
         v1::Frame beat;
         beat.mutable_heartbeat()->set_unix_ms(1);
         peer.SendParts({beat.SerializeAsString(), beat.SerializeAsString()});
         return 0;
       }},
      {"PublishBeforeHello", v1::HELLO_REQUIRED, false, v1::CENTER,
       [](RawPeer& peer) -> uint64_t {
         peer.Send(PublishFrame(AlertPublish("alert.jincheng.z03", MakeAlert("early-1")), 12));
         return 0;
       }},
      {"EmptyTokenInPublishTopic", v1::INVALID_TOPIC, true, v1::CENTER,
       [](RawPeer& peer) -> uint64_t {
         peer.Send(PublishFrame(AlertPublish("alert..z03", MakeAlert("empty-token")), 13));
         return 13;
       }},
      {"UpperCaseTokenInPublishTopic", v1::INVALID_TOPIC, true, v1::CENTER,
       [](RawPeer& peer) -> uint64_t {
         peer.Send(PublishFrame(AlertPublish("alert.jincheng.Z03", MakeAlert("upper-case")), 14));
         return 14;
       }},
      {"AlertTopicWithoutCityAndZone", v1::INVALID_TOPIC, true, v1::CENTER,
       [](RawPeer& peer) -> uint64_t {
         peer.Send(PublishFrame(AlertPublish("alert", MakeAlert("no-zone")), 18));
         return 18;
       }},
      {"WildcardInPublishTopic", v1::WILDCARD_IN_PUBLISH, true, v1::CENTER,
       [](RawPeer& peer) -> uint64_t {
         peer.Send(PublishFrame(AlertPublish("alert.jincheng.*", MakeAlert("wildcard")), 15));
         return 15;
       }},
      {"TerminalPublishesAlert", v1::PERMISSION_DENIED, true, v1::TERMINAL,
       [](RawPeer& peer) -> uint64_t {
         peer.Send(PublishFrame(AlertPublish("alert.jincheng.z03", MakeAlert("not-a-center")), 16));
         return 16;
       }},
      {"SubscribeToInvalidPattern", v1::INVALID_TOPIC, true, v1::TERMINAL,
       [](RawPeer& peer) -> uint64_t {
         peer.Send(SubscribeFrame(17, {"alert.>.x"}));
         return 17;
       }},
      {"HelloWithUnsupportedVersion", v1::UNSUPPORTED_VERSION, true, v1::TERMINAL,
       [](RawPeer& peer) -> uint64_t {
         peer.Send(HelloFrame(v1::TERMINAL, "jc-z03-v99", /*protocol_version=*/99));
         return 0;
       }},
      {"FirstHelloWithUnsupportedVersion", v1::UNSUPPORTED_VERSION, false, v1::TERMINAL,
       [](RawPeer& peer) -> uint64_t {
         peer.Send(HelloFrame(v1::TERMINAL, "jc-z03-v98", /*protocol_version=*/99));
         return 0;
       }},
  };
}

std::unique_ptr<BrokerProcess> StartBroker() {
  auto broker = BrokerProcess::Start({absl::StrCat("--max_frame_bytes=", kMaxFrameBytes)});
  EXPECT_TRUE(broker.ok()) << broker.status();
  return broker.ok() ? *std::move(broker) : nullptr;
}

// Sends `input` on a fresh raw connection to `endpoint` as unit `unit`, checks
// the Error, then that the same connection still works. Records failures.
void SendAndCheck(const std::string& endpoint, const BadInput& input, const std::string& unit) {
  SCOPED_TRACE(input.name);
  RawPeer peer(endpoint);
  if (input.hello_first) {
    ASSERT_TRUE(peer.Hello(input.role, unit));
  }
  const uint64_t request_id = input.send(peer);
  std::optional<v1::Frame> reply =
      peer.ReceiveUntil([](const v1::Frame& f) { return f.has_error(); }, absl::Seconds(5));
  ASSERT_TRUE(reply.has_value()) << "no Error frame";
  EXPECT_EQ(reply->error().code(), input.code) << Describe(*reply);
  EXPECT_FALSE(reply->error().text().empty()) << Describe(*reply);
  if (request_id != 0) {
    EXPECT_EQ(reply->error().request_id(), request_id) << Describe(*reply);
  }

  if (!input.hello_first) {
    ASSERT_TRUE(peer.Hello(input.role, unit)) << "Hello after the Error";
  }
  const std::string round_trip = RawRoundTrip(peer, unit);
  EXPECT_EQ(round_trip, "") << "the connection stopped working after the Error";
}

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, GetsItsErrorCodeAndSessionGoesOn) {
  std::unique_ptr<BrokerProcess> broker = StartBroker();
  ASSERT_NE(broker, nullptr);
  const BadInput& input = GetParam();
  SendAndCheck(broker->endpoint(), input, "bad-unit");
  if (HasFatalFailure()) return;

  RawPeer checker(broker->endpoint());
  ASSERT_TRUE(checker.Hello(v1::PROBE, "checker"));
  std::optional<v1::StatsReply> stats = RawStats(checker, 1);
  ASSERT_TRUE(stats.has_value());
  for (int code = v1::MALFORMED_FRAME; code <= v1::INTERNAL; ++code) {
    if (!v1::ErrorCode_IsValid(code)) continue;
    const std::string name = v1::ErrorCode_Name(static_cast<v1::ErrorCode>(code));
    EXPECT_EQ(Counter(*stats, "errors." + name), code == input.code ? 1u : 0u) << name;
  }
  EXPECT_EQ(Counter(*stats, "protocol_errors"), 1u);
  if (HasFailure()) std::cerr << "broker log:\n" << broker->Log();
}

INSTANTIATE_TEST_SUITE_P(AllCases, BadInputTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<BadInput>& info) {
                           return info.param.name;
                         });

TEST(BadInputSuiteTest, EveryErrorIsCountedAndBrokerKeepsServing) {
  std::unique_ptr<BrokerProcess> broker = StartBroker();
  ASSERT_NE(broker, nullptr);
  const std::vector<BadInput> cases = Cases();
  std::map<v1::ErrorCode, uint64_t> expected;
  for (size_t i = 0; i < cases.size(); ++i) {
    SendAndCheck(broker->endpoint(), cases[i], absl::StrCat("bad-unit-", i));
    ++expected[cases[i].code];
  }

  auto clients = ConnectAll(
      broker->endpoint(),
      {{v1::TERMINAL, "jc-z03-v01", {"alert.jincheng.z03"}}, {v1::CENTER, "center-1", {}}});
  ASSERT_TRUE(clients.ok()) << clients.status();
  Client& terminal = *(*clients)[0];
  Client& center = *(*clients)[1];
  absl::StatusOr<v1::StatsSnapshot> stats = center.Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  for (int code = v1::MALFORMED_FRAME; code <= v1::INTERNAL; ++code) {
    if (!v1::ErrorCode_IsValid(code)) continue;
    const v1::ErrorCode error_code = static_cast<v1::ErrorCode>(code);
    const std::string name = v1::ErrorCode_Name(error_code);
    EXPECT_EQ(Counter(*stats, "errors." + name), expected[error_code]) << name;
  }
  EXPECT_EQ(Counter(*stats, "protocol_errors"), cases.size());
  EXPECT_EQ(Counter(*stats, "errors_sent"), cases.size());

  absl::StatusOr<zonecast::PublishResult> ack =
      center.PublishAlert("alert.jincheng.z03", MakeAlert("after-bad-input", v1::P1));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->recipients(), 1u);
  std::optional<zonecast::Message> got = NextDeliver(terminal, absl::Seconds(5));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->event().alert().alert_id(), "after-bad-input");
  if (HasFailure()) std::cerr << "broker log:\n" << broker->Log();
}

TEST(BadInputSuiteTest, MessageOverTheTransportLimitCutsItsConnectionAndIsCounted) {
  // Over --transport_max_bytes ZeroMQ itself drops the connection before
  // the loop sees a byte (a guard against memory exhaustion); what the
  // broker can count is the closed connection.
  std::unique_ptr<BrokerProcess> broker = StartBroker();
  ASSERT_NE(broker, nullptr);
  auto center_client = ConnectClient(broker->endpoint(), v1::CENTER, "center-1");
  ASSERT_TRUE(center_client.ok()) << center_client.status();
  Client& center = **center_client;
  absl::StatusOr<v1::StatsSnapshot> before = center.Stats();
  ASSERT_TRUE(before.ok()) << before.status();

  RawPeer peer(broker->endpoint());
  ASSERT_TRUE(peer.Hello(v1::CENTER, "center-huge"));
  peer.SendBytes(std::string(5 << 20, 'x'));
  uint64_t closed = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (absl::Now() < deadline) {
    absl::StatusOr<v1::StatsSnapshot> stats = center.Stats();
    ASSERT_TRUE(stats.ok()) << stats.status();
    closed = Counter(*stats, "connections_closed") - Counter(*before, "connections_closed");
    if (closed > 0) break;
    (void)center.Next(absl::Milliseconds(20));  // the counter moves on the loop's next turn
  }
  EXPECT_EQ(closed, 1u) << "the cut connection was not counted";

  absl::StatusOr<zonecast::PublishResult> ack =
      center.PublishAlert("alert.jincheng.z03", MakeAlert("after-huge-frame", v1::P1));
  ASSERT_TRUE(ack.ok()) << ack.status();
  if (HasFailure()) std::cerr << "broker log:\n" << broker->Log();
}

}  // namespace
