#include "journal/dedup_window.h"

#include <algorithm>
#include <iterator>

namespace zonecast {

const DedupWindow::Entry* DedupWindow::Find(absl::string_view alert_id) const {
  auto it = entries_.find(alert_id);
  return it == entries_.end() ? nullptr : &it->second;
}

void DedupWindow::Insert(absl::string_view alert_id, uint64_t seq, int64_t unix_ms,
                         uint32_t fingerprint) {
  if (alert_id.empty()) return;
  const Entry entry{seq, unix_ms, fingerprint};
  auto [it, inserted] = entries_.try_emplace(std::string(alert_id), entry);
  if (!inserted) return;
  Timed timed{entry, it->first};
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

void DedupWindow::EraseSeqs(uint64_t first, uint64_t last) {
  // Each predicate call sees one entry once, so it may forget it too.
  auto forget = [this, first, last](const Timed& t) {
    if (t.entry.seq < first || t.entry.seq > last) return false;
    entries_.erase(t.id);
    return true;
  };
  in_order_.erase(std::remove_if(in_order_.begin(), in_order_.end(), forget), in_order_.end());
  for (auto it = stragglers_.begin(); it != stragglers_.end();) {
    it = forget(it->second) ? stragglers_.erase(it) : std::next(it);
  }
}

void DedupWindow::Clear() {
  entries_.clear();
  in_order_.clear();
  stragglers_.clear();
}

}  // namespace zonecast
