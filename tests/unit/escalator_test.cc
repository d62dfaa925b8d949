// Escalator: deadlines, neighbour fan-out and the emergency button, driven
// by a FakeClock (no sleeps, no broker process).
#include "alerts/escalator.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

using ::testing::ElementsAre;

class EscalatorTest : public ::testing::Test {
 protected:
  EscalatorTest() : zones_(MakeZones()), escalator_(zones_, clock_) {}

  // z01 - z02 - z03 in a row; P1 must be taken in 30 s, P2 in 120 s (by
  // two units), P4 never.
  static ZoneIndex MakeZones() {
    v1::ZoneMap map;
    map.set_city("jincheng");
    map.mutable_response_deadlines()->set_p1_s(30);
    map.mutable_response_deadlines()->set_p2_s(120);
    map.mutable_units_needed()->set_p2(2);
    v1::Zone* z01 = map.add_zones();
    z01->set_id("z01");
    z01->add_neighbours("z02");
    v1::Zone* z02 = map.add_zones();
    z02->set_id("z02");
    z02->add_neighbours("z01");
    z02->add_neighbours("z03");
    v1::Zone* z03 = map.add_zones();
    z03->set_id("z03");
    z03->add_neighbours("z02");
    absl::StatusOr<ZoneIndex> index = ZoneIndex::FromMap(map);
    EXPECT_TRUE(index.ok()) << index.status();
    return *std::move(index);
  }

  static v1::Alert Alert(const std::string& id, v1::Priority priority = v1::P1) {
    v1::Alert alert;
    alert.set_alert_id(id);
    alert.set_priority(priority);
    alert.set_title("woman outside the Lanhua bridge railing");
    return alert;
  }

  static std::vector<std::string> Topics(const Escalation& escalation) {
    std::vector<std::string> topics;
    for (const EscalationMessage& m : escalation.messages) topics.push_back(m.topic);
    return topics;
  }

  FakeClock clock_;
  ZoneIndex zones_;
  Escalator escalator_;
};

TEST_F(EscalatorTest, NoTerminalReachedEscalatesAtOnceToCenterAndNeighbours) {
  std::optional<Escalation> now = escalator_.OnStored(7, "alert.jincheng.z02", v1::P1, "center-1",
                                                      Alert("a1"), /*terminals=*/0);
  ASSERT_TRUE(now.has_value());
  ASSERT_TRUE(now->record.has_value());
  EXPECT_EQ(now->record->reason(), "no_unit_online");
  EXPECT_EQ(now->record->seq(), 7u);
  EXPECT_EQ(now->record->zone(), "z02");
  EXPECT_THAT(Topics(*now),
              ElementsAre("escalation.jincheng", "alert.jincheng.z01", "alert.jincheng.z03"));
  const v1::Escalation& notice = now->messages[0].event.escalation();
  EXPECT_EQ(notice.alert().alert_id(), "a1");
  EXPECT_THAT(notice.neighbours(), ElementsAre("z01", "z03"));
  for (size_t i = 1; i < now->messages.size(); ++i) {
    const EscalationMessage& copy = now->messages[i];
    EXPECT_EQ(copy.alert_id, "a1");
    EXPECT_EQ(copy.publisher, "center-1");  // acks to the copy reach the center
    EXPECT_EQ(copy.priority, v1::P1);
    EXPECT_EQ(copy.event.alert().escalated_from_zone(), "z02");
    EXPECT_EQ(copy.event.alert().topic(), copy.topic);
  }
  EXPECT_EQ(now->record->level(), 1u);
  // Still nobody's: its next step comes a deadline later.
  ASSERT_EQ(escalator_.open(), 1u);
  EXPECT_EQ(escalator_.Find("a1")->level, 1);
}

TEST_F(EscalatorTest, UnansweredAlertEscalatesAtItsPriorityDeadline) {
  EXPECT_FALSE(escalator_.OnStored(1, "alert.jincheng.z01", v1::P1, "center-1", Alert("p1"), 3));
  EXPECT_FALSE(
      escalator_.OnStored(2, "alert.jincheng.z01", v1::P2, "center-1", Alert("p2", v1::P2), 3));
  EXPECT_EQ(escalator_.open(), 2u);
  EXPECT_EQ(escalator_.NextDue(), absl::ToInt64Nanoseconds(absl::Seconds(30)));
  clock_.Advance(absl::Seconds(29));
  EXPECT_TRUE(escalator_.Expire().empty());
  clock_.Advance(absl::Seconds(1));
  std::vector<Escalation> due = escalator_.Expire();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record->alert_id(), "p1");
  EXPECT_EQ(due[0].record->reason(), "deadline");
  EXPECT_THAT(Topics(due[0]), ElementsAre("escalation.jincheng", "alert.jincheng.z02"));
  // The event says when the next step comes.
  EXPECT_EQ(due[0].messages[0].event.escalation().deadline_unix_ms(),
            absl::ToUnixMillis(clock_.NowWall() + absl::Seconds(30)));
  escalator_.OnAck("p1", "u1", v1::ACCEPTED);  // taken: no next step
  clock_.Advance(absl::Seconds(90));
  due = escalator_.Expire();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record->alert_id(), "p2");
  EXPECT_EQ(due[0].messages[1].priority, v1::P2);  // the copy keeps its priority
  EXPECT_EQ(escalator_.open(), 1u);                // p2 goes on
}

// Nobody takes it: step by step through the map, then reminders to the
// center, one deadline apart, until a unit takes it.
TEST_F(EscalatorTest, EscalationGoesOnRingByRingThenRemindsUntilTaken) {
  EXPECT_FALSE(escalator_.OnStored(1, "alert.jincheng.z01", v1::P1, "center-1", Alert("far"), 2));
  std::vector<std::string> steps;
  for (int step = 0; step < 4; ++step) {
    clock_.Advance(absl::Seconds(30));
    std::vector<Escalation> due = escalator_.Expire();
    ASSERT_EQ(due.size(), 1u) << "step " << step;
    const v1::JournalEscalation& record = *due[0].record;
    steps.push_back(absl::StrCat(record.level(), " ", record.reason(), " [",
                                 absl::StrJoin(record.zones(), ","), "] ",
                                 absl::StrJoin(Topics(due[0]), ",")));
  }
  EXPECT_THAT(
      steps, ElementsAre("1 deadline [z02] escalation.jincheng,alert.jincheng.z02",
                         "2 deadline [z03] escalation.jincheng,alert.jincheng.z03",
                         "3 reminder [] escalation.jincheng", "4 reminder [] escalation.jincheng"));
  EXPECT_THAT(escalator_.ZonesReached("far"), ElementsAre("z02", "z03"));
  escalator_.OnAck("far", "u1", v1::ACCEPTED);
  clock_.Advance(absl::Seconds(300));
  EXPECT_TRUE(escalator_.Expire().empty());
  EXPECT_EQ(escalator_.open(), 0u);
}

// With a supervisor topic, the reminders (not the ring steps) go there too.
TEST(EscalatorSupervisorTest, RemindersAlsoGoToTheSupervisorTopic) {
  v1::ZoneMap map;
  map.set_city("jincheng");
  map.set_supervisor_topic("escalation.jincheng.supervisor");
  map.mutable_response_deadlines()->set_p1_s(30);
  v1::Zone* z01 = map.add_zones();
  z01->set_id("z01");
  z01->add_neighbours("z02");
  v1::Zone* z02 = map.add_zones();
  z02->set_id("z02");
  z02->add_neighbours("z01");
  absl::StatusOr<ZoneIndex> zones = ZoneIndex::FromMap(map);
  ASSERT_TRUE(zones.ok()) << zones.status();
  FakeClock clock;
  Escalator escalator(*zones, clock);
  v1::Alert alert;
  alert.set_alert_id("far");
  alert.set_priority(v1::P1);
  escalator.OnStored(1, "alert.jincheng.z01", v1::P1, "center-1", alert, 1);
  std::vector<std::string> steps;
  for (int step = 0; step < 3; ++step) {
    clock.Advance(absl::Seconds(30));
    std::vector<Escalation> due = escalator.Expire();
    ASSERT_EQ(due.size(), 1u);
    std::vector<std::string> topics;
    for (const EscalationMessage& m : due[0].messages) {
      topics.push_back(m.topic);
      if (m.topic == "escalation.jincheng.supervisor") {
        EXPECT_EQ(m.event.escalation().reason(), "reminder");
        EXPECT_EQ(m.event.escalation().alert().alert_id(), "far");
      }
    }
    steps.push_back(absl::StrJoin(topics, ","));
  }
  EXPECT_THAT(steps, ElementsAre("escalation.jincheng,alert.jincheng.z02",
                                 "escalation.jincheng,escalation.jincheng.supervisor",
                                 "escalation.jincheng,escalation.jincheng.supervisor"));
}

TEST_F(EscalatorTest, CancelledAlertEscalatesNoMore) {
  EXPECT_FALSE(escalator_.OnStored(1, "alert.jincheng.z01", v1::P1, "center-1", Alert("x"), 1));
  escalator_.OnEnded("x");
  clock_.Advance(absl::Seconds(60));
  EXPECT_TRUE(escalator_.Expire().empty());
}

TEST_F(EscalatorTest, ResponseStopsTheWaitButReceivedAndDeclinedDoNot) {
  escalator_.OnStored(1, "alert.jincheng.z03", v1::P1, "center-1", Alert("a1"), 1);
  escalator_.OnStored(2, "alert.jincheng.z03", v1::P1, "center-1", Alert("a2"), 1);
  escalator_.OnAck("a1", "u1", v1::RECEIVED);
  escalator_.OnAck("a1", "u1", v1::DECLINED);
  escalator_.OnAck("a2", "u1", v1::EN_ROUTE);
  clock_.Advance(absl::Seconds(31));
  std::vector<Escalation> due = escalator_.Expire();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record->alert_id(), "a1");
}

// A P2 needs two units: one unit's responses, however many, do not stop
// it; a second unit's does, even after it escalated.
TEST_F(EscalatorTest, AlertNeedingTwoUnitsWaitsForTheSecond) {
  escalator_.OnStored(1, "alert.jincheng.z02", v1::P2, "center-1", Alert("fight", v1::P2), 3);
  escalator_.OnAck("fight", "u1", v1::ACCEPTED);
  escalator_.OnAck("fight", "u1", v1::EN_ROUTE);
  clock_.Advance(absl::Seconds(121));
  std::vector<Escalation> due = escalator_.Expire();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record->level(), 1u);
  escalator_.OnAck("fight", "u2", v1::ACCEPTED);
  clock_.Advance(absl::Seconds(300));
  EXPECT_TRUE(escalator_.Expire().empty());
  EXPECT_EQ(escalator_.open(), 0u);
}

// Amended from P2 to P1: the P1 deadline runs from the
// amendment, and the escalation carries the new title.
TEST_F(EscalatorTest, AmendmentToHigherPriorityBringsItsDeadlineAndText) {
  escalator_.OnStored(1, "alert.jincheng.z01", v1::P2, "center-1", Alert("bridge", v1::P2), 2);
  clock_.Advance(absl::Seconds(10));
  v1::AlertUpdate amendment;
  amendment.set_alert_id("bridge");
  amendment.set_kind(v1::AlertUpdate::AMENDED);
  amendment.set_priority(v1::P1);
  amendment.set_title("woman climbing over the railing");
  escalator_.OnAmended(amendment);
  clock_.Advance(absl::Seconds(29));
  EXPECT_TRUE(escalator_.Expire().empty());
  clock_.Advance(absl::Seconds(2));
  std::vector<Escalation> due = escalator_.Expire();
  ASSERT_EQ(due.size(), 1u);
  ASSERT_EQ(due[0].messages.size(), 2u);
  EXPECT_EQ(due[0].messages[1].priority, v1::P1);
  EXPECT_EQ(due[0].messages[1].event.alert().title(), "woman climbing over the railing");
  EXPECT_EQ(due[0].messages[1].event.alert().priority(), v1::P1);
  // The old P2 deadline no longer fires an extra step.
  clock_.Advance(absl::Seconds(85));
  due = escalator_.Expire();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record->level(), 2u);
}

TEST_F(EscalatorTest, NoDeadlineOrUnknownZoneMeanNoEscalation) {
  EXPECT_FALSE(escalator_.OnStored(1, "alert.jincheng.z01", v1::P4, "c", Alert("p4", v1::P4), 1));
  EXPECT_FALSE(escalator_.OnStored(2, "alert.jincheng.z09", v1::P1, "c", Alert("z9"), 0));
  EXPECT_FALSE(escalator_.OnStored(3, "alert.other.z01", v1::P1, "c", Alert("oc"), 0));
  EXPECT_EQ(escalator_.open(), 0u);
}

// Without a zones map there are no deadlines and no neighbours, but an
// alert no unit of its zone got still reaches the center at once.
TEST_F(EscalatorTest, WithoutZonesOnlyNoUnitOnlineEscalates) {
  ZoneIndex none;
  Escalator without(none, clock_);
  EXPECT_FALSE(without.OnStored(4, "alert.jincheng.z01", v1::P1, "c", Alert("x"), 1));
  EXPECT_EQ(without.open(), 0u);
  std::optional<Escalation> nobody =
      without.OnStored(5, "alert.jincheng.z33", v1::P1, "c", Alert("y"), 0);
  ASSERT_TRUE(nobody.has_value());
  ASSERT_TRUE(nobody->record.has_value());
  EXPECT_EQ(nobody->record->reason(), "no_unit_online");
  EXPECT_EQ(nobody->record->zone(), "z33");
  ASSERT_EQ(nobody->messages.size(), 1u);  // no neighbours to send copies to
  EXPECT_EQ(nobody->messages[0].topic, "escalation.jincheng");
  EXPECT_EQ(nobody->messages[0].event.escalation().alert().alert_id(), "y");
}

TEST_F(EscalatorTest, ReopenedAlertKeepsItsWallClockDeadline) {
  OpenAlert alert;
  alert.alert_id = "from-journal";
  alert.seq = 9;
  alert.city = "jincheng";
  alert.zone = "z01";
  alert.priority = v1::P1;
  alert.deadline_unix_ms = absl::ToUnixMillis(clock_.NowWall() + absl::Seconds(5));
  alert.alert = Alert("from-journal");
  escalator_.Reopen(alert);
  clock_.Advance(absl::Seconds(4));
  EXPECT_TRUE(escalator_.Expire().empty());
  clock_.Advance(absl::Seconds(1));
  ASSERT_EQ(escalator_.Expire().size(), 1u);
}

TEST_F(EscalatorTest, EmergencyButtonRaisesP1ToZoneAndNeighboursAtOnce) {
  v1::RadioEvent radio;
  radio.set_unit("jc-pg10-v1");
  radio.set_kind(v1::RadioEvent::EMERGENCY);
  radio.set_text("shots fired");
  std::optional<Escalation> raised =
      escalator_.OnEmergency(42, "radio.jincheng.z02.jc-pg10-v1", radio);
  ASSERT_TRUE(raised.has_value());
  EXPECT_FALSE(raised->record.has_value());
  ASSERT_TRUE(raised->raised_alert.has_value());
  EXPECT_EQ(raised->raised_alert->alert_id(), "emergency-jc-pg10-v1-42");
  EXPECT_EQ(raised->raised_alert->origin_unit(), "jc-pg10-v1");
  EXPECT_EQ(raised->raised_topic, "alert.jincheng.z02");
  EXPECT_THAT(Topics(*raised), ElementsAre("alert.jincheng.z02", "alert.jincheng.z01",
                                           "alert.jincheng.z03", "escalation.jincheng"));
  EXPECT_EQ(raised->messages[0].priority, v1::P1);
  EXPECT_EQ(raised->messages[0].event.alert().body(), "shots fired");
  EXPECT_EQ(raised->messages[3].event.escalation().reason(), "emergency");
  EXPECT_THAT(raised->messages[3].event.escalation().neighbours(), ElementsAre("z01", "z03"));
  EXPECT_FALSE(escalator_.OnEmergency(43, "radio", radio).has_value());
}

}  // namespace
}  // namespace zonecast
