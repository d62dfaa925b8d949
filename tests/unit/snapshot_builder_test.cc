// SnapshotBuilder: what every monitoring view shows, built from the loop's
// state. Real sessions, router, journal bookkeeping (not opened), durable
// delivery, escalator and alert list; time is a FakeClock.
#include "core/snapshot_builder.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

class SnapshotBuilderTest : public ::testing::Test {
 protected:
  SnapshotBuilderTest()
      : journal_(JournalOptions(), clock_),
        router_(sessions_, counters_, 64, 16),
        escalator_(zones_, clock_) {
    DurableDelivery::Parts parts;
    parts.clock = &clock_;
    parts.journal = &journal_;
    parts.sessions = &sessions_;
    parts.router = &router_;
    parts.counters = &counters_;
    parts.latency = &latency_;
    parts.replay = [](HistoryReader::ReplayRequest) {};
    parts.publish = [](const std::string&, v1::Priority, v1::Event) {};
    durable_ =
        std::make_unique<DurableDelivery>(std::move(parts), RedeliveryPolicy(), absl::Hours(1));
    builder_ = std::make_unique<SnapshotBuilder>(
        LoopState{"zonecastd-test", &clock_, clock_.NowMono(), &counters_, &sessions_, &router_,
                  &journal_, durable_.get(), &escalator_, &unresolved_, &latency_});
  }

  Session& Add(v1::Role role, const std::string& unit, const std::string& zone) {
    v1::Hello hello;
    hello.set_role(role);
    hello.set_unit_id(unit);
    hello.set_zone(zone);
    return sessions_.Add("route-" + unit, hello, QueueLimits(), clock_.NowMono());
  }

  FakeClock clock_;
  Journal journal_;
  SessionTable sessions_;
  BrokerCounters counters_;
  Router router_;
  LatencyTracker latency_;
  ZoneIndex zones_;
  Escalator escalator_;
  UnresolvedAlerts unresolved_;
  std::unique_ptr<DurableDelivery> durable_;
  std::unique_ptr<SnapshotBuilder> builder_;
};

TEST_F(SnapshotBuilderTest, CountsSessionsByRoleAndZoneAndListsThemOnlyWhenAsked) {
  Session& terminal = Add(v1::TERMINAL, "jc-z10-v01", "z10");
  Add(v1::TERMINAL, "jc-z10-v02", "jincheng.z10");  // the same zone label as z10
  Add(v1::CENTER, "center-1", "");
  ASSERT_TRUE(router_.Subscribe(terminal, {"alert.jincheng.z10"}).ok());
  counters_.published_durable = 7;
  clock_.Advance(absl::Seconds(3));

  std::shared_ptr<MonitoringSnapshot> plain = builder_->Build(0);
  const v1::StatsSnapshot& stats = plain->stats;
  EXPECT_EQ(stats.broker_id(), "zonecastd-test");
  EXPECT_DOUBLE_EQ(stats.uptime_s(), 3.0);
  EXPECT_EQ(stats.counters().at("published_durable"), 7u);
  EXPECT_EQ(stats.gauges().at("sessions"), 3);
  EXPECT_EQ(stats.gauges().at("sessions.terminal"), 2);
  EXPECT_EQ(stats.gauges().at("sessions.center"), 1);
  EXPECT_EQ(stats.gauges().at("sessions.probe"), 0);
  EXPECT_EQ(stats.gauges().at("subscriptions"), 1);
  EXPECT_EQ(plain->sessions.sessions_size(), 0) << "the list is built only when asked for";
  // Every role appears in the labelled gauge, with 0 when nobody is online.
  std::vector<std::pair<std::string, int64_t>> by_role_zone;
  for (const LabelledGauge& g : plain->labelled_gauges) {
    by_role_zone.emplace_back(g.labels[0].second + "/" + g.labels[1].second, g.value);
  }
  EXPECT_THAT(by_role_zone, ElementsAre(Pair("center/none", 1), Pair("probe/none", 0),
                                        Pair("terminal/none", 0), Pair("terminal/z10", 2)));

  std::shared_ptr<MonitoringSnapshot> listed = builder_->Build(kSnapshotSessions);
  ASSERT_EQ(listed->sessions.sessions_size(), 3);
  EXPECT_EQ(listed->sessions.sessions(0).unit(), "center-1");  // sorted by unit
  EXPECT_EQ(listed->sessions.sessions(1).unit(), "jc-z10-v01");
  EXPECT_EQ(listed->sessions.sessions(1).subscriptions(), 1u);
  EXPECT_GT(listed->generation, plain->generation);
}

TEST_F(SnapshotBuilderTest, OpenAlertsOnlyWhenAsked) {
  unresolved_.OnPublished("lanhua-1", "woman outside the railing", 1, "alert.jincheng.z10", v1::P1,
                          "center-1", absl::ToUnixMillis(clock_.NowWall()));
  EXPECT_EQ(builder_->Build(0)->stats.gauges().at("open_alerts"), 1);
  EXPECT_EQ(builder_->Build(0)->open_alerts.alerts_size(), 0);
  std::shared_ptr<MonitoringSnapshot> with_alerts = builder_->Build(kSnapshotOpenAlerts);
  ASSERT_EQ(with_alerts->open_alerts.alerts_size(), 1);
  EXPECT_EQ(with_alerts->open_alerts.alerts(0).alert_id(), "lanhua-1");
}

}  // namespace
}  // namespace zonecast
