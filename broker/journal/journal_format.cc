#include "journal/journal_format.h"

#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/crc32c.h"

namespace zonecast::journal {

void PutFixed32(std::string* out, uint32_t v) {
  char buf[4];
  for (int i = 0; i < 4; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out->append(buf, 4);
}

void PutFixed64(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
  out->append(buf, 8);
}

uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

namespace {

// CRC of the header: everything but the CRC field itself (bytes 12..15).
uint32_t HeaderCrc(const char* header) {
  uint32_t crc = crc32c::Value(header, 12);
  crc = crc32c::Extend(crc, header + 16, kSegmentHeaderBytes - 16);
  return crc32c::Mask(crc);
}

void PutFixed16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}

uint16_t GetFixed16(const char* p) {
  return static_cast<uint16_t>(static_cast<uint8_t>(p[0]) | (static_cast<uint8_t>(p[1]) << 8));
}

}  // namespace

std::string EncodeSegmentHeader(const SegmentHeader& header) {
  std::string out(kSegmentMagic, sizeof(kSegmentMagic));
  PutFixed32(&out, kFormatVersion);
  PutFixed32(&out, 0);  // CRC, filled below
  PutFixed64(&out, header.index);
  PutFixed64(&out, header.first_seq);
  const uint32_t crc = HeaderCrc(out.data());
  for (int i = 0; i < 4; ++i) out[12 + i] = static_cast<char>(crc >> (8 * i));
  return out;
}

absl::StatusOr<SegmentHeader> DecodeSegmentHeader(absl::string_view bytes) {
  if (bytes.size() < kSegmentHeaderBytes) {
    return absl::DataLossError(absl::StrCat("segment header truncated (", bytes.size(), " bytes)"));
  }
  if (std::memcmp(bytes.data(), kSegmentMagic, sizeof(kSegmentMagic)) != 0) {
    return absl::DataLossError("not a zonecast journal segment (bad magic)");
  }
  if (GetFixed32(bytes.data() + 12) != HeaderCrc(bytes.data())) {
    return absl::DataLossError("segment header checksum mismatch");
  }
  const uint32_t version = GetFixed32(bytes.data() + 8);
  if (version != kFormatVersion) {
    return absl::UnimplementedError(absl::StrCat("journal format version ", version,
                                                 " is not supported (this broker reads ",
                                                 kFormatVersion, ")"));
  }
  SegmentHeader header;
  header.index = GetFixed64(bytes.data() + 16);
  header.first_seq = GetFixed64(bytes.data() + 24);
  return header;
}

void AppendRecord(std::string* out, RecordType type, absl::string_view payload) {
  const size_t start = out->size();
  PutFixed32(out, 0);  // CRC, filled below
  PutFixed32(out, static_cast<uint32_t>(payload.size()));
  out->push_back(static_cast<char>(type));
  out->append(payload.data(), payload.size());
  const uint32_t crc = crc32c::Mask(crc32c::Value(out->data() + start + 4, 5 + payload.size()));
  for (int i = 0; i < 4; ++i) (*out)[start + i] = static_cast<char>(crc >> (8 * i));
}

void EncodePublish(const PublishRecord& record, std::string* out) {
  out->reserve(out->size() + 25 + record.alert_id.size() + record.topic.size() +
               record.frame.size());
  PutFixed64(out, record.seq);
  PutFixed64(out, static_cast<uint64_t>(record.unix_ms));
  if (record.fingerprint != 0) {
    out->push_back(static_cast<char>(record.priority | kPublishHasFingerprint));
    PutFixed32(out, record.fingerprint);
  } else {
    out->push_back(static_cast<char>(record.priority));
  }
  PutFixed16(out, static_cast<uint16_t>(record.alert_id.size()));
  out->append(record.alert_id.data(), record.alert_id.size());
  PutFixed16(out, static_cast<uint16_t>(record.topic.size()));
  out->append(record.topic.data(), record.topic.size());
  out->append(record.frame.data(), record.frame.size());
}

bool DecodePublish(absl::string_view payload, PublishRecord* record) {
  if (payload.size() < 19) return false;
  record->seq = GetFixed64(payload.data());
  record->unix_ms = static_cast<int64_t>(GetFixed64(payload.data() + 8));
  record->priority = static_cast<uint8_t>(payload[16]);
  size_t pos = 17;
  record->fingerprint = 0;
  if (record->priority & kPublishHasFingerprint) {
    record->priority &= static_cast<uint8_t>(~kPublishHasFingerprint);
    if (payload.size() < 19 + 4) return false;
    record->fingerprint = GetFixed32(payload.data() + pos);
    pos += 4;
  }
  const size_t alert_len = GetFixed16(payload.data() + pos);
  pos += 2;
  if (payload.size() < pos + alert_len + 2) return false;
  record->alert_id = payload.substr(pos, alert_len);
  pos += alert_len;
  const size_t topic_len = GetFixed16(payload.data() + pos);
  pos += 2;
  if (payload.size() < pos + topic_len) return false;
  record->topic = payload.substr(pos, topic_len);
  pos += topic_len;
  record->frame = payload.substr(pos);
  return true;
}

std::string SegmentFileName(uint64_t index) {
  return absl::StrFormat("%016d%s", index, kSegmentSuffix);
}

bool ParseSegmentFileName(absl::string_view name, uint64_t* index) {
  if (name.size() != 16 + std::strlen(kSegmentSuffix) || !absl::EndsWith(name, kSegmentSuffix)) {
    return false;
  }
  const absl::string_view digits = name.substr(0, 16);
  for (char c : digits) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(digits, index);
}

}  // namespace zonecast::journal
