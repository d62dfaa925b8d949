#include "routing/match_cache.h"

namespace zonecast {

MatchCache::MatchCache(size_t max_entries) : max_entries_(max_entries) {}

const MatchResult* MatchCache::Find(absl::string_view topic) {
  auto it = entries_.find(topic);
  if (it == entries_.end()) {
    ++counters_.misses;
    return nullptr;
  }
  ++counters_.hits;
  return &it->second;
}

void MatchCache::Insert(absl::string_view topic, MatchResult result) {
  if (max_entries_ == 0) return;
  if (entries_.size() >= max_entries_) {
    // Evict in bulk so the cost is amortised over many inserts.
    size_t to_evict = std::max<size_t>(1, max_entries_ / 4);
    for (auto it = entries_.begin(); it != entries_.end() && to_evict > 0; --to_evict) {
      entries_.erase(it++);
      ++counters_.evictions;
    }
  }
  entries_.insert_or_assign(std::string(topic), std::move(result));
}

void MatchCache::Invalidate() {
  if (entries_.empty()) return;
  entries_.clear();
  ++counters_.invalidations;
}

}  // namespace zonecast
