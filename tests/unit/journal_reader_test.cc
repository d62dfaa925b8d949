// SegmentScanner over an in-memory segment, LevelDB log_test style: build a
// segment, do byte surgery on it, and check the records read back, where the
// good data ends (good_bytes, bad_offset) and the reason reported.
#include "journal/journal_reader.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/crc32c.h"
#include "gtest/gtest.h"
#include "journal/journal_format.h"

namespace zonecast {
namespace {

using journal::kRecordHeaderBytes;
using journal::kSegmentHeaderBytes;
using journal::RecordType;
using journal::ScannedRecord;
using journal::SegmentScanner;
using End = SegmentScanner::End;

struct Read {
  RecordType type;
  std::string payload;
  uint64_t offset;
};

class SegmentScannerTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kIndex = 7;
  static constexpr uint64_t kFirstSeq = 100;

  SegmentScannerTest() { segment_ = journal::EncodeSegmentHeader({kIndex, kFirstSeq}); }

  // Appends a record; returns its offset.
  uint64_t Add(RecordType type, const std::string& payload) {
    const uint64_t offset = segment_.size();
    journal::AppendRecord(&segment_, type, payload);
    offsets_.push_back(offset);
    payloads_.push_back(payload);
    types_.push_back(type);
    return offset;
  }

  // `n` records of different sizes and types ("record 0: ..." etc).
  void AddRecords(int n) {
    static const RecordType kTypes[] = {RecordType::kCheckpoint, RecordType::kPublish,
                                        RecordType::kSubscription};
    for (int i = 0; i < n; ++i) {
      Add(kTypes[i % 3], "record " + std::to_string(i) + ": " + std::string(10 + 7 * i, 'a' + i));
    }
  }

  // Byte surgery.
  void IncrementByte(uint64_t offset, int delta) {
    ASSERT_LT(offset, segment_.size());
    segment_[offset] = static_cast<char>(segment_[offset] + delta);
  }
  void SetByte(uint64_t offset, char value) {
    ASSERT_LT(offset, segment_.size());
    segment_[offset] = value;
  }
  void SetFixed32(uint64_t offset, uint32_t value) {
    for (int i = 0; i < 4; ++i) SetByte(offset + i, static_cast<char>(value >> (8 * i)));
  }
  void ShrinkSize(uint64_t bytes) {
    ASSERT_LE(bytes, segment_.size());
    segment_.resize(segment_.size() - bytes);
  }
  // Recomputes the CRC of the record at `offset` from its (possibly edited)
  // length, type and payload.
  void FixChecksum(uint64_t offset) {
    const uint32_t length = journal::GetFixed32(segment_.data() + offset + 4);
    ASSERT_LE(offset + kRecordHeaderBytes + length, segment_.size());
    SetFixed32(offset, crc32c::Mask(crc32c::Value(segment_.data() + offset + 4, 5 + length)));
  }
  uint64_t PayloadOffset(int record) const { return offsets_[record] + kRecordHeaderBytes; }

  // Scans segment_ from the start; the scanner stays for end() etc.
  std::vector<Read> Scan(size_t resync_window = journal::kMaxRecordBytes +
                                                journal::kRecordHeaderBytes) {
    scanner_ = std::make_unique<SegmentScanner>(segment_, resync_window);
    return Drain();
  }
  // The records the scanner returns until it stops.
  std::vector<Read> Drain() {
    std::vector<Read> out;
    ScannedRecord record;
    while (scanner_->Next(&record)) {
      out.push_back(Read{record.type, std::string(record.payload), record.offset});
    }
    return out;
  }

  // Expects `got` to be exactly records [first, last) as built.
  void ExpectRecords(const std::vector<Read>& got, int first, int last) {
    ASSERT_EQ(got.size(), static_cast<size_t>(last - first));
    for (int i = first; i < last; ++i) {
      const Read& read = got[i - first];
      EXPECT_EQ(read.payload, payloads_[i]) << "record " << i;
      EXPECT_EQ(read.type, types_[i]) << "record " << i;
      EXPECT_EQ(read.offset, offsets_[i]) << "record " << i;
    }
  }

  std::string segment_;
  std::vector<uint64_t> offsets_;
  std::vector<std::string> payloads_;
  std::vector<RecordType> types_;
  std::unique_ptr<SegmentScanner> scanner_;
};

TEST_F(SegmentScannerTest, ReadsEveryRecordWithItsOffset) {
  AddRecords(5);
  const std::vector<Read> got = Scan();
  ExpectRecords(got, 0, 5);
  ASSERT_TRUE(scanner_->header_status().ok());
  EXPECT_EQ(scanner_->header().index, kIndex);
  EXPECT_EQ(scanner_->header().first_seq, kFirstSeq);
  EXPECT_EQ(scanner_->end(), End::kClean);
  EXPECT_EQ(scanner_->good_bytes(), segment_.size());
  EXPECT_EQ(scanner_->problem(), "");
  EXPECT_EQ(offsets_[0], kSegmentHeaderBytes);
  // Stays stopped.
  ScannedRecord record;
  EXPECT_FALSE(scanner_->Next(&record));
  EXPECT_FALSE(scanner_->ResyncPastDamage());
}

TEST_F(SegmentScannerTest, EmptyPayloadRecordIsRead) {
  Add(RecordType::kCheckpoint, "");
  Add(RecordType::kPublish, "after");
  ExpectRecords(Scan(), 0, 2);
  EXPECT_EQ(scanner_->end(), End::kClean);
}

TEST_F(SegmentScannerTest, HeaderOnlySegmentIsClean) {
  EXPECT_TRUE(Scan().empty());
  EXPECT_TRUE(scanner_->header_status().ok());
  EXPECT_EQ(scanner_->end(), End::kClean);
  EXPECT_EQ(scanner_->good_bytes(), kSegmentHeaderBytes);
  EXPECT_EQ(scanner_->problem(), "");
}

TEST_F(SegmentScannerTest, TruncatedAtEveryOffsetInsideLastRecordIsTorn) {
  AddRecords(4);
  const std::string whole = segment_;
  const uint64_t last = offsets_.back();
  for (uint64_t cut = last + 1; cut < whole.size(); ++cut) {
    SCOPED_TRACE(testing::Message() << "cut at " << cut);
    segment_ = whole.substr(0, cut);
    const std::vector<Read> got = Scan();
    ExpectRecords(got, 0, 3);
    EXPECT_EQ(scanner_->end(), End::kTorn);
    EXPECT_EQ(scanner_->good_bytes(), last);
    EXPECT_EQ(scanner_->bad_offset(), last);
    // The dropped bytes are exactly the partial record.
    EXPECT_EQ(segment_.size() - scanner_->good_bytes(), cut - last);
    EXPECT_EQ(scanner_->problem(), cut - last < kRecordHeaderBytes
                                       ? "truncated record header"
                                       : "record runs past the end of the segment");
    EXPECT_FALSE(scanner_->ResyncPastDamage());
  }
}

TEST_F(SegmentScannerTest, TruncatedAtRecordBoundaryIsClean) {
  AddRecords(4);
  segment_.resize(offsets_[3]);
  ExpectRecords(Scan(), 0, 3);
  EXPECT_EQ(scanner_->end(), End::kClean);
  EXPECT_EQ(scanner_->good_bytes(), offsets_[3]);
}

TEST_F(SegmentScannerTest, TrailingZerosAreTorn) {
  AddRecords(3);
  const uint64_t end_of_records = segment_.size();
  segment_.append(4096, '\0');
  ExpectRecords(Scan(), 0, 3);
  EXPECT_EQ(scanner_->end(), End::kTorn);
  EXPECT_EQ(scanner_->good_bytes(), end_of_records);
  EXPECT_EQ(scanner_->bad_offset(), end_of_records);
  EXPECT_EQ(scanner_->problem(), "zero record (unwritten space)");
  EXPECT_EQ(segment_.size() - scanner_->good_bytes(), 4096u);
}

TEST_F(SegmentScannerTest, FewTrailingZerosAreATruncatedHeader) {
  AddRecords(2);
  const uint64_t end_of_records = segment_.size();
  segment_.append(kRecordHeaderBytes - 1, '\0');
  ExpectRecords(Scan(), 0, 2);
  EXPECT_EQ(scanner_->end(), End::kTorn);
  EXPECT_EQ(scanner_->good_bytes(), end_of_records);
  EXPECT_EQ(scanner_->problem(), "truncated record header");
}

TEST_F(SegmentScannerTest, FlippedPayloadByteInMiddleIsDamage) {
  AddRecords(5);
  IncrementByte(PayloadOffset(2) + 3, 1);
  ExpectRecords(Scan(), 0, 2);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->bad_offset(), offsets_[2]);
  EXPECT_EQ(scanner_->good_bytes(), offsets_[2]);
  EXPECT_EQ(scanner_->problem(), "checksum mismatch");

  // What lies beyond, for callers that must learn it without claiming it.
  ASSERT_TRUE(scanner_->ResyncPastDamage());
  ExpectRecords(Drain(), 3, 5);
  EXPECT_EQ(scanner_->end(), End::kClean);
  EXPECT_FALSE(scanner_->ResyncPastDamage());
}

TEST_F(SegmentScannerTest, FlippedChecksumByteInFirstRecordIsDamage) {
  AddRecords(3);
  IncrementByte(offsets_[0], 1);
  EXPECT_TRUE(Scan().empty());
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->bad_offset(), kSegmentHeaderBytes);
  EXPECT_EQ(scanner_->good_bytes(), kSegmentHeaderBytes);
  EXPECT_EQ(scanner_->problem(), "checksum mismatch");
  ASSERT_TRUE(scanner_->ResyncPastDamage());
  ExpectRecords(Drain(), 1, 3);
}

TEST_F(SegmentScannerTest, SlightlyWrongLengthInMiddleIsChecksumDamage) {
  AddRecords(5);
  // Still inside the segment, so only the CRC (which covers the length) can
  // tell.
  IncrementByte(offsets_[2] + 4, 1);
  ExpectRecords(Scan(), 0, 2);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->bad_offset(), offsets_[2]);
  EXPECT_EQ(scanner_->problem(), "checksum mismatch");
  ASSERT_TRUE(scanner_->ResyncPastDamage());
  ExpectRecords(Drain(), 3, 5);
}

TEST_F(SegmentScannerTest, LengthPastTheEndInMiddleIsDamage) {
  AddRecords(5);
  SetFixed32(offsets_[2] + 4, static_cast<uint32_t>(segment_.size()));
  ExpectRecords(Scan(), 0, 2);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->bad_offset(), offsets_[2]);
  EXPECT_EQ(scanner_->problem(), "record runs past the end of the segment");
  ASSERT_TRUE(scanner_->ResyncPastDamage());
  ExpectRecords(Drain(), 3, 5);
}

TEST_F(SegmentScannerTest, HugeLengthInMiddleIsDamage) {
  AddRecords(5);
  SetFixed32(offsets_[2] + 4, 0xffffffffu);
  ExpectRecords(Scan(), 0, 2);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->bad_offset(), offsets_[2]);
  EXPECT_EQ(scanner_->problem(), "bad record length");
  ASSERT_TRUE(scanner_->ResyncPastDamage());
  ExpectRecords(Drain(), 3, 5);
}

TEST_F(SegmentScannerTest, BadTypeInMiddleIsDamage) {
  AddRecords(4);
  SetByte(offsets_[1] + 8, '\0');
  ExpectRecords(Scan(), 0, 1);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->problem(), "zero record (unwritten space)");

  SetByte(offsets_[1] + 8, static_cast<char>(200));
  FixChecksum(offsets_[1]);  // a good CRC does not make an implausible type a record
  ExpectRecords(Scan(), 0, 1);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->bad_offset(), offsets_[1]);
  EXPECT_EQ(scanner_->problem(), "bad record type");
  ASSERT_TRUE(scanner_->ResyncPastDamage());
  ExpectRecords(Drain(), 2, 4);
}

TEST_F(SegmentScannerTest, UnknownPlausibleTypeWithGoodChecksumIsReturned) {
  Add(RecordType::kPublish, "one");
  const uint64_t newer = Add(static_cast<RecordType>(journal::kMaxPlausibleRecordType), "newer");
  Add(RecordType::kPublish, "two");
  const std::vector<Read> got = Scan();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(static_cast<uint8_t>(got[1].type), journal::kMaxPlausibleRecordType);
  EXPECT_EQ(got[1].offset, newer);
  EXPECT_EQ(scanner_->end(), End::kClean);
}

TEST_F(SegmentScannerTest, FlippedByteInLastRecordIsTorn) {
  AddRecords(4);
  IncrementByte(PayloadOffset(3), 1);
  ExpectRecords(Scan(), 0, 3);
  EXPECT_EQ(scanner_->end(), End::kTorn);
  EXPECT_EQ(scanner_->good_bytes(), offsets_[3]);
  EXPECT_EQ(scanner_->bad_offset(), offsets_[3]);
  EXPECT_EQ(scanner_->problem(), "checksum mismatch");
  EXPECT_EQ(segment_.size() - scanner_->good_bytes(), kRecordHeaderBytes + payloads_[3].size());
  EXPECT_FALSE(scanner_->ResyncPastDamage());
}

TEST_F(SegmentScannerTest, DamageThenTornTail) {
  AddRecords(6);
  IncrementByte(PayloadOffset(1), 1);
  ShrinkSize(3);  // tear the last record
  ExpectRecords(Scan(), 0, 1);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->bad_offset(), offsets_[1]);
  EXPECT_EQ(scanner_->problem(), "checksum mismatch");
  ASSERT_TRUE(scanner_->ResyncPastDamage());
  ExpectRecords(Drain(), 2, 5);
  EXPECT_EQ(scanner_->end(), End::kTorn);
  EXPECT_FALSE(scanner_->ResyncPastDamage());
}

TEST_F(SegmentScannerTest, ResyncSkipsSeveralDamagedRecords) {
  AddRecords(7);
  IncrementByte(PayloadOffset(1), 1);
  IncrementByte(PayloadOffset(2), 1);
  IncrementByte(PayloadOffset(4), 1);
  ExpectRecords(Scan(), 0, 1);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->bad_offset(), offsets_[1]);
  ASSERT_TRUE(scanner_->ResyncPastDamage());
  ExpectRecords(Drain(), 3, 4);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->bad_offset(), offsets_[4]);
  ASSERT_TRUE(scanner_->ResyncPastDamage());
  ExpectRecords(Drain(), 5, 7);
  EXPECT_EQ(scanner_->end(), End::kClean);
}

TEST_F(SegmentScannerTest, DamageBeyondTheResyncWindowLooksTorn) {
  AddRecords(4);
  IncrementByte(PayloadOffset(1), 1);
  // The next good record starts more than 8 bytes after the bad one.
  ASSERT_GT(offsets_[2] - offsets_[1], 8u);
  ExpectRecords(Scan(/*resync_window=*/8), 0, 1);
  EXPECT_EQ(scanner_->end(), End::kTorn);
  EXPECT_EQ(scanner_->problem(), "checksum mismatch");
  // A window that reaches the next record's header finds the damage.
  ExpectRecords(Scan(/*resync_window=*/offsets_[2] - offsets_[1] + kRecordHeaderBytes), 0, 1);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
}

// A case that once failed: the resync window was 1 MiB, smaller than a
// record may be, so damage inside a large record looked like a torn tail.
TEST_F(SegmentScannerTest, DamagedLargeRecordInMiddleIsDamage) {
  Add(RecordType::kPublish, "before");
  Add(RecordType::kPublish, std::string(2 << 20, 'x'));
  Add(RecordType::kPublish, "after");
  IncrementByte(PayloadOffset(1) + 10, 1);
  ExpectRecords(Scan(), 0, 1);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
}

// A case that once failed: frames up to 16 MiB made records over the record
// limit. Frames are now capped at 8 MiB (options.cc), whose records fit.
TEST_F(SegmentScannerTest, RecordOfLargestFrameIsReadBack) {
  Add(RecordType::kPublish, std::string((8u << 20) + 4096, 'x'));
  Add(RecordType::kPublish, "after");
  ExpectRecords(Scan(), 0, 2);
  EXPECT_EQ(scanner_->end(), End::kClean);
}

TEST_F(SegmentScannerTest, BadHeaderIsDamage) {
  AddRecords(3);
  IncrementByte(0, 1);  // magic
  EXPECT_TRUE(Scan().empty());
  EXPECT_EQ(scanner_->header_status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->good_bytes(), 0u);
  EXPECT_NE(scanner_->problem().find("magic"), std::string::npos);
  // The records are not reachable without a header.
  EXPECT_FALSE(scanner_->ResyncPastDamage());
}

TEST_F(SegmentScannerTest, HeaderChecksumMismatchIsDamage) {
  AddRecords(2);
  IncrementByte(24, 1);  // first_seq
  EXPECT_TRUE(Scan().empty());
  EXPECT_EQ(scanner_->header_status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->problem(), "segment header checksum mismatch");
}

TEST_F(SegmentScannerTest, ShortSegmentIsDamage) {
  for (uint64_t size : {0u, 1u, 31u}) {
    segment_.resize(size);
    EXPECT_TRUE(Scan().empty());
    EXPECT_EQ(scanner_->header_status().code(), absl::StatusCode::kDataLoss) << size;
    EXPECT_EQ(scanner_->end(), End::kDamaged) << size;
    EXPECT_EQ(scanner_->good_bytes(), 0u);
  }
}

TEST_F(SegmentScannerTest, FixChecksumMakesAModifiedRecordValid) {
  AddRecords(4);
  IncrementByte(PayloadOffset(2), 1);
  ExpectRecords(Scan(), 0, 2);
  ASSERT_EQ(scanner_->end(), End::kDamaged);

  // The CRC, nothing else, rejected it: with the CRC fixed the modified
  // payload reads back.
  FixChecksum(offsets_[2]);
  payloads_[2][0] = static_cast<char>(payloads_[2][0] + 1);
  ExpectRecords(Scan(), 0, 4);
  EXPECT_EQ(scanner_->end(), End::kClean);
}

TEST_F(SegmentScannerTest, ShrunkLengthWithFixedChecksumSplitsTheRecord) {
  AddRecords(3);
  // Length 5 with a fixed CRC is a good 5-byte record; what follows it is
  // the rest of the old payload, which is not a record.
  SetFixed32(offsets_[1] + 4, 5);
  FixChecksum(offsets_[1]);
  const std::vector<Read> got = Scan();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].payload, payloads_[1].substr(0, 5));
  EXPECT_EQ(scanner_->end(), End::kDamaged);
  EXPECT_EQ(scanner_->bad_offset(), offsets_[1] + kRecordHeaderBytes + 5);
  ASSERT_TRUE(scanner_->ResyncPastDamage());
  ExpectRecords(Drain(), 2, 3);
}

}  // namespace
}  // namespace zonecast
