#include "core/held_alerts.h"

#include <utility>

namespace zonecast {

bool HeldAlerts::Hold(Held held) {
  if (held_.size() >= kMaxAlerts || bytes_ + held.bytes > kMaxBytes) return false;
  if (!ids_.insert(held.alert_id).second) return false;
  bytes_ += held.bytes;
  held_.push_back(std::move(held));
  return true;
}

std::deque<HeldAlerts::Held> HeldAlerts::TakeAll() {
  std::deque<Held> all;
  all.swap(held_);
  ids_.clear();
  bytes_ = 0;
  return all;
}

}  // namespace zonecast
