#pragma once
// MatchCache: a bounded memo of topic -> matching sessions, in front of the
// TopicTrie. Publishes to the same zone topics repeat far more often than
// subscriptions change (terminals connect rarely), so the whole cache is
// cleared on any subscription change instead of being patched in place
// (the routing loop holds no locks). Topics nobody listens to are cached too, as an empty result.
//
// Owned by the core loop; single-threaded.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "routing/topic_trie.h"

namespace zonecast {

// Sorted, duplicate-free session ids. Shared and immutable once built.
using MatchResult = std::shared_ptr<const std::vector<SessionId>>;

class MatchCache {
 public:
  struct Counters {
    uint64_t hits = 0;
    uint64_t misses = 0;
    uint64_t evictions = 0;
    uint64_t invalidations = 0;
  };

  // `max_entries` 0 disables caching (every lookup misses).
  explicit MatchCache(size_t max_entries = 4096);

  // The cached result, or nullptr on a miss. Counts the hit or miss.
  const MatchResult* Find(absl::string_view topic);

  // Stores a result. When full, first evicts a quarter of the entries
  // (arbitrary ones, as the hash order falls).
  void Insert(absl::string_view topic, MatchResult result);

  // Drops everything; call on every subscribe and unsubscribe.
  void Invalidate();

  size_t size() const { return entries_.size(); }
  const Counters& counters() const { return counters_; }

 private:
  size_t max_entries_;
  absl::flat_hash_map<std::string, MatchResult> entries_;
  Counters counters_;
};

}  // namespace zonecast
