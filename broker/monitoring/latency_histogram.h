#pragma once
// LatencyHistogram: a log-linear histogram of durations, one per latency
// stage, priority and zone. Each power of two is split into 64
// linear sub-buckets, so a recorded value is known to within 1/64 (1.6%) of
// itself and a percentile, reported as its bucket's midpoint, to within
// 0.8%. Values are nanoseconds from 1 us to 1 h; smaller ones count in the
// lowest bucket, larger ones in the highest (and in overflow()). Memory is
// fixed (about 18 KiB). Histograms merge by adding counts.
//
// Single writer: one thread records; others read a copy (the core loop
// publishes snapshots).
#include <array>
#include <cstddef>
#include <cstdint>

namespace zonecast {

class LatencyHistogram {
 public:
  static constexpr int64_t kMinNanos = 1'000;              // 1 us
  static constexpr int64_t kMaxNanos = 3'600'000'000'000;  // 1 h
  static constexpr int kSubBucketBits = 6;                 // 64 per power of two
  static constexpr int kSubBuckets = 1 << kSubBucketBits;
  // Bits of kMaxNanos: the highest power of two in range is 2^41.
  static constexpr int kMaxExponent = 41;
  // Up to and including the bucket of kMaxNanos (2^41 <= 1 h < 2^42).
  static constexpr int kBucketCount =
      kSubBuckets + (kMaxExponent - kSubBucketBits) * kSubBuckets +
      static_cast<int>(kMaxNanos >> (kMaxExponent - kSubBucketBits)) - kSubBuckets + 1;

  void Record(int64_t nanos);
  void Merge(const LatencyHistogram& other);
  void Reset() { *this = LatencyHistogram(); }

  uint64_t count() const { return count_; }
  uint64_t overflow() const { return overflow_; }
  // Exact extremes and sum of what was recorded (before clamping).
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  double sum() const { return sum_; }

  // The value at quantile q in [0, 1] (q = 0.99 for p99): the midpoint of
  // the bucket holding the ceil(q * count)-th smallest value, kept within
  // [min(), max()]. 0 when empty.
  int64_t Percentile(double q) const;

  // Bucket index of a value, and the [lower, upper) nanoseconds of a bucket.
  static int BucketOf(int64_t nanos);
  static int64_t BucketLower(int bucket);
  static int64_t BucketUpper(int bucket);
  uint64_t bucket_count(int bucket) const { return buckets_[static_cast<size_t>(bucket)]; }

 private:
  std::array<uint64_t, kBucketCount> buckets_{};
  uint64_t count_ = 0;
  uint64_t overflow_ = 0;
  int64_t min_ = INT64_MAX;
  int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace zonecast
