// The broker when its disk stalls, with the real zonecastd: fdatasync is held
// (a preloaded shim stands in for the slow disk, the only staged part)
// while terminals heartbeat and publish. The loop keeps reading: no live
// session is dropped, best-effort traffic flows, durable publishes beyond
// the journal's in-flight limit are answered STORAGE_BUSY (counted) and
// /readyz says why; once the disk answers, every publish it took is
// acknowledged and delivered.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_get.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using zonecast::Client;
using zonecast::PublishResult;
using zonecast::testing::BrokerProcess;
using zonecast::testing::ClientSpec;
using zonecast::testing::ConnectAll;
using zonecast::testing::CounterNow;
using zonecast::testing::Gauge;
using zonecast::testing::MakeAlert;
using zonecast::testing::MakePosition;
using zonecast::testing::MakeTempDir;
using zonecast::testing::NextDeliver;
using zonecast::testing::PublishAlertAsync;

constexpr char kTopic[] = "alert.jincheng.z03";
constexpr int kTerminals = 5;

// Starts zonecastd with the stall shim preloaded; fdatasync and fsync wait
// while `stall_file` exists.
std::unique_ptr<BrokerProcess> StartWithStallableDisk(const std::string& stall_file,
                                                      std::vector<std::string> args) {
  // Set for the child only: the environment is copied when it is spawned.
  const char* asan = std::getenv("ASAN_OPTIONS");
  const std::string saved_asan = asan != nullptr ? asan : "";
  ::setenv("LD_PRELOAD", STALL_FSYNC_PATH, 1);
  ::setenv("ZONECAST_STALL_FILE", stall_file.c_str(), 1);
  // Under AddressSanitizer the shim comes before its runtime; that is fine
  // for two functions it does not intercept.
  ::setenv("ASAN_OPTIONS", absl::StrCat(saved_asan, ":verify_asan_link_order=0").c_str(), 1);
  auto broker = BrokerProcess::Start(std::move(args));
  ::unsetenv("LD_PRELOAD");
  ::unsetenv("ZONECAST_STALL_FILE");
  if (asan != nullptr) {
    ::setenv("ASAN_OPTIONS", saved_asan.c_str(), 1);
  } else {
    ::unsetenv("ASAN_OPTIONS");
  }
  EXPECT_TRUE(broker.ok()) << broker.status();
  return broker.ok() ? *std::move(broker) : nullptr;
}

absl::StatusOr<zonecast::cli::HttpGetResult> Readyz(const BrokerProcess& broker) {
  return zonecast::cli::HttpGet(absl::StrCat("http://", broker.http_endpoint(), "/readyz"),
                                absl::Seconds(10));
}

TEST(OverloadTest, StalledDiskDropsNoLiveSessionAndPushesBackOnDurablePublishes) {
  const std::string dir = MakeTempDir("stall");
  const std::string stall_file = dir + "/stall";
  // Silence of 600 ms marks a peer dead; the stall lasts several times that.
  std::unique_ptr<BrokerProcess> broker = StartWithStallableDisk(
      stall_file, {"--heartbeat_ms=200", "--heartbeat_misses=3", "--max_inflight_bytes=1048576"});
  ASSERT_NE(broker, nullptr);
  std::vector<ClientSpec> specs = {{v1::CENTER, "center-1", {}},
                                   {v1::CENTER, "center-radio", {"radio.>"}}};
  for (int i = 1; i <= kTerminals; ++i) {
    specs.push_back({v1::TERMINAL, absl::StrCat("jc-z03-v0", i), {kTopic}});
  }
  auto clients = ConnectAll(broker->endpoint(), specs);
  ASSERT_TRUE(clients.ok()) << clients.status();
  Client& center = *(*clients)[0];
  Client& radio_watch = *(*clients)[1];

  std::ofstream(stall_file) << "held";
  // Durable publishes of 60 KB each: the first ones fill the journal's
  // in-flight bytes (they wait for the disk); the rest are turned away.
  std::atomic<int> stored{0};
  std::atomic<int> busy{0};
  std::atomic<int> other{0};
  constexpr int kPublishes = 40;
  for (int i = 0; i < kPublishes; ++i) {
    absl::Status sent = PublishAlertAsync(
        center, kTopic, MakeAlert(absl::StrCat("stall-", i), v1::P2, 60000),
        [&](absl::StatusOr<PublishResult> result) {
          if (result.ok()) {
            ++stored;
          } else if (absl::StrContains(result.status().message(), "STORAGE_BUSY")) {
            ++busy;
          } else {
            ++other;
            ADD_FAILURE() << result.status();
          }
        });
    ASSERT_TRUE(sent.ok()) << sent;
  }
  // A publish over the limit is answered at once, without the disk.
  absl::StatusOr<PublishResult> refused =
      center.PublishAlert(kTopic, MakeAlert("stall-refused", v1::P3, 60000));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("STORAGE_BUSY"));

  absl::StatusOr<zonecast::cli::HttpGetResult> ready = Readyz(*broker);
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status, 503) << ready->body;
  EXPECT_THAT(ready->body, HasSubstr("behind the disk"));

  // Keep the disk stalled for five times the dead-peer silence, while a
  // unit's positions (best-effort) keep reaching the watcher.
  Client& unit = *(*clients)[2];
  const absl::Time stall_until = absl::Now() + absl::Seconds(3);
  int positions = 0;
  while (absl::Now() < stall_until) {
    ASSERT_TRUE(
        unit.PublishRadio("radio.jincheng.z03.jc-z03-v01", MakePosition("jc-z03-v01")).ok());
    ASSERT_TRUE(NextDeliver(radio_watch, absl::Seconds(2)).has_value())
        << "a position was not routed while the disk stalled";
    ++positions;
    absl::SleepFor(absl::Milliseconds(100));  // a unit's position rate, not synchronization
  }
  EXPECT_GT(positions, 10);
  EXPECT_EQ(CounterNow(center, "heartbeat_timeouts"), 0u) << "a live session was dropped";
  EXPECT_GT(CounterNow(center, "publishes_storage_busy"), 0u);
  for (const auto& client : *clients) EXPECT_TRUE(client->connected());

  fs::remove(stall_file);
  // Every publish the journal took is acknowledged now, and delivered.
  ASSERT_TRUE(center.AwaitPubAcks(0, absl::Seconds(20)).ok());
  EXPECT_EQ(other.load(), 0);
  EXPECT_GT(stored.load(), 0);
  EXPECT_GT(busy.load(), 0);
  EXPECT_EQ(stored.load() + busy.load(), kPublishes);
  for (int i = 2; i < 2 + kTerminals; ++i) {
    Client& terminal = *(*clients)[i];
    int delivered = 0;
    while (delivered < stored.load() && NextDeliver(terminal, absl::Seconds(10)).has_value()) {
      ++delivered;
    }
    EXPECT_EQ(delivered, stored.load()) << "terminal " << i - 1;
  }
  ready = Readyz(*broker);
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status, 200) << ready->body;
  EXPECT_EQ(CounterNow(center, "heartbeat_timeouts"), 0u);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
