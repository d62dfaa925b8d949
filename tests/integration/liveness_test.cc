// Heartbeats and liveness: a silent session is declared offline after
// heartbeat_misses periods (presence OFFLINE "heartbeat_timeout", counted),
// while a client that keeps beating stays online; a peer whose session was
// closed must say Hello again.
#include <atomic>
#include <future>
#include <iostream>
#include <string>
#include <vector>

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
using zonecast::testing::Counter;
using zonecast::testing::Describe;
using zonecast::testing::HelloFrame;
using zonecast::testing::NextDeliver;
using zonecast::testing::RawPeer;
using zonecast::testing::SubscribeFrame;

constexpr int kHeartbeatMs = 100;
constexpr int kHeartbeatMisses = 3;

class LivenessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = BrokerProcess::Start({"--heartbeat_ms=100", "--heartbeat_misses=3"});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
  }

  void TearDown() override {
    if (HasFailure() && broker_ != nullptr) std::cerr << "broker log:\n" << broker_->Log();
  }

  std::unique_ptr<BrokerProcess> broker_;
};

// A presence event as the watcher saw it.
struct Presence {
  std::string unit;
  v1::SessionEvent::State state;
  std::string reason;
  absl::Time seen;
};

// Next presence event for `watcher` within `timeout`.
std::optional<Presence> NextPresence(Client& watcher, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    std::optional<zonecast::Message> d = NextDeliver(watcher, deadline - absl::Now());
    if (!d) return std::nullopt;
    if (!d->event().has_session()) continue;
    const v1::SessionEvent& e = d->event().session();
    return Presence{e.unit(), e.state(), e.reason(), absl::Now()};
  }
  return std::nullopt;
}

TEST_F(LivenessTest, SilentTerminalGoesOfflineWhileBeatingOneStaysOnline) {
  // With a 100 ms heartbeat a client-library client must stay inside a call
  // to keep beating (silence of 300 ms is death). The beating terminal gets
  // its own pumping thread as soon as it is connected; the watcher, pumped
  // by this thread, connects last so that it is never left idle.
  auto beating_client = ConnectClient(broker_->endpoint(), v1::TERMINAL, "jc-z05-v01");
  ASSERT_TRUE(beating_client.ok()) << beating_client.status();
  Client* beating = beating_client->get();
  std::atomic<bool> stop{false};
  std::future<void> beating_loop = std::async(std::launch::async, [&stop, beating] {
    while (!stop) (void)beating->Next(absl::Milliseconds(20)).ok();
  });
  struct Stop {
    std::atomic<bool>& flag;
    ~Stop() { flag = true; }
  } stop_on_exit{stop};

  auto watcher_client = ConnectClient(broker_->endpoint(), v1::CENTER, "watch-presence");
  ASSERT_TRUE(watcher_client.ok()) << watcher_client.status();
  Client& watcher = **watcher_client;
  ASSERT_TRUE(watcher.Subscribe({"sys.presence.>"}).ok());
  EXPECT_EQ(watcher.session().heartbeat, absl::Milliseconds(kHeartbeatMs));
  EXPECT_EQ(watcher.session().heartbeat_misses, static_cast<uint32_t>(kHeartbeatMisses));

  RawPeer silent(broker_->endpoint());
  ASSERT_TRUE(silent.Hello(v1::TERMINAL, "jc-z05-silent", "jc-pg05", "jincheng.z05"));
  // It uses its session (a live terminal), and from here on it neither
  // sends nor reads.
  const absl::Time hello_sent = absl::Now();
  ASSERT_TRUE(silent.Subscribe({"alert.jincheng.z05"}));

  std::vector<Presence> events;
  std::optional<Presence> offline;
  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  while (!offline && absl::Now() < deadline) {
    std::optional<Presence> p = NextPresence(watcher, deadline - absl::Now());
    if (!p) break;
    events.push_back(*p);
    if (p->unit == "jc-z05-silent" && p->state == v1::SessionEvent::OFFLINE) offline = p;
  }
  ASSERT_TRUE(offline.has_value()) << "no OFFLINE for the silent unit within 3 s";
  EXPECT_EQ(offline->reason, "heartbeat_timeout");
  EXPECT_GE(offline->seen - hello_sent, absl::Milliseconds(kHeartbeatMs * kHeartbeatMisses))
      << "declared dead before heartbeat_misses periods of silence";

  // Keep watching for as long again (several dead periods) while the beating
  // terminal runs, then fence the watcher with a fresh session's ONLINE.
  const absl::Time watch_until = absl::Now() + absl::Milliseconds(1000);
  while (absl::Now() < watch_until) {
    std::optional<Presence> p = NextPresence(watcher, watch_until - absl::Now());
    if (p) events.push_back(*p);
  }
  std::future<absl::StatusOr<std::unique_ptr<Client>>> fence =
      std::async(std::launch::async,
                 [this] { return ConnectClient(broker_->endpoint(), v1::PROBE, "fence-probe"); });
  bool fenced = false;
  while (!fenced) {
    std::optional<Presence> p = NextPresence(watcher, absl::Seconds(3));
    ASSERT_TRUE(p.has_value()) << "no ONLINE for the fence probe";
    events.push_back(*p);
    fenced = p->unit == "fence-probe" && p->state == v1::SessionEvent::ONLINE;
  }
  ASSERT_TRUE(fence.get().ok());

  int silent_online = 0;
  int silent_offline = 0;
  for (const Presence& p : events) {
    EXPECT_FALSE(p.unit == "jc-z05-v01" && p.state == v1::SessionEvent::OFFLINE)
        << "the beating terminal went offline: " << p.reason;
    if (p.unit == "jc-z05-silent") {
      (p.state == v1::SessionEvent::ONLINE ? silent_online : silent_offline)++;
    }
  }
  EXPECT_EQ(silent_online, 1);
  EXPECT_EQ(silent_offline, 1);
  stop = true;
  beating_loop.get();
  EXPECT_TRUE(beating->connected());
  EXPECT_EQ(beating->reconnects(), 0u) << "the beating terminal had to say Hello again";

  absl::StatusOr<v1::StatsSnapshot> stats = watcher.Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Counter(*stats, "heartbeat_timeouts"), 1u);
  EXPECT_EQ(Counter(*stats, "sessions_unconfirmed"), 0u);

  // The silent peer speaks again: its session is gone.
  silent.Send(SubscribeFrame(7, {"alert.jincheng.z05"}));
  std::optional<v1::Frame> reply = silent.ReceiveUntil(
      [](const v1::Frame& f) { return f.has_error() || f.has_subscribed(); }, absl::Seconds(3));
  ASSERT_TRUE(reply.has_value()) << "no answer to the late frame";
  ASSERT_TRUE(reply->has_error()) << Describe(*reply);
  EXPECT_EQ(reply->error().code(), v1::HELLO_REQUIRED) << Describe(*reply);

  // And a new Hello brings it back.
  silent.Send(HelloFrame(v1::TERMINAL, "jc-z05-silent"));
  std::optional<v1::Frame> welcome = silent.ReceiveUntil(
      [](const v1::Frame& f) { return f.has_welcome() || f.has_error(); }, absl::Seconds(3));
  ASSERT_TRUE(welcome.has_value());
  EXPECT_TRUE(welcome->has_welcome()) << Describe(*welcome);
}

TEST_F(LivenessTest, SessionNeverUsedAfterItsWelcomeIsClosedAsUnconfirmed) {
  // A terminal that gave up on a connection before its Welcome came (a
  // reconnect storm) leaves a session nobody uses: it is closed like a
  // silent one, but it is no live terminal's heartbeat timeout.
  auto watcher_client = ConnectClient(broker_->endpoint(), v1::CENTER, "watch-presence");
  ASSERT_TRUE(watcher_client.ok()) << watcher_client.status();
  Client& watcher = **watcher_client;
  ASSERT_TRUE(watcher.Subscribe({"sys.presence.>"}).ok());

  RawPeer abandoned(broker_->endpoint());
  ASSERT_TRUE(abandoned.Hello(v1::TERMINAL, "jc-z05-gone", "jc-pg05", "jincheng.z05"));
  std::optional<Presence> offline;
  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  while (!offline && absl::Now() < deadline) {
    std::optional<Presence> p = NextPresence(watcher, deadline - absl::Now());
    if (!p) break;
    if (p->unit == "jc-z05-gone" && p->state == v1::SessionEvent::OFFLINE) offline = p;
  }
  ASSERT_TRUE(offline.has_value()) << "no OFFLINE for the abandoned session within 3 s";
  EXPECT_EQ(offline->reason, "welcome_unanswered");
  absl::StatusOr<v1::StatsSnapshot> stats = watcher.Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Counter(*stats, "sessions_unconfirmed"), 1u);
  EXPECT_EQ(Counter(*stats, "heartbeat_timeouts"), 0u);
}

}  // namespace
