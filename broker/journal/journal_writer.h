#pragma once
// Writer: the journal's writer thread. The core loop hands it batches
// of framed records; it appends each group of queued batches with one
// write, calls fdatasync once for the group (group commit), and hands the
// batches back with their status through a queue and an eventfd the loop
// polls. The loop sends PubAcks only for batches that came back OK, so the
// routing loop never waits on the disk and no PubAck precedes the fsync.
//
// Failure policy: a failed write or fsync fails every batch of that group
// (Unavailable, the publishers get STORAGE_UNAVAILABLE), the segment is cut
// back to its last durable size, and the next batch simply tries again, so
// acking resumes by itself when the disk has room again. If the cut-back
// itself fails, the next batch starts a new segment.
//
// Thread-safety: Submit, TakeCompleted, Snapshot and Stop may be called from
// any thread (in practice the core loop); everything else runs on the writer
// thread.
#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "journal/journal_format.h"
#include "journal/journal_manifest.h"
#include "shared/annotated_mutex.h"

namespace zonecast::journal {

struct Batch {
  uint64_t id = 0;
  std::string records;  // framed records (AppendRecord), written as is
  size_t record_count = 0;
  uint64_t max_seq = 0;  // highest publish seq inside, 0 if none
  // Start a new segment before this batch: its header carries
  // `roll_first_seq`, its first record is `roll_checkpoint`.
  bool roll_before = false;
  uint64_t roll_first_seq = 0;
  std::string roll_checkpoint;
  // Further checkpoint records (continuations) when the state does not fit
  // one record.
  std::vector<std::string> roll_checkpoint_more;
  MonoNanos submitted_at = 0;
  // Set by the writer.
  absl::Status status;
  MonoNanos durable_at = 0;
};

struct SegmentInfo {
  uint64_t index = 0;
  std::string path;
  uint64_t first_seq = 0;
  uint64_t bytes = 0;     // durable bytes
  absl::Time last_write;  // for retention by age
  uint64_t last_seq = 0;  // highest publish seq inside (or first_seq - 1)
};

// True if segments[i] (in index order) holds no publish with seq >=
// from_seq: its successor starts at or below from_seq.
inline bool SegmentEndsBefore(const std::vector<SegmentInfo>& segments, size_t i,
                              uint64_t from_seq) {
  return i + 1 < segments.size() && segments[i + 1].first_seq != 0 &&
         segments[i + 1].first_seq <= from_seq;
}

struct WriterOptions {
  std::string journal_dir;
  uint64_t segment_bytes = 64ull << 20;
  bool fsync = true;  // false: --fsync=never, for benchmarks only
  uint64_t retention_bytes = 1ull << 30;
  absl::Duration retention_age = absl::Hours(168);
};

struct WriterStats {
  uint64_t batches = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t fsyncs = 0;
  uint64_t failures = 0;
  uint64_t segments_created = 0;
  uint64_t segments_deleted = 0;
  uint64_t total_bytes = 0;  // all segments on disk
  uint64_t segment_count = 0;
  bool healthy = true;
  std::string last_error;
};

// Where the writer starts.
struct WriterStart {
  std::vector<SegmentInfo> segments;  // what recovery kept, oldest first
  // Append to segments.back() (its state is already on disk) instead of
  // starting a new segment: restarts then write nothing, so neither start
  // time nor the journal grows with the number of restarts.
  bool reopen_newest = false;
  // A new segment's index, header first_seq, and checkpoint records (the
  // first replaces, the rest continue it).
  uint64_t next_index = 1;
  uint64_t first_seq = 1;
  std::vector<std::string> checkpoint;
};

class Writer {
 public:
  // Starts the thread on the active segment `start` names, and writes the
  // manifest of the sealed ones (journal_manifest.h). If the segment cannot
  // be opened or the manifest not written (a full disk), the writer starts
  // unhealthy: batches fail until one that starts a new segment (roll_before)
  // succeeds or, with a segment open, until Probe() finds the disk writable.
  // Errors only for what no retry would mend (eventfd, the directory).
  static absl::StatusOr<std::unique_ptr<Writer>> Start(WriterOptions options, WriterStart start,
                                                       const Clock& clock);

  ~Writer();  // Stop()s
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // A batch without records is a probe: when the writer is unhealthy it
  // tries a small synced write (the manifest) and is healthy again if that
  // works, so a broker with nothing to store notices a disk that has room
  // again.
  void Submit(std::unique_ptr<Batch> batch);
  // Batches done since the last call, in submission order.
  std::vector<std::unique_ptr<Batch>> TakeCompleted();
  // Readable (level-triggered until drained by TakeCompleted) when batches
  // are done.
  int completion_fd() const { return event_fd_; }

  // Segments on disk, oldest first, with the active one last (its bytes
  // are the durable size), and the counters.
  std::vector<SegmentInfo> Segments() const;
  WriterStats Stats() const;
  // Drains the queue, seals the active segment and joins the thread.
  void Stop();

 private:
  Writer(WriterOptions options, const Clock& clock);
  void Run();
  void WriteGroup(std::vector<std::unique_ptr<Batch>>& group);
  absl::Status Append(const std::vector<std::unique_ptr<Batch>>& group, size_t begin, size_t end);
  absl::Status OpenSegment(uint64_t index, uint64_t first_seq, const std::string& checkpoint,
                           const std::vector<std::string>& more_checkpoints);
  absl::Status ReopenSegment(const SegmentInfo& segment);
  uint64_t NextIndex() const { return next_index_; }
  void SealActive();
  // Replaces MANIFEST with every segment but the active one.
  absl::Status WriteManifestOfSealed();
  // Counts a failure and makes the writer unhealthy with `status`.
  void MarkFailed(const absl::Status& status);
  // A write or a new segment worked: healthy again (logged once).
  void MarkWritable(absl::string_view detail) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // With no segment open or the disk refusing: tries a small synced write.
  absl::Status Probe();
  void ApplyRetention();

  const WriterOptions options_;
  const Clock& clock_;
  int event_fd_ = -1;
  int dir_fd_ = -1;
  std::thread thread_;

  mutable AnnotatedMutex mutex_;  // Submit and Stop notify the writer
  std::deque<std::unique_ptr<Batch>> queue_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::unique_ptr<Batch>> completed_ ABSL_GUARDED_BY(mutex_);
  std::vector<SegmentInfo> segments_ ABSL_GUARDED_BY(mutex_);
  WriterStats stats_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;

  // Writer thread only.
  int active_fd_ = -1;
  uint64_t active_index_ = 0;
  uint64_t active_size_ = 0;  // durable bytes
  uint64_t next_index_ = 1;   // of the next segment started
  HighWaterFile high_water_;
  bool high_water_failed_ = false;  // logged once
  bool must_roll_ = false;
  absl::Time last_retention_ = absl::InfinitePast();
};

}  // namespace zonecast::journal
