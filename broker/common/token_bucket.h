#pragma once
// TokenBucket: at most `rate` events a second on average and `burst` at
// once; the classic limiter, on the caller's monotonic clock (so a
// FakeClock drives it in tests).
#include <algorithm>

#include "common/clock.h"

namespace zonecast {

class TokenBucket {
 public:
  TokenBucket() = default;  // unlimited
  // `rate` <= 0: unlimited. Starts full.
  TokenBucket(double rate, double burst, MonoNanos now)
      : rate_(rate), burst_(std::max(1.0, burst)), tokens_(burst_), last_(now) {}

  // Takes a token if one is there now; reads `clock` only when limited, so
  // an unlimited bucket costs a publish nothing.
  bool Take(const Clock& clock) { return rate_ <= 0 || Take(clock.NowMono()); }

  // Takes a token if one is there at `now`.
  bool Take(MonoNanos now) {
    if (rate_ <= 0) return true;
    if (now > last_) {
      tokens_ = std::min(burst_, tokens_ + static_cast<double>(now - last_) * rate_ / 1e9);
      last_ = now;
    }
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  double rate_ = 0;
  double burst_ = 1;
  double tokens_ = 1;
  MonoNanos last_ = 0;
};

}  // namespace zonecast
