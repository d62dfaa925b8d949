// Limits against abuse on the real zonecastd: each exceeded limit is an
// Error with its own code and a counter, the session stays up, and an
// officer's emergency button is never held back.
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "support/broker_process.h"
#include "support/raw_peer.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
using zonecast::Client;
using zonecast::testing::BrokerProcess;
using zonecast::testing::ConnectClient;
using zonecast::testing::CounterNow;
using zonecast::testing::MakeAlert;
using zonecast::testing::MakePosition;
using zonecast::testing::RawPeer;
using zonecast::testing::WaitForCounter;

constexpr char kRadio[] = "radio.jincheng.z03.jc-z03-v01";

std::unique_ptr<BrokerProcess> Start(std::vector<std::string> args) {
  auto broker = BrokerProcess::Start(std::move(args));
  EXPECT_TRUE(broker.ok()) << broker.status();
  return broker.ok() ? *std::move(broker) : nullptr;
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
  EXPECT_EQ(CounterNow(**center, "publishes_rate_limited"), static_cast<uint64_t>(limited));
  EXPECT_EQ(CounterNow(**center, "errors.RATE_LIMITED"), static_cast<uint64_t>(limited));
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
  EXPECT_EQ(CounterNow(**center, "sessions_refused"), 1u);
}

// AddressSanitizer keeps freed memory in quarantine (256 MiB), so the
// broker's RSS says nothing about its bounds there; the counters still do.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kUnderAddressSanitizer = true;
#else
constexpr bool kUnderAddressSanitizer = false;
#endif

// Resident memory of process `pid`, in bytes (0 if unreadable).
uint64_t RssBytes(pid_t pid) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (!absl::StartsWith(line, "VmRSS:")) continue;
    uint64_t kib = 0;
    std::string number = line.substr(6);
    number.erase(0, number.find_first_not_of(" \t"));
    number = number.substr(0, number.find(' '));
    return absl::SimpleAtoi(number, &kib) ? kib * 1024 : 0;
  }
  return 0;
}

// A peer that sends bad frames and never reads what it is told: once its
// unread replies reach --session_reply_bytes the errors it earns are
// dropped and counted, and the broker's memory stays flat (with every
// error kept, this flood grows the broker by about 60 MB).
TEST(LimitsTest, ErrorFloodToAPeerThatNeverReadsKeepsMemoryFlat) {
  constexpr uint64_t kFrames = 300000;
  std::unique_ptr<BrokerProcess> broker =
      Start({"--heartbeat_ms=60000", "--session_reply_bytes=65536", "--pipe_hwm=16"});
  ASSERT_NE(broker, nullptr);
  auto center = ConnectClient(broker->endpoint(), v1::CENTER, "center-watch");
  ASSERT_TRUE(center.ok()) << center.status();
  RawPeer flood(broker->endpoint(), /*receive_hwm=*/1, /*receive_buffer_bytes=*/4096);
  ASSERT_TRUE(flood.Hello(v1::CENTER, "center-flood"));
  const uint64_t rss_before = RssBytes(broker->pid());
  ASSERT_GT(rss_before, 0u);
  for (uint64_t i = 0; i < kFrames; ++i) flood.SendBytes(std::string(6, '\xff'));
  EXPECT_EQ(WaitForCounter(**center, "errors.MALFORMED_FRAME", kFrames), kFrames);
  const uint64_t dropped = CounterNow(**center, "replies_dropped");
  EXPECT_GT(dropped, kFrames / 2) << "the errors of a peer that does not read were kept";
  EXPECT_EQ(CounterNow(**center, "errors_sent") + dropped, kFrames);
  const uint64_t rss_after = RssBytes(broker->pid());
  if (!kUnderAddressSanitizer) {
    EXPECT_LT(rss_after, rss_before + (32u << 20))
        << "RSS grew from " << rss_before << " to " << rss_after << " bytes";
  }
  EXPECT_TRUE((*center)->connected());
}

// History requests: a few may wait for the reader, more are refused; a
// session whose history pages pile up unread is ended with
// REPLIES_NOT_READ, counted, and everyone else is served on.
TEST(LimitsTest, HistoryPagesNobodyReadsEndTheSession) {
  std::unique_ptr<BrokerProcess> broker =
      Start({"--heartbeat_ms=60000", "--session_reply_bytes=65536", "--pipe_hwm=2"});
  ASSERT_NE(broker, nullptr);
  auto center = ConnectClient(broker->endpoint(), v1::CENTER, "center-1");
  ASSERT_TRUE(center.ok()) << center.status();
  for (int i = 0; i < 300; ++i) {
    absl::StatusOr<zonecast::PublishResult> stored = (*center)->PublishAlert(
        "alert.jincheng.z03", MakeAlert(absl::StrCat("hist-", i), v1::P3, 1000));
    ASSERT_TRUE(stored.ok()) << stored.status();
  }
  RawPeer reader(broker->endpoint(), /*receive_hwm=*/1, /*receive_buffer_bytes=*/4096);
  ASSERT_TRUE(reader.Hello(v1::CENTER, "center-reader"));
  const uint64_t rss_before = RssBytes(broker->pid());
  // Stopped while the requests go out, the broker reads them in one go, as
  // from a peer sending faster than it is answered (else a fast history
  // thread may answer each before the next arrives, and none is refused).
  ASSERT_EQ(::kill(broker->pid(), SIGSTOP), 0);
  for (uint64_t id = 1; id <= 400; ++id) {
    v1::Frame frame;
    v1::HistoryRequest* request = frame.mutable_history_request();
    request->set_request_id(id);
    request->set_pattern("alert.>");
    request->set_limit(1000);
    reader.Send(frame);
  }
  absl::SleepFor(absl::Milliseconds(200));  // let the frames reach its socket buffer
  ASSERT_EQ(::kill(broker->pid(), SIGCONT), 0);
  EXPECT_EQ(WaitForCounter(**center, "sessions_cut_unread_replies", 1), 1u);
  EXPECT_GT(CounterNow(**center, "history_requests_refused"), 0u);
  if (!kUnderAddressSanitizer) {
    EXPECT_LT(RssBytes(broker->pid()), rss_before + (64u << 20));
  }
  // The broker serves on.
  absl::StatusOr<zonecast::PublishResult> after =
      (*center)->PublishAlert("alert.jincheng.z03", MakeAlert("hist-after", v1::P1));
  ASSERT_TRUE(after.ok()) << after.status();
}

}  // namespace
