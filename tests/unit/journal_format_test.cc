// Journal on-disk format: the segment header, record framing, the publish
// record layout and segment file names (journal_format.h draws them).
#include "journal/journal_format.h"

#include <cstdint>
#include <string>

#include "common/crc32c.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

using journal::AppendRecord;
using journal::DecodePublish;
using journal::DecodeSegmentHeader;
using journal::EncodePublish;
using journal::EncodeSegmentHeader;
using journal::GetFixed32;
using journal::GetFixed64;
using journal::kRecordHeaderBytes;
using journal::kSegmentHeaderBytes;
using journal::ParseSegmentFileName;
using journal::PublishRecord;
using journal::RecordType;
using journal::SegmentFileName;
using journal::SegmentHeader;

class JournalFormatTest : public ::testing::Test {
 protected:
  static std::string Header(uint64_t index, uint64_t first_seq) {
    return EncodeSegmentHeader(SegmentHeader{index, first_seq});
  }

  // Rewrites the header CRC after a deliberate edit (bytes 12..15 hold the
  // masked CRC of the other 28 bytes).
  static void FixHeaderCrc(std::string* header) {
    uint32_t crc = crc32c::Value(header->data(), 12);
    crc = crc32c::Extend(crc, header->data() + 16, kSegmentHeaderBytes - 16);
    crc = crc32c::Mask(crc);
    for (int i = 0; i < 4; ++i) (*header)[12 + i] = static_cast<char>(crc >> (8 * i));
  }

  static void SetFixed32(std::string* bytes, size_t offset, uint32_t value) {
    for (int i = 0; i < 4; ++i) (*bytes)[offset + i] = static_cast<char>(value >> (8 * i));
  }

  static std::string Encode(const PublishRecord& record) {
    std::string payload;
    EncodePublish(record, &payload);
    return payload;
  }
};

TEST_F(JournalFormatTest, SegmentHeaderRoundTrips) {
  for (const SegmentHeader& in : {SegmentHeader{1, 1}, SegmentHeader{42, 1234567890123ull},
                                  SegmentHeader{0, 0}, SegmentHeader{~0ull, ~0ull}}) {
    const std::string bytes = EncodeSegmentHeader(in);
    ASSERT_EQ(bytes.size(), kSegmentHeaderBytes);
    absl::StatusOr<SegmentHeader> out = DecodeSegmentHeader(bytes);
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(out->index, in.index);
    EXPECT_EQ(out->first_seq, in.first_seq);
  }
}

// An alert's fingerprint rides in the publish record, flagged in the
// priority byte's high bit; a record without one reads back as before.
TEST_F(JournalFormatTest, PublishFingerprintRoundTripsAndOlderRecordsHaveNone) {
  PublishRecord in;
  in.seq = 77;
  in.unix_ms = 1700000000123;
  in.alert_id = "lanhua-1";
  in.topic = "alert.jincheng.z10";
  in.frame = "frame bytes";
  in.priority = 1;
  for (const uint32_t fingerprint : {0u, 0xdeadbeefu}) {
    SCOPED_TRACE(fingerprint);
    in.fingerprint = fingerprint;
    const std::string payload = Encode(in);
    EXPECT_EQ((static_cast<uint8_t>(payload[16]) & journal::kPublishHasFingerprint) != 0,
              fingerprint != 0);
    PublishRecord out;
    ASSERT_TRUE(journal::DecodePublish(payload, &out));
    EXPECT_EQ(out.seq, 77u);
    EXPECT_EQ(out.priority, 1);
    EXPECT_EQ(out.fingerprint, fingerprint);
    EXPECT_EQ(out.alert_id, "lanhua-1");
    EXPECT_EQ(out.topic, "alert.jincheng.z10");
    EXPECT_EQ(out.frame, "frame bytes");
    // Cut inside the fingerprint or the lengths: refused, never misread.
    EXPECT_FALSE(journal::DecodePublish(absl::string_view(payload).substr(0, 20), &out));
  }
}

TEST_F(JournalFormatTest, SegmentHeaderLayout) {
  const std::string bytes = Header(0x0102030405060708ull, 0x1112131415161718ull);
  EXPECT_EQ(bytes.substr(0, 8), "ZCJOURN1");
  EXPECT_EQ(GetFixed32(bytes.data() + 8), journal::kFormatVersion);
  EXPECT_EQ(GetFixed64(bytes.data() + 16), 0x0102030405060708ull);
  EXPECT_EQ(GetFixed64(bytes.data() + 24), 0x1112131415161718ull);
  EXPECT_EQ(bytes[16], '\x08');  // little-endian
  std::string expected_crc_input = bytes.substr(0, 12) + bytes.substr(16);
  EXPECT_EQ(GetFixed32(bytes.data() + 12),
            crc32c::Mask(crc32c::Value(expected_crc_input.data(), expected_crc_input.size())));
}

TEST_F(JournalFormatTest, TrailingBytesAfterHeaderAreIgnored) {
  const std::string bytes = Header(3, 30) + "records follow";
  absl::StatusOr<SegmentHeader> out = DecodeSegmentHeader(bytes);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->index, 3u);
  EXPECT_EQ(out->first_seq, 30u);
}

TEST_F(JournalFormatTest, ShortHeaderIsDataLoss) {
  const std::string bytes = Header(1, 1);
  for (size_t n = 0; n < kSegmentHeaderBytes; ++n) {
    absl::StatusOr<SegmentHeader> out = DecodeSegmentHeader(bytes.substr(0, n));
    ASSERT_EQ(out.status().code(), absl::StatusCode::kDataLoss) << n;
    EXPECT_NE(out.status().message().find("truncated"), absl::string_view::npos);
  }
}

TEST_F(JournalFormatTest, BadMagicIsDataLoss) {
  for (size_t i = 0; i < 8; ++i) {
    std::string bytes = Header(1, 1);
    bytes[i] = static_cast<char>(bytes[i] ^ 0x20);
    FixHeaderCrc(&bytes);  // only the magic is wrong
    absl::StatusOr<SegmentHeader> out = DecodeSegmentHeader(bytes);
    ASSERT_EQ(out.status().code(), absl::StatusCode::kDataLoss) << i;
    EXPECT_NE(out.status().message().find("magic"), absl::string_view::npos);
  }
}

TEST_F(JournalFormatTest, AnyFlippedCoveredByteIsDataLoss) {
  const std::string good = Header(77, 9000);
  // Version, CRC, index and first_seq: every byte is covered by the CRC or is
  // the CRC.
  for (size_t i = 8; i < kSegmentHeaderBytes; ++i) {
    std::string bytes = good;
    bytes[i] = static_cast<char>(bytes[i] ^ 0x01);
    absl::StatusOr<SegmentHeader> out = DecodeSegmentHeader(bytes);
    ASSERT_EQ(out.status().code(), absl::StatusCode::kDataLoss) << "byte " << i;
    EXPECT_NE(out.status().message().find("checksum mismatch"), absl::string_view::npos);
  }
}

TEST_F(JournalFormatTest, OtherVersionIsUnimplemented) {
  for (uint32_t version : {0u, journal::kFormatVersion + 1, 0xffffffffu}) {
    std::string bytes = Header(1, 1);
    SetFixed32(&bytes, 8, version);
    FixHeaderCrc(&bytes);
    absl::StatusOr<SegmentHeader> out = DecodeSegmentHeader(bytes);
    ASSERT_EQ(out.status().code(), absl::StatusCode::kUnimplemented) << version;
    EXPECT_NE(out.status().message().find(std::to_string(version)), absl::string_view::npos);
  }
  // Without the CRC fix, the damage is what is reported.
  std::string bytes = Header(1, 1);
  SetFixed32(&bytes, 8, journal::kFormatVersion + 1);
  EXPECT_EQ(DecodeSegmentHeader(bytes).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(JournalFormatTest, AppendRecordLayout) {
  std::string out = "prefix";
  AppendRecord(&out, RecordType::kPublish, "hello");
  ASSERT_EQ(out.size(), 6 + kRecordHeaderBytes + 5);
  EXPECT_EQ(journal::FramedSize(5), kRecordHeaderBytes + 5);
  const char* record = out.data() + 6;
  EXPECT_EQ(GetFixed32(record + 4), 5u);
  EXPECT_EQ(static_cast<uint8_t>(record[8]), 1u);
  EXPECT_EQ(absl::string_view(record + 9, 5), "hello");
  // The CRC covers length, type and payload, not the bytes before the record.
  EXPECT_EQ(GetFixed32(record), crc32c::Mask(crc32c::Value(record + 4, 5 + 5)));
  // Stored masked, not raw.
  EXPECT_NE(GetFixed32(record), crc32c::Value(record + 4, 5 + 5));
  EXPECT_EQ(crc32c::Unmask(GetFixed32(record)), crc32c::Value(record + 4, 5 + 5));
  EXPECT_EQ(out.substr(0, 6), "prefix");

  // A second record starts where the first ended.
  const size_t second = out.size();
  AppendRecord(&out, RecordType::kCheckpoint, "");
  ASSERT_EQ(out.size(), second + kRecordHeaderBytes);
  EXPECT_EQ(GetFixed32(out.data() + second + 4), 0u);
  EXPECT_EQ(static_cast<uint8_t>(out[second + 8]), 3u);
  EXPECT_EQ(GetFixed32(out.data() + second),
            crc32c::Mask(crc32c::Value(out.data() + second + 4, 5)));
}

TEST_F(JournalFormatTest, RecordCrcCoversTheLengthAndType) {
  std::string a;
  std::string b;
  AppendRecord(&a, RecordType::kPublish, "x");
  AppendRecord(&b, RecordType::kSubscription, "x");
  EXPECT_NE(GetFixed32(a.data()), GetFixed32(b.data()));
  std::string c;
  AppendRecord(&c, RecordType::kPublish, std::string(1, '\0'));
  std::string d;
  AppendRecord(&d, RecordType::kPublish, std::string(2, '\0'));
  EXPECT_NE(GetFixed32(c.data()), GetFixed32(d.data()));
}

TEST_F(JournalFormatTest, PublishRecordRoundTrips) {
  const std::string frame(
      "\x0a\x00\x12\x03"
      "abc",
      7);  // binary, with a NUL
  PublishRecord in{123456789012ull, 1718000000123, "A-2024-0001", "alert.jincheng.z03", frame};
  in.priority = 3;
  const std::string payload = Encode(in);
  // seq u64 | unix_ms u64 | priority u8 | alert id (u16 length) | topic (u16 length) | frame
  EXPECT_EQ(payload.size(), 8 + 8 + 1 + 2 + 11 + 2 + 18 + frame.size());
  EXPECT_EQ(GetFixed64(payload.data()), in.seq);
  EXPECT_EQ(GetFixed64(payload.data() + 8), static_cast<uint64_t>(in.unix_ms));
  EXPECT_EQ(payload[16], 3);
  EXPECT_EQ(payload[17], 11);
  EXPECT_EQ(payload[18], 0);
  EXPECT_EQ(payload.substr(19, 11), "A-2024-0001");
  EXPECT_EQ(payload[30], 18);
  EXPECT_EQ(payload.substr(32, 18), "alert.jincheng.z03");
  EXPECT_EQ(payload.substr(50), frame);
  PublishRecord out;
  ASSERT_TRUE(DecodePublish(payload, &out));
  EXPECT_EQ(out.seq, in.seq);
  EXPECT_EQ(out.unix_ms, in.unix_ms);
  EXPECT_EQ(out.priority, 3);
  EXPECT_EQ(out.alert_id, "A-2024-0001");
  EXPECT_EQ(out.topic, "alert.jincheng.z03");
  EXPECT_EQ(out.frame, frame);
  // Views point into the payload.
  EXPECT_GE(out.topic.data(), payload.data());
  EXPECT_LT(out.topic.data(), payload.data() + payload.size());
}

TEST_F(JournalFormatTest, PublishRecordWithEmptyFieldsRoundTrips) {
  PublishRecord in{7, -5, "", "radio.jincheng.z03.u12", "f"};
  PublishRecord out;
  // The record's fields are views into the bytes: keep them alive.
  const std::string bytes = Encode(in);
  ASSERT_TRUE(DecodePublish(bytes, &out));
  EXPECT_EQ(out.seq, 7u);
  EXPECT_EQ(out.unix_ms, -5);
  EXPECT_EQ(out.alert_id, "");
  EXPECT_EQ(out.topic, "radio.jincheng.z03.u12");
  EXPECT_EQ(out.frame, "f");

  const std::string minimal = Encode(PublishRecord{~0ull, 0, "", "", ""});
  ASSERT_EQ(minimal.size(), 21u);
  ASSERT_TRUE(DecodePublish(minimal, &out));
  EXPECT_EQ(out.seq, ~0ull);
  EXPECT_TRUE(out.alert_id.empty());
  EXPECT_TRUE(out.topic.empty());
  EXPECT_TRUE(out.frame.empty());
}

TEST_F(JournalFormatTest, DecodePublishRejectsEveryTruncationOfTheFixedPart) {
  PublishRecord in{99, 1000, "A-1", "alert.x.y", "frame-bytes"};
  in.priority = 1;
  const std::string payload = Encode(in);
  const size_t fixed = 8 + 8 + 1 + 2 + 3 + 2 + 9;  // everything before the frame
  for (size_t n = 0; n <= payload.size(); ++n) {
    PublishRecord out;
    const bool ok = DecodePublish(absl::string_view(payload).substr(0, n), &out);
    if (n < fixed) {
      EXPECT_FALSE(ok) << "length " << n;
    } else {
      // The frame is the rest of the payload: a shorter payload means a
      // shorter frame (the record CRC, not this decoder, guards that).
      ASSERT_TRUE(ok) << "length " << n;
      EXPECT_EQ(out.seq, 99u);
      EXPECT_EQ(out.priority, 1);
      EXPECT_EQ(out.alert_id, "A-1");
      EXPECT_EQ(out.topic, "alert.x.y");
      EXPECT_EQ(out.frame, in.frame.substr(0, n - fixed));
    }
  }
}

TEST_F(JournalFormatTest, DecodePublishRejectsLengthsThatDoNotAddUp) {
  std::string payload = Encode(PublishRecord{1, 2, "id", "topic", ""});
  PublishRecord out;
  ASSERT_TRUE(DecodePublish(payload, &out));
  std::string long_alert = payload;
  long_alert[17] = 100;  // alert id length past the end
  EXPECT_FALSE(DecodePublish(long_alert, &out));
  std::string long_topic = payload;
  long_topic[8 + 8 + 1 + 2 + 2] = 6;  // topic length one past the end
  EXPECT_FALSE(DecodePublish(long_topic, &out));
}

// Lengths are stored as u16. Alert ids are capped far below that at the
// door (kMaxAlertIdBytes, access_policy), but the format itself must carry
// the largest length it can encode.
TEST_F(JournalFormatTest, LongestEncodableAlertIdRoundTrips) {
  const std::string alert_id(65535, 'a');
  PublishRecord out;
  const std::string bytes = Encode(PublishRecord{1, 2, alert_id, "alert.x.y", "f"});
  const bool ok = DecodePublish(bytes, &out);
  ASSERT_TRUE(ok);
  EXPECT_EQ(out.alert_id.size(), alert_id.size());
  EXPECT_EQ(out.topic, "alert.x.y");
  EXPECT_EQ(out.frame, "f");
}

TEST_F(JournalFormatTest, SegmentFileNameRoundTrips) {
  EXPECT_EQ(SegmentFileName(1), "0000000000000001.zcj");
  EXPECT_EQ(SegmentFileName(42), "0000000000000042.zcj");
  for (uint64_t index : {0ull, 1ull, 10ull, 42ull, 1234567890ull, 9999999999999999ull}) {
    const std::string name = SegmentFileName(index);
    EXPECT_EQ(name.size(), 20u) << name;
    uint64_t parsed = 12345;
    ASSERT_TRUE(ParseSegmentFileName(name, &parsed)) << name;
    EXPECT_EQ(parsed, index);
  }
  // Lexical order is numeric order.
  EXPECT_LT(SegmentFileName(9), SegmentFileName(10));
}

TEST_F(JournalFormatTest, ParseSegmentFileNameRejectsOtherNames) {
  for (const char* name :
       {"1.zcj", "000000000000000a.zcj", "0000000000000001.zcj.damaged-1",
        "0000000000000001.zcj.damaged-1718000000", "0000000000000001.log", "0000000000000001zcj",
        "00000000000000001.zcj", "000000000000001.zcj", "+000000000000001.zcj",
        "-000000000000001.zcj", " 000000000000001.zcj", "0000000000000001.ZCJ", ".zcj", ""}) {
    uint64_t index = 0;
    EXPECT_FALSE(ParseSegmentFileName(name, &index)) << name;
  }
}

TEST_F(JournalFormatTest, FixedIntegersAreLittleEndian) {
  std::string out;
  journal::PutFixed32(&out, 0x01020304u);
  journal::PutFixed64(&out, 0x0102030405060708ull);
  ASSERT_EQ(out.size(), 12u);
  EXPECT_EQ(out.substr(0, 4), std::string("\x04\x03\x02\x01", 4));
  EXPECT_EQ(out.substr(4, 8), std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8));
  EXPECT_EQ(GetFixed32(out.data()), 0x01020304u);
  EXPECT_EQ(GetFixed64(out.data() + 4), 0x0102030405060708ull);
  std::string high;
  journal::PutFixed32(&high, 0xfffffffeu);
  journal::PutFixed64(&high, 0xfffffffffffffffeull);
  EXPECT_EQ(GetFixed32(high.data()), 0xfffffffeu);
  EXPECT_EQ(GetFixed64(high.data() + 4), 0xfffffffffffffffeull);
}

}  // namespace
}  // namespace zonecast
