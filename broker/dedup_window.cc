#include "dedup_window.h"

namespace zonecast {

const DedupWindow::Entry* DedupWindow::Find(absl::string_view alert_id) const {
  auto it = entries_.find(alert_id);
  return it == entries_.end() ? nullptr : &it->second;
}

void DedupWindow::Insert(absl::string_view alert_id, uint64_t seq, int64_t unix_ms) {
  if (alert_id.empty()) return;
  auto [it, inserted] = entries_.try_emplace(std::string(alert_id), Entry{seq, unix_ms});
  if (inserted) by_time_.emplace(unix_ms, it->first);
}

void DedupWindow::Expire(int64_t now_unix_ms) {
  const int64_t cutoff = now_unix_ms - window_ms_;
  while (!by_time_.empty() && by_time_.begin()->first < cutoff) {
    entries_.erase(by_time_.begin()->second);
    by_time_.erase(by_time_.begin());
  }
}

void DedupWindow::Clear() {
  entries_.clear();
  by_time_.clear();
}

}  // namespace zonecast
