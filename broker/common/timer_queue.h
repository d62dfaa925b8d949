#pragma once
// TimerQueue: a min-heap of deadlines on the monotonic clock, for the core
// loop's redelivery and escalation timers (one heap, no thread per timer).
// Cancellation is lazy: the owner checks on expiry whether the timer still
// means something (its key still exists with that deadline).
//
// Core loop thread only.
#include <cstdint>
#include <queue>
#include <vector>

#include "common/clock.h"

namespace zonecast {

template <typename Key>
class TimerQueue {
 public:
  void Schedule(MonoNanos due, Key key) { heap_.push(Entry{due, std::move(key)}); }
  // The earliest deadline, or INT64_MAX when empty.
  MonoNanos NextDue() const { return heap_.empty() ? INT64_MAX : heap_.top().due; }
  // Pops the timers due at `now`, at most `limit` of them (the earliest),
  // and calls fn(key, due) for each. Returns how many it popped.
  template <typename Fn>
  size_t PopDue(MonoNanos now, Fn&& fn, size_t limit = SIZE_MAX) {
    size_t popped = 0;
    while (popped < limit && !heap_.empty() && heap_.top().due <= now) {
      Entry entry = heap_.top();
      heap_.pop();
      ++popped;
      fn(entry.key, entry.due);
    }
    return popped;
  }
  size_t size() const { return heap_.size(); }

 private:
  struct Entry {
    MonoNanos due;
    Key key;
    bool operator>(const Entry& other) const { return due > other.due; }
  };
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
};

}  // namespace zonecast
