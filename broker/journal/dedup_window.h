#pragma once
// DedupWindow: alert ids seen within the last `window` (--dedup_window), with
// the seq their first publish got. A publish repeating an alert id inside
// the window is answered with the original PubAck and routed only once
// (ARCHITECTURE.md, delivery contract 2). Rebuilt from the journal on start.
//
// Core loop thread only.
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace zonecast {

class DedupWindow {
 public:
  struct Entry {
    uint64_t seq = 0;
    int64_t unix_ms = 0;
    uint32_t fingerprint = 0;  // AlertFingerprint; 0: not known
  };

  explicit DedupWindow(absl::Duration window) : window_ms_(absl::ToInt64Milliseconds(window)) {}

  // The entry for `alert_id`, or nullptr.
  const Entry* Find(absl::string_view alert_id) const;
  // Records an accepted alert id (first publish wins; a later insert of the
  // same id is ignored).
  void Insert(absl::string_view alert_id, uint64_t seq, int64_t unix_ms, uint32_t fingerprint);
  // Forgets ids older than the window, relative to `now_unix_ms`.
  void Expire(int64_t now_unix_ms);
  void Clear();
  // Forgets the ids whose seq is in [first, last]: their records were lost.
  void EraseSeqs(uint64_t first, uint64_t last);

  size_t size() const { return entries_.size(); }
  // Calls fn(id, entry) oldest first (stragglers after the in-order run),
  // so a checkpoint written from it is read back mostly in order.
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const Timed& t : in_order_) fn(t.id, t.entry);
    for (const auto& [unix_ms, t] : stragglers_) fn(t.id, t.entry);
  }

 private:
  int64_t window_ms_;
  absl::flat_hash_map<std::string, Entry> entries_;
  // Ids by time. Publishes arrive in time order (broker ingress), so they go
  // to the deque in O(1); the rare older one (a checkpoint's entries come in
  // hash order, the wall clock may step back) goes to the ordered map.
  struct Timed {
    Entry entry;
    std::string id;
  };
  std::deque<Timed> in_order_;
  std::multimap<int64_t, Timed> stragglers_;
};

}  // namespace zonecast
