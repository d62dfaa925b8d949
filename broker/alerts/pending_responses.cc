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

}  // namespace zonecast
