#include "delivery/delivered_log.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace zonecast {

void DeliveredLog::Record(absl::string_view unit, uint64_t seq, absl::string_view alert_id) {
  const std::pair<uint64_t, size_t> entry(seq, absl::Hash<absl::string_view>()(alert_id));
  Ring& ring = units_[unit];
  // A redelivery is already there.
  if (std::find(ring.entries.begin(), ring.entries.end(), entry) != ring.entries.end()) return;
  if (ring.entries.size() < kPerUnit) {
    ring.entries.push_back(entry);
    return;
  }
  ring.entries[ring.next] = entry;
  ring.next = (ring.next + 1) % kPerUnit;
}

bool DeliveredLog::Contains(absl::string_view unit, uint64_t seq,
                            absl::string_view alert_id) const {
  auto it = units_.find(unit);
  if (it == units_.end()) return false;
  const std::pair<uint64_t, size_t> entry(seq, absl::Hash<absl::string_view>()(alert_id));
  const std::vector<std::pair<uint64_t, size_t>>& entries = it->second.entries;
  return std::find(entries.begin(), entries.end(), entry) != entries.end();
}

}  // namespace zonecast
