// CRC-32C: published vectors, the SSE4.2 path against the table, Extend
// composition, and LevelDB-style masking.
#include "common/crc32c.h"

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace zonecast {
namespace {

class Crc32cTest : public ::testing::Test {
 protected:
  // Both implementations must agree on every vector.
  static void ExpectValue(const std::string& bytes, uint32_t expected) {
    EXPECT_EQ(crc32c::Value(bytes.data(), bytes.size()), expected) << "Extend";
    EXPECT_EQ(crc32c::ExtendPortable(0, bytes.data(), bytes.size()), expected) << "portable";
  }
};

TEST_F(Crc32cTest, StandardCheckValue) { ExpectValue("123456789", 0xE3069283u); }

// The vectors of RFC 3720 (iSCSI) B.4, which LevelDB's crc32c_test uses too.
TEST_F(Crc32cTest, Rfc3720Vectors) {
  ExpectValue(std::string(32, '\0'), 0x8A9136AAu);
  ExpectValue(std::string(32, '\xff'), 0x62A8AB43u);
  std::string ascending(32, '\0');
  std::string descending(32, '\0');
  for (int i = 0; i < 32; ++i) {
    ascending[i] = static_cast<char>(i);
    descending[i] = static_cast<char>(31 - i);
  }
  ExpectValue(ascending, 0x46DD794Eu);
  ExpectValue(descending, 0x113FDB5Cu);
}

TEST_F(Crc32cTest, EmptyInputKeepsTheRunningValue) {
  EXPECT_EQ(crc32c::Value("", 0), 0u);
  EXPECT_EQ(crc32c::Extend(0x12345678u, "", 0), 0x12345678u);
  EXPECT_EQ(crc32c::ExtendPortable(0x12345678u, "", 0), 0x12345678u);
}

TEST_F(Crc32cTest, HardwareMatchesPortableForEveryLengthAndAlignment) {
  std::mt19937 rng(20240611);
  std::vector<char> buffer(4096 + 16);
  for (char& c : buffer) c = static_cast<char>(rng());
  // Every length around the 8-byte word loop and its byte tail, at every
  // alignment, plus some long ones; a non-zero starting CRC as well.
  std::vector<size_t> lengths;
  for (size_t n = 0; n <= 80; ++n) lengths.push_back(n);
  for (size_t n : {127u, 128u, 129u, 1000u, 4095u, 4096u}) lengths.push_back(n);
  int checked = 0;
  for (size_t offset = 0; offset < 16; ++offset) {
    for (size_t n : lengths) {
      const char* p = buffer.data() + offset;
      const uint32_t start = static_cast<uint32_t>(rng());
      ASSERT_EQ(crc32c::Value(p, n), crc32c::ExtendPortable(0, p, n))
          << "offset " << offset << " length " << n;
      ASSERT_EQ(crc32c::Extend(start, p, n), crc32c::ExtendPortable(start, p, n))
          << "offset " << offset << " length " << n;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 16 * static_cast<int>(lengths.size()));
}

TEST_F(Crc32cTest, ExtendComposesAtEverySplit) {
  std::mt19937 rng(7);
  std::string data(300, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  const uint32_t whole = crc32c::Value(data.data(), data.size());
  for (size_t split = 0; split <= data.size(); ++split) {
    const uint32_t head = crc32c::Value(data.data(), split);
    ASSERT_EQ(crc32c::Extend(head, data.data() + split, data.size() - split), whole) << split;
    ASSERT_EQ(crc32c::ExtendPortable(head, data.data() + split, data.size() - split), whole)
        << split;
  }
  EXPECT_EQ(crc32c::Extend(crc32c::Value("hello ", 6), "world", 5),
            crc32c::Value("hello world", 11));
}

TEST_F(Crc32cTest, DifferentDataGivesDifferentValues) {
  EXPECT_NE(crc32c::Value("a", 1), crc32c::Value("foo", 3));
  std::string data = "the quick brown fox";
  const uint32_t before = crc32c::Value(data.data(), data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string flipped = data;
      flipped[i] = static_cast<char>(flipped[i] ^ (1 << bit));
      ASSERT_NE(crc32c::Value(flipped.data(), flipped.size()), before) << i << ":" << bit;
    }
  }
}

TEST_F(Crc32cTest, MaskRoundTripsAndChangesTheValue) {
  const uint32_t crc = crc32c::Value("foo", 3);
  EXPECT_NE(crc32c::Mask(crc), crc);
  EXPECT_NE(crc32c::Mask(crc32c::Mask(crc)), crc);
  EXPECT_EQ(crc32c::Unmask(crc32c::Mask(crc)), crc);
  EXPECT_EQ(crc32c::Unmask(crc32c::Unmask(crc32c::Mask(crc32c::Mask(crc)))), crc);
  std::mt19937 rng(99);
  for (int i = 0; i < 1000; ++i) {
    const uint32_t value = static_cast<uint32_t>(rng());
    ASSERT_EQ(crc32c::Unmask(crc32c::Mask(value)), value);
    ASSERT_NE(crc32c::Mask(value), value);
  }
  for (uint32_t value : {0u, 1u, 0x80000000u, 0xffffffffu}) {
    EXPECT_EQ(crc32c::Unmask(crc32c::Mask(value)), value);
  }
  // The exact transform (LevelDB's kMaskDelta): rotate right by 15, add.
  EXPECT_EQ(crc32c::Mask(0), 0xa282ead8u);
  EXPECT_EQ(crc32c::Mask(1u << 15), 1u + 0xa282ead8u);
}

}  // namespace
}  // namespace zonecast
