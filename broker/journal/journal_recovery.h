#pragma once
// Journal recovery: scans every segment of `<data_dir>/journal` on start,
// oldest first, feeds each good record to a visitor that rebuilds the
// broker's state, cuts torn tails, sets damaged segments aside, and says
// where the writer's new active segment starts. journal_format.h states the
// rules; this file applies them.
//
// Called once, on the core loop thread before it starts serving.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "journal/journal_format.h"
#include "journal/journal_writer.h"
#include "zonecast/journal.pb.h"

namespace zonecast::journal {

enum class RecoveryMode {
  kRepair,  // set damage aside, keep what is good, start
  kStrict,  // refuse to start on damage
};

struct RecoveryVisitor {
  std::function<void(const PublishRecord&)> on_publish;
  std::function<void(const v1::JournalSubscription&)> on_subscription;
  // The state at the start of a segment; replaces what came before.
  std::function<void(const v1::JournalCheckpoint&)> on_checkpoint;
  // Every other known record type, undecoded.
  std::function<void(RecordType, absl::string_view payload)> on_other;
};

struct RecoveryReport {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t publishes = 0;
  uint64_t bytes = 0;
  uint64_t last_seq = 0;  // highest seq ever used (also past damage)
  uint64_t torn_tails = 0;
  uint64_t torn_bytes = 0;
  uint64_t damaged_segments = 0;
  uint64_t unknown_records = 0;
  uint64_t bad_payloads = 0;  // good CRC, payload that does not decode
  // Records that vanished without damage (a segment cut at a record
  // boundary or removed), found with the manifest and the high-water mark.
  uint64_t losses = 0;
  // The stored seqs lost, as inclusive ranges.
  std::vector<std::pair<uint64_t, uint64_t>> lost_seqs;
  uint64_t high_water = 0;                // as HIGH_WATER said
  std::vector<uint64_t> damaged_indexes;  // segments found damaged
  std::vector<std::string> damage;        // one line per damage or loss
  absl::Duration took;
  // For the writer:
  std::vector<SegmentInfo> segments_kept;  // oldest first
  uint64_t next_index = 1;
};

// Recovers `journal_dir` (created if missing). Errors: Unavailable for I/O
// failures (cannot list, read, truncate or rename); DataLoss in kStrict mode
// when a segment is damaged (nothing is changed on disk then).
absl::StatusOr<RecoveryReport> RecoverJournal(const std::string& journal_dir, RecoveryMode mode,
                                              const RecoveryVisitor& visitor);

}  // namespace zonecast::journal
