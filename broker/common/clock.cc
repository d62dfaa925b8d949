#include "common/clock.h"

#include <time.h>

namespace zonecast {
namespace {

class RealClock final : public Clock {
 public:
  MonoNanos NowMono() const override {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<MonoNanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
  }
  absl::Time NowWall() const override { return absl::Now(); }
};

}  // namespace

const Clock& Clock::Real() {
  static const RealClock* const clock = new RealClock();
  return *clock;
}

}  // namespace zonecast
