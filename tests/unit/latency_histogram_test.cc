#include "monitoring/latency_histogram.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace zonecast {
namespace {

// The exact percentile the histogram approximates: the ceil(q*n)-th
// smallest value.
int64_t ExactPercentile(std::vector<int64_t> values, double q) {
  std::sort(values.begin(), values.end());
  const size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * values.size())));
  return values[rank - 1];
}

class LatencyHistogramTest : public ::testing::Test {};

TEST_F(LatencyHistogramTest, EmptyHistogramReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(0.5), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
}

TEST_F(LatencyHistogramTest, BucketsCoverTheRangeWithoutGapsOrOverlap) {
  EXPECT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::kMaxNanos),
            LatencyHistogram::kBucketCount - 1);
  for (int b = LatencyHistogram::BucketOf(LatencyHistogram::kMinNanos);
       b + 1 < LatencyHistogram::kBucketCount; ++b) {
    ASSERT_EQ(LatencyHistogram::BucketUpper(b), LatencyHistogram::BucketLower(b + 1)) << b;
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketLower(b)), b);
    ASSERT_EQ(LatencyHistogram::BucketOf(LatencyHistogram::BucketUpper(b) - 1), b);
    // Width at most 1/64 of the lower bound: the 1.6% resolution.
    ASSERT_LE(64 * (LatencyHistogram::BucketUpper(b) - LatencyHistogram::BucketLower(b)),
              std::max<int64_t>(64, LatencyHistogram::BucketLower(b)));
  }
}

TEST_F(LatencyHistogramTest, PercentilesOfRandomDataAreWithinTwoPercent) {
  std::mt19937_64 rng(20261129);
  // Log-uniform from 1 us to 1 h, as latencies of every stage spread.
  std::uniform_real_distribution<double> exponent(std::log(1e3), std::log(3.6e12));
  std::vector<int64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<int64_t>(std::exp(exponent(rng)));
    values.push_back(v);
    h.Record(v);
  }
  for (double q : {0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const double exact = static_cast<double>(ExactPercentile(values, q));
    const double got = static_cast<double>(h.Percentile(q));
    EXPECT_LE(std::abs(got - exact) / exact, 0.02)
        << "q=" << q << " exact=" << exact << " got=" << got;
  }
  EXPECT_EQ(h.count(), values.size());
  EXPECT_EQ(h.max(), *std::max_element(values.begin(), values.end()));
  EXPECT_EQ(h.min(), *std::min_element(values.begin(), values.end()));
}

TEST_F(LatencyHistogramTest, NarrowSubMillisecondDistributionIsAccurate) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> around(400e3, 50e3);  // 400 us +- 50 us
  std::vector<int64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 50000; ++i) {
    const auto v = std::max<int64_t>(1000, static_cast<int64_t>(around(rng)));
    values.push_back(v);
    h.Record(v);
  }
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double exact = static_cast<double>(ExactPercentile(values, q));
    EXPECT_LE(std::abs(static_cast<double>(h.Percentile(q)) - exact) / exact, 0.02) << q;
  }
}

TEST_F(LatencyHistogramTest, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int64_t> value(1000, 5'000'000'000);
  LatencyHistogram a;
  LatencyHistogram b;
  LatencyHistogram both;
  for (int i = 0; i < 10000; ++i) {
    const int64_t v = value(rng);
    (i % 3 == 0 ? a : b).Record(v);
    both.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), both.count());
  EXPECT_EQ(a.min(), both.min());
  EXPECT_EQ(a.max(), both.max());
  EXPECT_DOUBLE_EQ(a.sum(), both.sum());
  for (int bucket = 0; bucket < LatencyHistogram::kBucketCount; ++bucket) {
    ASSERT_EQ(a.bucket_count(bucket), both.bucket_count(bucket)) << bucket;
  }
  for (double q : {0.5, 0.99}) EXPECT_EQ(a.Percentile(q), both.Percentile(q));
}

TEST_F(LatencyHistogramTest, OutOfRangeValuesAreClampedAndCounted) {
  LatencyHistogram h;
  h.Record(10);                               // below 1 us
  h.Record(-5);                               // clock went backwards
  h.Record(2 * LatencyHistogram::kMaxNanos);  // beyond 1 h
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.overflow(), 1u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 2 * LatencyHistogram::kMaxNanos);
  EXPECT_EQ(h.bucket_count(LatencyHistogram::kBucketCount - 1), 1u);
}

}  // namespace
}  // namespace zonecast
