// Writer on a temporary directory: batches come back OK only once
// they are on disk (checked by recovering the directory), segment rolls,
// retention by bytes and by age, and write failures (a file size limit and
// an obstacle where the next segment goes).
#include "journal/journal_writer.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/clock.h"
#include "gtest/gtest.h"
#include "journal/journal_format.h"
#include "journal/journal_manifest.h"
#include "journal/journal_reader.h"
#include "journal/journal_recovery.h"
#include "zonecast/journal.pb.h"

namespace zonecast {
namespace {

namespace fs = std::filesystem;
using journal::Batch;
using journal::RecordType;
using journal::SegmentInfo;
using journal::Writer;
using journal::WriterOptions;
using journal::WriterStart;
using journal::WriterStats;
using Batches = std::vector<std::unique_ptr<Batch>>;

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t seq = first; seq <= last; ++seq) out.push_back(seq);
  return out;
}

std::string Checkpoint(uint64_t last_seq, const std::string& unit = "",
                       const std::string& pattern = "") {
  v1::JournalCheckpoint checkpoint;
  checkpoint.set_last_seq(last_seq);
  if (!unit.empty()) {
    v1::JournalUnitSubscriptions* entry = checkpoint.add_subscriptions();
    entry->set_unit(unit);
    entry->add_patterns(pattern);
  }
  return checkpoint.SerializeAsString();
}

// Publish records for `seqs`, all of the same size.
std::unique_ptr<Batch> MakeBatch(uint64_t id, const std::vector<uint64_t>& seqs) {
  auto batch = std::make_unique<Batch>();
  batch->id = id;
  for (uint64_t seq : seqs) {
    std::string payload;
    const std::string alert_id = absl::StrFormat("A-%06d", seq);
    journal::EncodePublish({seq, 1'700'000'000'000, alert_id, "alert.jincheng.z03",
                            std::string(64, static_cast<char>('a' + seq % 26))},
                           &payload);
    journal::AppendRecord(&batch->records, RecordType::kPublish, payload);
    ++batch->record_count;
    batch->max_seq = std::max(batch->max_seq, seq);
  }
  return batch;
}

std::unique_ptr<Batch> RollBatch(uint64_t id, const std::vector<uint64_t>& seqs,
                                 const std::string& checkpoint) {
  std::unique_ptr<Batch> batch = MakeBatch(id, seqs);
  batch->roll_before = true;
  batch->roll_first_seq = seqs.front();
  batch->roll_checkpoint = checkpoint;
  return batch;
}

class JournalWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "zc-writer-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    root_ = templ;
    dir_ = root_ + "/journal";
    fs::create_directory(dir_);
  }
  void TearDown() override {
    writer_.reset();
    std::error_code ec;
    fs::remove_all(root_, ec);
  }

  WriterOptions Options() const {
    WriterOptions options;
    options.journal_dir = dir_;
    options.fsync = true;
    return options;
  }

  void Start(WriterOptions options, std::vector<SegmentInfo> sealed = {}, uint64_t next_index = 1,
             uint64_t first_seq = 1, const std::string& checkpoint = Checkpoint(0)) {
    WriterStart start;
    start.segments = std::move(sealed);
    start.next_index = next_index;
    start.first_seq = first_seq;
    start.checkpoint = {checkpoint};
    absl::StatusOr<std::unique_ptr<Writer>> writer =
        Writer::Start(std::move(options), std::move(start), clock_);
    ASSERT_TRUE(writer.ok()) << writer.status();
    writer_ = std::move(writer).value();
  }

  // Waits (bounded) until `n` batches have completed, polling the
  // completion fd.
  Batches WaitForCompleted(size_t n) {
    Batches done;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (true) {
      for (auto& batch : writer_->TakeCompleted()) done.push_back(std::move(batch));
      if (done.size() >= n) break;
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        ADD_FAILURE() << "only " << done.size() << " of " << n << " batches completed";
        break;
      }
      pollfd pfd{writer_->completion_fd(), POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(left.count()));
    }
    return done;
  }
  std::unique_ptr<Batch> SubmitAndWait(std::unique_ptr<Batch> batch) {
    writer_->Submit(std::move(batch));
    Batches done = WaitForCompleted(1);
    EXPECT_EQ(done.size(), 1u);
    return done.empty() ? nullptr : std::move(done.front());
  }

  std::string PathOf(uint64_t index) const { return dir_ + "/" + journal::SegmentFileName(index); }
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
  // Indexes of the segment files on disk.
  std::vector<uint64_t> SegmentFiles() const {
    std::set<uint64_t> indexes;
    for (const auto& entry : fs::directory_iterator(dir_)) {
      uint64_t index = 0;
      if (journal::ParseSegmentFileName(entry.path().filename().string(), &index)) {
        indexes.insert(index);
      }
    }
    return {indexes.begin(), indexes.end()};
  }
  static std::vector<uint64_t> Indexes(const std::vector<SegmentInfo>& segments) {
    std::vector<uint64_t> out;
    for (const SegmentInfo& s : segments) out.push_back(s.index);
    return out;
  }

  // Recovers the directory: the publish seqs found, in order.
  journal::RecoveryReport Recover() {
    seqs_.clear();
    checkpoints_.clear();
    state_.clear();
    journal::RecoveryVisitor visitor;
    visitor.on_publish = [&](const journal::PublishRecord& r) { seqs_.push_back(r.seq); };
    visitor.on_subscription = [&](const v1::JournalSubscription& s) {
      if (s.removed()) {
        state_[s.unit()].erase(s.pattern());
      } else {
        state_[s.unit()].insert(s.pattern());
      }
    };
    visitor.on_checkpoint = [&](const v1::JournalCheckpoint& c) {
      checkpoints_.push_back(c.SerializeAsString());
      state_.clear();
      for (const auto& unit : c.subscriptions()) {
        state_[unit.unit()].insert(unit.patterns().begin(), unit.patterns().end());
      }
    };
    absl::StatusOr<journal::RecoveryReport> report =
        journal::RecoverJournal(dir_, journal::RecoveryMode::kStrict, visitor);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : journal::RecoveryReport();
  }

  FakeClock clock_;
  std::string root_;
  std::string dir_;
  std::unique_ptr<Writer> writer_;
  std::vector<uint64_t> seqs_;
  std::vector<std::string> checkpoints_;
  std::map<std::string, std::set<std::string>> state_;
};

TEST_F(JournalWriterTest, StartWritesHeaderAndCheckpoint) {
  const std::string checkpoint = Checkpoint(41, "u1", "alert.>");
  Start(Options(), {}, /*next_index=*/5, /*first_seq=*/42, checkpoint);
  const std::string bytes = ReadFile(PathOf(5));
  journal::SegmentScanner scanner(bytes);
  ASSERT_TRUE(scanner.header_status().ok()) << scanner.header_status();
  EXPECT_EQ(scanner.header().index, 5u);
  EXPECT_EQ(scanner.header().first_seq, 42u);
  journal::ScannedRecord record;
  ASSERT_TRUE(scanner.Next(&record));
  EXPECT_EQ(record.type, RecordType::kCheckpoint);
  EXPECT_EQ(record.payload, checkpoint);
  EXPECT_FALSE(scanner.Next(&record));
  EXPECT_EQ(scanner.end(), journal::SegmentScanner::End::kClean);

  const std::vector<SegmentInfo> segments = writer_->Segments();
  ASSERT_EQ(segments.size(), 1u);
  EXPECT_EQ(segments[0].index, 5u);
  EXPECT_EQ(segments[0].path, PathOf(5));
  EXPECT_EQ(segments[0].first_seq, 42u);
  EXPECT_EQ(segments[0].bytes, bytes.size());
  const WriterStats stats = writer_->Stats();
  EXPECT_EQ(stats.segments_created, 1u);
  EXPECT_EQ(stats.segment_count, 1u);
  EXPECT_EQ(stats.total_bytes, bytes.size());
  EXPECT_TRUE(stats.healthy);
}

TEST_F(JournalWriterTest, CompletedBatchesAreOnDisk) {
  Start(Options());
  const std::string initial = ReadFile(PathOf(1));
  uint64_t bytes = 0;
  for (uint64_t id = 1; id <= 3; ++id) {
    std::unique_ptr<Batch> batch = MakeBatch(id, Range(3 * id - 2, 3 * id));
    bytes += batch->records.size();
    writer_->Submit(std::move(batch));
  }
  const Batches done = WaitForCompleted(3);
  ASSERT_EQ(done.size(), 3u);
  for (size_t i = 0; i < done.size(); ++i) {
    EXPECT_EQ(done[i]->id, i + 1) << "completed in submission order";
    EXPECT_TRUE(done[i]->status.ok()) << done[i]->status;
  }
  // Durable before it came back: the file already holds every record.
  EXPECT_EQ(fs::file_size(PathOf(1)), initial.size() + bytes);
  const WriterStats stats = writer_->Stats();
  EXPECT_EQ(stats.batches, 3u);
  EXPECT_EQ(stats.records, 9u);
  EXPECT_EQ(stats.bytes, bytes);
  EXPECT_GE(stats.fsyncs, 1u);
  EXPECT_LE(stats.fsyncs, 3u);  // group commit: at most one per batch
  EXPECT_EQ(stats.failures, 0u);
  EXPECT_TRUE(stats.healthy);
  EXPECT_EQ(stats.total_bytes, initial.size() + bytes);
  ASSERT_EQ(writer_->Segments().size(), 1u);
  EXPECT_EQ(writer_->Segments()[0].bytes, initial.size() + bytes);

  writer_->Stop();
  const journal::RecoveryReport report = Recover();
  EXPECT_EQ(seqs_, Range(1, 9));
  EXPECT_EQ(report.records, 10u);  // and the checkpoint
  EXPECT_EQ(report.torn_tails, 0u);
  EXPECT_EQ(report.last_seq, 9u);
  EXPECT_EQ(checkpoints_, std::vector<std::string>{Checkpoint(0)});
}

TEST_F(JournalWriterTest, CompletionFdIsReadableUntilDrained) {
  Start(Options());
  writer_->Submit(MakeBatch(1, {1}));
  pollfd pfd{writer_->completion_fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&pfd, 1, 10'000), 1);
  // Level-triggered: still readable until taken.
  EXPECT_EQ(::poll(&pfd, 1, 0), 1);
  const Batches done = writer_->TakeCompleted();
  ASSERT_EQ(done.size(), 1u);
  EXPECT_TRUE(done[0]->status.ok());
  pfd.revents = 0;
  EXPECT_EQ(::poll(&pfd, 1, 0), 0);
  EXPECT_TRUE(writer_->TakeCompleted().empty());
}

TEST_F(JournalWriterTest, StopDrainsQueuedBatches) {
  Start(Options());
  for (uint64_t id = 1; id <= 5; ++id) writer_->Submit(MakeBatch(id, {id}));
  writer_->Stop();
  const Batches done = writer_->TakeCompleted();
  ASSERT_EQ(done.size(), 5u);
  for (const auto& batch : done) EXPECT_TRUE(batch->status.ok()) << batch->status;
  writer_->Stop();  // a second Stop is harmless
  Recover();
  EXPECT_EQ(seqs_, Range(1, 5));
}

// A segment that cannot be started (here: the name is taken) leaves the
// writer up but unhealthy: batches fail until a roll starts a new segment,
// and nothing is written over the file that was there.
TEST_F(JournalWriterTest, StartWithoutASegmentIsUnhealthyUntilARoll) {
  std::ofstream(PathOf(1)) << "someone else's";
  Start(Options());
  EXPECT_FALSE(writer_->Stats().healthy);
  writer_->Submit(MakeBatch(1, {1}));
  Batches failed = WaitForCompleted(1);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0]->status.code(), absl::StatusCode::kUnavailable) << failed[0]->status;
  auto roll = MakeBatch(2, {2});
  roll->roll_before = true;
  roll->roll_first_seq = 2;
  roll->roll_checkpoint = Checkpoint(1);
  writer_->Submit(std::move(roll));
  Batches rolled = WaitForCompleted(1);
  ASSERT_EQ(rolled.size(), 1u);
  EXPECT_TRUE(rolled[0]->status.ok()) << rolled[0]->status;
  EXPECT_TRUE(writer_->Stats().healthy);
  EXPECT_EQ(ReadFile(PathOf(1)), "someone else's");
  EXPECT_TRUE(fs::exists(PathOf(2)));
}

TEST_F(JournalWriterTest, RollBeforeStartsANewSegment) {
  Start(Options());
  ASSERT_TRUE(SubmitAndWait(MakeBatch(1, Range(1, 3)))->status.ok());
  const std::string rolled = Checkpoint(3, "u7", "alert.jincheng.>");
  std::unique_ptr<Batch> done = SubmitAndWait(RollBatch(2, Range(4, 6), rolled));
  ASSERT_TRUE(done->status.ok()) << done->status;

  const std::vector<SegmentInfo> segments = writer_->Segments();
  ASSERT_EQ(Indexes(segments), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(segments[1].first_seq, 4u);
  EXPECT_EQ(segments[0].bytes, fs::file_size(PathOf(1)));
  EXPECT_EQ(segments[1].bytes, fs::file_size(PathOf(2)));
  EXPECT_EQ(writer_->Stats().segments_created, 2u);

  const std::string bytes = ReadFile(PathOf(2));
  journal::SegmentScanner scanner(bytes);
  ASSERT_TRUE(scanner.header_status().ok());
  EXPECT_EQ(scanner.header().index, 2u);
  EXPECT_EQ(scanner.header().first_seq, 4u);
  journal::ScannedRecord record;
  ASSERT_TRUE(scanner.Next(&record));
  EXPECT_EQ(record.type, RecordType::kCheckpoint);
  EXPECT_EQ(record.payload, rolled);
  int publishes = 0;
  while (scanner.Next(&record)) {
    EXPECT_EQ(record.type, RecordType::kPublish);
    ++publishes;
  }
  EXPECT_EQ(publishes, 3);
  EXPECT_EQ(scanner.end(), journal::SegmentScanner::End::kClean);

  writer_->Stop();
  const journal::RecoveryReport report = Recover();
  EXPECT_EQ(seqs_, Range(1, 6));
  EXPECT_EQ(checkpoints_, (std::vector<std::string>{Checkpoint(0), rolled}));
  EXPECT_EQ(report.segments, 2u);
}

TEST_F(JournalWriterTest, RetentionByBytesDeletesOldestSegmentsNeverTheActive) {
  const std::string checkpoint = Checkpoint(0);
  const uint64_t head = journal::kSegmentHeaderBytes + journal::FramedSize(checkpoint.size());
  const uint64_t full = head + MakeBatch(0, {1, 2, 3})->records.size();
  WriterOptions options = Options();
  options.retention_bytes = 2 * full + head;  // two full sealed segments + a fresh one
  Start(options, {}, 1, 1, checkpoint);
  ASSERT_TRUE(SubmitAndWait(MakeBatch(1, Range(1, 3)))->status.ok());
  ASSERT_EQ(fs::file_size(PathOf(1)), full);
  for (uint64_t id = 2; id <= 7; ++id) {
    std::unique_ptr<Batch> done =
        SubmitAndWait(RollBatch(id, Range(3 * id - 2, 3 * id), checkpoint));
    ASSERT_TRUE(done->status.ok()) << done->status;
    // Retention runs when a segment is started: the oldest go while the
    // total is over the limit.
    const std::vector<uint64_t> expected = id <= 3 ? Range(1, id) : Range(id - 2, id);
    EXPECT_EQ(Indexes(writer_->Segments()), expected) << "after roll " << id;
    EXPECT_EQ(SegmentFiles(), expected) << "after roll " << id;
  }
  const WriterStats stats = writer_->Stats();
  EXPECT_EQ(stats.segments_deleted, 4u);
  EXPECT_EQ(stats.segments_created, 7u);
  EXPECT_EQ(stats.segment_count, 3u);
  EXPECT_EQ(stats.total_bytes, 3 * full);

  writer_->Stop();
  const journal::RecoveryReport report = Recover();
  EXPECT_EQ(seqs_, Range(13, 21));
  EXPECT_EQ(report.segments, 3u);
}

TEST_F(JournalWriterTest, RetentionNeverDeletesTheOnlySegment) {
  WriterOptions options = Options();
  options.retention_bytes = 1;
  options.retention_age = absl::ZeroDuration();
  Start(options);
  for (uint64_t id = 1; id <= 4; ++id) {
    std::unique_ptr<Batch> done =
        SubmitAndWait(id == 1 ? MakeBatch(id, {id}) : RollBatch(id, {id}, Checkpoint(id - 1)));
    ASSERT_TRUE(done->status.ok()) << done->status;
    EXPECT_EQ(Indexes(writer_->Segments()), std::vector<uint64_t>{id});
    EXPECT_EQ(SegmentFiles(), std::vector<uint64_t>{id});
  }
  EXPECT_EQ(writer_->Stats().segments_deleted, 3u);
  writer_->Stop();
  Recover();
  EXPECT_EQ(seqs_, std::vector<uint64_t>{4});
}

TEST_F(JournalWriterTest, RetentionByAgeDeletesOldSealedSegments) {
  // Two sealed segments from an earlier run: one older than the retention
  // age, one younger.
  std::vector<SegmentInfo> sealed;
  for (uint64_t index : {1u, 2u}) {
    std::string bytes = journal::EncodeSegmentHeader({index, index});
    std::ofstream(PathOf(index), std::ios::binary) << bytes;
    sealed.push_back(
        SegmentInfo{index, PathOf(index), index, bytes.size(),
                    clock_.NowWall() - (index == 1 ? absl::Hours(200) : absl::Hours(100))});
  }
  WriterOptions options = Options();
  options.retention_age = absl::Hours(168);
  Start(options, sealed, /*next_index=*/3, /*first_seq=*/3);
  ASSERT_TRUE(SubmitAndWait(MakeBatch(1, {3}))->status.ok());
  writer_->Stop();  // retention runs after the group; Stop joins the thread
  EXPECT_EQ(Indexes(writer_->Segments()), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(SegmentFiles(), (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(writer_->Stats().segments_deleted, 1u);
}

// RLIMIT_FSIZE makes writes past a size fail with EFBIG, even as root, after
// writing what fits: a real partial write the writer must cut back.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(uint64_t bytes) {
    old_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    ::getrlimit(RLIMIT_FSIZE, &old_);
    rlimit limit = old_;
    limit.rlim_cur = bytes;
    ok_ = ::setrlimit(RLIMIT_FSIZE, &limit) == 0;
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_);
    ::signal(SIGXFSZ, old_handler_);
  }
  bool ok() const { return ok_; }

 private:
  rlimit old_{};
  sighandler_t old_handler_ = SIG_DFL;
  bool ok_ = false;
};

TEST_F(JournalWriterTest, FailedWriteIsUnavailableAndCutBack) {
  Start(Options());
  ASSERT_TRUE(SubmitAndWait(MakeBatch(1, Range(1, 3)))->status.ok());
  const std::string before = ReadFile(PathOf(1));
  std::unique_ptr<Batch> failed;
  {
    FileSizeLimit limit(before.size() + 10);
    ASSERT_TRUE(limit.ok());
    failed = SubmitAndWait(MakeBatch(2, Range(4, 6)));
  }
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->status.code(), absl::StatusCode::kUnavailable) << failed->status;
  // The 10 bytes that fit were cut away again.
  EXPECT_EQ(ReadFile(PathOf(1)), before);
  WriterStats stats = writer_->Stats();
  EXPECT_EQ(stats.failures, 1u);
  EXPECT_FALSE(stats.healthy);
  EXPECT_NE(stats.last_error.find("journal write"), std::string::npos) << stats.last_error;
  EXPECT_EQ(stats.records, 3u);  // failed batches do not count as written
  EXPECT_EQ(writer_->Segments().back().bytes, before.size());

  // The disk has room again: the next batch is written right after the
  // good data, and acking resumes.
  std::unique_ptr<Batch> next = SubmitAndWait(MakeBatch(3, Range(7, 8)));
  ASSERT_TRUE(next->status.ok()) << next->status;
  stats = writer_->Stats();
  EXPECT_TRUE(stats.healthy);
  EXPECT_EQ(stats.failures, 1u);
  EXPECT_EQ(stats.batches, 3u);
  EXPECT_EQ(stats.records, 5u);
  writer_->Stop();
  const journal::RecoveryReport report = Recover();
  EXPECT_EQ(seqs_, (std::vector<uint64_t>{1, 2, 3, 7, 8}));
  EXPECT_EQ(report.torn_tails, 0u);
  EXPECT_EQ(report.damaged_segments, 0u);
  EXPECT_EQ(SegmentFiles(), std::vector<uint64_t>{1});
}

TEST_F(JournalWriterTest, FailedRollIsUnavailableAndRetried) {
  Start(Options());
  ASSERT_TRUE(SubmitAndWait(MakeBatch(1, Range(1, 3)))->status.ok());
  // Something where the next segment must go: creating it fails.
  fs::create_directory(PathOf(2));
  std::unique_ptr<Batch> failed = SubmitAndWait(RollBatch(2, Range(4, 5), Checkpoint(3)));
  EXPECT_EQ(failed->status.code(), absl::StatusCode::kUnavailable) << failed->status;
  WriterStats stats = writer_->Stats();
  EXPECT_EQ(stats.failures, 1u);
  EXPECT_FALSE(stats.healthy);
  EXPECT_NE(stats.last_error.find(PathOf(2)), std::string::npos) << stats.last_error;
  EXPECT_EQ(Indexes(writer_->Segments()), std::vector<uint64_t>{1});

  // Still blocked: still failing, nothing acknowledged.
  EXPECT_EQ(SubmitAndWait(MakeBatch(3, {6}))->status.code(), absl::StatusCode::kUnavailable);

  // Unblocked, but the writer will not start a segment with an old
  // checkpoint: a batch that does not ask for the roll still fails...
  fs::remove(PathOf(2));
  EXPECT_EQ(SubmitAndWait(MakeBatch(4, Range(7, 8)))->status.code(),
            absl::StatusCode::kUnavailable);
  // ...and the next one that brings a fresh checkpoint (the Journal asks for
  // a roll after any failure) starts the segment and succeeds. The index
  // that was taken is skipped, so a file that stays in the way cannot stop
  // the journal for good.
  std::unique_ptr<Batch> next = SubmitAndWait(RollBatch(5, Range(9, 10), Checkpoint(8)));
  ASSERT_TRUE(next->status.ok()) << next->status;
  EXPECT_TRUE(writer_->Stats().healthy);
  EXPECT_EQ(Indexes(writer_->Segments()), (std::vector<uint64_t>{1, 3}));
  const std::string bytes = ReadFile(PathOf(3));
  journal::SegmentScanner scanner(bytes);
  ASSERT_TRUE(scanner.header_status().ok());
  EXPECT_EQ(scanner.header().first_seq, 9u);

  writer_->Stop();
  Recover();
  EXPECT_EQ(seqs_, (std::vector<uint64_t>{1, 2, 3, 9, 10}));
}

TEST_F(JournalWriterTest, RetriedRollKeepsDurableSubscriptions) {
  // Segment 1: checkpoint without subscriptions, then u1 subscribes.
  Start(Options(), {}, 1, 1, Checkpoint(0));
  std::unique_ptr<Batch> subscribe = MakeBatch(1, {1});
  v1::JournalSubscription subscription;
  subscription.set_unit("u1");
  subscription.set_pattern("alert.jincheng.>");
  journal::AppendRecord(&subscribe->records, RecordType::kSubscription,
                        subscription.SerializeAsString());
  ++subscribe->record_count;
  ASSERT_TRUE(SubmitAndWait(std::move(subscribe))->status.ok());
  // The roll (whose checkpoint carries u1) fails once...
  fs::create_directory(PathOf(2));
  ASSERT_FALSE(
      SubmitAndWait(RollBatch(2, {2}, Checkpoint(1, "u1", "alert.jincheng.>")))->status.ok());
  fs::remove(PathOf(2));
  // ...and the retry, with the loop's fresh checkpoint, starts segment 2.
  ASSERT_TRUE(
      SubmitAndWait(RollBatch(3, {3}, Checkpoint(2, "u1", "alert.jincheng.>")))->status.ok());
  writer_->Stop();
  Recover();
  EXPECT_EQ(seqs_, (std::vector<uint64_t>{1, 3}));
  const std::map<std::string, std::set<std::string>> expected = {{"u1", {"alert.jincheng.>"}}};
  EXPECT_EQ(state_, expected);
}

// A restart that reopens the newest segment appends to it and writes no new
// checkpoint; the manifest lists the sealed segments with their sizes.
TEST_F(JournalWriterTest, ReopenedNewestSegmentIsAppendedTo) {
  Start(Options());
  ASSERT_TRUE(SubmitAndWait(MakeBatch(1, Range(1, 3)))->status.ok());
  ASSERT_TRUE(SubmitAndWait(RollBatch(2, Range(4, 5), Checkpoint(3)))->status.ok());
  writer_->Stop();
  const journal::RecoveryReport report = Recover();
  ASSERT_EQ(Indexes(report.segments_kept), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(report.segments_kept[1].last_seq, 5u);
  const uint64_t newest_bytes = fs::file_size(PathOf(2));

  WriterStart start;
  start.segments = report.segments_kept;
  start.reopen_newest = true;
  start.next_index = report.next_index;
  absl::StatusOr<std::unique_ptr<Writer>> writer =
      Writer::Start(Options(), std::move(start), clock_);
  ASSERT_TRUE(writer.ok()) << writer.status();
  writer_ = std::move(writer).value();
  EXPECT_TRUE(writer_->Stats().healthy);
  EXPECT_EQ(fs::file_size(PathOf(2)), newest_bytes) << "a start wrote into the segment";
  ASSERT_TRUE(SubmitAndWait(MakeBatch(3, Range(6, 7)))->status.ok());
  writer_->Stop();
  EXPECT_EQ(SegmentFiles(), (std::vector<uint64_t>{1, 2}));
  Recover();
  EXPECT_EQ(seqs_, Range(1, 7));

  absl::StatusOr<v1::JournalManifest> manifest = journal::ReadManifest(dir_);
  ASSERT_TRUE(manifest.ok()) << manifest.status();
  ASSERT_EQ(manifest->sealed_size(), 1);
  EXPECT_EQ(manifest->sealed(0).index(), 1u);
  EXPECT_EQ(manifest->sealed(0).bytes(), fs::file_size(PathOf(1)));
  EXPECT_EQ(manifest->sealed(0).last_seq(), 3u);
  absl::StatusOr<uint64_t> high_water = journal::ReadHighWater(dir_);
  ASSERT_TRUE(high_water.ok()) << high_water.status();
  EXPECT_EQ(*high_water, 7u);
}

}  // namespace
}  // namespace zonecast
