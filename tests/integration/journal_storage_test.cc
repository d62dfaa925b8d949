// The journal against its storage, with the real zonecastd: a full disk turns publishes into
// STORAGE_UNAVAILABLE (a P1 is sent live and held until it can be stored) while best-effort
// routing goes on, acking resumes by itself once there is
// room, and nothing stored is damaged; retention deletes only whole old segments and never touches
// the ones it keeps.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_get.h"
#include "integration/durability_support.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using zonecast::Client;
using zonecast::Message;
using zonecast::PublishResult;
using zonecast::testing::BrokerProcess;
using zonecast::testing::ConnectClient;
using zonecast::testing::Counter;
using zonecast::testing::Describe;
using zonecast::testing::Gauge;
using zonecast::testing::MakeAlert;
using zonecast::testing::MakePosition;
using zonecast::testing::MakeTempDir;
using zonecast::testing::NextDeliver;
using zonecast::testing::WaitForGauge;
using zonecast::testing::WaitUntil;
using zonecast::testing::durability::AlertId;
using zonecast::testing::durability::AlertIdRange;
using zonecast::testing::durability::DiskSegment;
using zonecast::testing::durability::FileSize;
using zonecast::testing::durability::FillUntilFull;
using zonecast::testing::durability::FullHistory;
using zonecast::testing::durability::kIdDigits;
using zonecast::testing::durability::PublishOutcome;
using zonecast::testing::durability::PublishWindow;
using zonecast::testing::durability::ReadWholeFile;
using zonecast::testing::durability::ScanSegmentFile;
using zonecast::testing::durability::SegmentPaths;
using zonecast::testing::durability::Tmpfs;

constexpr char kTopic[] = "alert.jincheng.z07";

class DurabilityTest : public zonecast::testing::durability::DurabilityFixture {
 protected:
  void TearDown() override {
    DurabilityFixture::TearDown();  // stops the brokers: nothing holds the mount
    if (tmpfs_ != nullptr) tmpfs_->Unmount();
  }

  std::unique_ptr<Tmpfs> tmpfs_;
};

TEST_F(DurabilityTest, DiskFullGivesStorageUnavailableThenRecovers) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to mount a small tmpfs as --data_dir (running as uid " << geteuid()
                 << "); the disk-full path is not tested here";
  }
  tmpfs_ = std::make_unique<Tmpfs>("2m");
  if (!tmpfs_->mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << tmpfs_->error()
                 << "); the disk-full path is not tested";
  }
  const std::string data_dir = tmpfs_->dir() + "/data";
  const std::string filler = tmpfs_->dir() + "/filler";
  BrokerProcess* broker = Start(data_dir);
  ASSERT_NE(broker, nullptr);
  std::unique_ptr<Client> center = Center(*broker, "center-full");
  ASSERT_NE(center, nullptr);
  // Best-effort traffic: a watcher on radio.> and a unit reporting its
  // position, both connected before the disk fills.
  std::unique_ptr<Client> watcher = Center(*broker, "center-radio-watch");
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(watcher->Subscribe({"radio.>"}).ok());
  auto unit = ConnectClient(broker->endpoint(), v1::TERMINAL, "jc-z07-v03");
  ASSERT_TRUE(unit.ok()) << unit.status();

  std::map<std::string, uint64_t> acked;
  PublishOutcome before = PublishWindow(*center, kTopic, AlertIdRange("full-pre-", 0, 20), 200);
  ASSERT_EQ(before.acked.size(), 20u) << before.Summary();
  acked.insert(before.acked.begin(), before.acked.end());

  const int64_t filled = FillUntilFull(filler);
  ASSERT_GT(filled, 0) << "filling the tmpfs failed: " << -filled;

  // Alerts of 8 KiB need new pages of the full tmpfs. (A P1 would be sent
  // live and held: see the next test.)
  const std::string retried = AlertId("full-retry-", 0);
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<PublishResult> refused =
        center->PublishAlert(kTopic, MakeAlert(retried, v1::P2, 8192));
    ASSERT_FALSE(refused.ok()) << "a PubAck for an alert the full disk cannot hold: "
                               << Describe(*refused);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << refused.status();
    EXPECT_THAT(refused.status().message(), HasSubstr("STORAGE_UNAVAILABLE"));
  }
  absl::StatusOr<v1::StatsSnapshot> stats = center->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GE(Counter(*stats, "storage_failures"), 3u);
  EXPECT_EQ(Gauge(*stats, "journal_healthy"), 0);

  // Live routing of best-effort traffic goes on.
  absl::StatusOr<PublishResult> position =
      (*unit)->PublishRadio("radio.jincheng.z07.jc-z07-v03", MakePosition("jc-z07-v03"));
  ASSERT_TRUE(position.ok()) << position.status();
  EXPECT_FALSE(position->durable());
  std::optional<Message> seen = NextDeliver(*watcher, absl::Seconds(5));
  ASSERT_TRUE(seen.has_value()) << "the position was not routed while the disk is full";
  EXPECT_EQ(seen->topic(), "radio.jincheng.z07.jc-z07-v03");

  // Room again: acking resumes by itself, and the retry of the refused
  // alert id is a first store, not a duplicate.
  ASSERT_TRUE(fs::remove(filler));
  absl::StatusOr<PublishResult> stored =
      center->PublishAlert(kTopic, MakeAlert(retried, v1::P2, 8192));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_FALSE(stored->duplicate());
  acked[retried] = stored->seq();
  EXPECT_TRUE(WaitForGauge(*center, "journal_healthy", 1, absl::Seconds(5)));
  PublishOutcome after = PublishWindow(*center, kTopic, AlertIdRange("full-post-", 0, 20), 200);
  ASSERT_EQ(after.acked.size(), 20u) << after.Summary();
  acked.insert(after.acked.begin(), after.acked.end());

  // A crash now, and a restart on the same journal: every acknowledged
  // alert is there once, and the fault left no damage behind.
  center.reset();
  watcher.reset();
  unit->reset();
  broker->Kill();
  broker = Start(data_dir);
  ASSERT_NE(broker, nullptr);
  std::unique_ptr<Client> reader = Center(*broker, "reader-full");
  ASSERT_NE(reader, nullptr);
  stats = reader->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Gauge(*stats, "recovery_damaged_segments"), 0);
  EXPECT_EQ(Gauge(*stats, "recovery_torn_tails"), 0);
  EXPECT_EQ(Gauge(*stats, "journal_healthy"), 1);
  absl::StatusOr<std::vector<Message>> history = FullHistory(*reader, "alert.>");
  ASSERT_TRUE(history.ok()) << history.status();
  std::map<std::string, uint64_t> stored_ids;
  for (const Message& d : *history) {
    EXPECT_TRUE(stored_ids.emplace(d.event().alert().alert_id(), d.seq()).second)
        << d.event().alert().alert_id() << " stored twice";
  }
  EXPECT_EQ(stored_ids, acked);
  for (const std::string& path : SegmentPaths(data_dir)) {
    const DiskSegment segment = ScanSegmentFile(path);
    EXPECT_TRUE(segment.clean()) << path << ": " << segment.problem << " at " << segment.good_bytes
                                 << " of " << segment.size;
  }
}

// A P1 never waits for the disk: while the journal cannot store, the alert
// goes out live to the units online (marked not yet stored), the center is
// told it is held, a retry is not sent twice; once there is room the broker
// stores it by itself and routes the stored copy.
TEST_F(DurabilityTest, P1IsDeliveredWhileTheDiskIsFullAndStoredWhenItHeals) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to mount a small tmpfs as --data_dir (running as uid " << geteuid()
                 << ")";
  }
  tmpfs_ = std::make_unique<Tmpfs>("2m");
  if (!tmpfs_->mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (" << tmpfs_->error() << ")";
  const std::string data_dir = tmpfs_->dir() + "/data";
  const std::string filler = tmpfs_->dir() + "/filler";
  BrokerProcess* broker = Start(data_dir);
  ASSERT_NE(broker, nullptr);
  std::unique_ptr<Client> center = Center(*broker, "center-held");
  ASSERT_NE(center, nullptr);
  auto unit = ConnectClient(broker->endpoint(), v1::TERMINAL, "jc-z07-v01");
  ASSERT_TRUE(unit.ok()) << unit.status();
  ASSERT_TRUE((*unit)->Subscribe({kTopic}).ok());

  const int64_t filled = FillUntilFull(filler);
  ASSERT_GT(filled, 0) << "filling the tmpfs failed: " << -filled;
  const std::string id = AlertId("bridge-", 0);
  absl::StatusOr<PublishResult> held = center->PublishAlert(kTopic, MakeAlert(id, v1::P1, 8192));
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_TRUE(held->held());
  EXPECT_FALSE(held->durable());
  EXPECT_EQ(held->seq(), 0u);
  EXPECT_EQ(held->recipients(), 1u);
  std::optional<Message> live = NextDeliver(**unit, absl::Seconds(5));
  ASSERT_TRUE(live.has_value()) << "the P1 did not reach the unit while the disk is full";
  EXPECT_TRUE(live->not_stored()) << Describe(*live);
  EXPECT_EQ(live->seq(), 0u);
  EXPECT_EQ(live->event().alert().alert_id(), id);
  absl::StatusOr<PublishResult> again = center->PublishAlert(kTopic, MakeAlert(id, v1::P1, 8192));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->held());
  EXPECT_TRUE(again->duplicate());
  EXPECT_FALSE(NextDeliver(**unit, absl::Milliseconds(300)).has_value()) << "a retry sent twice";
  // An officer's emergency button raises its alarm at once too.
  auto officer = ConnectClient(broker->endpoint(), v1::TERMINAL, "jc-z07-v02");
  ASSERT_TRUE(officer.ok()) << officer.status();
  v1::RadioEvent button;
  button.set_kind(v1::RadioEvent::EMERGENCY);
  button.set_text(std::string(8192, 'x'));  // needs new pages of the full disk
  absl::StatusOr<PublishResult> pressed =
      (*officer)->PublishRadio("radio.jincheng.z07.jc-z07-v02", button);
  ASSERT_TRUE(pressed.ok()) << pressed.status();
  EXPECT_TRUE(pressed->held());
  std::optional<Message> alarm = NextDeliver(**unit, absl::Seconds(5));
  ASSERT_TRUE(alarm.has_value()) << "the emergency raised no alarm while the disk is full";
  EXPECT_TRUE(alarm->not_stored());
  EXPECT_EQ(alarm->event().alert().origin_unit(), "jc-z07-v02") << Describe(*alarm);

  absl::StatusOr<v1::StatsSnapshot> stats = center->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Counter(*stats, "alerts_held"), 2u);
  EXPECT_EQ(Gauge(*stats, "alerts_held_unstored"), 2);

  // Room again: stored without anyone publishing, and routed as stored.
  ASSERT_TRUE(fs::remove(filler));
  EXPECT_TRUE(WaitForGauge(*center, "alerts_held_unstored", 0, absl::Seconds(10)));
  // The stored alert follows (then the emergency's stored alarm).
  std::optional<Message> stored = NextDeliver(**unit, absl::Seconds(5));
  ASSERT_TRUE(stored.has_value()) << "the stored copy did not follow";
  EXPECT_FALSE(stored->not_stored());
  EXPECT_GT(stored->seq(), 0u);
  EXPECT_EQ(stored->event().alert().alert_id(), id);
  stats = center->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Counter(*stats, "alerts_held_stored"), 2u);
  absl::StatusOr<PublishResult> after = center->PublishAlert(kTopic, MakeAlert(id, v1::P1, 8192));
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_TRUE(after->duplicate());
  EXPECT_TRUE(after->durable());
  EXPECT_EQ(after->seq(), stored->seq());
  absl::StatusOr<v1::AlertTimeline> timeline = center->Timeline(id);
  ASSERT_TRUE(timeline.ok()) << timeline.status();
}

// A broker restarted while its disk is still full comes up: not ready (it
// says why), serving history and best-effort traffic, refusing durable
// publishes; once there is room it heals by itself, with no publish needed
// to find out, and stores again after every seq it used.
TEST_F(DurabilityTest, RestartOnAFullDiskComesUpNotReadyAndHeals) {
  if (geteuid() != 0) {
    GTEST_SKIP() << "needs root to mount a small tmpfs as --data_dir (running as uid " << geteuid()
                 << "); the full-disk restart is not tested here";
  }
  tmpfs_ = std::make_unique<Tmpfs>("2m");
  if (!tmpfs_->mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << tmpfs_->error()
                 << "); the full-disk restart is not tested";
  }
  const std::string data_dir = tmpfs_->dir() + "/data";
  const std::string filler = tmpfs_->dir() + "/filler";
  std::map<std::string, uint64_t> acked;
  {
    BrokerProcess* broker = Start(data_dir);
    ASSERT_NE(broker, nullptr);
    std::unique_ptr<Client> center = Center(*broker, "center-before");
    ASSERT_NE(center, nullptr);
    PublishOutcome out = PublishWindow(*center, kTopic, AlertIdRange("fr-", 0, 10), 200);
    ASSERT_EQ(out.acked.size(), 10u) << out.Summary();
    acked = out.acked;
    center.reset();
    TerminateCleanly(*broker);
  }
  const int64_t filled = FillUntilFull(filler);
  ASSERT_GT(filled, 0) << "filling the tmpfs failed: " << -filled;

  BrokerProcess* broker = Start(data_dir);
  ASSERT_NE(broker, nullptr) << "a full disk kept the broker from starting";
  std::unique_ptr<Client> center = Center(*broker, "center-full-start");
  ASSERT_NE(center, nullptr);
  absl::StatusOr<v1::StatsSnapshot> stats = center->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Gauge(*stats, "journal_healthy"), 0);
  auto ready = zonecast::cli::HttpGet(absl::StrCat("http://", broker->http_endpoint(), "/readyz"),
                                      absl::Seconds(10));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status, 503) << ready->body;
  EXPECT_THAT(ready->body, HasSubstr("journal"));
  absl::StatusOr<std::vector<Message>> history = FullHistory(*center, "alert.>");
  ASSERT_TRUE(history.ok()) << history.status();
  EXPECT_EQ(history->size(), acked.size());

  std::unique_ptr<Client> watcher = Center(*broker, "center-radio-watch");
  ASSERT_NE(watcher, nullptr);
  ASSERT_TRUE(watcher->Subscribe({"radio.>"}).ok());
  auto unit = ConnectClient(broker->endpoint(), v1::TERMINAL, "jc-z07-v04");
  ASSERT_TRUE(unit.ok()) << unit.status();
  ASSERT_TRUE(
      (*unit)->PublishRadio("radio.jincheng.z07.jc-z07-v04", MakePosition("jc-z07-v04")).ok());
  std::optional<Message> seen = NextDeliver(*watcher, absl::Seconds(5));
  ASSERT_TRUE(seen.has_value()) << "best-effort traffic stopped on a full disk";

  // (A P2: a P1 would be sent live and held.)
  absl::StatusOr<PublishResult> refused =
      center->PublishAlert(kTopic, MakeAlert("fr-refused", v1::P2, 8192));
  ASSERT_FALSE(refused.ok()) << Describe(*refused);
  EXPECT_THAT(refused.status().message(), HasSubstr("STORAGE_UNAVAILABLE"));

  ASSERT_TRUE(fs::remove(filler));
  EXPECT_TRUE(WaitForGauge(*center, "journal_healthy", 1, absl::Seconds(10)))
      << "the journal did not notice the room by itself";
  ready = zonecast::cli::HttpGet(absl::StrCat("http://", broker->http_endpoint(), "/readyz"),
                                 absl::Seconds(10));
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status, 200) << ready->body;
  uint64_t max_seq = 0;
  for (const auto& [id, seq] : acked) max_seq = std::max(max_seq, seq);
  absl::StatusOr<PublishResult> stored =
      center->PublishAlert(kTopic, MakeAlert("fr-refused", v1::P2, 8192));
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_FALSE(stored->duplicate());
  EXPECT_GT(stored->seq(), max_seq);
}

// Retention deletes whole segments, oldest first, only when the journal is
// over --retention_bytes, never the active one, and never rewrites or cuts
// a segment it keeps. What it deleted is gone from History; what it kept is
// a contiguous run of seqs up to the newest.
TEST_F(DurabilityTest, RetentionDeletesOnlyWholeExpiredSegments) {
  constexpr uint64_t kSegmentBytes = 65536;
  constexpr uint64_t kRetentionBytes = 200000;
  constexpr size_t kBodyBytes = 1000;
  const std::string data_dir = NewDataDir("retention");
  BrokerProcess* broker = Start(data_dir, {absl::StrCat("--segment_bytes=", kSegmentBytes),
                                           absl::StrCat("--retention_bytes=", kRetentionBytes)});
  ASSERT_NE(broker, nullptr);
  std::unique_ptr<Client> center = Center(*broker, "center-retention");
  ASSERT_NE(center, nullptr);
  const std::string prefix = "ret-";
  std::map<std::string, uint64_t> acked;

  // Enough ~1 KiB alerts for many segments (about 55 fit in one).
  PublishOutcome first = PublishWindow(*center, kTopic, AlertIdRange(prefix, 0, 800), kBodyBytes);
  ASSERT_EQ(first.acked.size(), 800u) << first.Summary();
  acked.insert(first.acked.begin(), first.acked.end());
  // Retention runs at each roll, before the batch that rolled is acked.
  auto over_retention = [&] {
    uint64_t total = 0;
    for (const std::string& path : SegmentPaths(data_dir)) total += FileSize(path);
    return total > kRetentionBytes + kSegmentBytes;
  };
  EXPECT_TRUE(WaitUntil([&] { return !over_retention(); }, absl::Seconds(5)));

  // The sealed segments kept now, byte for byte.
  std::vector<std::string> paths = SegmentPaths(data_dir);
  ASSERT_GE(paths.size(), 2u);
  std::map<std::string, std::string> sealed;
  for (size_t i = 0; i + 1 < paths.size(); ++i) sealed[paths[i]] = ReadWholeFile(paths[i]);

  // One more roll, in small steps: the oldest segment goes, the sealed
  // ones after it stay untouched.
  uint64_t newest_before = 0;
  ASSERT_TRUE(absl::SimpleAtoi(fs::path(paths.back()).stem().string(), &newest_before));
  size_t published = 800;
  for (int step = 0; step < 100; ++step) {
    const std::vector<std::string> newest = SegmentPaths(data_dir);
    uint64_t newest_index = 0;
    ASSERT_TRUE(!newest.empty() &&
                absl::SimpleAtoi(fs::path(newest.back()).stem().string(), &newest_index));
    if (newest_index > newest_before) break;
    PublishOutcome more =
        PublishWindow(*center, kTopic, AlertIdRange(prefix, published, 10), kBodyBytes);
    ASSERT_EQ(more.acked.size(), 10u) << more.Summary();
    acked.insert(more.acked.begin(), more.acked.end());
    published += 10;
  }
  EXPECT_TRUE(WaitUntil([&] { return !over_retention(); }, absl::Seconds(5)));
  // The broker's own records (escalations of these alerts: no unit is
  // online) are appended after the last PubAck and may roll once more:
  // the files are read once the journal has written everything and counts
  // the segments on disk.
  EXPECT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<v1::StatsSnapshot> now = center->Stats();
        return now.ok() && Gauge(*now, "journal_inflight_bytes") == 0 &&
               Gauge(*now, "journal_segments") ==
                   static_cast<int64_t>(SegmentPaths(data_dir).size());
      },
      absl::Seconds(10)));
  paths = SegmentPaths(data_dir);
  ASSERT_FALSE(paths.empty());

  uint64_t total = 0;
  uint64_t untouched = 0;
  std::vector<std::string> remaining_ids;  // alert ids in the files, oldest first
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    SCOPED_TRACE(path);
    const DiskSegment segment = ScanSegmentFile(path);
    EXPECT_TRUE(segment.clean()) << segment.problem << " at " << segment.good_bytes << " of "
                                 << segment.size;
    total += segment.size;
    if (i + 1 < paths.size()) {
      // --segment_bytes counts the records after a segment's opening
      // checkpoint (which carries the dedup window and may be large).
      EXPECT_LE(segment.size - zonecast::testing::durability::kSegmentHeaderBytes -
                    segment.checkpoint_bytes_total(),
                kSegmentBytes)
          << "a sealed segment";
    }
    for (const auto* record : segment.alerts()) {
      remaining_ids.push_back(record->FindAlertId(prefix, kIdDigits));
    }
    if (auto it = sealed.find(path); it != sealed.end()) {
      EXPECT_EQ(ReadWholeFile(path), it->second) << "retention rewrote a segment it kept";
      ++untouched;
    }
  }
  EXPECT_LE(total, kRetentionBytes + kSegmentBytes);
  std::cout << "[ retention ] " << published << " alerts; " << paths.size() << " segments kept ("
            << total << " bytes), " << untouched
            << " of them sealed before the last rolls and unchanged\n";
  EXPECT_GE(untouched, 1u) << "some segments sealed before the last roll should remain";
  // Segment indexes only grow, and retention deletes from the oldest: the
  // files left are the newest ones, without gaps.
  uint64_t oldest_index = 0;
  ASSERT_TRUE(absl::SimpleAtoi(fs::path(paths.front()).stem().string(), &oldest_index));
  uint64_t newest_index = 0;
  ASSERT_TRUE(absl::SimpleAtoi(fs::path(paths.back()).stem().string(), &newest_index));
  EXPECT_EQ(newest_index - oldest_index + 1, paths.size());

  absl::StatusOr<v1::StatsSnapshot> stats = center->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Counter(*stats, "journal_segments_deleted"), oldest_index - 1);
  EXPECT_EQ(Gauge(*stats, "journal_segments"), static_cast<int64_t>(paths.size()));

  // History: exactly the alerts still in the files, in seq order, ending
  // with the newest; the oldest are gone. (Between them lie the notices on
  // escalation.jincheng: no unit was online in the zone.)
  absl::StatusOr<std::vector<Message>> history = FullHistory(*center, "alert.>");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_FALSE(history->empty());
  std::vector<std::string> history_ids;
  for (size_t i = 0; i < history->size(); ++i) {
    const Message& d = (*history)[i];
    history_ids.push_back(d.event().alert().alert_id());
    if (i > 0) {
      EXPECT_GT(d.seq(), (*history)[i - 1].seq()) << "seqs must ascend";
    }
    auto it = acked.find(d.event().alert().alert_id());
    if (it != acked.end()) {
      EXPECT_EQ(d.seq(), it->second);
    }
  }
  EXPECT_EQ(history_ids, remaining_ids);
  EXPECT_EQ(history->back().event().alert().alert_id(), AlertId(prefix, published - 1));
  EXPECT_GT(history->front().seq(), acked[AlertId(prefix, 0)]) << "the oldest alerts are gone";
  EXPECT_LT(history->size(), acked.size());
}

}  // namespace
