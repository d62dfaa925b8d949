#pragma once
// CRC-32C (Castagnoli), as used by the journal's record framing. Uses the
// SSE4.2 crc32 instruction when the CPU has it, a table otherwise; both give
// the same values (tests check one against the other).
#include <cstddef>
#include <cstdint>

namespace zonecast::crc32c {

// CRC of data[0, n) continuing from `crc` (the CRC of what came before; 0 to
// start).
uint32_t Extend(uint32_t crc, const void* data, size_t n);
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }

// Table-only version, for tests.
uint32_t ExtendPortable(uint32_t crc, const void* data, size_t n);

// LevelDB's masking: a CRC stored next to data that may itself contain CRCs
// (a journal record holding an encoded frame) is rotated and offset so that
// CRC-of-CRC patterns do not collide.
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
inline uint32_t Unmask(uint32_t masked) {
  const uint32_t rot = masked - 0xa282ead8u;
  return (rot >> 17) | (rot << 15);
}

}  // namespace zonecast::crc32c
