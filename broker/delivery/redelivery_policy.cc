#include "delivery/redelivery_policy.h"

#include <algorithm>

namespace zonecast {

absl::Duration RedeliveryPolicy::AckWait(v1::Priority priority) const {
  const int index = std::clamp(static_cast<int>(priority) - 1, 0, 3);
  return ack_wait[static_cast<size_t>(index)];
}

absl::Duration RedeliveryPolicy::Backoff(uint32_t redeliveries) const {
  if (backoff.empty()) return absl::Seconds(1);
  const size_t index =
      std::min<size_t>(redeliveries == 0 ? 0 : redeliveries - 1, backoff.size() - 1);
  return backoff[index];
}

}  // namespace zonecast
