// Routing through the real zonecastd: alerts reach exactly the sessions whose
// patterns match their zone topic, per-topic order holds under load, and
// PubAcks say what was stored and for how many recipients.
//
// Absence is proven with fences, not sleeps: after the alert under test the
// center publishes a "fence" alert of the same priority to each observer's
// own topic. The broker routes publishes in order and each session's queue is
// FIFO within a priority, so once an observer has its fence, anything routed
// to it before the fence has already arrived.
#include <algorithm>
#include <future>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using zonecast::Client;
using zonecast::Message;
using zonecast::PublishResult;
using zonecast::testing::AlertIds;
using zonecast::testing::AwaitOnePubAck;
using zonecast::testing::BrokerProcess;
using zonecast::testing::CollectDeliveries;
using zonecast::testing::ConnectAll;
using zonecast::testing::HasAlert;
using zonecast::testing::MakeAlert;
using zonecast::testing::MakePosition;
using zonecast::testing::NextDeliver;
using zonecast::testing::PublishAlertAsync;
using zonecast::testing::TakeStrayError;

constexpr absl::Duration kWait = absl::Seconds(5);

class RoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = BrokerProcess::Start();
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
  }

  void TearDown() override {
    if (HasFailure() && broker_ != nullptr) std::cerr << "broker log:\n" << broker_->Log();
  }

  // Publishes an alert or a radio event and expects a PubAck.
  static PublishResult PublishOk(Client& client, const std::string& topic, v1::Alert alert) {
    return ExpectOk(topic, client.PublishAlert(topic, std::move(alert)));
  }
  static PublishResult PublishOk(Client& client, const std::string& topic, v1::RadioEvent radio) {
    return ExpectOk(topic, client.PublishRadio(topic, std::move(radio)));
  }
  static PublishResult ExpectOk(const std::string& topic,
                                const absl::StatusOr<PublishResult>& result) {
    EXPECT_TRUE(result.ok()) << topic << ": " << result.status();
    return result.ok() ? *result : PublishResult();
  }

  // Receives until every id of `fences` was delivered (bounded), and returns
  // the alert ids seen, in order.
  static std::vector<std::string> AlertIdsUntilFences(Client& client,
                                                      const std::vector<std::string>& fences) {
    std::vector<Message> got = CollectDeliveries(
        client,
        [&](const std::vector<Message>& so_far) {
          return std::all_of(fences.begin(), fences.end(),
                             [&](const std::string& id) { return HasAlert(so_far, id); });
        },
        kWait);
    return AlertIds(got);
  }

  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(RoutingTest, AlertReachesOnlyItsZoneAndWildcardWatchers) {
  auto clients =
      ConnectAll(broker_->endpoint(), {{v1::TERMINAL, "jc-z03-v01", {"alert.jincheng.z03"}},
                                       {v1::TERMINAL, "jc-z03-v02", {"alert.jincheng.z03"}},
                                       {v1::TERMINAL, "jc-z04-v01", {"alert.jincheng.z04"}},
                                       {v1::TERMINAL, "ty-z03-v01", {"alert.taiyuan.z03"}},
                                       {v1::CENTER, "watch-city", {"alert.jincheng.*"}},
                                       {v1::CENTER, "watch-all", {"alert.>"}},
                                       {v1::CENTER, "watch-z04", {"alert.*.z04"}},
                                       {v1::CENTER, "center-1", {}}});
  ASSERT_TRUE(clients.ok()) << clients.status();
  Client& z03_a = *(*clients)[0];
  Client& z03_b = *(*clients)[1];
  Client& z04 = *(*clients)[2];
  Client& other_city = *(*clients)[3];
  Client& city_watcher = *(*clients)[4];
  Client& all_watcher = *(*clients)[5];
  Client& z04_watcher = *(*clients)[6];
  Client& center = *(*clients)[7];

  const PublishResult ack = PublishOk(center, "alert.jincheng.z03", MakeAlert("lanhua-1", v1::P1));
  EXPECT_EQ(ack.alert_id(), "lanhua-1");
  EXPECT_EQ(ack.recipients(), 4u) << "two z03 terminals, alert.jincheng.* and alert.>";

  // Fences, one per observed topic, same priority as the alert.
  EXPECT_EQ(PublishOk(center, "alert.jincheng.z03", MakeAlert("fence-z03", v1::P1)).recipients(),
            4u);
  EXPECT_EQ(PublishOk(center, "alert.jincheng.z04", MakeAlert("fence-z04", v1::P1)).recipients(),
            4u)
      << "z04 terminal, alert.jincheng.*, alert.> and alert.*.z04";
  EXPECT_EQ(PublishOk(center, "alert.taiyuan.z03", MakeAlert("fence-ty", v1::P1)).recipients(), 2u)
      << "the taiyuan terminal and alert.>";

  EXPECT_THAT(AlertIdsUntilFences(z03_a, {"fence-z03"}), ElementsAre("lanhua-1", "fence-z03"));
  EXPECT_THAT(AlertIdsUntilFences(z03_b, {"fence-z03"}), ElementsAre("lanhua-1", "fence-z03"));
  EXPECT_THAT(AlertIdsUntilFences(z04, {"fence-z04"}), ElementsAre("fence-z04"));
  EXPECT_THAT(AlertIdsUntilFences(other_city, {"fence-ty"}), ElementsAre("fence-ty"));
  EXPECT_THAT(AlertIdsUntilFences(z04_watcher, {"fence-z04"}), ElementsAre("fence-z04"));
  EXPECT_THAT(AlertIdsUntilFences(city_watcher, {"fence-z03", "fence-z04"}),
              ElementsAre("lanhua-1", "fence-z03", "fence-z04"));
  EXPECT_THAT(AlertIdsUntilFences(all_watcher, {"fence-z03", "fence-z04", "fence-ty"}),
              ElementsAre("lanhua-1", "fence-z03", "fence-z04", "fence-ty"));
}

TEST_F(RoutingTest, TenZonesEachTerminalGetsExactlyItsZone) {
  constexpr int kZones = 10;
  constexpr int kTerminalsPerZone = 3;
  auto zone_name = [](int z) { return absl::StrFormat("z%02d", z); };

  std::vector<zonecast::testing::ClientSpec> specs;
  for (int z = 1; z <= kZones; ++z) {
    for (int t = 1; t <= kTerminalsPerZone; ++t) {
      specs.push_back({v1::TERMINAL,
                       absl::StrFormat("jc-%s-v%02d", zone_name(z), t),
                       {absl::StrCat("alert.jincheng.", zone_name(z))}});
    }
  }
  specs.push_back({v1::CENTER, "watch-all", {"alert.>"}});
  specs.push_back({v1::CENTER, "center-1", {}});
  auto clients = ConnectAll(broker_->endpoint(), specs);
  ASSERT_TRUE(clients.ok()) << clients.status();
  std::vector<std::unique_ptr<Client>>& terminals = *clients;
  Client& watcher = *terminals[kZones * kTerminalsPerZone];
  Client& center = *terminals[kZones * kTerminalsPerZone + 1];

  std::vector<std::string> all_ids;
  for (int z = 1; z <= kZones; ++z) {
    const std::string id = absl::StrCat("incident-", zone_name(z));
    const PublishResult ack =
        PublishOk(center, absl::StrCat("alert.jincheng.", zone_name(z)), MakeAlert(id));
    EXPECT_EQ(ack.recipients(), static_cast<uint32_t>(kTerminalsPerZone + 1)) << id;
    EXPECT_TRUE(ack.durable());
    all_ids.push_back(id);
  }
  for (int z = 1; z <= kZones; ++z) {
    const std::string id = absl::StrCat("fence-", zone_name(z));
    EXPECT_EQ(PublishOk(center, absl::StrCat("alert.jincheng.", zone_name(z)), MakeAlert(id))
                  .recipients(),
              static_cast<uint32_t>(kTerminalsPerZone + 1));
    all_ids.push_back(id);
  }

  for (int z = 1; z <= kZones; ++z) {
    for (int t = 0; t < kTerminalsPerZone; ++t) {
      Client& terminal = *terminals[(z - 1) * kTerminalsPerZone + t];
      const std::string fence = absl::StrCat("fence-", zone_name(z));
      EXPECT_THAT(AlertIdsUntilFences(terminal, {fence}),
                  ElementsAre(absl::StrCat("incident-", zone_name(z)), fence))
          << "terminal " << t + 1 << " of " << zone_name(z);
    }
  }
  std::vector<std::string> fences(all_ids.begin() + kZones, all_ids.end());
  EXPECT_THAT(AlertIdsUntilFences(watcher, fences), ElementsAreArray(all_ids));
}

TEST_F(RoutingTest, PerTopicOrderHoldsOverTenThousandAlerts) {
  constexpr int kAlerts = 10000;
  constexpr int kWindow = 256;
  const std::string topic = "alert.jincheng.z07";
  auto clients = ConnectAll(broker_->endpoint(),
                            {{v1::TERMINAL, "jc-z07-v01", {topic}}, {v1::CENTER, "center-1", {}}});
  ASSERT_TRUE(clients.ok()) << clients.status();
  Client* subscriber = (*clients)[0].get();
  Client& center = *(*clients)[1];

  // The subscriber drains concurrently on its own thread (a Client is used
  // from one thread only), so that it keeps heartbeating and acking.
  std::future<std::vector<Message>> received =
      std::async(std::launch::async, [client = subscriber] {
        std::vector<Message> out;
        out.reserve(kAlerts);
        const absl::Time deadline = absl::Now() + absl::Seconds(30);
        while (out.size() < kAlerts && absl::Now() < deadline) {
          std::optional<Message> d = NextDeliver(*client, absl::Seconds(5));
          if (!d) break;
          out.push_back(*std::move(d));
        }
        return out;
      });

  std::set<int> outstanding;  // indexes of alerts awaiting their PubAck
  std::vector<uint64_t> acked_seq(kAlerts, 0);
  std::vector<std::string> refused;  // "<alert id>: <what went wrong>"
  int sent = 0;
  int acked = 0;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (acked < kAlerts && absl::Now() < deadline) {
    while (sent < kAlerts && static_cast<int>(outstanding.size()) < kWindow) {
      const int index = sent++;
      const std::string id = absl::StrFormat("ord-%05d", index);
      // Recorded before the send: the answer may come inside PublishAsync.
      outstanding.insert(index);
      absl::Status request = PublishAlertAsync(
          center, topic, MakeAlert(id), [&, index, id](absl::StatusOr<PublishResult> result) {
            if (outstanding.erase(index) == 0) {
              refused.push_back(absl::StrCat(id, ": answered twice"));
              return;
            }
            if (!result.ok()) {
              refused.push_back(absl::StrCat(id, ": ", result.status().ToString()));
              return;
            }
            acked_seq[index] = result->seq();
            EXPECT_EQ(result->alert_id(), id);
            ++acked;
          });
      ASSERT_TRUE(request.ok()) << request;
    }
    const size_t waiting = outstanding.size();
    absl::Status answered = AwaitOnePubAck(center, absl::Seconds(5));
    ASSERT_TRUE(answered.ok()) << "no PubAck within 5 s; " << waiting << " outstanding, " << acked
                               << " acked";
    ASSERT_TRUE(refused.empty()) << refused.front();
    absl::Status stray = TakeStrayError(center);
    ASSERT_TRUE(stray.ok()) << stray;
  }
  ASSERT_EQ(acked, kAlerts);
  for (int i = 1; i < kAlerts; ++i) {
    ASSERT_LT(acked_seq[i - 1], acked_seq[i]) << "PubAck seq not increasing at alert " << i;
  }

  const std::vector<Message> got = received.get();
  ASSERT_EQ(got.size(), static_cast<size_t>(kAlerts));
  for (int i = 0; i < kAlerts; ++i) {
    ASSERT_EQ(got[i].event().alert().alert_id(), absl::StrFormat("ord-%05d", i))
        << "delivery " << i << " out of publish order";
    ASSERT_EQ(got[i].seq(), acked_seq[i]) << "delivery " << i;
    if (i > 0) {
      ASSERT_LT(got[i - 1].seq(), got[i].seq()) << "delivery " << i;
    }
  }
}

TEST_F(RoutingTest, PubAckSaysDurableForAlertsAndBestEffortForPositions) {
  auto clients = ConnectAll(broker_->endpoint(), {{v1::CENTER, "watch-radio", {"radio.jincheng.>"}},
                                                  {v1::TERMINAL, "jc-z03-v12", {}},
                                                  {v1::CENTER, "center-1", {}}});
  ASSERT_TRUE(clients.ok()) << clients.status();
  Client& watcher = *(*clients)[0];
  Client& terminal = *(*clients)[1];
  Client& center = *(*clients)[2];

  const PublishResult alert_ack =
      PublishOk(center, "alert.jincheng.z03", MakeAlert("lanhua-durable", v1::P1));
  EXPECT_TRUE(alert_ack.durable());
  EXPECT_GT(alert_ack.seq(), 0u);
  EXPECT_EQ(alert_ack.alert_id(), "lanhua-durable");
  EXPECT_FALSE(alert_ack.duplicate());
  EXPECT_EQ(alert_ack.recipients(), 0u) << "nobody listens to z03 here";

  const PublishResult second =
      PublishOk(center, "alert.jincheng.z03", MakeAlert("lanhua-durable-2", v1::P2));
  EXPECT_GT(second.seq(), alert_ack.seq()) << "broker sequence grows";

  const std::string radio_topic = "radio.jincheng.z03.jc-z03-v12";
  const PublishResult position_ack = PublishOk(terminal, radio_topic, MakePosition("jc-z03-v12"));
  EXPECT_EQ(position_ack.seq(), 0u);
  EXPECT_FALSE(position_ack.durable());
  EXPECT_EQ(position_ack.recipients(), 1u);

  std::optional<Message> position = NextDeliver(watcher, kWait);
  ASSERT_TRUE(position.has_value());
  EXPECT_EQ(position->topic(), radio_topic);
  EXPECT_EQ(position->seq(), 0u);
  EXPECT_EQ(position->event().radio().kind(), v1::RadioEvent::POSITION);
  EXPECT_EQ(position->event().radio().unit(), "jc-z03-v12");
  EXPECT_EQ(position->publisher(), "jc-z03-v12");
}

}  // namespace
