#include "core/held_alerts.h"

#include <utility>

namespace zonecast {

bool HeldAlerts::Hold(Held held, bool again) {
  if (!again && (held_.size() >= kMaxAlerts || bytes_ + held.bytes > kMaxBytes)) return false;
  if (!ids_.insert(held.alert_id).second) return false;
  bytes_ += held.bytes;
  held_.push_back(std::move(held));
  return true;
}

void HeldAlerts::NoteResponse(absl::string_view alert_id, const std::string& unit,
                              v1::AckLevel level) {
  for (Held& held : held_) {
    if (held.alert_id == alert_id) {
      held.responses.emplace_back(unit, level);
      return;
    }
  }
}

std::deque<HeldAlerts::Held> HeldAlerts::TakeAll() {
  std::deque<Held> all;
  all.swap(held_);
  ids_.clear();
  bytes_ = 0;
  return all;
}

}  // namespace zonecast
