// Escalation against the real zonecastd with a zones file
// (broker/alerts/escalator.h).
//
// The test zones file has the ten Jincheng zones of deploy/zones/jincheng.json
// (a 2 x 5 grid: z01..z05 above z06..z10, so z03's neighbours are z02, z04
// and z08) with short response deadlines: P1 0.5 s, P2 1 s, P3 and P4 none.
//
//  - An alert published when no terminal of its zone is online escalates at
//    once ("no_unit_online"): an Escalation event on escalation.<city> and a
//    copy to every neighbouring zone, marked escalated_from_zone.
//  - An alert nobody answers ACCEPTED / EN_ROUTE / ON_SCENE / RESOLVED
//    escalates at its deadline ("deadline"), also across a kill -9; one
//    answered in time does not.
//  - The emergency button raises a P1 alert for the unit's zone and its
//    neighbours and an Escalation ("emergency") at once.
//  - A zone the map does not have is refused (UNKNOWN_ZONE); a terminal
//    reached only through a wildcard is no unit of the zone; without a map
//    an alert no unit got still escalates at once.
//  - An alert id re-used for another alert is refused (ALERT_ID_CONFLICT),
//    also after a restart; the same alert again is a duplicate.
//  - The center steers an open alert: cancel and close end it; amend and
//    assign reach its units and its timeline, also after a kill -9; each
//    unit that takes it is told to the zone, which stands down once as many
//    units as the priority needs have taken it.
//
// The deadline tests measure publish -> Escalation event and assert it lies
// in [deadline, deadline + 1 s): a correctness bound on the timer, not a
// benchmark (the measured value is printed).
#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using zonecast::Client;
using zonecast::Message;
using zonecast::PublishResult;
using zonecast::testing::AlertIds;
using zonecast::testing::BrokerProcess;
using zonecast::testing::ClientSpec;
using zonecast::testing::CollectDeliveries;
using zonecast::testing::ConnectAll;
using zonecast::testing::Counter;
using zonecast::testing::Describe;
using zonecast::testing::Gauge;
using zonecast::testing::HasAlert;
using zonecast::testing::MakeAlert;
using zonecast::testing::MakeTempDir;
using zonecast::testing::NextAlert;
using zonecast::testing::NextDeliver;

constexpr char kCity[] = "jincheng";
constexpr absl::Duration kP1Deadline = absl::Milliseconds(500);
constexpr absl::Duration kP2Deadline = absl::Seconds(1);

std::string AlertTopic(const std::string& zone) { return absl::StrCat("alert.jincheng.", zone); }

// The zones file: deploy/zones/jincheng.json's grid and patrol groups, with
// the given response deadlines in seconds (and units a P1 needs, 0: one).
std::string ZonesJson(double p1_s, double p2_s, double p3_s, double p4_s, int p1_units = 0) {
  std::vector<std::string> zones;
  for (int i = 0; i < 10; ++i) {
    const int row = i / 5;
    const int column = i % 5;
    std::vector<int> neighbours;
    if (column > 0) neighbours.push_back(i - 1);
    if (column < 4) neighbours.push_back(i + 1);
    neighbours.push_back(row == 0 ? i + 5 : i - 5);
    std::sort(neighbours.begin(), neighbours.end());
    std::vector<std::string> names;
    for (int n : neighbours) names.push_back(absl::StrFormat("\"z%02d\"", n + 1));
    zones.push_back(absl::StrFormat(
        R"({"id": "z%02d", "name": "Zone %d", "neighbours": [%s], )"
        R"("patrol_groups": [{"id": "jc-pg%02d", "station": "Station %d", )"
        R"("units": ["jc-z%02d-v01", "jc-z%02d-v02", "jc-z%02d-v03"]}]})",
        i + 1, i + 1, absl::StrJoin(names, ", "), i + 1, i + 1, i + 1, i + 1, i + 1));
  }
  return absl::StrCat(R"({"city": ")", kCity,
                      R"(", "description": "escalation test map", "response_deadlines": )",
                      absl::StrFormat(R"({"p1_s": %g, "p2_s": %g, "p3_s": %g, "p4_s": %g})", p1_s,
                                      p2_s, p3_s, p4_s),
                      absl::StrFormat(R"(, "units_needed": {"p1": %d})", p1_units),
                      R"(, "zones": [)", absl::StrJoin(zones, ",\n"), "]}\n");
}

class EscalationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("zonecast-escalation");
    ASSERT_FALSE(dir_.empty());
    zones_path_ = dir_ + "/jincheng-test.json";
    std::ofstream out(zones_path_);
    out << ZonesJson(absl::ToDoubleSeconds(kP1Deadline), absl::ToDoubleSeconds(kP2Deadline), 0, 0);
    ASSERT_TRUE(out.flush());
  }

  void TearDown() override {
    if (HasFailure() && broker_ != nullptr) {
      std::cerr << "broker log:\n" << old_logs_ << broker_->Log();
    }
  }

  void StartBroker(const std::string& data_dir = "") {
    auto broker = BrokerProcess::Start({"--zones=" + zones_path_}, data_dir);
    ASSERT_TRUE(broker.ok()) << broker.status();
    if (broker_ != nullptr) old_logs_ += broker_->Log();
    broker_ = *std::move(broker);
  }

  std::vector<std::unique_ptr<Client>> Connect(const std::vector<ClientSpec>& specs) {
    auto clients = ConnectAll(broker_->endpoint(), specs);
    EXPECT_TRUE(clients.ok()) << clients.status();
    return clients.ok() ? *std::move(clients) : std::vector<std::unique_ptr<Client>>();
  }

  static v1::StatsSnapshot Stats(Client& client) {
    absl::StatusOr<v1::StatsSnapshot> stats = client.Stats();
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? *stats : v1::StatsSnapshot();
  }

  // The next Escalation event for `watcher` (bounded), or nullopt.
  static std::optional<Message> NextEscalation(Client& watcher,
                                               absl::Duration timeout = absl::Seconds(3)) {
    std::optional<Message> d = NextDeliver(watcher, timeout);
    if (d.has_value()) {
      EXPECT_TRUE(d->event().has_escalation()) << Describe(*d);
      EXPECT_EQ(d->topic(), "escalation.jincheng");
      EXPECT_EQ(d->priority(), v1::P1);
    }
    return d;
  }

  std::string dir_;
  std::string zones_path_;
  std::unique_ptr<BrokerProcess> broker_;
  std::string old_logs_;
};

TEST_F(EscalationTest, NobodyOnlineInZoneEscalatesAtOnceToNeighbours) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  // Nobody of z03 is online; z02, z04 and z08 are its neighbours, z05 is not.
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}},
               {v1::CENTER, "escalation-watch", {"escalation.jincheng"}},
               {v1::TERMINAL, "jc-z02-v01", {AlertTopic("z02")}},
               {v1::TERMINAL, "jc-z04-v01", {AlertTopic("z04")}},
               {v1::TERMINAL, "jc-z08-v01", {AlertTopic("z08")}},
               {v1::TERMINAL, "jc-z05-v01", {AlertTopic("z05")}}});
  ASSERT_EQ(clients.size(), 6u);
  // P3: no response deadline in this map, so only the first step comes
  // (the steps after it are EscalationGoesOnThroughTheMapUntilTaken's).
  Client& center = *clients[0];
  Client& watcher = *clients[1];

  absl::StatusOr<PublishResult> pub =
      center.PublishAlert(AlertTopic("z03"), MakeAlert("nobody-home-1", v1::P3));
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->recipients(), 0u);

  std::optional<Message> event = NextEscalation(watcher);
  ASSERT_TRUE(event.has_value()) << "no Escalation event";
  const v1::Escalation& escalation = event->event().escalation();
  EXPECT_EQ(escalation.reason(), "no_unit_online");
  EXPECT_EQ(escalation.zone(), "z03");
  EXPECT_THAT(escalation.neighbours(), ElementsAre("z02", "z04", "z08"));
  EXPECT_EQ(escalation.seq(), pub->seq());
  EXPECT_EQ(escalation.alert().alert_id(), "nobody-home-1");

  // Each neighbouring zone's terminal gets the alert, marked as escalated.
  const std::vector<std::pair<size_t, std::string>> neighbours = {
      {2, "z02"}, {3, "z04"}, {4, "z08"}};
  for (const auto& [index, zone] : neighbours) {
    SCOPED_TRACE(zone);
    std::optional<Message> copy = NextDeliver(*clients[index], absl::Seconds(3));
    ASSERT_TRUE(copy.has_value()) << "no escalated copy";
    EXPECT_EQ(copy->topic(), AlertTopic(zone));
    EXPECT_EQ(copy->priority(), v1::P3);  // the copy keeps its priority
    const v1::Alert& alert = copy->event().alert();
    EXPECT_EQ(alert.alert_id(), "nobody-home-1");
    EXPECT_EQ(alert.escalated_from_zone(), "z03");
    EXPECT_EQ(alert.topic(), AlertTopic(zone));
  }
  // The center that published it hears the neighbours' RECEIVED of the
  // copies.
  std::vector<std::string> acked_by;
  CollectDeliveries(
      center,
      [&](const std::vector<Message>& got) {
        if (!got.empty() && got.back().event().has_ack()) {
          const v1::Ack& ack = got.back().event().ack();
          EXPECT_EQ(ack.alert_id(), "nobody-home-1");
          EXPECT_EQ(ack.level(), v1::RECEIVED);
          acked_by.push_back(ack.unit());
        }
        return acked_by.size() == 3;
      },
      absl::Seconds(3));
  std::sort(acked_by.begin(), acked_by.end());
  EXPECT_THAT(acked_by, ElementsAre("jc-z02-v01", "jc-z04-v01", "jc-z08-v01"));

  // z05 is no neighbour: a P4 alert of its own (no deadline, a unit online)
  // is the fence, and the only thing it gets.
  ASSERT_TRUE(center.PublishAlert(AlertTopic("z05"), MakeAlert("z05-fence", v1::P4)).ok());
  std::vector<Message> z05 = CollectDeliveries(
      *clients[5], [](const std::vector<Message>& d) { return HasAlert(d, "z05-fence"); },
      absl::Seconds(3));
  EXPECT_THAT(AlertIds(z05), ElementsAre("z05-fence"));

  const v1::StatsSnapshot stats = Stats(center);
  EXPECT_EQ(Counter(stats, "escalations"), 1u);
  EXPECT_EQ(Gauge(stats, "open_alerts"), 2);  // nobody took it, nor the fence
  EXPECT_EQ(Gauge(stats, "alerts_awaiting_response"), 0) << "a P3 has no next step here";
  absl::StatusOr<v1::AlertTimeline> timeline = center.Timeline("nobody-home-1");
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  EXPECT_EQ(timeline->state(), "escalated");
  EXPECT_TRUE(std::any_of(timeline->entries().begin(), timeline->entries().end(),
                          [](const v1::TimelineEntry& e) {
                            return e.kind() == v1::TimelineEntry::ESCALATED &&
                                   e.text() == "no_unit_online, level 1";
                          }))
      << timeline->ShortDebugString();
}

TEST_F(EscalationTest, AlertToAZoneNotInTheMapIsRefused) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}}, {v1::CENTER, "alert-watch", {"alert.>"}}});
  ASSERT_EQ(clients.size(), 2u);
  Client& center = *clients[0];
  for (const std::string topic : {"alert.jincheng.z33", "alert.taiyuan.z01"}) {
    SCOPED_TRACE(topic);
    absl::StatusOr<PublishResult> pub = center.PublishAlert(topic, MakeAlert(topic, v1::P1));
    ASSERT_FALSE(pub.ok()) << "an alert nobody could ever be sent was accepted";
    EXPECT_EQ(pub.status().code(), absl::StatusCode::kNotFound) << pub.status();
    EXPECT_THAT(pub.status().message(), HasSubstr("UNKNOWN_ZONE"));
  }
  // A zone of the map still goes through, and the refused ones went nowhere.
  ASSERT_TRUE(center.PublishAlert(AlertTopic("z01"), MakeAlert("known-zone", v1::P3)).ok());
  std::optional<Message> seen = NextDeliver(*clients[1], absl::Seconds(3));
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->event().alert().alert_id(), "known-zone");
  const v1::StatsSnapshot stats = Stats(center);
  EXPECT_EQ(Counter(stats, "publishes_unknown_zone"), 2u);
  EXPECT_EQ(Counter(stats, "errors.UNKNOWN_ZONE"), 2u);
}

TEST_F(EscalationTest, WildcardSubscribersAreNoUnitsOfTheZone) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  // A wall (a center on alert.>) and a terminal rig on alert.jincheng.*
  // get every alert, but neither is on duty in z06.
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}},
               {v1::CENTER, "escalation-watch", {"escalation.jincheng"}},
               {v1::CENTER, "wall", {"alert.>"}},
               {v1::TERMINAL, "rig-1", {"alert.jincheng.*"}}});
  ASSERT_EQ(clients.size(), 4u);
  absl::StatusOr<PublishResult> pub =
      clients[0]->PublishAlert(AlertTopic("z06"), MakeAlert("wall-only", v1::P1));
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_EQ(pub->recipients(), 2u);  // both got it
  std::optional<Message> event = NextEscalation(*clients[1]);
  ASSERT_TRUE(event.has_value()) << "a wildcard subscriber counted as a unit on duty";
  EXPECT_EQ(event->event().escalation().reason(), "no_unit_online");
  EXPECT_EQ(event->event().escalation().alert().alert_id(), "wall-only");
}

TEST_F(EscalationTest, WithoutAZonesMapAnAlertNoUnitGotStillEscalates) {
  auto broker = BrokerProcess::Start({});
  ASSERT_TRUE(broker.ok()) << broker.status();
  broker_ = *std::move(broker);
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}},
               {v1::CENTER, "escalation-watch", {"escalation.jincheng"}},
               {v1::TERMINAL, "jc-z07-v01", {AlertTopic("z07")}}});
  ASSERT_EQ(clients.size(), 3u);
  // Any zone is taken without a map (nothing to check it against).
  absl::StatusOr<PublishResult> lonely =
      clients[0]->PublishAlert(AlertTopic("z33"), MakeAlert("nobody-there", v1::P1));
  ASSERT_TRUE(lonely.ok()) << lonely.status();
  std::optional<Message> event = NextEscalation(*clients[1]);
  ASSERT_TRUE(event.has_value()) << "an alert nobody got waited in silence";
  EXPECT_EQ(event->event().escalation().reason(), "no_unit_online");
  EXPECT_EQ(event->event().escalation().zone(), "z33");
  EXPECT_EQ(event->event().escalation().alert().title(), "alert nobody-there");
  EXPECT_EQ(event->event().escalation().neighbours_size(), 0);
  // An alert a unit got does not escalate (there are no deadlines without
  // a map); the first escalation stays the only one.
  ASSERT_TRUE(clients[0]->PublishAlert(AlertTopic("z07"), MakeAlert("z07-has-one", v1::P1)).ok());
  ASSERT_TRUE(NextDeliver(*clients[2], absl::Seconds(3)).has_value());
  EXPECT_EQ(Counter(Stats(*clients[0]), "escalations"), 1u);
}

TEST_F(EscalationTest, AlertIdReusedForAnotherAlertIsAConflictAlsoAfterRestart) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}},
               {v1::TERMINAL, "jc-z04-v01", {AlertTopic("z04")}},
               {v1::TERMINAL, "jc-z03-v01", {AlertTopic("z03")}}});
  ASSERT_EQ(clients.size(), 3u);
  const v1::Alert bridge = MakeAlert("jc-0417-01", v1::P1);
  absl::StatusOr<PublishResult> first = clients[0]->PublishAlert(AlertTopic("z03"), bridge);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(NextDeliver(*clients[2], absl::Seconds(3)).has_value());  // on duty: no escalation

  auto expect_conflict = [&](Client& center, const std::string& topic, const v1::Alert& alert) {
    absl::StatusOr<PublishResult> pub = center.PublishAlert(topic, alert);
    ASSERT_FALSE(pub.ok()) << "another alert under a used id was taken";
    EXPECT_EQ(pub.status().code(), absl::StatusCode::kAlreadyExists) << pub.status();
    EXPECT_THAT(pub.status().message(), HasSubstr("ALERT_ID_CONFLICT"));
    EXPECT_THAT(pub.status().message(), HasSubstr(absl::StrCat("seq ", first->seq())));
  };
  // Another zone, another title: refused, and z04's unit is sent nothing.
  expect_conflict(*clients[0], AlertTopic("z04"), bridge);
  v1::Alert quarrel = bridge;
  quarrel.set_title("Quarrel, a car smashed");
  expect_conflict(*clients[0], AlertTopic("z03"), quarrel);
  // The same alert again is the retry it looks like.
  absl::StatusOr<PublishResult> again = clients[0]->PublishAlert(AlertTopic("z03"), bridge);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->seq(), first->seq());
  EXPECT_FALSE(NextDeliver(*clients[1], absl::Milliseconds(300)).has_value());
  EXPECT_FALSE(NextDeliver(*clients[2], absl::Milliseconds(10)).has_value());
  EXPECT_EQ(Counter(Stats(*clients[0]), "alert_id_conflicts"), 2u);

  // The journal keeps what the alert said: a restart still tells them apart.
  const std::string data_dir = broker_->data_dir();
  clients.clear();
  broker_->Kill();
  ASSERT_NO_FATAL_FAILURE(StartBroker(data_dir));
  std::vector<std::unique_ptr<Client>> after = Connect({{v1::CENTER, "center-1", {}}});
  ASSERT_EQ(after.size(), 1u);
  expect_conflict(*after[0], AlertTopic("z04"), bridge);
  absl::StatusOr<PublishResult> retry = after[0]->PublishAlert(AlertTopic("z03"), bridge);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(retry->seq(), first->seq());
}

TEST_F(EscalationTest, UnansweredAlertEscalatesAtDeadlineAndAnsweredOneDoesNot) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}},
               {v1::CENTER, "escalation-watch", {"escalation.jincheng"}},
               {v1::TERMINAL, "jc-z05-v01", {AlertTopic("z05")}}});
  ASSERT_EQ(clients.size(), 3u);
  Client& center = *clients[0];
  Client& watcher = *clients[1];
  Client& terminal = *clients[2];

  // The terminal gets it (RECEIVED is automatic) but nobody answers.
  const absl::Time published = absl::Now();
  absl::StatusOr<PublishResult> a =
      center.PublishAlert(AlertTopic("z05"), MakeAlert("unanswered", v1::P1));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(Gauge(Stats(center), "open_alerts"), 1);
  std::optional<Message> got_a = NextDeliver(terminal, absl::Seconds(3));
  ASSERT_TRUE(got_a.has_value());
  std::optional<Message> event = NextEscalation(watcher);
  const absl::Duration latency = absl::Now() - published;
  ASSERT_TRUE(event.has_value()) << "no escalation within 3 s";
  const v1::Escalation& escalation = event->event().escalation();
  std::cerr << "publish -> Escalation event: " << absl::FormatDuration(latency) << " (deadline "
            << absl::FormatDuration(kP1Deadline)
            << "); broker clock: " << escalation.unix_ms() - got_a->broker_unix_ms()
            << " ms after ingress\n";
  EXPECT_EQ(escalation.alert().alert_id(), "unanswered");
  EXPECT_EQ(escalation.reason(), "deadline");
  EXPECT_EQ(escalation.zone(), "z05");
  EXPECT_THAT(escalation.neighbours(), ElementsAre("z04", "z10"));
  EXPECT_GE(latency, kP1Deadline);
  EXPECT_LT(latency, kP1Deadline + absl::Seconds(1));
  // The same bound on the broker's own clock, from ingress.
  const int64_t deadline_ms = absl::ToInt64Milliseconds(kP1Deadline);
  EXPECT_GE(escalation.unix_ms() - got_a->broker_unix_ms(), deadline_ms);
  EXPECT_LT(escalation.unix_ms() - got_a->broker_unix_ms(), deadline_ms + 1000);
  EXPECT_GE(escalation.deadline_unix_ms() - got_a->broker_unix_ms(), deadline_ms);
  // It names when the next step comes: a deadline later.
  EXPECT_NEAR(escalation.deadline_unix_ms() - escalation.unix_ms(), deadline_ms, 5);
  EXPECT_EQ(escalation.level(), 1u);

  // "answered" is accepted at once; "unanswered-2", published after it, is
  // not. Its escalation is the fence: "answered" had an earlier deadline,
  // so it would have escalated first.
  ASSERT_TRUE(center.PublishAlert(AlertTopic("z05"), MakeAlert("answered", v1::P1)).ok());
  std::optional<Message> got_b = NextDeliver(terminal, absl::Seconds(3));
  ASSERT_TRUE(got_b.has_value());
  ASSERT_TRUE(terminal.SendAck(*got_b, v1::ACCEPTED, "taking it").ok());
  ASSERT_TRUE(center.PublishAlert(AlertTopic("z05"), MakeAlert("unanswered-2", v1::P1)).ok());
  ASSERT_TRUE(NextDeliver(terminal, absl::Seconds(3)).has_value());
  std::vector<std::string> escalated;
  while (escalated.empty() || escalated.back() != "unanswered-2") {
    std::optional<Message> next = NextEscalation(watcher);
    ASSERT_TRUE(next.has_value()) << "unanswered-2 did not escalate";
    // "unanswered" goes on escalating meanwhile (its later steps).
    if (next->event().escalation().level() > 1) continue;
    escalated.push_back(next->event().escalation().alert().alert_id());
  }
  EXPECT_THAT(escalated, ElementsAre("unanswered-2")) << "an accepted alert escalated";
  const v1::StatsSnapshot stats = Stats(center);
  EXPECT_GE(Counter(stats, "escalations"), 2u);
  EXPECT_EQ(Gauge(stats, "open_alerts"), 3);  // "answered" too: accepted, not resolved
  EXPECT_EQ(Gauge(stats, "alerts_awaiting_response"), 2)
      << "the unanswered ones wait for their next step";
}

TEST_F(EscalationTest, DeadlineSurvivesKillNineAndRestart) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}}, {v1::TERMINAL, "jc-z05-v01", {AlertTopic("z05")}}});
  ASSERT_EQ(clients.size(), 2u);
  const absl::Time published = absl::Now();
  absl::StatusOr<PublishResult> pub =
      clients[0]->PublishAlert(AlertTopic("z05"), MakeAlert("before-crash", v1::P2));
  ASSERT_TRUE(pub.ok()) << pub.status();
  // A terminal was online (no immediate escalation) and does not answer.
  std::optional<Message> got = NextDeliver(*clients[1], absl::Seconds(3));
  ASSERT_TRUE(got.has_value());
  const std::string data_dir = broker_->data_dir();
  broker_->Kill();
  // The outage lasts 400 ms of the 1 s deadline: an escalation timed from
  // the restart instead of from the publish would come at >= 1.4 s.
  const absl::Duration outage = absl::Milliseconds(400);
  std::this_thread::sleep_until(absl::ToChronoTime(published + outage));
  ASSERT_NO_FATAL_FAILURE(StartBroker(data_dir));

  std::vector<std::unique_ptr<Client>> after =
      Connect({{v1::CENTER, "escalation-watch", {"escalation.>"}}});
  ASSERT_EQ(after.size(), 1u);
  ASSERT_LT(absl::Now() - published, kP2Deadline) << "the restart took longer than the deadline";
  std::optional<Message> event = NextEscalation(*after[0]);
  const absl::Duration latency = absl::Now() - published;
  ASSERT_TRUE(event.has_value()) << "the deadline was lost in the crash";
  const v1::Escalation& escalation = event->event().escalation();
  const int64_t broker_ms = escalation.unix_ms() - got->broker_unix_ms();
  std::cerr << "publish -> Escalation event across kill -9: " << absl::FormatDuration(latency)
            << " (deadline " << absl::FormatDuration(kP2Deadline)
            << "); broker clock: " << broker_ms << " ms after ingress\n";
  EXPECT_EQ(escalation.alert().alert_id(), "before-crash");
  EXPECT_EQ(escalation.reason(), "deadline");
  EXPECT_EQ(escalation.seq(), pub->seq());
  EXPECT_EQ(escalation.zone(), "z05");
  EXPECT_THAT(escalation.neighbours(), ElementsAre("z04", "z10"));
  EXPECT_GE(latency, kP2Deadline);
  EXPECT_LT(latency, kP2Deadline + absl::Seconds(1));
  // Timed from the original publish, not from the restart.
  EXPECT_GE(broker_ms, absl::ToInt64Milliseconds(kP2Deadline));
  EXPECT_LT(broker_ms, absl::ToInt64Milliseconds(kP2Deadline + outage) - 50)
      << "the deadline restarted with the broker";
  EXPECT_EQ(Counter(Stats(*after[0]), "escalations"), 1u);
}

TEST_F(EscalationTest, EmergencyButtonAlertsUnitZoneAndNeighboursAtOnce) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  // z07's neighbours are z02, z06 and z08; z05 is not one.
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::TERMINAL, "jc-z07-v01", {AlertTopic("z07")}},
               {v1::TERMINAL, "jc-z07-v02", {AlertTopic("z07")}},
               {v1::TERMINAL, "jc-z02-v01", {AlertTopic("z02")}},
               {v1::TERMINAL, "jc-z06-v01", {AlertTopic("z06")}},
               {v1::TERMINAL, "jc-z08-v01", {AlertTopic("z08")}},
               {v1::TERMINAL, "jc-z05-v01", {AlertTopic("z05")}},
               {v1::CENTER, "center-1", {"radio.jincheng.>"}},
               {v1::CENTER, "escalation-watch", {"escalation.jincheng"}}});
  ASSERT_EQ(clients.size(), 8u);
  Client& officer = *clients[0];
  Client& center = *clients[6];
  Client& watcher = *clients[7];

  v1::RadioEvent button;
  button.set_unit("jc-z07-v01");
  button.set_kind(v1::RadioEvent::EMERGENCY);
  button.mutable_position()->set_lat(35.4907);
  button.mutable_position()->set_lon(112.8513);
  button.set_text("officer down, Lanhua bridge");
  button.set_event_unix_ms(absl::ToUnixMillis(absl::Now()));
  absl::StatusOr<PublishResult> pub = officer.PublishRadio("radio.jincheng.z07.jc-z07-v01", button);
  ASSERT_TRUE(pub.ok()) << pub.status();
  EXPECT_TRUE(pub->durable());
  const std::string alert_id = absl::StrCat("emergency-jc-z07-v01-", pub->seq());

  const std::vector<std::pair<size_t, std::string>> recipients = {
      {0, "z07"}, {1, "z07"}, {2, "z02"}, {3, "z06"}, {4, "z08"}};
  for (const auto& [index, zone] : recipients) {
    SCOPED_TRACE(absl::StrCat("terminal ", index, " of ", zone));
    std::optional<Message> d = NextDeliver(*clients[index], absl::Seconds(3));
    ASSERT_TRUE(d.has_value()) << "no emergency alert";
    EXPECT_EQ(d->topic(), AlertTopic(zone));
    EXPECT_EQ(d->priority(), v1::P1);
    const v1::Alert& alert = d->event().alert();
    EXPECT_EQ(alert.alert_id(), alert_id);
    EXPECT_EQ(alert.priority(), v1::P1);
    EXPECT_EQ(alert.category(), "officer_emergency");
    EXPECT_EQ(alert.origin_unit(), "jc-z07-v01");
    EXPECT_EQ(alert.body(), "officer down, Lanhua bridge");
    EXPECT_DOUBLE_EQ(alert.location().lat(), 35.4907);
  }
  // The center hears the button itself, as P1.
  std::optional<Message> heard = NextDeliver(center, absl::Seconds(3));
  ASSERT_TRUE(heard.has_value());
  EXPECT_EQ(heard->topic(), "radio.jincheng.z07.jc-z07-v01");
  EXPECT_EQ(heard->priority(), v1::P1);
  EXPECT_EQ(heard->event().radio().kind(), v1::RadioEvent::EMERGENCY);

  std::optional<Message> event = NextEscalation(watcher);
  ASSERT_TRUE(event.has_value()) << "no Escalation event";
  const v1::Escalation& escalation = event->event().escalation();
  EXPECT_EQ(escalation.reason(), "emergency");
  EXPECT_EQ(escalation.zone(), "z07");
  EXPECT_THAT(escalation.neighbours(), ElementsAre("z02", "z06", "z08"));
  EXPECT_EQ(escalation.alert().origin_unit(), "jc-z07-v01");
  EXPECT_EQ(escalation.alert().alert_id(), alert_id);

  // z05 gets nothing but its own fence (P4: no deadline, a unit online).
  ASSERT_TRUE(center.PublishAlert(AlertTopic("z05"), MakeAlert("z05-fence", v1::P4)).ok());
  std::vector<Message> z05 = CollectDeliveries(
      *clients[5], [](const std::vector<Message>& d) { return HasAlert(d, "z05-fence"); },
      absl::Seconds(3));
  EXPECT_THAT(AlertIds(z05), ElementsAre("z05-fence"));
  EXPECT_EQ(Counter(Stats(center), "emergencies"), 1u);
}

}  // namespace

// The center withdraws a false alarm: the units that got it are told to
// stand down, it escalates no more, it leaves the open alerts, and its
// timeline says who cancelled it and why; also across a kill -9.
TEST_F(EscalationTest, CancelledAlertReachesItsUnitsAndNeverEscalates) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}},
               {v1::CENTER, "escalation-watch", {"escalation.jincheng"}},
               {v1::TERMINAL, "jc-z03-v01", {AlertTopic("z03")}}});
  ASSERT_EQ(clients.size(), 3u);
  Client& center = *clients[0];
  Client& terminal = *clients[2];
  absl::StatusOr<PublishResult> pub =
      center.PublishAlert(AlertTopic("z03"), MakeAlert("false-alarm-1", v1::P2));
  ASSERT_TRUE(pub.ok()) << pub.status();
  ASSERT_TRUE(NextDeliver(terminal, absl::Seconds(3)).has_value());

  // Only on the alert's own topic, only for an open alert.
  absl::StatusOr<PublishResult> elsewhere =
      center.CancelAlert(AlertTopic("z04"), "false-alarm-1", "wrong zone");
  EXPECT_EQ(elsewhere.status().code(), absl::StatusCode::kInvalidArgument) << elsewhere.status();
  absl::StatusOr<PublishResult> unknown =
      center.CancelAlert(AlertTopic("z03"), "never-published", "nothing");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kFailedPrecondition) << unknown.status();
  EXPECT_THAT(unknown.status().message(), HasSubstr("ALERT_NOT_OPEN"));

  absl::StatusOr<PublishResult> cancel =
      center.CancelAlert(AlertTopic("z03"), "false-alarm-1", "caller withdrew: a prank");
  ASSERT_TRUE(cancel.ok()) << cancel.status();
  EXPECT_FALSE(cancel->duplicate());
  std::optional<Message> told = NextDeliver(terminal, absl::Seconds(3));
  ASSERT_TRUE(told.has_value()) << "the unit was not told to stand down";
  ASSERT_TRUE(told->event().has_alert_update()) << Describe(*told);
  const v1::AlertUpdate& update = told->event().alert_update();
  EXPECT_EQ(update.kind(), v1::AlertUpdate::CANCELLED);
  EXPECT_EQ(update.alert_id(), "false-alarm-1");
  EXPECT_EQ(update.reason(), "caller withdrew: a prank");
  EXPECT_EQ(update.by(), "center-1");
  EXPECT_EQ(told->priority(), v1::P1);  // a stand-down overtakes other work

  // A repeat (a retry, a second console) is the same cancel.
  absl::StatusOr<PublishResult> again =
      center.CancelAlert(AlertTopic("z03"), "false-alarm-1", "caller withdrew: a prank");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->seq(), cancel->seq());
  // Ended: nothing left to close.
  absl::StatusOr<PublishResult> close = center.CloseAlert(AlertTopic("z03"), "false-alarm-1");
  EXPECT_EQ(close.status().code(), absl::StatusCode::kFailedPrecondition) << close.status();

  const v1::StatsSnapshot stats = Stats(center);
  EXPECT_EQ(Gauge(stats, "open_alerts"), 0);
  EXPECT_EQ(Counter(stats, "alerts_ended"), 1u);

  // Past its 1 s deadline, across a kill -9: no escalation.
  const std::string data_dir = broker_->data_dir();
  clients.clear();
  broker_->Kill();
  ASSERT_NO_FATAL_FAILURE(StartBroker(data_dir));
  std::vector<std::unique_ptr<Client>> after =
      Connect({{v1::CENTER, "center-1", {}}, {v1::CENTER, "escalation-watch", {"escalation.>"}}});
  ASSERT_EQ(after.size(), 2u);
  EXPECT_FALSE(NextDeliver(*after[1], kP2Deadline + absl::Milliseconds(500)).has_value())
      << "a cancelled alert escalated";
  EXPECT_EQ(Counter(Stats(*after[0]), "escalations"), 0u);
  EXPECT_EQ(Gauge(Stats(*after[0]), "open_alerts"), 0);
  absl::StatusOr<PublishResult> retry =
      after[0]->CancelAlert(AlertTopic("z03"), "false-alarm-1", "caller withdrew: a prank");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate());

  absl::StatusOr<v1::AlertTimeline> timeline = after[0]->Timeline("false-alarm-1");
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  EXPECT_EQ(timeline->state(), "cancelled");
  bool cancelled = false;
  for (const v1::TimelineEntry& entry : timeline->entries()) {
    if (entry.kind() != v1::TimelineEntry::CANCELLED) continue;
    cancelled = true;
    EXPECT_EQ(entry.unit(), "center-1");
    EXPECT_EQ(entry.text(), "caller withdrew: a prank");
  }
  EXPECT_TRUE(cancelled) << timeline->DebugString();
}

// The first unit to accept takes the alert, and the zone hears of it once.
TEST_F(EscalationTest, FirstAcceptIsToldToTheZoneAsTaken) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}},
               {v1::TERMINAL, "jc-z10-v01", {AlertTopic("z10")}},
               {v1::TERMINAL, "jc-z10-v03", {AlertTopic("z10")}}});
  ASSERT_EQ(clients.size(), 3u);
  absl::StatusOr<PublishResult> pub =
      clients[0]->PublishAlert(AlertTopic("z10"), MakeAlert("lanhua-bridge", v1::P1));
  ASSERT_TRUE(pub.ok()) << pub.status();
  std::optional<Message> first = NextDeliver(*clients[2], absl::Seconds(3));
  std::optional<Message> second = NextDeliver(*clients[1], absl::Seconds(3));
  ASSERT_TRUE(first.has_value() && second.has_value());
  ASSERT_TRUE(clients[2]->SendAck(*first, v1::ACCEPTED, "on my way").ok());

  for (Client* unit : {clients[1].get(), clients[2].get()}) {
    std::optional<Message> taken = NextDeliver(*unit, absl::Seconds(3));
    ASSERT_TRUE(taken.has_value()) << "no TAKEN";
    ASSERT_TRUE(taken->event().has_alert_update()) << Describe(*taken);
    EXPECT_EQ(taken->event().alert_update().kind(), v1::AlertUpdate::TAKEN);
    EXPECT_EQ(taken->event().alert_update().unit(), "jc-z10-v03");
    EXPECT_EQ(taken->event().alert_update().alert_id(), "lanhua-bridge");
    EXPECT_EQ(taken->priority(), v1::P1);
  }
  // A second unit accepting too is no new taker.
  ASSERT_TRUE(clients[1]->SendAck(*second, v1::ACCEPTED).ok());
  EXPECT_FALSE(NextDeliver(*clients[2], absl::Milliseconds(300)).has_value());

  absl::StatusOr<PublishResult> close =
      clients[0]->CloseAlert(AlertTopic("z10"), "lanhua-bridge", "woman brought to safety");
  ASSERT_TRUE(close.ok()) << close.status();
  absl::StatusOr<v1::AlertTimeline> timeline = clients[0]->Timeline("lanhua-bridge");
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  std::vector<std::string> steps;
  for (const v1::TimelineEntry& entry : timeline->entries()) {
    if (entry.kind() == v1::TimelineEntry::TAKEN || entry.kind() == v1::TimelineEntry::CLOSED) {
      steps.push_back(absl::StrCat(v1::TimelineEntry::Kind_Name(entry.kind()), " ", entry.unit()));
    }
  }
  EXPECT_THAT(steps, ElementsAre("TAKEN jc-z10-v03", "CLOSED center-1"));
  EXPECT_EQ(timeline->state(), "closed");
}

// A unit of a neighbouring zone got the escalated copy and may be on its
// way: a cancel reaches it too, and the timeline shows the cancel once.
TEST_F(EscalationTest, CancelReachesTheZonesTheAlertEscalatedTo) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}}, {v1::TERMINAL, "jc-z04-v01", {AlertTopic("z04")}}});
  ASSERT_EQ(clients.size(), 2u);
  // Nobody in z03: escalates at once to z02, z04 and z08.
  ASSERT_TRUE(clients[0]->PublishAlert(AlertTopic("z03"), MakeAlert("zz-7", v1::P1)).ok());
  std::optional<Message> copy = NextAlert(*clients[1], absl::Seconds(3));
  ASSERT_TRUE(copy.has_value());
  EXPECT_EQ(copy->event().alert().escalated_from_zone(), "z03");
  ASSERT_TRUE(clients[0]->CancelAlert(AlertTopic("z03"), "zz-7", "cleared, no injuries").ok());
  std::optional<Message> told = NextDeliver(*clients[1], absl::Seconds(3));
  ASSERT_TRUE(told.has_value()) << "the neighbour's unit was not told to stand down";
  ASSERT_TRUE(told->event().has_alert_update()) << Describe(*told);
  EXPECT_EQ(told->event().alert_update().kind(), v1::AlertUpdate::CANCELLED);
  EXPECT_EQ(told->topic(), AlertTopic("z04"));
  absl::StatusOr<v1::AlertTimeline> timeline = clients[0]->Timeline("zz-7");
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  int cancels = 0;
  for (const v1::TimelineEntry& entry : timeline->entries()) {
    cancels += entry.kind() == v1::TimelineEntry::CANCELLED ? 1 : 0;
  }
  EXPECT_EQ(cancels, 1) << timeline->DebugString();
}

// Nobody takes it: the alert goes on, one deadline apart, to the ring of
// zones after the neighbours, and further, until a unit there takes it.
TEST_F(EscalationTest, EscalationGoesOnThroughTheMapUntilTaken) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  // z01's neighbours are z02 and z06; the next ring is z03 and z07.
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}},
               {v1::CENTER, "escalation-watch", {"escalation.jincheng"}},
               {v1::TERMINAL, "jc-z01-v01", {AlertTopic("z01")}},
               {v1::TERMINAL, "jc-z03-v01", {AlertTopic("z03")}}});
  ASSERT_EQ(clients.size(), 4u);
  ASSERT_TRUE(clients[0]->PublishAlert(AlertTopic("z01"), MakeAlert("far-reach", v1::P1)).ok());
  ASSERT_TRUE(NextAlert(*clients[2], absl::Seconds(3)).has_value());  // z01's unit, silent

  std::vector<std::string> steps;
  std::vector<int64_t> at;
  while (steps.size() < 2) {
    std::optional<Message> event = NextEscalation(*clients[1]);
    ASSERT_TRUE(event.has_value()) << "the escalation stopped after " << steps.size() << " steps";
    const v1::Escalation& e = event->event().escalation();
    steps.push_back(
        absl::StrCat(e.level(), " ", e.reason(), " ", absl::StrJoin(e.neighbours(), ",")));
    at.push_back(e.unix_ms());
  }
  EXPECT_THAT(steps, ElementsAre("1 deadline z02,z06", "2 deadline z03,z07"));
  EXPECT_GE(at[1] - at[0], absl::ToInt64Milliseconds(kP1Deadline) - 5);

  // Two rings out, z03's unit has it, and takes it.
  std::optional<Message> copy = NextAlert(*clients[3], absl::Seconds(3));
  ASSERT_TRUE(copy.has_value()) << "the second ring was not sent the alert";
  EXPECT_EQ(copy->event().alert().escalated_from_zone(), "z01");
  ASSERT_TRUE(clients[3]->SendAck(*copy, v1::ACCEPTED, "from z03, on my way").ok());
  // z01's unit hears who took it.
  std::optional<Message> taken = NextDeliver(*clients[2], absl::Seconds(3));
  ASSERT_TRUE(taken.has_value());
  ASSERT_TRUE(taken->event().has_alert_update()) << Describe(*taken);
  EXPECT_EQ(taken->event().alert_update().unit(), "jc-z03-v01");
  // No step after the taking (at most one already on its way).
  std::optional<Message> late = NextEscalation(*clients[1], kP1Deadline * 3);
  if (late.has_value()) {
    EXPECT_EQ(late->event().escalation().level(), 3u) << "the escalation went on";
    EXPECT_FALSE(NextEscalation(*clients[1], kP1Deadline * 3).has_value())
        << "the escalation went on after the alert was taken";
  }
  const v1::StatsSnapshot stats = Stats(*clients[0]);
  EXPECT_EQ(Gauge(stats, "alerts_awaiting_response"), 0);
  EXPECT_EQ(Gauge(stats, "open_alerts"), 1);  // taken, not resolved yet
}

// The center amends an alert (a P3 "person on the bridge" becomes a P1 with
// a new title) and assigns a unit: the zone's units get both, the same
// amendment again is a duplicate, the P1 deadline now runs and the
// escalation carries the new title; the timeline keeps all of it across a
// kill -9.
TEST_F(EscalationTest, AmendAndAssignReachTheUnitsAndTheTimeline) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-2", {}},
               {v1::CENTER, "escalation-watch", {"escalation.jincheng"}},
               {v1::TERMINAL, "jc-z10-v01", {AlertTopic("z10")}}});
  ASSERT_EQ(clients.size(), 3u);
  Client& center = *clients[0];
  Client& terminal = *clients[2];
  ASSERT_TRUE(center.PublishAlert(AlertTopic("z10"), MakeAlert("lanhua-2", v1::P3)).ok());
  ASSERT_TRUE(NextAlert(terminal, absl::Seconds(3)).has_value());

  Client::Amendment nothing;
  EXPECT_EQ(center.AmendAlert(AlertTopic("z10"), "lanhua-2", nothing).status().code(),
            absl::StatusCode::kInvalidArgument);
  Client::Amendment change;
  change.priority = v1::P1;
  change.title = "woman outside the Lanhua bridge railing";
  const absl::Time amended_at = absl::Now();
  absl::StatusOr<PublishResult> amend = center.AmendAlert(AlertTopic("z10"), "lanhua-2", change);
  ASSERT_TRUE(amend.ok()) << amend.status();
  EXPECT_FALSE(amend->duplicate());
  std::optional<Message> told = NextDeliver(terminal, absl::Seconds(3));
  ASSERT_TRUE(told.has_value() && told->event().has_alert_update()) << "no AMENDED";
  EXPECT_EQ(told->event().alert_update().kind(), v1::AlertUpdate::AMENDED);
  EXPECT_EQ(told->event().alert_update().priority(), v1::P1);
  EXPECT_EQ(told->event().alert_update().title(), change.title);
  EXPECT_EQ(told->event().alert_update().by(), "center-2");
  absl::StatusOr<PublishResult> again = center.AmendAlert(AlertTopic("z10"), "lanhua-2", change);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate());

  // Changed and changed back (A, B, A): each is applied, none a duplicate.
  Client::Amendment other;
  other.body = "she stepped back";
  for (const Client::Amendment* next : {&other, &change}) {
    absl::StatusOr<PublishResult> applied = center.AmendAlert(AlertTopic("z10"), "lanhua-2", *next);
    ASSERT_TRUE(applied.ok()) << applied.status();
    EXPECT_FALSE(applied->duplicate());
    told = NextDeliver(terminal, absl::Seconds(3));
    ASSERT_TRUE(told.has_value() && told->event().has_alert_update()) << "no AMENDED";
  }

  absl::StatusOr<PublishResult> assign =
      center.AssignAlert(AlertTopic("z10"), "lanhua-2", "jc-z10-v01", "closest to the bridge");
  ASSERT_TRUE(assign.ok()) << assign.status();
  told = NextDeliver(terminal, absl::Seconds(3));
  ASSERT_TRUE(told.has_value() && told->event().has_alert_update()) << "no ASSIGNED";
  EXPECT_EQ(told->event().alert_update().kind(), v1::AlertUpdate::ASSIGNED);
  EXPECT_EQ(told->event().alert_update().unit(), "jc-z10-v01");

  // A P3 has no deadline here; the P1 it became does, from the amendment.
  std::optional<Message> escalation = NextEscalation(*clients[1]);
  ASSERT_TRUE(escalation.has_value()) << "the amended P1 did not escalate";
  const absl::Duration waited = absl::Now() - amended_at;
  EXPECT_GE(waited, kP1Deadline - absl::Milliseconds(50));
  EXPECT_LT(waited, kP1Deadline + absl::Seconds(1));
  EXPECT_EQ(escalation->event().escalation().alert().title(), change.title);
  EXPECT_EQ(escalation->event().escalation().alert().priority(), v1::P1);
  const v1::StatsSnapshot stats = Stats(center);
  EXPECT_EQ(Counter(stats, "alerts_amended"), 3u);
  EXPECT_EQ(Counter(stats, "alerts_assigned"), 1u);

  const std::string data_dir = broker_->data_dir();
  clients.clear();
  broker_->Kill();
  ASSERT_NO_FATAL_FAILURE(StartBroker(data_dir));
  std::vector<std::unique_ptr<Client>> after = Connect({{v1::CENTER, "center-2", {}}});
  ASSERT_EQ(after.size(), 1u);
  // The last change repeated (a console retrying after a lost PubAck).
  absl::StatusOr<PublishResult> retry =
      after[0]->AssignAlert(AlertTopic("z10"), "lanhua-2", "jc-z10-v01", "closest to the bridge");
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_TRUE(retry->duplicate());
  EXPECT_EQ(retry->seq(), assign->seq());
  absl::StatusOr<v1::AlertTimeline> timeline = after[0]->Timeline("lanhua-2");
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  EXPECT_EQ(timeline->alert().title(), change.title);  // as it stands now
  EXPECT_EQ(timeline->alert().priority(), v1::P1);
  std::vector<std::string> steps;
  for (const v1::TimelineEntry& entry : timeline->entries()) {
    if (entry.kind() == v1::TimelineEntry::AMENDED || entry.kind() == v1::TimelineEntry::ASSIGNED) {
      steps.push_back(absl::StrCat(v1::TimelineEntry::Kind_Name(entry.kind()), " ", entry.unit(),
                                   " ", entry.text()));
    }
  }
  EXPECT_THAT(steps,
              ElementsAre("AMENDED center-2 priority P1; title: woman outside the Lanhua bridge "
                          "railing",
                          "AMENDED center-2 text: she stepped back",
                          "AMENDED center-2 priority P1; title: woman outside the Lanhua bridge "
                          "railing",
                          "ASSIGNED jc-z10-v01 by center-2: closest to the bridge"));
}

// A P1 needs two units (zones file): the first to accept is told to the zone
// as "1 of 2", the alert keeps escalating, the second makes it "2 of 2" (told
// to the neighbour zone it escalated to as well) and the escalation stops; a
// third accept is told to nobody.
TEST_F(EscalationTest, AlertNeedingTwoUnitsEscalatesUntilTheSecondTakesIt) {
  {
    std::ofstream out(zones_path_);
    out << ZonesJson(absl::ToDoubleSeconds(kP1Deadline), absl::ToDoubleSeconds(kP2Deadline), 0, 0,
                     /*p1_units=*/2);
    ASSERT_TRUE(out.flush());
  }
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  std::vector<std::unique_ptr<Client>> clients =
      Connect({{v1::CENTER, "center-1", {}},
               {v1::CENTER, "escalation-watch", {"escalation.jincheng"}},
               {v1::TERMINAL, "jc-z10-v01", {AlertTopic("z10")}},
               {v1::TERMINAL, "jc-z10-v02", {AlertTopic("z10")}},
               {v1::TERMINAL, "jc-z10-v03", {AlertTopic("z10")}},
               {v1::TERMINAL, "jc-z09-v01", {AlertTopic("z09")}}});
  ASSERT_EQ(clients.size(), 6u);
  ASSERT_TRUE(clients[0]->PublishAlert(AlertTopic("z10"), MakeAlert("two-units", v1::P1)).ok());
  std::vector<Message> got;
  for (size_t i = 2; i < 5; ++i) {
    std::optional<Message> alert = NextAlert(*clients[i], absl::Seconds(3));
    ASSERT_TRUE(alert.has_value());
    got.push_back(*alert);
  }
  auto next_taken = [](Client& unit) -> std::optional<v1::AlertUpdate> {
    std::optional<Message> d = NextDeliver(unit, absl::Seconds(3));
    if (!d.has_value() || !d->event().has_alert_update()) return std::nullopt;
    return d->event().alert_update();
  };
  ASSERT_TRUE(clients[2]->SendAck(got[0], v1::ACCEPTED).ok());
  std::optional<v1::AlertUpdate> taken = next_taken(*clients[4]);
  ASSERT_TRUE(taken.has_value()) << "no TAKEN 1 of 2";
  EXPECT_EQ(taken->unit(), "jc-z10-v01");
  EXPECT_EQ(taken->units_taken(), 1u);
  EXPECT_EQ(taken->units_needed(), 2u);
  std::optional<Message> escalation = NextEscalation(*clients[1]);
  ASSERT_TRUE(escalation.has_value()) << "one unit of two stopped the escalation";
  EXPECT_EQ(escalation->event().escalation().reason(), "deadline");
  std::optional<Message> copy = NextAlert(*clients[5], absl::Seconds(3));
  ASSERT_TRUE(copy.has_value()) << "the neighbour z09 did not get the escalated copy";

  ASSERT_TRUE(clients[3]->SendAck(got[1], v1::ACCEPTED).ok());
  taken = next_taken(*clients[4]);
  ASSERT_TRUE(taken.has_value()) << "no TAKEN 2 of 2";
  EXPECT_EQ(taken->unit(), "jc-z10-v02");
  EXPECT_EQ(taken->units_taken(), 2u);
  // The neighbour's unit got the escalated copy and may be on its way: it
  // hears that enough units took it.
  taken = next_taken(*clients[5]);
  ASSERT_TRUE(taken.has_value()) << "the neighbour zone was not told of the second taker";
  EXPECT_EQ(taken->units_taken(), 2u);
  ASSERT_TRUE(clients[4]->SendAck(got[2], v1::ACCEPTED).ok());
  // The first unit heard of both takers, and of nothing after.
  for (uint32_t n : {1u, 2u}) {
    taken = next_taken(*clients[2]);
    ASSERT_TRUE(taken.has_value());
    EXPECT_EQ(taken->units_taken(), n);
  }
  EXPECT_FALSE(NextDeliver(*clients[2], absl::Milliseconds(300)).has_value());
  EXPECT_FALSE(NextDeliver(*clients[1], kP1Deadline + absl::Milliseconds(500)).has_value())
      << "escalated after the second unit took it";
}
