#include "delivery/received_alerts.h"

#include "absl/hash/hash.h"

namespace zonecast {

void ReceivedAlerts::Record(absl::string_view unit, uint64_t seq, absl::string_view alert_id) {
  const Entry entry(seq, absl::Hash<absl::string_view>()(alert_id));
  Unit& log = units_[unit];
  if (!log.entries.insert(entry).second) return;  // a redelivery: there already
  if (log.order.size() < kPerUnit) {
    log.order.push_back(entry);
    return;
  }
  log.entries.erase(log.order[log.next]);
  log.order[log.next] = entry;
  log.next = (log.next + 1) % kPerUnit;
}

bool ReceivedAlerts::Contains(absl::string_view unit, uint64_t seq,
                              absl::string_view alert_id) const {
  auto it = units_.find(unit);
  return it != units_.end() &&
         it->second.entries.contains(Entry(seq, absl::Hash<absl::string_view>()(alert_id)));
}

}  // namespace zonecast
