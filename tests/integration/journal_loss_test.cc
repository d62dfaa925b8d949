// Records that vanish from the journal without damage, and restarts, with the
// real zonecastd: a segment cut exactly at a record boundary (the newest, or
// a sealed one) is noticed at start from the high-water mark and the
// manifest, reported with its seq range and counted, refused in strict mode,
// never followed by reuse of a seq, and its alert ids leave the dedup window;
// restarts write nothing, so the journal does not grow with them.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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
using zonecast::testing::Gauge;
using zonecast::testing::MakeAlert;
using zonecast::testing::durability::AlertIdRange;
using zonecast::testing::durability::DiskRecord;
using zonecast::testing::durability::DiskSegment;
using zonecast::testing::durability::ExecutableOf;
using zonecast::testing::durability::FileSize;
using zonecast::testing::durability::FullHistory;
using zonecast::testing::durability::kIdDigits;
using zonecast::testing::durability::PublishOutcome;
using zonecast::testing::durability::PublishWindow;
using zonecast::testing::durability::ScanSegmentFile;
using zonecast::testing::durability::SegmentPaths;
using zonecast::testing::durability::TryStartBroker;
using zonecast::testing::durability::TryStartResult;

constexpr char kTopic[] = "alert.jincheng.z08";

class JournalLossTest : public zonecast::testing::durability::DurabilityFixture {
 protected:
  // Publishes `count` alerts "<prefix><n>" of `body_bytes` each and stops
  // the broker cleanly; returns alert id -> seq.
  std::map<std::string, uint64_t> Fill(const std::string& data_dir, const std::string& prefix,
                                       size_t count, size_t body_bytes,
                                       std::vector<std::string> args = {}, size_t window = 32) {
    BrokerProcess* broker = Start(data_dir, std::move(args));
    if (broker == nullptr) return {};
    zonecastd_ = ExecutableOf(broker->pid());
    body_bytes_ = body_bytes;
    std::unique_ptr<Client> center = Center(*broker, "center-fill");
    if (center == nullptr) return {};
    PublishOutcome out =
        PublishWindow(*center, kTopic, AlertIdRange(prefix, 0, count), body_bytes, window);
    EXPECT_EQ(out.acked.size(), count) << out.Summary();
    center.reset();
    TerminateCleanly(*broker);
    return out.acked;
  }

  // Checks a restarted broker after the loss of `lost` (alert ids, in seq
  // order) out of `acked`: one loss counted, the history holds exactly the
  // rest, no seq is reused, a lost id is stored again and a kept one is
  // still a duplicate; then a further restart reports nothing new.
  void ExpectLossHandled(const std::string& data_dir, const std::map<std::string, uint64_t>& acked,
                         const std::vector<std::string>& lost, std::vector<std::string> args) {
    ASSERT_FALSE(lost.empty());
    uint64_t max_seq = 0;
    for (const auto& [id, seq] : acked) max_seq = std::max(max_seq, seq);
    BrokerProcess* broker = Start(data_dir, args);
    ASSERT_NE(broker, nullptr);
    EXPECT_THAT(broker->Log(), HasSubstr(absl::StrCat(acked.at(lost.front()), "..")))
        << "the log names the lost range";
    std::unique_ptr<Client> center = Center(*broker, "center-after-loss");
    ASSERT_NE(center, nullptr);
    absl::StatusOr<v1::StatsSnapshot> stats = center->Stats();
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(Gauge(*stats, "recovery_losses"), 1);
    EXPECT_EQ(Gauge(*stats, "recovery_damaged_segments"), 0);
    EXPECT_GE(Gauge(*stats, "last_seq"), static_cast<int64_t>(max_seq))
        << "seqs of the lost records must not be reused";

    absl::StatusOr<std::vector<Message>> history = FullHistory(*center, "alert.>");
    ASSERT_TRUE(history.ok()) << history.status();
    std::vector<std::string> got;
    for (const Message& m : *history) got.push_back(m.event().alert().alert_id());
    std::vector<std::string> expected;
    for (const auto& [id, seq] : acked) {
      if (std::find(lost.begin(), lost.end(), id) == lost.end()) expected.push_back(id);
    }
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, expected);

    // The publisher's retry of a lost alert is stored again, after every
    // seq ever used; a kept alert (the same alert again) is still a
    // duplicate.
    absl::StatusOr<PublishResult> retry =
        center->PublishAlert(kTopic, MakeAlert(lost.front(), v1::P2, body_bytes_));
    ASSERT_TRUE(retry.ok()) << retry.status();
    EXPECT_FALSE(retry->duplicate()) << "a lost alert id answered as a duplicate";
    EXPECT_GT(retry->seq(), max_seq);
    absl::StatusOr<PublishResult> kept =
        center->PublishAlert(kTopic, MakeAlert(expected.front(), v1::P2, body_bytes_));
    ASSERT_TRUE(kept.ok()) << kept.status();
    EXPECT_TRUE(kept->duplicate());
    EXPECT_EQ(kept->seq(), acked.at(expected.front()));
    center.reset();
    TerminateCleanly(*broker);

    // Reported once: the next start finds nothing new.
    broker = Start(data_dir, args);
    ASSERT_NE(broker, nullptr);
    center = Center(*broker, "center-next-start");
    ASSERT_NE(center, nullptr);
    stats = center->Stats();
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(Gauge(*stats, "recovery_losses"), 0);
    center.reset();
    TerminateCleanly(*broker);
  }

  // Strict recovery refuses `data_dir` as it is now (on a copy).
  void ExpectStrictRefuses(const std::string& data_dir, std::vector<std::string> args) {
    const std::string copy = CopyOf(data_dir, "loss-strict");
    args.push_back("--recovery=strict");
    const TryStartResult strict = TryStartBroker(zonecastd_, copy, args);
    EXPECT_FALSE(strict.started) << "strict recovery started on a journal that lost records";
    EXPECT_NE(strict.exit_code, 0);
    EXPECT_THAT(strict.log, HasSubstr("are gone"));
  }

  std::string zonecastd_;
  size_t body_bytes_ = 0;  // of the alerts Fill published: a retry repeats them exactly
};

// Ids of the publish records at and after `first` in `segment`.
std::vector<std::string> IdsFrom(const DiskSegment& segment, size_t first,
                                 const std::string& prefix) {
  std::vector<std::string> ids;
  const std::vector<const DiskRecord*> publishes = segment.alerts();
  for (size_t k = first; k < publishes.size(); ++k) {
    ids.push_back(publishes[k]->FindAlertId(prefix, kIdDigits));
  }
  return ids;
}

TEST_F(JournalLossTest, NewestSegmentCutAtARecordBoundaryIsNoticed) {
  const std::string data_dir = NewDataDir("loss-newest");
  const std::map<std::string, uint64_t> acked = Fill(data_dir, "cut-", 60, 100);
  ASSERT_EQ(acked.size(), 60u);
  const std::vector<std::string> segments = SegmentPaths(data_dir);
  ASSERT_FALSE(segments.empty());
  const DiskSegment newest = ScanSegmentFile(segments.back());
  ASSERT_TRUE(newest.clean()) << newest.problem;
  ASSERT_EQ(newest.alerts().size(), 60u);
  // Cut cleanly before the 41st publish: the file still ends on a whole
  // record, so nothing looks torn.
  const std::vector<std::string> lost = IdsFrom(newest, 40, "cut-");
  fs::resize_file(segments.back(), newest.alerts()[40]->offset);

  ExpectStrictRefuses(data_dir, {});
  ExpectLossHandled(data_dir, acked, lost, {});
}

TEST_F(JournalLossTest, SealedSegmentCutAtARecordBoundaryIsNoticed) {
  const std::string data_dir = NewDataDir("loss-sealed");
  const std::vector<std::string> args = {"--segment_bytes=65536"};
  // 300 alerts of 1 KB, at most 4 in flight (so in batches of 4 at most):
  // several 64 KiB segments of a dozen publishes or more.
  const std::map<std::string, uint64_t> acked = Fill(data_dir, "seal-", 300, 1000, args, 4);
  ASSERT_EQ(acked.size(), 300u);
  const std::vector<std::string> segments = SegmentPaths(data_dir);
  ASSERT_GE(segments.size(), 3u);
  const std::string sealed = segments[segments.size() - 2];
  const DiskSegment segment = ScanSegmentFile(sealed);
  ASSERT_TRUE(segment.clean()) << segment.problem;
  ASSERT_GE(segment.alerts().size(), 3u);
  // Its last two publishes go, cut at a record boundary.
  const size_t keep = segment.alerts().size() - 2;
  const std::vector<std::string> lost = IdsFrom(segment, keep, "seal-");
  fs::resize_file(sealed, segment.alerts()[keep]->offset);

  ExpectStrictRefuses(data_dir, args);
  ExpectLossHandled(data_dir, acked, lost, args);
}

// Each start appends to the newest segment instead of writing a fresh
// checkpoint, so restarts neither grow the journal nor make the next start
// read more.
TEST_F(JournalLossTest, RestartsDoNotGrowTheJournal) {
  const std::string data_dir = NewDataDir("restarts");
  ASSERT_EQ(Fill(data_dir, "rs-", 50, 100).size(), 50u);
  auto journal_bytes = [&data_dir] {
    uint64_t bytes = 0;
    for (const std::string& path : SegmentPaths(data_dir)) bytes += FileSize(path);
    return bytes;
  };
  const uint64_t bytes_before = journal_bytes();
  const size_t segments_before = SegmentPaths(data_dir).size();
  int64_t records_first = -1;
  for (int restart = 0; restart < 10; ++restart) {
    SCOPED_TRACE(absl::StrCat("restart ", restart));
    BrokerProcess* broker = Start(data_dir);
    ASSERT_NE(broker, nullptr);
    std::unique_ptr<Client> probe = Center(*broker, "center-restart");
    ASSERT_NE(probe, nullptr);
    absl::StatusOr<v1::StatsSnapshot> stats = probe->Stats();
    ASSERT_TRUE(stats.ok()) << stats.status();
    const int64_t records = Gauge(*stats, "recovery_records");
    if (records_first < 0) records_first = records;
    EXPECT_EQ(records, records_first) << "a start read more than the one before";
    probe.reset();
    // Half the restarts are crashes.
    if (restart % 2 == 0) {
      TerminateCleanly(*broker);
    } else {
      broker->Kill();
    }
  }
  EXPECT_EQ(journal_bytes(), bytes_before);
  EXPECT_EQ(SegmentPaths(data_dir).size(), segments_before);
}

}  // namespace
