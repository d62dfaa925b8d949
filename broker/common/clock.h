#pragma once
// Time sources. The broker measures intervals (heartbeats, timers, latency)
// on a monotonic clock and stamps wire messages with the wall clock; both come
// through Clock so that timer logic can be driven by a FakeClock in tests.
#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace zonecast {

// Nanoseconds on a monotonic clock with an arbitrary epoch.
using MonoNanos = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual MonoNanos NowMono() const = 0;
  virtual absl::Time NowWall() const = 0;

  // The process-wide real clock. Never null, never destroyed.
  static const Clock& Real();
};

// A clock that moves only when told. Thread-safe.
class FakeClock : public Clock {
 public:
  explicit FakeClock(absl::Time wall_start = absl::FromUnixSeconds(1'700'000'000))
      : wall_start_(wall_start) {}
  MonoNanos NowMono() const override { return mono_.load(); }
  absl::Time NowWall() const override { return wall_start_ + absl::Nanoseconds(mono_.load()); }
  void Advance(absl::Duration d) { mono_.fetch_add(absl::ToInt64Nanoseconds(d)); }

 private:
  absl::Time wall_start_;
  std::atomic<MonoNanos> mono_{0};
};

}  // namespace zonecast
