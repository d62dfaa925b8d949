// StartupRecovery: which alerts wait again for a response after a restart,
// and with how much of their deadline left. Records are fed to the recovery
// visitor as Journal::Open would; time is a FakeClock.
#include "core/startup_recovery.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "journal/journal.h"
#include "protocol/alert_updates.h"
#include "zonecast/journal.pb.h"
#include "zonecast/wire.pb.h"

namespace zonecast {
namespace {

class StartupRecoveryTest : public ::testing::Test {
 protected:
  StartupRecoveryTest() : zones_(MakeZones()), escalator_(zones_, clock_) {
    // The broker restarts an hour after the fake epoch.
    clock_.Advance(absl::Hours(1));
  }

  static ZoneIndex MakeZones() {
    v1::ZoneMap map;
    map.set_city("jincheng");
    map.mutable_response_deadlines()->set_p1_s(30);
    map.mutable_response_deadlines()->set_p3_s(900);
    v1::Zone* z01 = map.add_zones();
    z01->set_id("z01");
    z01->add_neighbours("z02");
    map.add_zones()->set_id("z02");
    absl::StatusOr<ZoneIndex> index = ZoneIndex::FromMap(map);
    EXPECT_TRUE(index.ok()) << index.status();
    return *std::move(index);
  }

  // An alert publish stored `ago` before now, as recovery reads it.
  void Publish(const journal::RecoveryVisitor& visitor, uint64_t seq, const std::string& id,
               absl::Duration ago, const std::string& escalated_from = "",
               v1::Priority priority = v1::P1) {
    v1::Frame frame;
    v1::Deliver* deliver = frame.mutable_deliver();
    deliver->set_topic("alert.jincheng.z01");
    deliver->set_publisher("center-1");
    v1::Alert* alert = deliver->mutable_event()->mutable_alert();
    alert->set_alert_id(id);
    alert->set_escalated_from_zone(escalated_from);
    Feed(visitor, seq, id, frame, ago, priority);
  }

  // The center's update of alert `id` (a P1 publish keyed <id>#...), `ago`.
  void Update(const journal::RecoveryVisitor& visitor, uint64_t seq, v1::AlertUpdate update,
              absl::Duration ago) {
    v1::Frame frame;
    v1::Deliver* deliver = frame.mutable_deliver();
    deliver->set_topic("alert.jincheng.z01");
    deliver->set_publisher("center-1");
    *deliver->mutable_event()->mutable_alert_update() = update;
    Feed(visitor, seq, AlertUpdateKey(update, 0), frame, ago, v1::P1);
  }

  // Hands the publish of `frame` under `key` on zone z01, stored `ago`
  // before now, to the visitor (the record's strings live in the fixture).
  void Feed(const journal::RecoveryVisitor& visitor, uint64_t seq, const std::string& key,
            const v1::Frame& frame, absl::Duration ago, v1::Priority priority) {
    frames_.push_back(frame.SerializeAsString());
    ids_.push_back(key);
    journal::PublishRecord record;
    record.seq = seq;
    record.unix_ms = absl::ToUnixMillis(clock_.NowWall() - ago);
    record.alert_id = ids_.back();
    record.topic = "alert.jincheng.z01";
    record.frame = frames_.back();
    record.priority = static_cast<uint8_t>(priority);
    visitor.on_publish(record);
  }

  void Ack(const journal::RecoveryVisitor& visitor, const std::string& id, v1::AckLevel level) {
    v1::JournalDelivery delivery;
    delivery.set_kind(v1::JournalDelivery::ACK);
    delivery.set_alert_id(id);
    delivery.set_unit("jc-z01-v1");
    delivery.set_level(level);
    visitor.on_other(journal::RecordType::kDelivery, delivery.SerializeAsString());
  }

  // A journal in a fresh folder `name` of the test temp dir, without fsync.
  static JournalOptions FreshJournal(const std::string& name) {
    JournalOptions options;
    options.data_dir = ::testing::TempDir() + "/" + name;
    options.fsync = false;
    std::filesystem::remove_all(options.data_dir);
    return options;
  }

  // Opens the journal at `options` with start-up recovery reading it into
  // the fixture's state, as zonecastd starts, then closes it.
  void Recover(const JournalOptions& options) {
    Journal journal(options, clock_);
    StartupRecovery recovery(zones_, clock_, status_, escalator_, &received_);
    const journal::RecoveryVisitor visitor = recovery.Visitor();
    ASSERT_TRUE(journal.Open(&visitor).ok());
    recovery.Finish(journal.Segments());
    journal.Close([](uint64_t, const absl::Status&) {});
  }

  FakeClock clock_;
  ZoneIndex zones_;
  Escalator escalator_;
  UnresolvedAlerts status_;
  ReceivedAlerts received_;
  std::deque<std::string> frames_;
  std::deque<std::string> ids_;
};

TEST_F(StartupRecoveryTest, AlertsStillWaitingAreReopenedWithTheirDeadlineLeft) {
  StartupRecovery recovery(zones_, clock_, status_, escalator_, &received_);
  const journal::RecoveryVisitor visitor = recovery.Visitor();
  Publish(visitor, 1, "waiting", absl::Seconds(10));  // 20 s left
  Publish(visitor, 2, "accepted", absl::Seconds(5));  // taken: not reopened
  Ack(visitor, "accepted", v1::ACCEPTED);
  Publish(visitor, 3, "received", absl::Seconds(5));  // RECEIVED does not take it
  Ack(visitor, "received", v1::RECEIVED);
  Publish(visitor, 4, "long-gone", absl::Minutes(30));   // passed 29.5 min ago
  Publish(visitor, 5, "copy", absl::Seconds(1), "z02");  // a re-routed copy
  // Escalated 2 s ago (level 1): its next step is 28 s away.
  v1::JournalEscalation escalated;
  escalated.set_alert_id("escalated");
  escalated.set_level(1);
  escalated.set_unix_ms(absl::ToUnixMillis(clock_.NowWall() - absl::Seconds(2)));
  Publish(visitor, 6, "escalated", absl::Seconds(32));
  visitor.on_other(journal::RecordType::kEscalation, escalated.SerializeAsString());
  recovery.Finish({});

  EXPECT_EQ(escalator_.open(), 3u);
  ASSERT_NE(escalator_.Find("escalated"), nullptr);
  EXPECT_EQ(escalator_.Find("escalated")->level, 1);
  ASSERT_NE(escalator_.Find("waiting"), nullptr);
  ASSERT_NE(escalator_.Find("received"), nullptr);
  EXPECT_EQ(escalator_.Find("waiting")->publisher, "center-1");
  clock_.Advance(absl::Seconds(19));
  EXPECT_TRUE(escalator_.Expire().empty());
  clock_.Advance(absl::Seconds(1));
  std::vector<Escalation> due = escalator_.Expire();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record->alert_id(), "waiting");
  clock_.Advance(absl::Seconds(5));
  due = escalator_.Expire();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record->alert_id(), "received");
  clock_.Advance(absl::Seconds(3));
  due = escalator_.Expire();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record->alert_id(), "escalated");
  EXPECT_EQ(due[0].record->level(), 2u);
}

// A P3 published 14 min ago (its deadline is 1 min away) and cancelled 12
// min ago stays cancelled, however old the cancel; a P3 amended to P1 a
// few seconds ago waits for the P1 deadline from then.
TEST_F(StartupRecoveryTest, UpdatesApplyWhateverTheirAge) {
  StartupRecovery recovery(zones_, clock_, status_, escalator_, &received_);
  const journal::RecoveryVisitor visitor = recovery.Visitor();
  Publish(visitor, 1, "cancelled", absl::Minutes(14), "", v1::P3);
  v1::AlertUpdate cancel;
  cancel.set_alert_id("cancelled");
  cancel.set_kind(v1::AlertUpdate::CANCELLED);
  Update(visitor, 2, cancel, absl::Minutes(12));
  Publish(visitor, 3, "raised", absl::Minutes(1), "", v1::P3);
  v1::AlertUpdate raise;
  raise.set_alert_id("raised");
  raise.set_kind(v1::AlertUpdate::AMENDED);
  raise.set_priority(v1::P1);
  raise.set_title("woman climbing over the railing");
  Update(visitor, 4, raise, absl::Seconds(10));
  recovery.Finish({});
  EXPECT_EQ(escalator_.Find("cancelled"), nullptr);
  ASSERT_NE(escalator_.Find("raised"), nullptr);
  EXPECT_EQ(escalator_.Find("raised")->priority, v1::P1);
  clock_.Advance(absl::Seconds(19));
  EXPECT_TRUE(escalator_.Expire().empty());
  clock_.Advance(absl::Seconds(2));
  std::vector<Escalation> due = escalator_.Expire();
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].record->alert_id(), "raised");
  EXPECT_EQ(due[0].messages[0].event.escalation().alert().title(),
            "woman climbing over the railing");
}

TEST_F(StartupRecoveryTest, DeadlinePassedWhileDownEscalatesAtOnce) {
  StartupRecovery recovery(zones_, clock_, status_, escalator_, &received_);
  const journal::RecoveryVisitor visitor = recovery.Visitor();
  Publish(visitor, 1, "overdue", absl::Minutes(5));  // deadline passed 4.5 min ago
  recovery.Finish({});
  ASSERT_EQ(escalator_.Expire().size(), 1u);
}

TEST_F(StartupRecoveryTest, WithoutZonesNothingWaits) {
  ZoneIndex none;
  Escalator escalator(none, clock_);
  StartupRecovery recovery(none, clock_, status_, escalator, &received_);
  const journal::RecoveryVisitor visitor = recovery.Visitor();
  Publish(visitor, 1, "a", absl::Seconds(1));
  recovery.Finish({});
  EXPECT_EQ(escalator.open(), 0u);
}

// The open-alerts list is rebuilt by reading the noted publishes again from
// the segment files: a real journal is written, closed and recovered.
TEST_F(StartupRecoveryTest, OpenAlertsListIsRebuiltFromTheSegments) {
  const JournalOptions options = FreshJournal("startup_recovery_segments");
  {
    Journal journal(options, clock_);
    ASSERT_TRUE(journal.Open().ok());
    for (const std::string id : {"open-1", "open-2", "taken"}) {
      v1::Frame frame;
      v1::Deliver* deliver = frame.mutable_deliver();
      deliver->set_topic("alert.jincheng.z01");
      deliver->set_publisher("center-1");
      v1::Alert* alert = deliver->mutable_event()->mutable_alert();
      alert->set_alert_id(id);
      alert->set_title("title of " + id);
      const uint64_t seq = journal.NextSeq();
      deliver->set_seq(seq);
      const std::string bytes = frame.SerializeAsString();
      journal.AppendPublish(journal::PublishRecord{seq, absl::ToUnixMillis(clock_.NowWall()), id,
                                                   "alert.jincheng.z01", bytes, v1::P1});
    }
    v1::JournalDelivery accepted;
    accepted.set_kind(v1::JournalDelivery::ACK);
    accepted.set_alert_id("taken");
    accepted.set_unit("jc-z01-v1");
    accepted.set_level(v1::RESOLVED);
    accepted.set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
    journal.AddDelivery(accepted);
    size_t stored = 0;
    journal.Close([&](uint64_t, const absl::Status& status) {
      EXPECT_TRUE(status.ok()) << status;
      ++stored;
    });
    ASSERT_EQ(stored, 3u);
  }
  ASSERT_NO_FATAL_FAILURE(Recover(options));
  v1::AlertStatusList list;
  status_.Fill(
      absl::ToUnixMillis(clock_.NowWall()), [](const std::string&) { return 0; }, &list);
  std::vector<std::string> open;
  for (const v1::AlertStatus& alert : list.alerts()) {
    open.push_back(alert.alert_id() + ":" + alert.title());
  }
  std::sort(open.begin(), open.end());
  EXPECT_EQ(open, (std::vector<std::string>{"open-1:title of open-1", "open-2:title of open-2"}))
      << "RESOLVED leaves the list; the others come back with their titles";
  // Both unanswered alerts wait again for a response.
  EXPECT_NE(escalator_.Find("open-1"), nullptr);
  EXPECT_EQ(escalator_.Find("taken"), nullptr);
  std::filesystem::remove_all(options.data_dir);
}

TEST_F(StartupRecoveryTest, BorderAlertKeepsItsOtherZonesAndItsCopyIsNoAlertOfItsOwn) {
  const JournalOptions options = FreshJournal("startup_recovery_border");
  {
    Journal journal(options, clock_);
    ASSERT_TRUE(journal.Open().ok());
    // The original on z01's topic, then the broker's copy to z02.
    for (const char* zone : {"z01", "z02"}) {
      v1::Frame frame;
      v1::Deliver* deliver = frame.mutable_deliver();
      const std::string topic = absl::StrCat("alert.jincheng.", zone);
      deliver->set_topic(topic);
      deliver->set_publisher(zone == std::string("z01") ? "center-1" : "broker");
      v1::Alert* alert = deliver->mutable_event()->mutable_alert();
      alert->set_alert_id("border-1");
      alert->add_located_in("z01");
      alert->add_located_in("z02");
      if (zone != std::string("z01")) alert->set_copy_of_zone("z01");
      const uint64_t seq = journal.NextSeq();
      deliver->set_seq(seq);
      const std::string bytes = frame.SerializeAsString();
      journal.AppendPublish(journal::PublishRecord{seq, absl::ToUnixMillis(clock_.NowWall()),
                                                   "border-1", topic, bytes, v1::P1});
    }
    journal.Close([](uint64_t, const absl::Status& status) { EXPECT_TRUE(status.ok()) << status; });
  }
  ASSERT_NO_FATAL_FAILURE(Recover(options));
  const UnresolvedAlerts::Entry* entry = status_.Find("border-1");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->topic, "alert.jincheng.z01") << "the original is the alert followed";
  EXPECT_EQ(entry->zones_reached, std::vector<std::string>{"z02"})
      << "z02's units hear its updates after the restart too";
  EXPECT_FALSE(entry->escalated);
  const OpenAlert* waiting = escalator_.Find("border-1");
  ASSERT_NE(waiting, nullptr);
  EXPECT_EQ(waiting->zone, "z01");
  std::filesystem::remove_all(options.data_dir);
}

// A unit may respond after a restart to an alert it confirmed before it.
TEST_F(StartupRecoveryTest, RemembersWhichAlertsEachUnitConfirmed) {
  StartupRecovery recovery(zones_, clock_, status_, escalator_, &received_);
  const journal::RecoveryVisitor visitor = recovery.Visitor();
  Publish(visitor, 1, "bridge", absl::Seconds(10));
  v1::JournalDelivery delivery;
  delivery.set_kind(v1::JournalDelivery::DELIVERED);  // sent: not yet confirmed
  delivery.set_alert_id("bridge");
  delivery.set_unit("jc-z01-v2");
  delivery.set_seq(1);
  visitor.on_other(journal::RecordType::kDelivery, delivery.SerializeAsString());
  delivery.set_kind(v1::JournalDelivery::ACK);
  delivery.set_level(v1::RECEIVED);
  delivery.set_unit("jc-z01-v1");
  visitor.on_other(journal::RecordType::kDelivery, delivery.SerializeAsString());
  recovery.Finish({});
  EXPECT_TRUE(received_.Contains("jc-z01-v1", 1, "bridge"));
  EXPECT_FALSE(received_.Contains("jc-z01-v2", 1, "bridge"));
  EXPECT_FALSE(received_.Contains("jc-z01-v1", 2, "bridge"));
}

}  // namespace
}  // namespace zonecast
