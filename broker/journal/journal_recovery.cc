#include "journal/journal_recovery.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "journal/journal_manifest.h"
#include "journal/journal_reader.h"
#include "journal/sync_file.h"

namespace zonecast::journal {
namespace {

// A read-only mapping of a whole file.
class MappedFile {
 public:
  ~MappedFile() {
    if (data_ != nullptr && size_ > 0) ::munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Open(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return ErrnoStatus(absl::StrCat("open ", path));
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus(absl::StrCat("stat ", path));
    size_ = static_cast<size_t>(st.st_size);
    mtime_ = absl::FromUnixSeconds(st.st_mtim.tv_sec);
    if (size_ == 0) return absl::OkStatus();
    data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (data_ == MAP_FAILED) {
      data_ = nullptr;
      return ErrnoStatus(absl::StrCat("mmap ", path));
    }
    ::madvise(data_, size_, MADV_SEQUENTIAL);
    return absl::OkStatus();
  }
  absl::string_view view() const {
    return data_ == nullptr ? absl::string_view()
                            : absl::string_view(static_cast<char*>(data_), size_);
  }
  absl::Time mtime() const { return mtime_; }

 private:
  int fd_ = -1;
  void* data_ = nullptr;
  size_t size_ = 0;
  absl::Time mtime_;
};

struct Found {
  uint64_t index;
  std::string path;
};

// Lists the segment files of `journal_dir`, oldest first, and raises
// *next_index past every index seen.
absl::Status ListSegments(const std::string& journal_dir, std::vector<Found>* found,
                          uint64_t* next_index) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(journal_dir, ec)) {
    uint64_t index = 0;
    if (ParseSegmentFileName(entry.path().filename().string(), &index)) {
      found->push_back(Found{index, entry.path().string()});
    }
    *next_index = std::max(*next_index, index + 1);
  }
  if (ec) return absl::UnavailableError(absl::StrCat("list ", journal_dir, ": ", ec.message()));
  std::sort(found->begin(), found->end(),
            [](const Found& a, const Found& b) { return a.index < b.index; });
  return absl::OkStatus();
}

// Counts one good record and hands it to the visitor; payloads that do not
// decode are counted and skipped.
// *segment_last_seq: the highest publish seq seen in the segment.
void ReplayRecord(const ScannedRecord& record, const RecoveryVisitor& visitor,
                  RecoveryReport* report, uint64_t* segment_last_seq) {
  ++report->records;
  switch (record.type) {
    case RecordType::kPublish: {
      PublishRecord publish;
      if (!DecodePublish(record.payload, &publish)) {
        ++report->bad_payloads;
        break;
      }
      ++report->publishes;
      report->last_seq = std::max(report->last_seq, publish.seq);
      *segment_last_seq = std::max(*segment_last_seq, publish.seq);
      if (visitor.on_publish) visitor.on_publish(publish);
      break;
    }
    case RecordType::kSubscription: {
      v1::JournalSubscription subscription;
      if (!subscription.ParseFromArray(record.payload.data(),
                                       static_cast<int>(record.payload.size()))) {
        ++report->bad_payloads;
        break;
      }
      if (visitor.on_subscription) visitor.on_subscription(subscription);
      break;
    }
    case RecordType::kCheckpoint: {
      v1::JournalCheckpoint checkpoint;
      if (!checkpoint.ParseFromArray(record.payload.data(),
                                     static_cast<int>(record.payload.size()))) {
        ++report->bad_payloads;
        break;
      }
      report->last_seq = std::max(report->last_seq, checkpoint.last_seq());
      if (visitor.on_checkpoint) visitor.on_checkpoint(checkpoint);
      break;
    }
    case RecordType::kDelivery:
    case RecordType::kSessionExpired:
    case RecordType::kEscalation:
      if (visitor.on_other) visitor.on_other(record.type, record.payload);
      break;
    default:
      ++report->unknown_records;
      break;
  }
}

// Cuts the torn tail of the newest segment back to its last good record.
absl::Status CutTornTail(const Found& segment, uint64_t segment_bytes,
                         const SegmentScanner& scanner, RecoveryReport* report) {
  const uint64_t cut = segment_bytes - scanner.good_bytes();
  ZC_LOG(WARNING) << "journal: torn tail in " << segment.path << " at offset "
                  << scanner.good_bytes() << " (" << scanner.problem() << "): cutting " << cut
                  << " bytes that were never acknowledged";
  if (::truncate(segment.path.c_str(), static_cast<off_t>(scanner.good_bytes())) != 0) {
    return ErrnoStatus(absl::StrCat("truncate ", segment.path));
  }
  ++report->torn_tails;
  report->torn_bytes += cut;
  return absl::OkStatus();
}

// True for a segment too short to hold even its header.
bool LacksHeader(const SegmentScanner& scanner, uint64_t segment_bytes) {
  return !scanner.header_status().ok() && segment_bytes < kSegmentHeaderBytes;
}

// Removes a newest segment whose creation a crash interrupted.
absl::Status RemoveInterruptedSegment(const Found& segment, uint64_t segment_bytes,
                                      RecoveryReport* report) {
  ZC_LOG(WARNING) << "journal: removing " << segment.path << ", a segment of " << segment_bytes
                  << " bytes whose creation a crash interrupted";
  if (::unlink(segment.path.c_str()) != 0)
    return ErrnoStatus(absl::StrCat("remove ", segment.path));
  ++report->torn_tails;
  report->torn_bytes += segment_bytes;
  return absl::OkStatus();
}

// The highest publish seq in the good records past the damage (0 if none),
// so that it is never reused, without claiming those records.
uint64_t HighestSeqPastDamage(SegmentScanner* scanner) {
  uint64_t beyond_seq = 0;
  ScannedRecord record;
  while (scanner->ResyncPastDamage()) {
    while (scanner->Next(&record)) {
      PublishRecord publish;
      if (record.type == RecordType::kPublish && DecodePublish(record.payload, &publish)) {
        beyond_seq = std::max(beyond_seq, publish.seq);
      }
    }
    if (scanner->end() != SegmentScanner::End::kDamaged) break;
  }
  return beyond_seq;
}

// A name no earlier set-aside copy has, so none is ever overwritten.
std::string UnusedAsideName(const std::string& path) {
  std::string aside = absl::StrCat(path, ".damaged-", absl::ToUnixSeconds(absl::Now()));
  for (int n = 1; std::filesystem::exists(aside); ++n) {
    aside = absl::StrCat(path, ".damaged-", absl::ToUnixSeconds(absl::Now()), "-", n);
  }
  return aside;
}

// Renames a damaged segment aside and, if the bytes before the damage hold
// records, writes them back under the segment's name. Sets *kept_bytes to
// what stays in the journal.
absl::Status SetDamagedSegmentAside(const std::string& journal_dir, const Found& segment,
                                    absl::string_view data, uint64_t good, uint64_t* kept_bytes) {
  const std::string aside = UnusedAsideName(segment.path);
  const std::string prefix(data.substr(0, good));
  if (::rename(segment.path.c_str(), aside.c_str()) != 0) {
    return ErrnoStatus(absl::StrCat("rename ", segment.path));
  }
  ZC_LOG(ERROR) << "journal: moved " << segment.path << " aside to " << aside;
  if (good > kSegmentHeaderBytes) {
    if (absl::Status status = WriteNewFile(segment.path, prefix); !status.ok()) return status;
    ZC_LOG(WARNING) << "journal: kept the good " << good << " bytes of " << segment.path;
    *kept_bytes = good;
  } else {
    *kept_bytes = 0;
  }
  return SyncDir(journal_dir);
}

// Reports a damaged segment; in kStrict mode refuses it, else sets it aside
// keeping the good bytes before the damage.
absl::Status HandleDamagedSegment(const std::string& journal_dir, const Found& segment,
                                  absl::string_view data, RecoveryMode mode,
                                  SegmentScanner* scanner, RecoveryReport* report,
                                  uint64_t* kept_bytes) {
  // Where the damage is, before the resync below moves the scanner on.
  const uint64_t damage_offset = scanner->header_status().ok() ? scanner->bad_offset() : 0;
  const std::string damage_problem = scanner->problem();
  const uint64_t beyond_seq = HighestSeqPastDamage(scanner);
  report->last_seq = std::max(report->last_seq, beyond_seq);
  const std::string line =
      absl::StrCat(segment.path, ": damaged at offset ", damage_offset, " (", damage_problem,
                   "); records after it are not claimed",
                   beyond_seq > 0 ? absl::StrCat(" (seqs up to ", beyond_seq, " lie beyond)") : "");
  report->damage.push_back(line);
  ++report->damaged_segments;
  ZC_LOG(ERROR) << "journal: " << line;
  if (mode == RecoveryMode::kStrict) {
    return absl::DataLossError(absl::StrCat("journal damaged (--recovery=strict): ", line));
  }
  return SetDamagedSegmentAside(journal_dir, segment, data, damage_offset, kept_bytes);
}

// Replays one segment into the visitor, then repairs how its good data ends
// (torn tail, interrupted creation, damage) and records what is kept.
absl::Status RecoverSegment(const std::string& journal_dir, const Found& segment, bool newest,
                            RecoveryMode mode, const RecoveryVisitor& visitor,
                            RecoveryReport* report) {
  MappedFile file;
  if (absl::Status status = file.Open(segment.path); !status.ok()) return status;
  const absl::string_view data = file.view();
  SegmentScanner scanner(data);
  ++report->segments;
  ScannedRecord record;
  uint64_t segment_last_seq = 0;
  while (scanner.Next(&record)) ReplayRecord(record, visitor, report, &segment_last_seq);
  if (scanner.header_status().ok() && scanner.header().first_seq > 0) {
    report->last_seq = std::max(report->last_seq, scanner.header().first_seq - 1);
    segment_last_seq = std::max(segment_last_seq, scanner.header().first_seq - 1);
  }
  SegmentScanner::End end = scanner.end();
  // A sealed segment was complete when sealed: a bad tail there is damage.
  if (end == SegmentScanner::End::kTorn && !newest) end = SegmentScanner::End::kDamaged;
  uint64_t kept_bytes = data.size();
  if (end == SegmentScanner::End::kTorn) {
    if (absl::Status status = CutTornTail(segment, data.size(), scanner, report); !status.ok()) {
      return status;
    }
    kept_bytes = scanner.good_bytes();
  } else if (end == SegmentScanner::End::kDamaged && newest && LacksHeader(scanner, data.size())) {
    // The crash came between creating the newest segment and writing its
    // header: it never held a record. Not damage; remove it.
    return RemoveInterruptedSegment(segment, data.size(), report);
  } else if (end == SegmentScanner::End::kDamaged) {
    report->damaged_indexes.push_back(segment.index);
    if (absl::Status status =
            HandleDamagedSegment(journal_dir, segment, data, mode, &scanner, report, &kept_bytes);
        !status.ok()) {
      return status;
    }
  }
  report->bytes += kept_bytes;
  if (kept_bytes > 0) {
    report->segments_kept.push_back(SegmentInfo{
        segment.index, segment.path, scanner.header_status().ok() ? scanner.header().first_seq : 0,
        kept_bytes, file.mtime(), segment_last_seq});
  }
  return absl::OkStatus();
}

// Records a loss of the stored seqs [first, last] (first may be 0: from
// the beginning), found as `line`. Strict mode refuses it.
absl::Status ReportLoss(RecoveryMode mode, uint64_t first, uint64_t last, const std::string& line,
                        RecoveryReport* report) {
  ++report->losses;
  report->damage.push_back(line);
  if (last >= first) report->lost_seqs.emplace_back(first, last);
  report->last_seq = std::max(report->last_seq, last);
  ZC_LOG(ERROR) << "journal: " << line;
  if (mode == RecoveryMode::kStrict) {
    return absl::DataLossError(absl::StrCat("journal lost data (--recovery=strict): ", line));
  }
  return absl::OkStatus();
}

// Compares the sealed segments the manifest lists with what recovery kept:
// one shorter than when it was sealed, or missing while an older one is
// still there (so not removed by retention), lost records.
absl::Status CheckSealedSegments(const std::string& journal_dir, RecoveryMode mode,
                                 RecoveryReport* report) {
  absl::StatusOr<v1::JournalManifest> manifest = ReadManifest(journal_dir);
  if (absl::IsNotFound(manifest.status())) return absl::OkStatus();
  if (!manifest.ok()) {
    report->damage.push_back(std::string(manifest.status().message()));
    ZC_LOG(ERROR) << "journal: " << manifest.status().message()
                  << "; sealed segments cannot be checked this time";
    if (mode == RecoveryMode::kStrict) return manifest.status();
    return absl::OkStatus();
  }
  const uint64_t oldest_kept =
      report->segments_kept.empty() ? UINT64_MAX : report->segments_kept.front().index;
  uint64_t previous_last_seq = 0;
  for (const v1::JournalManifest::Sealed& sealed : manifest->sealed()) {
    const uint64_t first_lost = previous_last_seq + 1;
    previous_last_seq = sealed.last_seq();
    auto kept = std::find_if(report->segments_kept.begin(), report->segments_kept.end(),
                             [&](const SegmentInfo& s) { return s.index == sealed.index(); });
    const bool damaged_now =
        std::find(report->damaged_indexes.begin(), report->damaged_indexes.end(), sealed.index()) !=
        report->damaged_indexes.end();
    if (damaged_now) continue;  // reported as damage already
    const std::string name = SegmentFileName(sealed.index());
    if (kept == report->segments_kept.end()) {
      // Retention deletes the oldest segments first; a gap above the oldest
      // one kept is not retention.
      if (sealed.index() < oldest_kept && oldest_kept != UINT64_MAX) continue;
      absl::Status status =
          ReportLoss(mode, first_lost, sealed.last_seq(),
                     absl::StrCat("sealed segment ", name, " (", sealed.bytes(),
                                  " bytes, seqs up to ", sealed.last_seq(), ") is missing"),
                     report);
      if (!status.ok()) return status;
    } else if (kept->bytes < sealed.bytes()) {
      absl::Status status =
          ReportLoss(mode, kept->last_seq + 1, sealed.last_seq(),
                     absl::StrCat("sealed segment ", name, " is ", kept->bytes, " bytes but was ",
                                  sealed.bytes(), " when sealed: seqs ", kept->last_seq + 1, "..",
                                  sealed.last_seq(), " are gone"),
                     report);
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

// The high-water mark names the highest seq that was on disk; a journal
// that ends below it lost its tail (cut at a record boundary, or the
// newest segment removed).
absl::Status CheckHighWater(const std::string& journal_dir, RecoveryMode mode,
                            RecoveryReport* report) {
  absl::StatusOr<uint64_t> high_water = ReadHighWater(journal_dir);
  if (!high_water.ok()) {
    report->damage.push_back(std::string(high_water.status().message()));
    ZC_LOG(ERROR) << "journal: " << high_water.status().message()
                  << "; the journal's tail cannot be checked this time";
    if (mode == RecoveryMode::kStrict) return high_water.status();
    return absl::OkStatus();
  }
  report->high_water = *high_water;
  if (*high_water <= report->last_seq) return absl::OkStatus();
  const uint64_t first = report->last_seq + 1;
  return ReportLoss(mode, first, *high_water,
                    absl::StrCat("the journal ends at seq ", report->last_seq, " but seqs up to ",
                                 *high_water, " were on disk: seqs ", first, "..", *high_water,
                                 " are gone (the newest segment was cut or removed)"),
                    report);
}

}  // namespace

absl::StatusOr<RecoveryReport> RecoverJournal(const std::string& journal_dir, RecoveryMode mode,
                                              const RecoveryVisitor& visitor) {
  const absl::Time start = absl::Now();
  RecoveryReport report;
  std::error_code ec;
  std::filesystem::create_directories(journal_dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("create ", journal_dir, ": ", ec.message()));
  std::vector<Found> found;
  if (absl::Status status = ListSegments(journal_dir, &found, &report.next_index); !status.ok()) {
    return status;
  }
  for (size_t i = 0; i < found.size(); ++i) {
    const bool newest = i + 1 == found.size();
    if (absl::Status status = RecoverSegment(journal_dir, found[i], newest, mode, visitor, &report);
        !status.ok()) {
      return status;
    }
  }
  if (absl::Status status = CheckSealedSegments(journal_dir, mode, &report); !status.ok()) {
    return status;
  }
  if (absl::Status status = CheckHighWater(journal_dir, mode, &report); !status.ok()) {
    return status;
  }
  report.took = absl::Now() - start;
  return report;
}

}  // namespace zonecast::journal
