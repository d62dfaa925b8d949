#include "journal/journal_reader.h"

#include "common/crc32c.h"

namespace zonecast::journal {

SegmentScanner::SegmentScanner(absl::string_view segment, size_t resync_window)
    : data_(segment), resync_window_(resync_window) {
  absl::StatusOr<SegmentHeader> header = DecodeSegmentHeader(segment);
  if (!header.ok()) {
    header_status_ = header.status();
    end_ = End::kDamaged;
    problem_ = std::string(header.status().message());
    good_bytes_ = 0;
    stopped_ = true;
    return;
  }
  header_ = *header;
}

const char* SegmentScanner::CheckRecord(uint64_t offset, uint64_t* size) const {
  const uint64_t left = data_.size() - offset;
  if (left < kRecordHeaderBytes) return "truncated record header";
  const char* p = data_.data() + offset;
  const uint32_t stored_crc = GetFixed32(p);
  const uint32_t length = GetFixed32(p + 4);
  const uint8_t type = static_cast<uint8_t>(p[8]);
  if (type == 0) return "zero record (unwritten space)";
  if (type > kMaxPlausibleRecordType) return "bad record type";
  if (length > kMaxRecordBytes) return "bad record length";
  if (length > left - kRecordHeaderBytes) return "record runs past the end of the segment";
  const uint32_t crc = crc32c::Mask(crc32c::Value(p + 4, 5 + length));
  if (crc != stored_crc) return "checksum mismatch";
  *size = kRecordHeaderBytes + length;
  return nullptr;
}

bool SegmentScanner::FindGoodRecordAfter(uint64_t offset, uint64_t* found) const {
  const uint64_t limit = std::min<uint64_t>(data_.size(), offset + 1 + resync_window_);
  for (uint64_t at = offset + 1; at + kRecordHeaderBytes <= limit; ++at) {
    uint64_t size = 0;
    if (CheckRecord(at, &size) == nullptr) {
      *found = at;
      return true;
    }
  }
  return false;
}

bool SegmentScanner::Next(ScannedRecord* record) {
  if (stopped_) return false;
  if (offset_ == data_.size()) {
    end_ = End::kClean;
    stopped_ = true;
    return false;
  }
  uint64_t size = 0;
  if (const char* problem = CheckRecord(offset_, &size); problem != nullptr) {
    problem_ = problem;
    bad_offset_ = offset_;
    uint64_t found = 0;
    end_ = FindGoodRecordAfter(offset_, &found) ? End::kDamaged : End::kTorn;
    stopped_ = true;
    return false;
  }
  const char* p = data_.data() + offset_;
  record->type = static_cast<RecordType>(static_cast<uint8_t>(p[8]));
  record->payload = absl::string_view(p + kRecordHeaderBytes, size - kRecordHeaderBytes);
  record->offset = offset_;
  offset_ += size;
  good_bytes_ = offset_;
  return true;
}

bool SegmentScanner::ResyncPastDamage() {
  if (end_ != End::kDamaged || !header_status_.ok()) return false;
  uint64_t found = 0;
  // Past the resync window too: this is a one-off search after damage.
  const size_t saved = resync_window_;
  resync_window_ = data_.size();
  const bool ok = FindGoodRecordAfter(bad_offset_, &found);
  resync_window_ = saved;
  if (!ok) return false;
  offset_ = found;
  stopped_ = false;
  return true;
}

}  // namespace zonecast::journal
