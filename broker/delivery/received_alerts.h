#pragma once
// ReceivedAlerts: which alerts each patrol unit confirmed it received (its
// acks), so that it may respond to those later - after a reconnect, a
// take-over or a broker restart (rebuilt from the journal's ack records) -
// and to no other: an ACCEPTED from a unit that never got the alert would
// stop its escalation. What is sent and not yet confirmed is the ack
// tracker's to know.
//
// Bounded: the last kPerUnit alerts of each unit; an older one may no
// longer be answered (by then it has escalated or been resolved).
//
// Core loop thread only.
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"

namespace zonecast {

class ReceivedAlerts {
 public:
  static constexpr size_t kPerUnit = 256;

  // `unit` confirmed the alert `alert_id` stored as `seq` (again or first).
  void Record(absl::string_view unit, uint64_t seq, absl::string_view alert_id);
  // True if `unit` confirmed that alert as `seq`.
  bool Contains(absl::string_view unit, uint64_t seq, absl::string_view alert_id) const;
  // The unit's durable session expired.
  void Forget(absl::string_view unit) { units_.erase(unit); }

  size_t units() const { return units_.size(); }

 private:
  // (seq, hash of the alert id): a set to look up, and a ring of the same
  // entries in the order they came, the oldest overwritten first.
  using Entry = std::pair<uint64_t, size_t>;
  struct Unit {
    absl::flat_hash_set<Entry> entries;
    std::vector<Entry> order;
    size_t next = 0;
  };
  absl::flat_hash_map<std::string, Unit> units_;
};

}  // namespace zonecast
