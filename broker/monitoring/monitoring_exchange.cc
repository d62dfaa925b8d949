#include "monitoring/monitoring_exchange.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

#include "common/check.h"

namespace zonecast {

const char* PhaseName(MonitoringExchange::Phase phase) {
  switch (phase) {
    case MonitoringExchange::Phase::kStarting:
      return "starting";
    case MonitoringExchange::Phase::kRecovering:
      return "recovering";
    case MonitoringExchange::Phase::kServing:
      return "serving";
    case MonitoringExchange::Phase::kStopping:
      return "stopping";
    case MonitoringExchange::Phase::kFailed:
      return "failed";
  }
  return "unknown";
}

MonitoringExchange::MonitoringExchange(const Clock& clock) : clock_(clock) {
  request_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ZC_CHECK(request_fd_ >= 0) << "eventfd failed: errno " << errno;
}

MonitoringExchange::~MonitoringExchange() { ::close(request_fd_); }

void MonitoringExchange::SetPhase(Phase phase, std::string detail) {
  {
    AnnotatedLock lock(&detail_mutex_);
    detail_ = std::move(detail);
  }
  phase_.store(phase);
}

std::string MonitoringExchange::PhaseDetail() const {
  AnnotatedLock lock(&detail_mutex_);
  return detail_;
}

std::optional<uint32_t> MonitoringExchange::TakeRequest() {
  uint64_t value = 0;
  (void)!::read(request_fd_, &value, sizeof value);
  if (!snapshot_wanted_.exchange(false)) return std::nullopt;
  return wanted_parts_.exchange(0);
}

std::vector<MonitoringExchange::TimelineQuery> MonitoringExchange::TakeTimelineQueries() {
  AnnotatedLock lock(&timeline_mutex_);
  return std::exchange(timeline_queries_, {});
}

void MonitoringExchange::RequestTimeline(TimelineQuery query) {
  {
    AnnotatedLock lock(&timeline_mutex_);
    timeline_queries_.push_back(std::move(query));
  }
  const uint64_t one = 1;
  (void)!::write(request_fd_, &one, sizeof one);
}

void MonitoringExchange::Publish(std::shared_ptr<const MonitoringSnapshot> snapshot) {
  latest_.store(std::move(snapshot));
}

std::shared_ptr<const MonitoringSnapshot> MonitoringExchange::Fresh(absl::Duration max_age,
                                                                    absl::Duration timeout,
                                                                    uint32_t parts) {
  std::shared_ptr<const MonitoringSnapshot> latest = latest_.load();
  const MonoNanos now = clock_.NowMono();
  auto has_parts = [parts](const MonitoringSnapshot& s) { return (s.parts & parts) == parts; };
  if (latest != nullptr && has_parts(*latest) &&
      now - latest->built_at <= absl::ToInt64Nanoseconds(max_age)) {
    return latest;
  }
  if (phase_.load() != Phase::kServing) return latest;  // no loop turns to answer
  wanted_parts_.fetch_or(parts);
  snapshot_wanted_.store(true);
  const uint64_t one = 1;
  (void)!::write(request_fd_, &one, sizeof one);
  const uint64_t seen = latest != nullptr ? latest->generation : 0;
  const MonoNanos give_up = now + absl::ToInt64Nanoseconds(timeout);
  // The reader's thread waits, never the loop: a short sleep between looks
  // is cheaper than making the loop signal a condition variable.
  while (clock_.NowMono() < give_up) {
    latest = latest_.load();
    // A snapshot built for another reader's request may lack our parts;
    // ours was asked for too, so the one after it has them.
    if (latest != nullptr && latest->generation != seen && has_parts(*latest)) return latest;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return latest_.load();
}

}  // namespace zonecast
