#pragma once
// PendingResponses: alerts waiting for an officer's response, each with its
// response deadline (from the zones file, by priority). An alert leaves the
// book when a terminal answers ACCEPTED, EN_ROUTE, ON_SCENE or RESOLVED, or
// when it escalates. The full timeline of any alert is rebuilt from the
// journal on request (HistoryReader), so the book holds only what the
// deadline timers need.
//
// Core loop thread only.
#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "common/timer_queue.h"
#include "zonecast/domain.pb.h"

namespace zonecast {

struct OpenAlert {
  std::string alert_id;
  uint64_t seq = 0;
  std::string city;
  std::string zone;
  v1::Priority priority = v1::P4;
  std::string publisher;  // unit id of the publishing center
  MonoNanos deadline = 0;
  int64_t deadline_unix_ms = 0;
  v1::Alert alert;  // for the escalation event and the re-routed copies
  int level = 0;    // escalation steps taken so far
  // Units that must take it before the wait ends, and those that have.
  uint32_t units_needed = 1;
  absl::flat_hash_set<std::string> takers;
};

class PendingResponses {
 public:
  // Starts waiting for a response. A second Open of the same id is ignored.
  void Open(OpenAlert&& alert);
  // A response arrived: stop waiting. Returns true if the alert was open.
  bool Respond(absl::string_view alert_id);
  // Forgets an alert without a response (it escalated for another reason).
  void Close(absl::string_view alert_id) { open_.erase(alert_id); }
  const OpenAlert* Find(absl::string_view alert_id) const;
  OpenAlert* FindMutable(absl::string_view alert_id);
  // Moves an open alert's deadline (an amendment raised its priority).
  void Reschedule(absl::string_view alert_id, MonoNanos deadline);

  // Calls fn(OpenAlert&) for every alert whose deadline passed, then
  // forgets it.
  template <typename Fn>
  void Expire(MonoNanos now, Fn&& fn) {
    timers_.PopDue(now, [&](const std::string& id, MonoNanos due) {
      auto it = open_.find(id);
      if (it == open_.end() || it->second.deadline != due) return;
      OpenAlert alert = std::move(it->second);
      open_.erase(it);
      fn(alert);
    });
  }
  MonoNanos NextDue() const { return timers_.NextDue(); }
  size_t open() const { return open_.size(); }

 private:
  absl::flat_hash_map<std::string, OpenAlert> open_;
  TimerQueue<std::string> timers_;
};

}  // namespace zonecast
