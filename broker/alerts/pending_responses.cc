#include "alerts/pending_responses.h"

namespace zonecast {

void PendingResponses::Open(OpenAlert&& alert) {
  const MonoNanos deadline = alert.deadline;
  std::string id = alert.alert_id;
  if (!open_.try_emplace(id, std::move(alert)).second) return;
  timers_.Schedule(deadline, std::move(id));
}

bool PendingResponses::Respond(absl::string_view alert_id) { return open_.erase(alert_id) > 0; }

const OpenAlert* PendingResponses::Find(absl::string_view alert_id) const {
  auto it = open_.find(alert_id);
  return it == open_.end() ? nullptr : &it->second;
}

OpenAlert* PendingResponses::FindMutable(absl::string_view alert_id) {
  auto it = open_.find(alert_id);
  return it == open_.end() ? nullptr : &it->second;
}

void PendingResponses::Reschedule(absl::string_view alert_id, MonoNanos deadline) {
  auto it = open_.find(alert_id);
  if (it == open_.end()) return;
  // The old timer finds the deadline changed when it fires and is ignored.
  it->second.deadline = deadline;
  timers_.Schedule(deadline, std::string(alert_id));
}

}  // namespace zonecast
