#include "alerts/alert_book.h"

namespace zonecast {

void AlertBook::Open(OpenAlert&& alert) {
  const MonoNanos deadline = alert.deadline;
  std::string id = alert.alert_id;
  if (!open_.try_emplace(id, std::move(alert)).second) return;
  timers_.Schedule(deadline, std::move(id));
}

bool AlertBook::Respond(absl::string_view alert_id) { return open_.erase(alert_id) > 0; }

const OpenAlert* AlertBook::Find(absl::string_view alert_id) const {
  auto it = open_.find(alert_id);
  return it == open_.end() ? nullptr : &it->second;
}

}  // namespace zonecast
