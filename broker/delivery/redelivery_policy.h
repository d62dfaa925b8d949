#pragma once
// RedeliveryPolicy: when a durable delivery that a terminal has not
// confirmed with RECEIVED is sent again, and when it is given up
// (ARCHITECTURE.md, delivery contract 5).
#include <array>
#include <cstddef>
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
  // Each wait is stretched by up to this fraction of itself, at random, so
  // that the copies of a burst, sent together, do not all come due in the
  // same turn (the broker sets 0.25; 0 keeps waits exact).
  double jitter = 0;
  // Redeliveries to one session in one pass at most; its other due copies
  // wait a little longer, so one terminal that stopped acking does not take
  // a whole turn's redelivery budget from the others.
  size_t per_session_per_pass = SIZE_MAX;

  absl::Duration AckWait(v1::Priority priority) const;
  absl::Duration Backoff(uint32_t redeliveries) const;
};

}  // namespace zonecast
