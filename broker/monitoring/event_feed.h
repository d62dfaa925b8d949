#pragma once
// EventFeed: the broker's live events for dispatch screens (an alert
// published, changed, taken or escalated, an officer's answer, a unit
// online or offline, a position), written by the core loop and read by the
// HTTP server's viewers, each at its own pace.
//
// A ring of the last `capacity` events, each numbered. A viewer asks for the
// events after the last number it saw and gets at most a page of them; one
// that fell so far behind that the ring moved past it is told so (it then
// reloads the lists and carries on from the newest). The loop never waits
// for a viewer and holds the lock only to copy one event in: a slow browser
// costs only its own place, never the broker's pace.
//
// Thread-safe.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "shared/annotated_mutex.h"

namespace zonecast {

class EventFeed {
 public:
  struct Event {
    uint64_t number = 0;
    std::string type;  // e.g. "alert", "update", "ack", "escalation", "presence", "position"
    std::string json;  // the event, one JSON object on one line
  };

  struct Page {
    std::vector<Event> events;
    // The number to ask after next time (the last event's, or `after` when
    // there were none).
    uint64_t last = 0;
    // Events after `after` were dropped before they were read: the viewer
    // missed some and should reload what it shows.
    bool missed = false;
  };

  explicit EventFeed(size_t capacity = 4096);

  // Loop thread: adds an event. Viewers look for news themselves (the HTTP
  // server asks each open stream every 100 ms), so the loop wakes nobody.
  void Append(std::string type, std::string json);

  // The events after number `after`, at most `max`. An `after` beyond the
  // newest (a viewer of an earlier broker run) is missed: the viewer
  // starts again from the newest.
  Page After(uint64_t after, size_t max) const;

  // Viewers following now (a stream registers itself while it is open):
  // without any, the loop need not render its events at all.
  void AddViewer() { viewers_.fetch_add(1); }
  void RemoveViewer() { viewers_.fetch_sub(1); }
  bool watched() const { return viewers_.load(std::memory_order_relaxed) > 0; }

  // The number of the newest event (0 before the first): where a new viewer
  // starts following, before it loads the lists (an event that changes
  // what it then loads is applied again, harmlessly).
  uint64_t newest() const;

 private:
  const size_t capacity_;
  std::atomic<int> viewers_{0};
  mutable AnnotatedMutex mutex_;
  std::vector<Event> ring_ ABSL_GUARDED_BY(mutex_);  // event n at ring_[(n - 1) % capacity_]
  uint64_t newest_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace zonecast
