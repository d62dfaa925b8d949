#pragma once
// MonitoringExchange: where the core loop and the HTTP thread meet.
//
// The loop publishes immutable MonitoringSnapshots (an atomic shared_ptr
// swap: it never waits for a reader). A reader that wants fresher data than
// the latest snapshot pokes an eventfd that the loop polls; the loop builds
// one on its next turn. Readiness (which phase the broker is in) is set by
// main and the loop at transitions, so /readyz answers while recovery still
// runs and no loop turns yet. The loop's live events for dispatch screens
// pass through the exchange's EventFeed, and the zones' outlines, read once
// at start, are left here for the HTTP thread to serve.
//
// Thread-safety: everything may be called from any thread.
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "monitoring/event_feed.h"
#include "monitoring/monitoring_snapshot.h"
#include "shared/annotated_mutex.h"
#include "zonecast/wire.pb.h"

namespace zonecast {

class MonitoringExchange {
 public:
  enum class Phase { kStarting, kRecovering, kServing, kStopping, kFailed };

  explicit MonitoringExchange(const Clock& clock);
  ~MonitoringExchange();
  MonitoringExchange(const MonitoringExchange&) = delete;
  MonitoringExchange& operator=(const MonitoringExchange&) = delete;

  void SetPhase(Phase phase, std::string detail = "");
  Phase phase() const { return phase_.load(); }
  // Why the broker is in its phase, e.g. "recovering the journal".
  std::string PhaseDetail() const;

  // A reader's question for the journal, answered through the loop.
  struct TimelineQuery {
    std::string alert_id;
    int64_t deadline_unix_ms = 0;  // the open alert's deadline, if the reader knows it
    std::function<void(v1::TimelineReply)> done;  // called on the journal reader's thread
  };

  // Loop side: readable when a reader asked for a snapshot or a timeline.
  int request_fd() const { return request_fd_; }
  // Clears the request. Returns the SnapshotPart bits asked for, or nothing
  // if no snapshot was asked for.
  std::optional<uint32_t> TakeRequest();
  // The timeline queries posted since the last call.
  std::vector<TimelineQuery> TakeTimelineQueries();
  void Publish(std::shared_ptr<const MonitoringSnapshot> snapshot);

  // Reader side. Null until the loop published one.
  std::shared_ptr<const MonitoringSnapshot> Latest() const { return latest_.load(); }
  // The latest snapshot if it is younger than `max_age` and has `parts`;
  // otherwise asks the loop for a new one with them and waits up to
  // `timeout` for it. Returns whatever is latest then (possibly older, or
  // null): a busy or stopped loop must not hang a scrape.
  std::shared_ptr<const MonitoringSnapshot> Fresh(absl::Duration max_age, absl::Duration timeout,
                                                  uint32_t parts = 0);

  // Asks the loop for an alert's timeline from the journal; `query.done`
  // gets the reply. The loop owns the journal reader, so readers never
  // touch it; a loop that is not serving never answers (wait with a bound).
  void RequestTimeline(TimelineQuery query);

  const Clock& clock() const { return clock_; }

  // The loop's live events (EventFeed), for viewers to follow.
  EventFeed& events() { return events_; }

  // The zones' outlines as GeoJSON, set by the loop once it read the zones
  // file; null until then, and without outlines.
  void SetZoneOutlines(std::shared_ptr<const std::string> geojson) {
    zone_outlines_.store(std::move(geojson));
  }
  std::shared_ptr<const std::string> zone_outlines() const { return zone_outlines_.load(); }

 private:
  const Clock& clock_;
  int request_fd_ = -1;
  std::atomic<Phase> phase_{Phase::kStarting};
  mutable AnnotatedMutex detail_mutex_;  // phase changes only, never on the loop's path
  std::string detail_ ABSL_GUARDED_BY(detail_mutex_);
  std::atomic<std::shared_ptr<const MonitoringSnapshot>> latest_;
  std::atomic<bool> snapshot_wanted_{false};
  std::atomic<uint32_t> wanted_parts_{0};
  AnnotatedMutex timeline_mutex_;
  std::vector<TimelineQuery> timeline_queries_ ABSL_GUARDED_BY(timeline_mutex_);
  EventFeed events_;
  std::atomic<std::shared_ptr<const std::string>> zone_outlines_;
};

const char* PhaseName(MonitoringExchange::Phase phase);

}  // namespace zonecast
