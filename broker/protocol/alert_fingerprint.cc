#include "protocol/alert_fingerprint.h"

#include <cstring>

#include "common/crc32c.h"

namespace zonecast {
namespace {

uint32_t AddBytes(uint32_t crc, absl::string_view bytes) {
  const uint32_t size = static_cast<uint32_t>(bytes.size());
  crc = crc32c::Extend(crc, &size, sizeof(size));
  return crc32c::Extend(crc, bytes.data(), bytes.size());
}

uint32_t AddDouble(uint32_t crc, double value) {
  uint64_t bits = 0;
  static_assert(sizeof(bits) == sizeof(value));
  std::memcpy(&bits, &value, sizeof(bits));
  return crc32c::Extend(crc, &bits, sizeof(bits));
}

}  // namespace

uint32_t AlertFingerprint(absl::string_view topic, v1::Priority priority, const v1::Alert& alert) {
  uint32_t crc = AddBytes(0, topic);
  const int32_t level = static_cast<int32_t>(priority);
  crc = crc32c::Extend(crc, &level, sizeof(level));
  crc = AddBytes(crc, alert.category());
  crc = AddBytes(crc, alert.title());
  crc = AddBytes(crc, alert.body());
  crc = AddDouble(crc, alert.location().lat());
  crc = AddDouble(crc, alert.location().lon());
  crc = AddBytes(crc, alert.location().address());
  return crc == 0 ? 1 : crc;
}

}  // namespace zonecast
