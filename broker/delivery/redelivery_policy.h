#pragma once
// RedeliveryPolicy: when a durable delivery that a terminal has not
// confirmed with RECEIVED is sent again, and when it is given up
// (ARCHITECTURE.md, delivery contract 5).
#include <array>
#include <cstdint>
#include <vector>

#include "absl/time/time.h"
#include "zonecast/domain.pb.h"

namespace zonecast {

struct RedeliveryPolicy {
  // Wait for RECEIVED after the first delivery, by priority P1..P4.
  std::array<absl::Duration, 4> ack_wait = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(5),
                                            absl::Seconds(10)};
  // Wait after the n-th redelivery (the last step repeats).
  std::vector<absl::Duration> backoff = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(4),
                                         absl::Seconds(8)};
  // Deliveries without RECEIVED after which the message is dead-lettered.
  uint32_t max_deliveries = 5;

  absl::Duration AckWait(v1::Priority priority) const;
  absl::Duration Backoff(uint32_t redeliveries) const;
};

}  // namespace zonecast
