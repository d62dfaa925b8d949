#pragma once
// Journal: the core loop's side of durability. It recovers the journal at
// start, collects the durable records of one loop turn into a batch, hands
// the batch to the journal writer thread, and reports back the sequence
// number of each publish of a batch once that batch is on disk (or failed).
// It stores records and nothing else: who published, which request waits
// for a PubAck and what to route once stored are the loop's business. It
// also keeps what recovery must rebuild: the dedup window and the
// subscriptions of durable sessions (terminals), and writes them as the
// checkpoint that opens every new segment.
//
// Core loop thread only (the writer has its own thread).
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "journal/dedup_window.h"
#include "journal/durable_sessions.h"
#include "journal/journal_options.h"
#include "journal/journal_recovery.h"
#include "journal/journal_writer.h"
#include "zonecast/journal.pb.h"

namespace zonecast {

class Journal {
 public:
  enum class State { kRecovering, kReady, kFailed };
  // What recovery found.
  struct Status {
    State state = State::kRecovering;
    journal::RecoveryReport report;
    std::string error;
  };

  Journal(JournalOptions options, const Clock& clock);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Recovers <data_dir>/journal and starts the writer. `extra`, if given,
  // also sees every publish and every record that is neither a subscription
  // nor a checkpoint, for state kept elsewhere (open alerts). Errors as RecoverJournal and
  // Writer::Start report them.
  absl::Status Open(const journal::RecoveryVisitor* extra = nullptr);

  uint64_t last_seq() const { return last_seq_; }
  // The sequence number the next publish gets. The encoded frame carries it,
  // so it is known before AppendPublish.
  uint64_t NextSeq() { return ++last_seq_; }

  // Dedup: the stored entry for `alert_id`, or nullptr. An alert id enters
  // the window when its publish is on disk.
  const DedupWindow::Entry* FindCommitted(absl::string_view alert_id) const {
    return dedup_.Find(alert_id);
  }

  // Adds publish record `record` (its seq from NextSeq()) to the open batch.
  // Complete() reports its seq once the batch is on disk or failed.
  void AppendPublish(const journal::PublishRecord& record);
  // Journals a durable session's subscription change (and applies it to
  // durable_sessions()). Adding a pattern the unit has is a no-op.
  void AddSubscription(const std::string& unit, const std::string& pattern, bool removed);
  // Journals an ack or a dead-lettering by a durable session; RECEIVED and
  // dead-lettering settle the message for the unit.
  void AddDelivery(const v1::JournalDelivery& delivery);
  // Journals that a durable session expired, and forgets it.
  void ExpireDurableSession(const std::string& unit);
  // Durable sessions, as recovered and kept since.
  DurableSessions& durable_sessions() { return durable_sessions_; }
  const DurableSessions& durable_sessions() const { return durable_sessions_; }
  // Highest seq whose batch is on disk.
  uint64_t last_durable_seq() const { return last_durable_seq_; }

  // Submits the open batch, if any.
  void Flush();
  // While the writer is unhealthy and nothing is in flight: submits an empty
  // batch, which tries the disk again (and starts the new segment a failure
  // asked for), so the journal heals when space returns even if nobody
  // publishes. Call now and then (the loop's tick).
  void ProbeIfUnhealthy();
  // Appends one record to the open batch.
  void AddRecord(journal::RecordType type, const std::string& payload);
  // True while too much is waiting for the disk: the loop stops reading.
  bool Backlogged() const { return inflight_bytes() > options_.max_inflight_bytes; }
  // Bytes not yet on disk: handed to the writer, or in this turn's batch.
  uint64_t inflight_bytes() const {
    return inflight_bytes_ + (open_batch_ != nullptr ? open_batch_->records.size() : 0);
  }
  uint64_t max_inflight_bytes() const { return options_.max_inflight_bytes; }
  bool HasInflight() const { return !inflight_.empty(); }

  // Readable when batches completed.
  int completion_fd() const;
  // Calls done(seq, status) for each publish of every completed batch, in
  // seq order, with the batch's status.
  template <typename Fn>
  void Complete(Fn&& done);

  // Drains: flushes, waits for everything in flight, stops the writer.
  template <typename Fn>
  void Close(Fn&& done);

  void ExpireDedup(int64_t now_unix_ms) { dedup_.Expire(now_unix_ms); }
  size_t dedup_size() const { return dedup_.size(); }
  const Status& status() const { return status_; }
  journal::WriterStats WriterStats() const;
  // Segments on disk, for history readers.
  std::vector<journal::SegmentInfo> Segments() const;
  const std::string& journal_dir() const { return journal_dir_; }

 private:
  // A submitted batch's publishes: their seqs, and alert ids (empty if none)
  // and fingerprints for the dedup window.
  struct InflightPublish {
    uint64_t seq = 0;
    std::string alert_id;
    uint32_t fingerprint = 0;
  };
  struct InflightBatch {
    uint64_t id = 0;
    uint64_t bytes = 0;
    std::vector<InflightPublish> publishes;
  };

  // The state as checkpoint records: the first replaces, the rest are
  // continuations; each stays far below the record size limit.
  std::vector<std::string> BuildCheckpoint() const;
  std::vector<std::unique_ptr<journal::Batch>> TakeCompletedBatches();

  // Open's steps. The recovery visitor rebuilds the dedup window (entries
  // from `dedup_cutoff` on) and the durable sessions, and shows publishes
  // and other records to `extra` too.
  journal::RecoveryVisitor RecoveryVisitorFor(const journal::RecoveryVisitor* extra,
                                              int64_t dedup_cutoff);
  void ApplyRecoveredSubscription(const v1::JournalSubscription& s);
  void LoadRecoveredCheckpoint(const v1::JournalCheckpoint& checkpoint, int64_t dedup_cutoff);
  // Deliveries settle and touch durable sessions; expiries erase them.
  void ApplyRecoveredSessionRecord(journal::RecordType type, absl::string_view payload);
  void LogRecovered(const journal::RecoveryReport& report) const;
  // Starts the writer on the newest recovered segment or, after damage or
  // loss, on a new one opening with a checkpoint.
  absl::Status StartWriter(const journal::RecoveryReport& report);
  // Marks the journal failed with `status`, and returns it.
  absl::Status Fail(absl::Status status);
  template <typename Fn>
  void Finish(journal::Batch& batch, Fn&& done);

  JournalOptions options_;
  const Clock& clock_;
  std::string journal_dir_;
  Status status_;
  std::unique_ptr<journal::Writer> writer_;
  uint64_t last_seq_ = 0;
  DedupWindow dedup_;
  DurableSessions durable_sessions_;
  uint64_t last_durable_seq_ = 0;

  std::unique_ptr<journal::Batch> open_batch_;
  InflightBatch open_publishes_;
  std::deque<InflightBatch> inflight_;
  uint64_t inflight_bytes_ = 0;
  uint64_t next_batch_id_ = 1;
  // Record bytes submitted to the active segment after its checkpoint: the
  // roll decision counts data only, so a checkpoint larger than
  // --segment_bytes (a huge dedup window) cannot make every batch roll.
  uint64_t segment_bytes_used_ = 0;
  bool need_roll_ = false;
};

template <typename Fn>
void Journal::Finish(journal::Batch& batch, Fn&& done) {
  // Batches complete in submission order.
  while (!inflight_.empty() && inflight_.front().id <= batch.id) {
    InflightBatch finished = std::move(inflight_.front());
    inflight_.pop_front();
    inflight_bytes_ -= finished.bytes;
    const bool ok = finished.id == batch.id ? batch.status.ok() : false;
    if (!ok) {
      // The next batch starts a new segment with a fresh checkpoint, in case
      // the writer cannot go on in the current one.
      need_roll_ = true;
    }
    if (ok) last_durable_seq_ = std::max(last_durable_seq_, batch.max_seq);
    const absl::Status status =
        finished.id == batch.id ? batch.status : absl::UnavailableError("journal batch lost");
    for (const InflightPublish& publish : finished.publishes) {
      if (ok && !publish.alert_id.empty()) {
        dedup_.Insert(publish.alert_id, publish.seq, absl::ToUnixMillis(clock_.NowWall()),
                      publish.fingerprint);
      }
      done(publish.seq, status);
    }
  }
}

template <typename Fn>
void Journal::Complete(Fn&& done) {
  for (auto& batch : TakeCompletedBatches()) Finish(*batch, done);
}

template <typename Fn>
void Journal::Close(Fn&& done) {
  Flush();
  if (writer_ != nullptr) {
    writer_->Stop();
    Complete(done);
  }
}

}  // namespace zonecast
