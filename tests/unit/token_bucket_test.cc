// TokenBucket: a burst at once, then the rate, on a fake clock.
#include "common/token_bucket.h"

#include "gtest/gtest.h"

namespace zonecast {
namespace {

constexpr MonoNanos kSecond = 1'000'000'000;

TEST(TokenBucketTest, BurstThenRate) {
  TokenBucket bucket(/*rate=*/10, /*burst=*/5, /*now=*/kSecond);
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(bucket.Take(kSecond)) << i;
  EXPECT_FALSE(bucket.Take(kSecond));
  // A tenth of a second earns one token.
  EXPECT_FALSE(bucket.Take(kSecond + kSecond / 20));
  EXPECT_TRUE(bucket.Take(kSecond + kSecond / 10));
  EXPECT_FALSE(bucket.Take(kSecond + kSecond / 10));
  // A long pause refills to the burst, not beyond.
  int taken = 0;
  while (bucket.Take(100 * kSecond)) ++taken;
  EXPECT_EQ(taken, 5);
}

TEST(TokenBucketTest, ZeroRateIsUnlimited) {
  TokenBucket bucket(/*rate=*/0, /*burst=*/1, /*now=*/0);
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(bucket.Take(0));
  TokenBucket unlimited;
  EXPECT_TRUE(unlimited.Take(0));
}

}  // namespace
}  // namespace zonecast
