// RecoverJournal on real segment files in a temporary directory: clean
// segments, torn tails in the active segment, damage in sealed and active
// segments in repair and strict mode, checkpoints and seq bookkeeping.
#include "journal/journal_recovery.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "journal/journal_format.h"
#include "journal/journal_manifest.h"
#include "zonecast/journal.pb.h"

namespace zonecast {
namespace {

namespace fs = std::filesystem;
using journal::RecordType;
using journal::RecoveryMode;
using journal::RecoveryReport;

// One segment under construction, remembering where each record starts.
struct Segment {
  std::string bytes;
  std::vector<uint64_t> offsets;  // of every record, in order
  std::vector<uint64_t> seqs;     // of the publish record at the same position, 0 otherwise

  Segment(uint64_t index, uint64_t first_seq)
      : bytes(journal::EncodeSegmentHeader({index, first_seq})) {}

  void Add(RecordType type, const std::string& payload, uint64_t seq = 0) {
    offsets.push_back(bytes.size());
    seqs.push_back(seq);
    journal::AppendRecord(&bytes, type, payload);
  }
  void AddPublish(uint64_t seq, size_t frame_bytes = 40) {
    std::string payload;
    const std::string alert_id = "A-" + std::to_string(seq);
    const std::string frame = "frame-" + std::to_string(seq) + std::string(frame_bytes, 'f');
    journal::EncodePublish(
        {seq, static_cast<int64_t>(1'700'000'000'000 + seq), alert_id, "alert.jincheng.z03", frame},
        &payload);
    Add(RecordType::kPublish, payload, seq);
  }
  void AddCheckpoint(const v1::JournalCheckpoint& checkpoint) {
    Add(RecordType::kCheckpoint, checkpoint.SerializeAsString());
  }
  void AddSubscription(const std::string& unit, const std::string& pattern, bool removed) {
    v1::JournalSubscription subscription;
    subscription.set_unit(unit);
    subscription.set_pattern(pattern);
    subscription.set_removed(removed);
    Add(RecordType::kSubscription, subscription.SerializeAsString());
  }
  // Publish seqs of the complete records that end at or before `size`.
  std::vector<uint64_t> SeqsWithin(uint64_t size) const {
    std::vector<uint64_t> out;
    for (size_t i = 0; i < offsets.size(); ++i) {
      const uint64_t end = i + 1 < offsets.size() ? offsets[i + 1] : bytes.size();
      if (end <= size && seqs[i] != 0) out.push_back(seqs[i]);
    }
    return out;
  }
};

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t seq = first; seq <= last; ++seq) out.push_back(seq);
  return out;
}

class JournalRecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "zc-recovery-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    root_ = templ;
    dir_ = root_ + "/journal";
    fs::create_directory(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  std::string PathOf(const std::string& name) const { return dir_ + "/" + name; }
  std::string PathOf(uint64_t index) const { return PathOf(journal::SegmentFileName(index)); }

  void WriteFile(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    ASSERT_TRUE(out.good()) << path;
  }
  void WriteSegment(uint64_t index, const std::string& bytes) { WriteFile(PathOf(index), bytes); }
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
  // Every file in the journal directory: name -> contents.
  std::map<std::string, std::string> Snapshot() const {
    std::map<std::string, std::string> files;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      files[entry.path().filename().string()] = ReadFile(entry.path().string());
    }
    return files;
  }
  // Names of files set aside as damaged copies of segment `index`.
  std::vector<std::string> DamagedCopies(uint64_t index) const {
    std::vector<std::string> names;
    const std::string prefix = journal::SegmentFileName(index) + ".damaged-";
    for (const auto& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind(prefix, 0) == 0) names.push_back(name);
    }
    return names;
  }

  // Runs recovery, collecting what the visitor sees.
  absl::StatusOr<RecoveryReport> Recover(RecoveryMode mode = RecoveryMode::kRepair) {
    seqs_.clear();
    subscriptions_.clear();
    checkpoints_.clear();
    state_.clear();
    journal::RecoveryVisitor visitor;
    visitor.on_publish = [&](const journal::PublishRecord& record) {
      seqs_.push_back(record.seq);
      EXPECT_EQ(record.alert_id, "A-" + std::to_string(record.seq));
      EXPECT_EQ(record.topic, "alert.jincheng.z03");
      EXPECT_EQ(record.frame.substr(0, 6), "frame-");
      EXPECT_EQ(record.unix_ms, static_cast<int64_t>(1'700'000'000'000 + record.seq));
    };
    visitor.on_subscription = [&](const v1::JournalSubscription& s) {
      subscriptions_.push_back(s.unit() + (s.removed() ? " -" : " +") + s.pattern());
      if (s.removed()) {
        state_[s.unit()].erase(s.pattern());
      } else {
        state_[s.unit()].insert(s.pattern());
      }
    };
    visitor.on_checkpoint = [&](const v1::JournalCheckpoint& checkpoint) {
      checkpoints_.push_back(checkpoint.last_seq());
      state_.clear();
      for (const auto& unit : checkpoint.subscriptions()) {
        state_[unit.unit()].insert(unit.patterns().begin(), unit.patterns().end());
      }
    };
    return journal::RecoverJournal(dir_, mode, visitor);
  }

  std::string root_;
  std::string dir_;
  std::vector<uint64_t> seqs_;
  std::vector<std::string> subscriptions_;
  std::vector<uint64_t> checkpoints_;
  std::map<std::string, std::set<std::string>> state_;
};

TEST_F(JournalRecoveryTest, MissingDirectoryIsCreatedEmpty) {
  fs::remove(dir_);
  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(fs::is_directory(dir_));
  EXPECT_EQ(report->segments, 0u);
  EXPECT_EQ(report->records, 0u);
  EXPECT_EQ(report->last_seq, 0u);
  EXPECT_EQ(report->next_index, 1u);
  EXPECT_TRUE(report->segments_kept.empty());
  EXPECT_TRUE(seqs_.empty());
}

TEST_F(JournalRecoveryTest, EmptyDirectoryAndForeignFilesGiveNothing) {
  WriteFile(PathOf("notes.txt"), "not a segment");
  WriteFile(PathOf("1.zcj"), "short name");
  const auto before = Snapshot();
  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->segments, 0u);
  EXPECT_EQ(report->records, 0u);
  EXPECT_EQ(report->next_index, 1u);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(JournalRecoveryTest, TwoCleanSegmentsAreReadInOrder) {
  Segment first(1, 1);
  first.AddCheckpoint(v1::JournalCheckpoint());
  for (uint64_t seq = 1; seq <= 5; ++seq) first.AddPublish(seq);
  Segment second(2, 6);
  v1::JournalCheckpoint checkpoint;
  checkpoint.set_last_seq(5);
  second.AddCheckpoint(checkpoint);
  for (uint64_t seq = 6; seq <= 10; ++seq) second.AddPublish(seq);
  // Written newest first: the order on disk comes from the index.
  WriteSegment(2, second.bytes);
  WriteSegment(1, first.bytes);
  const auto before = Snapshot();

  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, Range(1, 10));
  EXPECT_EQ(checkpoints_, (std::vector<uint64_t>{0, 5}));
  EXPECT_EQ(report->segments, 2u);
  EXPECT_EQ(report->records, 12u);
  EXPECT_EQ(report->publishes, 10u);
  EXPECT_EQ(report->last_seq, 10u);
  EXPECT_EQ(report->bytes, first.bytes.size() + second.bytes.size());
  EXPECT_EQ(report->torn_tails, 0u);
  EXPECT_EQ(report->damaged_segments, 0u);
  EXPECT_EQ(report->unknown_records, 0u);
  EXPECT_EQ(report->bad_payloads, 0u);
  EXPECT_TRUE(report->damage.empty());
  EXPECT_EQ(report->next_index, 3u);
  ASSERT_EQ(report->segments_kept.size(), 2u);
  EXPECT_EQ(report->segments_kept[0].index, 1u);
  EXPECT_EQ(report->segments_kept[0].path, PathOf(1));
  EXPECT_EQ(report->segments_kept[0].first_seq, 1u);
  EXPECT_EQ(report->segments_kept[0].bytes, first.bytes.size());
  EXPECT_EQ(report->segments_kept[1].index, 2u);
  EXPECT_EQ(report->segments_kept[1].first_seq, 6u);
  EXPECT_EQ(report->segments_kept[1].bytes, second.bytes.size());
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(JournalRecoveryTest, NextIndexFollowsTheHighestSegment) {
  Segment segment(41, 1);
  segment.AddPublish(1);
  WriteSegment(41, segment.bytes);
  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->next_index, 42u);
  EXPECT_EQ(seqs_, Range(1, 1));
}

TEST_F(JournalRecoveryTest, TornTailInNewestSegmentIsCutOnDisk) {
  Segment first(1, 1);
  for (uint64_t seq = 1; seq <= 3; ++seq) first.AddPublish(seq);
  Segment second(2, 4);
  for (uint64_t seq = 4; seq <= 8; ++seq) second.AddPublish(seq);
  const uint64_t last = second.offsets.back();
  const std::string torn = second.bytes.substr(0, second.bytes.size() - 7);
  WriteSegment(1, first.bytes);
  WriteSegment(2, torn);

  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, Range(1, 7));
  EXPECT_EQ(report->torn_tails, 1u);
  EXPECT_EQ(report->torn_bytes, torn.size() - last);
  EXPECT_EQ(report->damaged_segments, 0u);
  EXPECT_EQ(report->last_seq, 7u);
  // Cut on disk to the good size; the sealed segment is untouched.
  EXPECT_EQ(ReadFile(PathOf(2)), second.bytes.substr(0, last));
  EXPECT_EQ(ReadFile(PathOf(1)), first.bytes);
  ASSERT_EQ(report->segments_kept.size(), 2u);
  EXPECT_EQ(report->segments_kept[1].bytes, last);
  EXPECT_EQ(report->bytes, first.bytes.size() + last);
  EXPECT_TRUE(DamagedCopies(2).empty());

  // The cut is durable state: a second recovery is clean.
  report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, Range(1, 7));
  EXPECT_EQ(report->torn_tails, 0u);
  EXPECT_EQ(report->torn_bytes, 0u);
}

TEST_F(JournalRecoveryTest, TrailingZerosInNewestSegmentAreCut) {
  Segment segment(1, 1);
  for (uint64_t seq = 1; seq <= 3; ++seq) segment.AddPublish(seq);
  WriteSegment(1, segment.bytes + std::string(4096, '\0'));
  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, Range(1, 3));
  EXPECT_EQ(report->torn_tails, 1u);
  EXPECT_EQ(report->torn_bytes, 4096u);
  EXPECT_EQ(ReadFile(PathOf(1)), segment.bytes);
}

TEST_F(JournalRecoveryTest, TornTailIsNotDamageInStrictMode) {
  Segment segment(1, 1);
  for (uint64_t seq = 1; seq <= 3; ++seq) segment.AddPublish(seq);
  WriteSegment(1, segment.bytes.substr(0, segment.bytes.size() - 1));
  absl::StatusOr<RecoveryReport> report = Recover(RecoveryMode::kStrict);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, Range(1, 2));
  EXPECT_EQ(report->torn_tails, 1u);
  EXPECT_EQ(ReadFile(PathOf(1)), segment.bytes.substr(0, segment.offsets[2]));
}

// LevelDB-style sweep: cut the newest segment at many random offsets; every
// record that was complete before the cut survives, nothing else does, and
// the file ends at the last complete record.
TEST_F(JournalRecoveryTest, TornTailSweepKeepsEveryCompleteRecord) {
  std::mt19937 rng(301);
  Segment sealed(1, 1);
  for (uint64_t seq = 1; seq <= 4; ++seq) sealed.AddPublish(seq);
  Segment newest(2, 5);
  newest.AddCheckpoint(v1::JournalCheckpoint());
  for (uint64_t seq = 5; seq <= 24; ++seq) newest.AddPublish(seq, rng() % 300);
  std::vector<uint64_t> boundaries = newest.offsets;
  boundaries.push_back(newest.bytes.size());

  int torn_cases = 0;
  for (int round = 0; round < 100; ++round) {
    const uint64_t cut =
        journal::kSegmentHeaderBytes + rng() % (newest.bytes.size() - journal::kSegmentHeaderBytes);
    SCOPED_TRACE(testing::Message() << "cut at " << cut);
    WriteSegment(1, sealed.bytes);
    WriteSegment(2, newest.bytes.substr(0, cut));
    const uint64_t good = *(std::upper_bound(boundaries.begin(), boundaries.end(), cut) - 1);

    absl::StatusOr<RecoveryReport> report = Recover();
    ASSERT_TRUE(report.ok()) << report.status();
    std::vector<uint64_t> expected = sealed.SeqsWithin(sealed.bytes.size());
    for (uint64_t seq : newest.SeqsWithin(cut)) expected.push_back(seq);
    ASSERT_EQ(seqs_, expected);
    EXPECT_EQ(report->damaged_segments, 0u);
    EXPECT_EQ(report->torn_tails, cut == good ? 0u : 1u);
    EXPECT_EQ(report->torn_bytes, cut - good);
    EXPECT_EQ(fs::file_size(PathOf(2)), good);
    EXPECT_EQ(ReadFile(PathOf(2)), newest.bytes.substr(0, good));
    // The highest seq is at least the header's first_seq - 1.
    EXPECT_EQ(report->last_seq, std::max<uint64_t>(4, expected.back()));
    if (cut != good) ++torn_cases;
  }
  EXPECT_GT(torn_cases, 80);  // most cuts fall inside a record
}

TEST_F(JournalRecoveryTest, BadTailInSealedSegmentIsDamage) {
  Segment sealed(1, 1);
  for (uint64_t seq = 1; seq <= 4; ++seq) sealed.AddPublish(seq);
  const std::string sealed_torn = sealed.bytes.substr(0, sealed.bytes.size() - 5);
  Segment newest(2, 5);
  for (uint64_t seq = 5; seq <= 6; ++seq) newest.AddPublish(seq);
  WriteSegment(1, sealed_torn);
  WriteSegment(2, newest.bytes);

  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, (std::vector<uint64_t>{1, 2, 3, 5, 6}));
  EXPECT_EQ(report->damaged_segments, 1u);
  EXPECT_EQ(report->torn_tails, 0u);
  EXPECT_EQ(report->torn_bytes, 0u);
  ASSERT_EQ(report->damage.size(), 1u);
  EXPECT_NE(report->damage[0].find(PathOf(1)), std::string::npos) << report->damage[0];
  EXPECT_NE(report->damage[0].find("offset " + std::to_string(sealed.offsets[3])),
            std::string::npos)
      << report->damage[0];
  // Set aside whole; the good prefix stays under the old name.
  const std::vector<std::string> aside = DamagedCopies(1);
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(ReadFile(PathOf(aside[0])), sealed_torn);
  EXPECT_EQ(ReadFile(PathOf(1)), sealed.bytes.substr(0, sealed.offsets[3]));
  EXPECT_EQ(ReadFile(PathOf(2)), newest.bytes);
  ASSERT_EQ(report->segments_kept.size(), 2u);
  EXPECT_EQ(report->segments_kept[0].bytes, sealed.offsets[3]);
  EXPECT_EQ(report->next_index, 3u);

  report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->damaged_segments, 0u);
  EXPECT_EQ(seqs_, (std::vector<uint64_t>{1, 2, 3, 5, 6}));
}

TEST_F(JournalRecoveryTest, MidSegmentDamageIsSetAsideInRepairMode) {
  Segment segment(1, 1);
  segment.AddCheckpoint(v1::JournalCheckpoint());
  for (uint64_t seq = 1; seq <= 10; ++seq) segment.AddPublish(seq);
  // Record 5 holds seq 5; flip a byte of its payload.
  std::string damaged = segment.bytes;
  const uint64_t bad = segment.offsets[5];
  damaged[bad + journal::kRecordHeaderBytes + 20] ^= 0x40;
  WriteSegment(1, damaged);

  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, Range(1, 4));  // nothing after the damage is claimed
  EXPECT_EQ(report->damaged_segments, 1u);
  EXPECT_EQ(report->torn_tails, 0u);
  EXPECT_EQ(report->last_seq, 10u);  // but its seqs are never reused
  ASSERT_EQ(report->damage.size(), 1u);
  EXPECT_NE(report->damage[0].find("offset " + std::to_string(bad)), std::string::npos)
      << report->damage[0];
  EXPECT_NE(report->damage[0].find("checksum mismatch"), std::string::npos) << report->damage[0];
  EXPECT_NE(report->damage[0].find("seqs up to 10"), std::string::npos) << report->damage[0];

  const std::vector<std::string> aside = DamagedCopies(1);
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(ReadFile(PathOf(aside[0])), damaged);
  EXPECT_EQ(ReadFile(PathOf(1)), segment.bytes.substr(0, bad));
  ASSERT_EQ(report->segments_kept.size(), 1u);
  EXPECT_EQ(report->segments_kept[0].bytes, bad);
  EXPECT_EQ(report->bytes, bad);
  EXPECT_EQ(report->next_index, 2u);

  // The repaired directory recovers cleanly to the same records.
  report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, Range(1, 4));
  EXPECT_EQ(report->damaged_segments, 0u);
  EXPECT_EQ(report->torn_tails, 0u);
  EXPECT_EQ(DamagedCopies(1), aside);
}

TEST_F(JournalRecoveryTest, MidSegmentDamageInStrictModeChangesNothing) {
  Segment sealed(1, 1);
  for (uint64_t seq = 1; seq <= 6; ++seq) sealed.AddPublish(seq);
  sealed.bytes[sealed.offsets[2] + journal::kRecordHeaderBytes + 3] ^= 0x01;
  Segment newest(2, 7);
  for (uint64_t seq = 7; seq <= 8; ++seq) newest.AddPublish(seq);
  // A torn tail too: strict mode must not cut it either when it refuses.
  WriteSegment(1, sealed.bytes);
  WriteSegment(2, newest.bytes.substr(0, newest.bytes.size() - 2));
  const auto before = Snapshot();

  absl::StatusOr<RecoveryReport> report = Recover(RecoveryMode::kStrict);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(report.status().message().find("strict"), absl::string_view::npos);
  EXPECT_NE(report.status().message().find(PathOf(1)), absl::string_view::npos);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(JournalRecoveryTest, DamagedHeaderSetsTheWholeSegmentAside) {
  Segment sealed(1, 1);
  for (uint64_t seq = 1; seq <= 3; ++seq) sealed.AddPublish(seq);
  std::string bad_header = sealed.bytes;
  bad_header[0] = 'X';
  Segment newest(2, 4);
  newest.AddPublish(4);
  WriteSegment(1, bad_header);
  WriteSegment(2, newest.bytes);

  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, Range(4, 4));
  EXPECT_EQ(report->damaged_segments, 1u);
  // Nothing good to keep: no file under the old name.
  EXPECT_FALSE(fs::exists(PathOf(1)));
  const std::vector<std::string> aside = DamagedCopies(1);
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(ReadFile(PathOf(aside[0])), bad_header);
  ASSERT_EQ(report->segments_kept.size(), 1u);
  EXPECT_EQ(report->segments_kept[0].index, 2u);
  EXPECT_EQ(report->next_index, 3u);
}

TEST_F(JournalRecoveryTest, DamageThenTornTailKeepsOnlyThePrefixBeforeTheDamage) {
  Segment segment(1, 1);
  for (uint64_t seq = 1; seq <= 8; ++seq) segment.AddPublish(seq);
  std::string damaged = segment.bytes;
  const uint64_t bad = segment.offsets[2];
  damaged[bad + journal::kRecordHeaderBytes + 1] ^= 0x01;
  // The crash also tore the last record.
  damaged.resize(damaged.size() - 4);
  WriteSegment(1, damaged);

  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, Range(1, 2));
  EXPECT_EQ(report->damaged_segments, 1u);
  EXPECT_GE(report->last_seq, 7u);
  ASSERT_EQ(report->damage.size(), 1u);
  const std::vector<std::string> aside = DamagedCopies(1);
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_EQ(ReadFile(PathOf(aside[0])), damaged);
  if (ReadFile(PathOf(1)) != segment.bytes.substr(0, bad)) {
    FAIL() << "Regression of a fixed bug: journal_recovery.cc reads scanner.bad_offset() AFTER the "
              "ResyncPastDamage loop; when the scan past the damage stops at a second "
              "problem (here a torn tail), bad_offset() is that later offset, so the "
              "'good prefix' written under the old name ("
           << fs::file_size(PathOf(1)) << " bytes) includes the damaged record at " << bad
           << " and the records after it, the damage line names the later offset "
              "instead, and the next start finds the same damage again";
  }
  EXPECT_NE(report->damage[0].find("offset " + std::to_string(bad)), std::string::npos)
      << report->damage[0];
  report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->damaged_segments, 0u);
  EXPECT_EQ(seqs_, Range(1, 2));
}

TEST_F(JournalRecoveryTest, DamagedLargeRecordInNewestSegmentIsNotCutAsTorn) {
  Segment segment(1, 1);
  segment.AddPublish(1);
  segment.AddPublish(2, 2 << 20);  // a 2 MiB frame (--max_frame_bytes allows 16 MiB)
  segment.AddPublish(3);
  segment.AddPublish(4);
  std::string damaged = segment.bytes;
  damaged[segment.offsets[1] + journal::kRecordHeaderBytes + 100] ^= 0x01;
  WriteSegment(1, damaged);

  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, Range(1, 1));
  if (report->torn_tails == 1 &&
      ReadFile(PathOf(1)) == segment.bytes.substr(0, segment.offsets[1])) {
    FAIL() << "Regression of a fixed bug: a bad byte inside a 2 MiB record in the middle of the "
              "active segment "
              "is classified as a torn tail (the scanner's 1 MiB resync window never "
              "reaches the next record), so recovery truncates the file and silently "
              "deletes the acknowledged seqs 3 and 4 after it (torn_bytes "
           << report->torn_bytes << ", last_seq " << report->last_seq
           << ", so seqs 2..4 will be handed out again); it should be damage: set aside, "
              "seqs beyond learned";
  }
  EXPECT_EQ(report->torn_tails, 0u);
  EXPECT_EQ(report->damaged_segments, 1u);
  EXPECT_EQ(report->last_seq, 4u);
  ASSERT_EQ(DamagedCopies(1).size(), 1u);
}

TEST_F(JournalRecoveryTest, EmptyNewestSegmentFromACrashAtCreationIsNotDamage) {
  Segment sealed(1, 1);
  for (uint64_t seq = 1; seq <= 3; ++seq) sealed.AddPublish(seq);
  WriteSegment(1, sealed.bytes);
  // The writer creates a segment with open(O_CREAT) and then writes its
  // header; a crash in between leaves an empty (or short) newest file.
  WriteSegment(2, "");

  absl::StatusOr<RecoveryReport> report = Recover(RecoveryMode::kStrict);
  if (!report.ok()) {
    FAIL() << "Regression of a fixed bug: an empty newest segment (crash between open(O_CREAT) and "
              "the header "
              "write in Writer::OpenSegment) is treated as damage: strict mode "
              "refuses to start with '"
           << report.status().message()
           << "' and repair mode counts damaged_segments; it is a torn write of a "
              "segment that never held an acknowledged record";
  }
  EXPECT_EQ(seqs_, Range(1, 3));
  EXPECT_EQ(report->damaged_segments, 0u);
  EXPECT_EQ(report->last_seq, 3u);
}

TEST_F(JournalRecoveryTest, CheckpointsReplaceState) {
  Segment first(1, 1);
  v1::JournalCheckpoint initial;
  initial.set_last_seq(0);
  v1::JournalUnitSubscriptions* unit = initial.add_subscriptions();
  unit->set_unit("u1");
  unit->add_patterns("alert.jincheng.>");
  first.AddCheckpoint(initial);
  first.AddSubscription("u2", "alert.jincheng.z03", false);
  first.AddPublish(1);
  first.AddSubscription("u1", "alert.jincheng.>", true);
  Segment second(2, 2);
  v1::JournalCheckpoint rolled;
  rolled.set_last_seq(50);
  unit = rolled.add_subscriptions();
  unit->set_unit("u3");
  unit->add_patterns("alert.*.z01");
  unit->add_patterns("alert.*.z02");
  second.AddCheckpoint(rolled);
  WriteSegment(1, first.bytes);
  WriteSegment(2, second.bytes);

  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(checkpoints_, (std::vector<uint64_t>{0, 50}));
  EXPECT_EQ(subscriptions_,
            (std::vector<std::string>{"u2 +alert.jincheng.z03", "u1 -alert.jincheng.>"}));
  // The second checkpoint replaced what the first segment built.
  const std::map<std::string, std::set<std::string>> expected = {
      {"u3", {"alert.*.z01", "alert.*.z02"}}};
  EXPECT_EQ(state_, expected);
  // The checkpoint's last_seq counts even without publishes after it.
  EXPECT_EQ(report->last_seq, 50u);
  EXPECT_EQ(report->records, 5u);
  EXPECT_EQ(report->publishes, 1u);
}

TEST_F(JournalRecoveryTest, HeaderFirstSeqRaisesLastSeq) {
  WriteSegment(1, Segment(1, 1000).bytes);
  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->records, 0u);
  EXPECT_EQ(report->publishes, 0u);
  EXPECT_EQ(report->last_seq, 999u);
  ASSERT_EQ(report->segments_kept.size(), 1u);
  EXPECT_EQ(report->segments_kept[0].first_seq, 1000u);
  EXPECT_EQ(report->segments_kept[0].bytes, journal::kSegmentHeaderBytes);
}

TEST_F(JournalRecoveryTest, UnknownTypesAndBadPayloadsAreCountedNotDamage) {
  Segment segment(1, 1);
  segment.AddPublish(1);
  segment.Add(static_cast<RecordType>(journal::kMaxPlausibleRecordType), "from a newer broker");
  segment.Add(RecordType::kPublish, "short");            // good CRC, undecodable publish
  segment.Add(RecordType::kCheckpoint, "\xff\xff\xff");  // not a protobuf
  segment.AddPublish(2);
  WriteSegment(1, segment.bytes);

  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(seqs_, Range(1, 2));
  EXPECT_EQ(report->records, 5u);
  EXPECT_EQ(report->publishes, 2u);
  EXPECT_EQ(report->unknown_records, 1u);
  EXPECT_EQ(report->bad_payloads, 2u);
  EXPECT_EQ(report->damaged_segments, 0u);
  EXPECT_TRUE(checkpoints_.empty());
  EXPECT_EQ(ReadFile(PathOf(1)), segment.bytes);
}

// The manifest says how large each sealed segment was; one cut since, even
// at a record boundary (so nothing looks torn), is a loss with its seqs.
TEST_F(JournalRecoveryTest, SealedSegmentShorterThanTheManifestSaysIsALoss) {
  Segment first(1, 1);
  first.AddCheckpoint(v1::JournalCheckpoint());
  for (uint64_t seq = 1; seq <= 5; ++seq) first.AddPublish(seq);
  const size_t three_records = first.bytes.size();
  Segment second(2, 6);
  second.AddCheckpoint(v1::JournalCheckpoint());
  for (uint64_t seq = 6; seq <= 8; ++seq) second.AddPublish(seq);
  v1::JournalManifest manifest;
  v1::JournalManifest::Sealed* sealed = manifest.add_sealed();
  sealed->set_index(1);
  sealed->set_bytes(first.bytes.size());
  sealed->set_last_seq(5);
  ASSERT_TRUE(journal::WriteManifest(dir_, manifest).ok());
  // Segment 1 without its last two publishes.
  Segment cut(1, 1);
  cut.AddCheckpoint(v1::JournalCheckpoint());
  for (uint64_t seq = 1; seq <= 3; ++seq) cut.AddPublish(seq);
  ASSERT_LT(cut.bytes.size(), three_records);
  WriteSegment(1, cut.bytes);
  WriteSegment(2, second.bytes);
  const auto before = Snapshot();

  absl::StatusOr<RecoveryReport> strict = Recover(RecoveryMode::kStrict);
  EXPECT_EQ(strict.status().code(), absl::StatusCode::kDataLoss) << strict.status();
  EXPECT_EQ(Snapshot(), before) << "strict recovery changed the journal";

  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->losses, 1u);
  EXPECT_EQ(report->damaged_segments, 0u);
  ASSERT_EQ(report->lost_seqs.size(), 1u);
  EXPECT_EQ(report->lost_seqs[0], (std::pair<uint64_t, uint64_t>{4, 5}));
  ASSERT_EQ(report->damage.size(), 1u);
  EXPECT_NE(report->damage[0].find(journal::SegmentFileName(1)), std::string::npos)
      << report->damage[0];
  EXPECT_EQ(seqs_, (std::vector<uint64_t>{1, 2, 3, 6, 7, 8}));
}

// Retention deletes the oldest segments; one missing above the oldest kept
// was not retention.
TEST_F(JournalRecoveryTest, SealedSegmentMissingAboveTheOldestKeptIsALoss) {
  v1::JournalManifest manifest;
  for (uint64_t index = 1; index <= 3; ++index) {
    Segment segment(index, index * 10);
    segment.AddCheckpoint(v1::JournalCheckpoint());
    segment.AddPublish(index * 10);
    if (index != 2) WriteSegment(index, segment.bytes);
    v1::JournalManifest::Sealed* sealed = manifest.add_sealed();
    sealed->set_index(index);
    sealed->set_bytes(segment.bytes.size());
    sealed->set_last_seq(index * 10);
  }
  ASSERT_TRUE(journal::WriteManifest(dir_, manifest).ok());
  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->losses, 1u);
  ASSERT_EQ(report->lost_seqs.size(), 1u);
  EXPECT_EQ(report->lost_seqs[0], (std::pair<uint64_t, uint64_t>{11, 20}));

  // The oldest gone is retention, not loss.
  fs::remove(PathOf(1));
  Segment second(2, 20);
  second.AddCheckpoint(v1::JournalCheckpoint());
  second.AddPublish(20);
  WriteSegment(2, second.bytes);
  report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->losses, 0u) << (report->damage.empty() ? "" : report->damage[0]);
}

// The high-water mark names the highest seq that was on disk: a journal
// that ends below it lost its tail, and the seqs are not used again.
TEST_F(JournalRecoveryTest, JournalEndingBelowTheHighWaterMarkIsALoss) {
  Segment segment(1, 1);
  segment.AddCheckpoint(v1::JournalCheckpoint());
  for (uint64_t seq = 1; seq <= 4; ++seq) segment.AddPublish(seq);
  WriteSegment(1, segment.bytes);
  journal::HighWaterFile high_water;
  ASSERT_TRUE(high_water.Open(dir_).ok());
  ASSERT_TRUE(high_water.Store(9).ok());

  EXPECT_EQ(Recover(RecoveryMode::kStrict).status().code(), absl::StatusCode::kDataLoss);
  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->losses, 1u);
  EXPECT_EQ(report->high_water, 9u);
  EXPECT_EQ(report->last_seq, 9u) << "lost seqs must not be reused";
  ASSERT_EQ(report->lost_seqs.size(), 1u);
  EXPECT_EQ(report->lost_seqs[0], (std::pair<uint64_t, uint64_t>{5, 9}));

  // At the mark (or below it): nothing lost.
  ASSERT_TRUE(high_water.Store(4).ok());
  report = Recover(RecoveryMode::kStrict);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->losses, 0u);
}

TEST_F(JournalRecoveryTest, DamagedManifestOrHighWaterFileIsReportedNotFatal) {
  Segment segment(1, 1);
  segment.AddCheckpoint(v1::JournalCheckpoint());
  segment.AddPublish(1);
  WriteSegment(1, segment.bytes);
  WriteFile(PathOf(journal::kManifestFileName), "not a manifest");
  WriteFile(PathOf(journal::kHighWaterFileName), "short");
  EXPECT_EQ(Recover(RecoveryMode::kStrict).status().code(), absl::StatusCode::kDataLoss);
  absl::StatusOr<RecoveryReport> report = Recover();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->damage.size(), 2u);
  EXPECT_EQ(report->losses, 0u);
  EXPECT_EQ(seqs_, (std::vector<uint64_t>{1}));
}

}  // namespace
}  // namespace zonecast
