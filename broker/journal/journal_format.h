#pragma once
// On-disk format of the journal (the embedded default store in --data_dir).
//
// The journal is a directory of segment files, `<data_dir>/journal/<index>.zcj`
// with a 16-digit decimal index that only grows. The newest segment is the
// active one (appended to); all older ones are sealed and never modified.
// Retention deletes whole sealed segments, oldest first.
//
// Segment file:
//
//   +--------------------------- segment header (32 bytes) ---------------------------+
//   | magic "ZCJOURN1" (8) | version u32 | header crc u32 | index u64 | first_seq u64  |
//   +----------------------------------------------------------------------------------+
//   | record | record | ...                                                            |
//   +----------------------------------------------------------------------------------+
//
//   first_seq: no publish in this segment has a smaller seq; a fresh segment
//   records the broker's next seq, so the last seq survives even when every
//   publish record has been retired.
//
// Record:
//
//   +-----------+------------+---------+------------------+
//   | crc u32   | length u32 | type u8 | payload (length) |
//   +-----------+------------+---------+------------------+
//
//   crc: masked CRC-32C (common/crc32c.h) of length, type and payload, so a
//   damaged length is caught too. All integers little-endian.
//
// We chose plain variable-length records (as nats' filestore does) over
// LevelDB's 32 KiB blocks: no fragmentation, one write per batch, and a scan
// that can locate any record boundary by itself. The cost is resync after
// damage in the middle of a segment, which here is done by searching forward
// for the next record whose CRC checks (journal_reader.h).
//
// Record types and payloads:
//   kPublish       PublishRecord below: seq, time, priority (its high bit: an
//                  alert fingerprint u32 follows), alert id and topic up front
//                  (recovery and history filter without parsing protobuf),
//                  then the encoded v1::Frame{deliver} exactly as delivered.
//   kSubscription  v1::JournalSubscription (a terminal's pattern added/removed)
//   kCheckpoint    v1::JournalCheckpoint, first record of every new segment:
//                  the state that older segments would otherwise carry
//                  (durable subscriptions, the dedup window), so retention
//                  can delete them.
//   kDelivery      v1::JournalDelivery: a durable session acknowledged a
//                  message (RECEIVED settles it), or it was dead-lettered
//   kSessionExpired v1::JournalSessionExpired: forget a durable session
//   kEscalation    v1::JournalEscalation: an alert escalated (its timeline)
//   kZero (0)      never written; zero bytes at the tail mean a torn write.
//   Unknown types with a good CRC are skipped and counted (a newer broker).
//
// Recovery rules (journal.h, journal_reader.h):
//  - A bad record (short header, length past the end, CRC mismatch, zeros)
//    with no good record after it is a torn tail: the crash interrupted the
//    last write. In the active segment it is truncated away, counted and
//    logged once. Nothing in it was ever acknowledged.
//  - A bad record with a good record after it is damage (DataLoss), never
//    skipped silently: the segment and offset are logged, the file is moved
//    aside (renamed to *.damaged, kept), its good prefix is copied into a new
//    file under the old name, and nothing after the damage is claimed. The
//    broker then starts, or with --recovery=strict refuses to.
//  - A bad record at the tail of a sealed segment is damage too: a sealed
//    segment was complete and synced when it was sealed.
//  - Records gone without a bad byte (a cut at a record boundary, a removed
//    segment) are found with HIGH_WATER and MANIFEST beside the segments
//    (journal_manifest.h) and reported as loss, like damage.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zonecast::journal {

inline constexpr char kSegmentMagic[8] = {'Z', 'C', 'J', 'O', 'U', 'R', 'N', '1'};
// 2: publish records carry the priority byte.
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr size_t kSegmentHeaderBytes = 32;
inline constexpr size_t kRecordHeaderBytes = 9;
inline constexpr uint32_t kMaxRecordBytes = 16u << 20;
inline constexpr char kSegmentSuffix[] = ".zcj";

enum class RecordType : uint8_t {
  kZero = 0,
  kPublish = 1,
  kSubscription = 2,
  kCheckpoint = 3,
  kDelivery = 4,        // v1::JournalDelivery: an ack or dead-lettering by a durable session
  kSessionExpired = 5,  // v1::JournalSessionExpired
  kEscalation = 6,      // v1::JournalEscalation
};
// Types a scanner accepts as a plausible record start when resyncing.
inline constexpr uint8_t kMaxPlausibleRecordType = 32;
// In a publish record's priority byte: its alert fingerprint follows.
inline constexpr uint8_t kPublishHasFingerprint = 0x80;

struct SegmentHeader {
  uint64_t index = 0;
  uint64_t first_seq = 0;
};

std::string EncodeSegmentHeader(const SegmentHeader& header);
// DataLoss for a short header, bad magic or bad CRC; Unimplemented for a
// version this broker does not read.
absl::StatusOr<SegmentHeader> DecodeSegmentHeader(absl::string_view bytes);

// Appends one framed record to *out.
void AppendRecord(std::string* out, RecordType type, absl::string_view payload);
// Size of a framed record with this payload.
inline size_t FramedSize(size_t payload_bytes) { return kRecordHeaderBytes + payload_bytes; }

struct PublishRecord {
  uint64_t seq = 0;
  int64_t unix_ms = 0;         // broker wall clock at ingress
  absl::string_view alert_id;  // empty for non-alert durable events
  absl::string_view topic;
  absl::string_view frame;  // encoded v1::Frame with the Deliver
  uint8_t priority = 0;     // v1::Priority, for recovery without parsing the frame
  // An alert's AlertFingerprint, for the dedup window without parsing the
  // frame; 0: none (not an alert, or journaled before fingerprints). On
  // disk only when set: the priority byte's high bit says it follows.
  uint32_t fingerprint = 0;
};
void EncodePublish(const PublishRecord& record, std::string* out);
// False if the payload is too short or its lengths do not add up. Views
// point into `payload`.
bool DecodePublish(absl::string_view payload, PublishRecord* record);

// "0000000000000042.zcj"
std::string SegmentFileName(uint64_t index);
// True for names SegmentFileName makes; sets *index.
bool ParseSegmentFileName(absl::string_view name, uint64_t* index);

// Little-endian fixed-width integers.
void PutFixed32(std::string* out, uint32_t v);
void PutFixed64(std::string* out, uint64_t v);
uint32_t GetFixed32(const char* p);
uint64_t GetFixed64(const char* p);

}  // namespace zonecast::journal
