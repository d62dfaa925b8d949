#pragma once
// What the journal keeps beside its segments so that recovery notices data
// that vanished without leaving damage behind: a segment cut exactly at a
// record boundary, a sealed segment shortened or removed, the newest
// segment gone.
//
//  - MANIFEST (v1::JournalManifest behind a masked CRC-32C): each sealed
//    segment's size and highest seq when it was sealed. Replaced atomically
//    (journal/sync_file.h) when a segment is sealed and when the broker
//    starts.
//  - HIGH_WATER: the highest seq whose batch is on disk, rewritten in place
//    (16 bytes) after each group commit's fdatasync, so it never runs ahead
//    of the segments. It is not fsynced itself: a power loss may leave it
//    behind, which weakens the check but never makes it wrong; a killed
//    process leaves it in the page cache, current.
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "zonecast/journal.pb.h"

namespace zonecast::journal {

inline constexpr char kManifestFileName[] = "MANIFEST";
inline constexpr char kHighWaterFileName[] = "HIGH_WATER";

// NotFound when there is no manifest (a new journal, or one from an older
// broker); DataLoss when it does not decode; Unavailable for I/O errors.
absl::StatusOr<v1::JournalManifest> ReadManifest(const std::string& journal_dir);
absl::Status WriteManifest(const std::string& journal_dir, const v1::JournalManifest& manifest);

// 0 when there is no high-water file; DataLoss when it does not decode.
absl::StatusOr<uint64_t> ReadHighWater(const std::string& journal_dir);

// The writer thread's handle on HIGH_WATER.
class HighWaterFile {
 public:
  HighWaterFile() = default;
  ~HighWaterFile();
  HighWaterFile(const HighWaterFile&) = delete;
  HighWaterFile& operator=(const HighWaterFile&) = delete;

  absl::Status Open(const std::string& journal_dir);
  // Records `seq` as the highest seq on disk. Call only after the batch
  // holding it was synced.
  absl::Status Store(uint64_t seq);

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace zonecast::journal
