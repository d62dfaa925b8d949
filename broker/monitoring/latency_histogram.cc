#include "monitoring/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace zonecast {

int LatencyHistogram::BucketOf(int64_t nanos) {
  const uint64_t v = static_cast<uint64_t>(std::clamp<int64_t>(nanos, kMinNanos, kMaxNanos));
  const int exponent = 63 - __builtin_clzll(v);  // floor(log2 v)
  if (exponent < kSubBucketBits) return static_cast<int>(v);
  const int shift = exponent - kSubBucketBits;
  const int sub = static_cast<int>(v >> shift) - kSubBuckets;  // 0..63
  return kSubBuckets + shift * kSubBuckets + sub;
}

int64_t LatencyHistogram::BucketLower(int bucket) {
  if (bucket < kSubBuckets) return bucket;
  const int shift = (bucket - kSubBuckets) / kSubBuckets;
  const int sub = (bucket - kSubBuckets) % kSubBuckets;
  return static_cast<int64_t>(kSubBuckets + sub) << shift;
}

int64_t LatencyHistogram::BucketUpper(int bucket) {
  if (bucket < kSubBuckets) return bucket + 1;
  const int shift = (bucket - kSubBuckets) / kSubBuckets;
  return BucketLower(bucket) + (int64_t{1} << shift);
}

void LatencyHistogram::Record(int64_t nanos) {
  if (nanos < 0) nanos = 0;
  ++buckets_[static_cast<size_t>(BucketOf(nanos))];
  ++count_;
  if (nanos > kMaxNanos) ++overflow_;
  min_ = std::min(min_, nanos);
  max_ = std::max(max_, nanos);
  sum_ += static_cast<double>(nanos);
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  overflow_ += other.overflow_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
}

int64_t LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const uint64_t rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (int b = 0; b < kBucketCount; ++b) {
    seen += buckets_[static_cast<size_t>(b)];
    if (seen >= rank) {
      const int64_t mid = BucketLower(b) + (BucketUpper(b) - BucketLower(b)) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

}  // namespace zonecast
