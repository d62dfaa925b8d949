#pragma once
// SegmentScanner: walks the records of one journal segment held in memory
// (a mapped or read file) and classifies how the good data ends: cleanly, in
// a torn tail, or in damage (journal_format.h has the rules).
//
// Any thread; one scanner per thread. Views it returns point into the
// segment bytes given to the constructor, which must outlive them.
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "journal/journal_format.h"

namespace zonecast::journal {

struct ScannedRecord {
  RecordType type = RecordType::kZero;
  absl::string_view payload;
  uint64_t offset = 0;  // of the record header in the segment
};

class SegmentScanner {
 public:
  enum class End {
    kClean,    // the last record ends exactly at the end of the segment
    kTorn,     // bad bytes at the end with nothing good after them
    kDamaged,  // a bad record followed by good ones
  };

  // `resync_window`: how far past a bad record to look for a good one
  // before calling the bad bytes a torn tail.
  // The default window covers the largest record, so damage inside one is
  // never taken for a torn tail.
  explicit SegmentScanner(absl::string_view segment,
                          size_t resync_window = kMaxRecordBytes + kRecordHeaderBytes);

  // The header's decode status; when not OK, Next() returns false at once
  // and end() is kDamaged.
  const absl::Status& header_status() const { return header_status_; }
  const SegmentHeader& header() const { return header_; }

  // The next good record. False at the end of the good data; then end(),
  // good_bytes() and problem() say why.
  bool Next(ScannedRecord* record);

  End end() const { return end_; }
  // Offset just past the last good record (where a torn tail is cut).
  uint64_t good_bytes() const { return good_bytes_; }
  // Offset of the first bad record (== good_bytes() when it stopped there).
  uint64_t bad_offset() const { return bad_offset_; }
  // What was wrong at bad_offset(): "checksum mismatch", ...
  const std::string& problem() const { return problem_; }

  // After kDamaged: continues with the first good record past the damage,
  // for callers that must learn what lies beyond (the highest seq ever
  // used) without claiming it. False if there is none.
  bool ResyncPastDamage();

  // Goes on from `offset`, the end of good records an earlier scan of the
  // same (append-only) segment reached: a reader that keeps what it read
  // checks only what was appended since.
  void SkipTo(uint64_t offset) {
    if (stopped_ || offset <= offset_ || offset > data_.size()) return;
    offset_ = good_bytes_ = offset;
  }

 private:
  // The problem with a record at `offset`, or empty if it is good. Sets
  // *size to its framed size when good.
  const char* CheckRecord(uint64_t offset, uint64_t* size) const;
  bool FindGoodRecordAfter(uint64_t offset, uint64_t* found) const;

  absl::string_view data_;
  size_t resync_window_;
  absl::Status header_status_;
  SegmentHeader header_;
  uint64_t offset_ = kSegmentHeaderBytes;
  uint64_t good_bytes_ = kSegmentHeaderBytes;
  uint64_t bad_offset_ = 0;
  End end_ = End::kClean;
  std::string problem_;
  bool stopped_ = false;
};

}  // namespace zonecast::journal
