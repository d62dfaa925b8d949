#pragma once
// DeliveredLog: which alerts each patrol unit was sent lately, so that a
// unit may respond only to an alert it actually received (an ACCEPTED from
// a unit that never got the alert would stop its escalation). Kept per unit
// id, so it outlives reconnects and take-overs, and rebuilt from the
// journal's delivery records at start.
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

class DeliveredLog {
 public:
  static constexpr size_t kPerUnit = 256;

  // `unit` was sent the alert `alert_id` stored as `seq` (again or first).
  void Record(absl::string_view unit, uint64_t seq, absl::string_view alert_id);
  // True if `unit` was sent that alert as `seq`.
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
