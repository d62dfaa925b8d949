// One slow terminal must not slow anyone else, and a P1 alert is never
// dropped for it (ARCHITECTURE.md, delivery contract 6; policy in broker/routing/session_queue.h).
//
// The slow terminal is a raw DEALER with RCVHWM 1 and a 4 KiB SO_RCVBUF that
// never reads, so its backlog builds in the broker: first the ZeroMQ pipe
// (--pipe_hwm) and the TCP buffers, then its SessionQueue. The broker runs
// with a 64 KiB soft and 256 KiB hard queue limit, so that:
//  - past the soft limit best-effort positions are dropped (dropped_best_effort)
//    and durable alerts are kept (retained_over_limit);
//  - past the hard limit durable P3 alerts are dropped from memory and the
//    session marked behind (dropped_behind), while P1 is still kept;
//  - crossing the high watermark counts slow_consumer_detected once.
// How much the kernel buffers before the broker's queue starts to grow
// depends on TCP autotuning, so the center publishes in rounds until the
// counters show the hard limit was crossed (bounded), instead of guessing a
// count. The center is flow-controlled against the healthy terminal only
// (never more than kWindow alerts ahead of it): a broker held up by the slow
// peer would stall that wait and fail the test.
#include <algorithm>
#include <atomic>
#include <future>
#include <iostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/broker_process.h"
#include "support/raw_peer.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
using ::testing::UnorderedElementsAreArray;
using zonecast::Client;
using zonecast::testing::AwaitOnePubAck;
using zonecast::testing::BrokerProcess;
using zonecast::testing::ConnectAll;
using zonecast::testing::Counter;
using zonecast::testing::EventOf;
using zonecast::testing::Gauge;
using zonecast::testing::MakeAlert;
using zonecast::testing::MakePosition;
using zonecast::testing::Median;
using zonecast::testing::NextDeliver;
using zonecast::testing::PublishAlertAsync;
using zonecast::testing::RawPeer;
using zonecast::testing::TakeStrayError;
using zonecast::testing::WaitUntil;

constexpr char kAlertTopic[] = "alert.jincheng.z01";
constexpr char kRadioTopic[] = "radio.jincheng.z01.jc-z01-v09";
constexpr size_t kBodyBytes = 1024;
constexpr int kRound = 100;  // alerts per round; every 4th is P1
constexpr int kPositionsPerAlert = 2;
constexpr int kMaxAlerts = 5000;  // bound on the rounds
// Outstanding PubAcks, and alerts the center may be ahead of the healthy
// terminal: 16 x ~1.1 KiB plus positions stays well under the 48 KiB high
// watermark, so the healthy session is never "slow" merely because the
// center outruns it.
constexpr int kWindow = 16;

class SlowConsumerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A long heartbeat allowance: the slow peer neither reads nor beats, and
    // must not be dropped for silence while the test fills its queue.
    auto broker =
        BrokerProcess::Start({"--session_queue_bytes=65536", "--session_queue_hard_bytes=262144",
                              "--pipe_hwm=10", "--heartbeat_ms=1000", "--heartbeat_misses=60"});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
  }

  void TearDown() override {
    if (HasFailure() && broker_ != nullptr) std::cerr << "broker log:\n" << broker_->Log();
  }

  std::unique_ptr<BrokerProcess> broker_;
};

struct HealthyResult {
  std::vector<std::string> alert_ids;
  int positions = 0;
  std::vector<double> latency_ms;  // receive wall time - Deliver.broker_unix_ms
};

TEST_F(SlowConsumerTest, SlowTerminalKeepsP1AndDoesNotSlowHealthyOne) {
  RawPeer slow(broker_->endpoint(), /*receive_hwm=*/1, /*receive_buffer_bytes=*/4096);
  ASSERT_TRUE(slow.Hello(v1::TERMINAL, "jc-z01-slow", "jc-pg01", "jincheng.z01"));
  ASSERT_TRUE(slow.Subscribe({kAlertTopic, "radio.jincheng.z01.>"}));

  auto clients = ConnectAll(broker_->endpoint(),
                            {{v1::TERMINAL, "jc-z01-v01", {kAlertTopic, "radio.jincheng.z01.>"}},
                             {v1::CENTER, "center-1", {}}});
  ASSERT_TRUE(clients.ok()) << clients.status();
  Client* healthy = (*clients)[0].get();
  Client& center = *(*clients)[1];

  // The healthy terminal drains on its own thread until told to stop.
  std::atomic<bool> publishing_done{false};
  std::atomic<bool> abandon{false};  // set on any early exit of the test body
  std::atomic<int> published_alerts{0};
  std::atomic<int> published_positions{0};
  std::atomic<int> healthy_alerts{0};
  std::atomic<int> healthy_positions{0};
  std::future<HealthyResult> healthy_result =
      std::async(std::launch::async, [healthy, &publishing_done, &abandon, &published_alerts,
                                      &published_positions, &healthy_alerts, &healthy_positions] {
        HealthyResult result;
        const absl::Time deadline = absl::Now() + absl::Seconds(30);
        auto all_in = [&] {
          return publishing_done && static_cast<int>(result.alert_ids.size()) >= published_alerts &&
                 result.positions >= published_positions;
        };
        while (!abandon && !all_in() && absl::Now() < deadline) {
          std::optional<zonecast::Message> d = NextDeliver(*healthy, absl::Milliseconds(200));
          if (!d) continue;
          if (d->event().has_alert()) {
            result.alert_ids.push_back(d->event().alert().alert_id());
            result.latency_ms.push_back(
                static_cast<double>(absl::ToUnixMillis(absl::Now()) - d->broker_unix_ms()));
            ++healthy_alerts;
          } else if (d->event().has_radio()) {
            ++result.positions;
            ++healthy_positions;
          }
        }
        return result;
      });
  struct Abandon {
    std::atomic<bool>& flag;
    ~Abandon() { flag = true; }
  } abandon_on_exit{abandon};

  std::vector<std::string> all_ids;
  std::vector<std::string> p1_ids;
  std::vector<absl::Status> refused;  // publishes answered with an Error
  auto record = [&](absl::StatusOr<zonecast::PublishResult> result) {
    if (result.ok()) {
      EXPECT_TRUE(result->durable());
    } else {
      refused.push_back(result.status());
    }
  };
  auto drain_acks = [&](size_t down_to) {
    while (center.outstanding_publishes() > down_to) {
      absl::Status answered = AwaitOnePubAck(center, absl::Seconds(5));
      ASSERT_TRUE(answered.ok()) << "no PubAck within 5 s: " << answered;
      ASSERT_TRUE(refused.empty()) << refused.front();
      absl::Status stray = TakeStrayError(center);
      ASSERT_TRUE(stray.ok()) << stray;
    }
  };

  v1::StatsSnapshot stats;
  while (static_cast<int>(all_ids.size()) < kMaxAlerts) {
    for (int i = 0; i < kRound; ++i) {
      const int n = static_cast<int>(all_ids.size());
      const bool p1 = n % 4 == 0;
      const std::string id = absl::StrFormat("slow-%05d", n);
      absl::Status request = PublishAlertAsync(
          center, kAlertTopic, MakeAlert(id, p1 ? v1::P1 : v1::P3, kBodyBytes), record);
      ASSERT_TRUE(request.ok()) << request;
      all_ids.push_back(id);
      if (p1) p1_ids.push_back(id);
      ++published_alerts;
      for (int k = 0; k < kPositionsPerAlert; ++k) {
        ASSERT_TRUE(center.PublishNoAck(kRadioTopic, EventOf(MakePosition("jc-z01-v09"))).ok());
        ++published_positions;
      }
      drain_acks(kWindow);
      if (HasFatalFailure()) return;
      // Flow control against the healthy terminal only: the center never
      // gets more than kWindow alerts ahead of it. A broker held up by the
      // slow peer would stall this wait (and fail it).
      ASSERT_TRUE(WaitUntil(
          [&] {
            return published_alerts - healthy_alerts <= kWindow &&
                   published_positions - healthy_positions <= kWindow * kPositionsPerAlert;
          },
          absl::Seconds(5)))
          << "healthy terminal stalled at " << healthy_alerts << " of " << published_alerts
          << " alerts, " << healthy_positions << " of " << published_positions << " positions";
    }
    drain_acks(0);
    if (HasFatalFailure()) return;
    absl::StatusOr<v1::StatsSnapshot> reply = center.Stats();
    ASSERT_TRUE(reply.ok()) << reply.status();
    stats = *reply;
    if (Counter(stats, "dropped_behind") > 0 && Counter(stats, "dropped_best_effort") > 0) break;
  }
  publishing_done = true;

  // What the policy in session_queue.h dictates for this load.
  EXPECT_GE(Counter(stats, "slow_consumer_detected"), 1u);
  EXPECT_GT(Counter(stats, "retained_over_limit"), 0u) << "durable alerts past the soft limit";
  EXPECT_GT(Counter(stats, "dropped_behind"), 0u)
      << "P3 alerts past the hard limit; published " << all_ids.size();
  EXPECT_GT(Counter(stats, "dropped_best_effort"), 0u) << "positions past the soft limit";
  EXPECT_EQ(Gauge(stats, "sessions_slow"), 1) << "only the raw peer is slow";
  EXPECT_GT(Gauge(stats, "queued_bytes"), 65536) << "the backlog sits in the slow session";

  // The healthy terminal got everything, quickly.
  HealthyResult healthy_got = healthy_result.get();
  EXPECT_THAT(healthy_got.alert_ids, UnorderedElementsAreArray(all_ids));
  EXPECT_EQ(healthy_got.positions, published_positions.load())
      << "positions are dropped only for the slow session";
  ASSERT_FALSE(healthy_got.latency_ms.empty());
  const double median_ms = Median(healthy_got.latency_ms);
  EXPECT_LT(median_ms, 50.0) << "healthy terminal's median latency (sanity bound)";
  std::cerr << "published " << all_ids.size() << " alerts (" << p1_ids.size() << " P1), "
            << published_positions.load() << " positions; healthy median latency " << median_ms
            << " ms; counters: slow_consumer_detected=" << Counter(stats, "slow_consumer_detected")
            << " retained_over_limit=" << Counter(stats, "retained_over_limit")
            << " dropped_behind=" << Counter(stats, "dropped_behind")
            << " dropped_best_effort=" << Counter(stats, "dropped_best_effort") << "\n";

  // The slow peer finally reads: every P1 alert is there, in publish order.
  std::vector<std::string> slow_p1;
  std::set<std::string> wanted(p1_ids.begin(), p1_ids.end());
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (slow_p1.size() < p1_ids.size() && absl::Now() < deadline) {
    std::optional<v1::Frame> frame = slow.Receive(absl::Seconds(2));
    if (!frame) break;
    // Redelivered copies (the raw peer never acknowledges RECEIVED) come on
    // top; the order promise is about first deliveries.
    if (frame->has_deliver() && !frame->deliver().redelivered() &&
        frame->deliver().event().has_alert() &&
        wanted.count(frame->deliver().event().alert().alert_id()) > 0) {
      slow_p1.push_back(frame->deliver().event().alert().alert_id());
    }
  }
  EXPECT_EQ(slow_p1, p1_ids) << "P1 alerts lost or reordered for the slow consumer";

  // Drained below the low watermark, the session is no longer slow.
  EXPECT_TRUE(WaitUntil(
      [&] {
        while (slow.Receive(absl::Milliseconds(1))) {
        }
        absl::StatusOr<v1::StatsSnapshot> reply = center.Stats();
        return reply.ok() && Counter(*reply, "slow_consumer_recovered") >= 1 &&
               Gauge(*reply, "sessions_slow") == 0;
      },
      absl::Seconds(10)));
}

}  // namespace
