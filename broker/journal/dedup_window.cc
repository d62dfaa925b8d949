#include "journal/dedup_window.h"

namespace zonecast {

const DedupWindow::Entry* DedupWindow::Find(absl::string_view alert_id) const {
  auto it = entries_.find(alert_id);
  return it == entries_.end() ? nullptr : &it->second;
}

void DedupWindow::Insert(absl::string_view alert_id, uint64_t seq, int64_t unix_ms) {
  if (alert_id.empty()) return;
  auto [it, inserted] = entries_.try_emplace(std::string(alert_id), Entry{seq, unix_ms});
  if (!inserted) return;
  Timed timed{Entry{seq, unix_ms}, it->first};
  if (in_order_.empty() || unix_ms >= in_order_.back().entry.unix_ms) {
    in_order_.push_back(std::move(timed));
  } else {
    stragglers_.emplace(unix_ms, std::move(timed));
  }
}

void DedupWindow::Expire(int64_t now_unix_ms) {
  const int64_t cutoff = now_unix_ms - window_ms_;
  while (!in_order_.empty() && in_order_.front().entry.unix_ms < cutoff) {
    entries_.erase(in_order_.front().id);
    in_order_.pop_front();
  }
  while (!stragglers_.empty() && stragglers_.begin()->first < cutoff) {
    entries_.erase(stragglers_.begin()->second.id);
    stragglers_.erase(stragglers_.begin());
  }
}

void DedupWindow::Clear() {
  entries_.clear();
  in_order_.clear();
  stragglers_.clear();
}

}  // namespace zonecast
