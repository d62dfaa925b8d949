// Limits against abuse on the real zonecastd: each exceeded limit is an
// Error with its own code and a counter, the session stays up, and an
// officer's emergency button is never held back.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
using zonecast::Client;
using zonecast::testing::BrokerProcess;
using zonecast::testing::ConnectClient;
using zonecast::testing::Counter;
using zonecast::testing::MakePosition;

constexpr char kRadio[] = "radio.jincheng.z03.jc-z03-v01";

std::unique_ptr<BrokerProcess> Start(std::vector<std::string> args) {
  auto broker = BrokerProcess::Start(std::move(args));
  EXPECT_TRUE(broker.ok()) << broker.status();
  return broker.ok() ? *std::move(broker) : nullptr;
}

uint64_t CounterOf(Client& client, const std::string& name) {
  absl::StatusOr<v1::StatsSnapshot> stats = client.Stats();
  EXPECT_TRUE(stats.ok()) << stats.status();
  return stats.ok() ? Counter(*stats, name) : 0;
}

// A terminal over its publish rate is told RATE_LIMITED, publish by
// publish, and keeps its session; its emergency button still goes through.
TEST(LimitsTest, PublishRateHoldsButNeverForTheEmergencyButton) {
  std::unique_ptr<BrokerProcess> broker =
      Start({"--publish_rate=1", "--publish_burst=5", "--heartbeat_ms=60000"});
  ASSERT_NE(broker, nullptr);
  auto unit = ConnectClient(broker->endpoint(), v1::TERMINAL, "jc-z03-v01");
  ASSERT_TRUE(unit.ok()) << unit.status();
  int accepted = 0;
  int limited = 0;
  for (int i = 0; i < 20; ++i) {
    absl::StatusOr<zonecast::PublishResult> sent =
        (*unit)->PublishRadio(kRadio, MakePosition("jc-z03-v01"));
    if (sent.ok()) {
      ++accepted;
    } else {
      EXPECT_EQ(sent.status().code(), absl::StatusCode::kResourceExhausted) << sent.status();
      EXPECT_TRUE(absl::StartsWith(sent.status().message(), "RATE_LIMITED")) << sent.status();
      ++limited;
    }
  }
  // The burst, and at most a token or two earned while the loop ran.
  EXPECT_GE(accepted, 5);
  EXPECT_LE(accepted, 7);
  EXPECT_EQ(accepted + limited, 20);

  v1::RadioEvent button;
  button.set_unit("jc-z03-v01");
  button.set_kind(v1::RadioEvent::EMERGENCY);
  button.set_text("officer down, Lanhua bridge");
  absl::StatusOr<zonecast::PublishResult> emergency = (*unit)->PublishRadio(kRadio, button);
  ASSERT_TRUE(emergency.ok()) << emergency.status();
  EXPECT_GT(emergency->seq(), 0u);

  auto center = ConnectClient(broker->endpoint(), v1::CENTER, "center-1");
  ASSERT_TRUE(center.ok()) << center.status();
  EXPECT_EQ(CounterOf(**center, "publishes_rate_limited"), static_cast<uint64_t>(limited));
  EXPECT_EQ(CounterOf(**center, "errors.RATE_LIMITED"), static_cast<uint64_t>(limited));
  EXPECT_TRUE((*unit)->connected());
}

// Beyond --max_sessions a Hello is refused with TOO_MANY_SESSIONS; a unit
// taking its own session over is not a new session.
TEST(LimitsTest, MaxSessionsRefusesNewOnesButNotATakeOver) {
  std::unique_ptr<BrokerProcess> broker = Start({"--max_sessions=2"});
  ASSERT_NE(broker, nullptr);
  auto center = ConnectClient(broker->endpoint(), v1::CENTER, "center-1");
  auto unit = ConnectClient(broker->endpoint(), v1::TERMINAL, "jc-z03-v01");
  ASSERT_TRUE(center.ok()) << center.status();
  ASSERT_TRUE(unit.ok()) << unit.status();
  auto third = ConnectClient(broker->endpoint(), v1::TERMINAL, "jc-z03-v02");
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(third.status().code(), absl::StatusCode::kResourceExhausted) << third.status();
  EXPECT_TRUE(absl::StartsWith(third.status().message(), "TOO_MANY_SESSIONS")) << third.status();
  auto moved = ConnectClient(broker->endpoint(), v1::TERMINAL, "jc-z03-v01");
  EXPECT_TRUE(moved.ok()) << moved.status();
  EXPECT_EQ(CounterOf(**center, "sessions_refused"), 1u);
}

}  // namespace
