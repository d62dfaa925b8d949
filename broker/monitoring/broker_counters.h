#pragma once
// BrokerCounters: the core loop's monotonically increasing counters. Plain
// integers: only the loop thread writes them; others see them through the
// StatsReply and the snapshots the loop publishes.
#include <array>
#include <cstdint>
#include <functional>

#include "absl/strings/string_view.h"
#include "zonecast/wire.pb.h"

namespace zonecast {

// X-macro so that every counter has one name, used by StatsReply and metrics.
// clang-format off (its layout of this list is not stable from run to run)
#define ZONECAST_BROKER_COUNTERS(X) \
  X(frames_received)                \
  X(frames_sent)                    \
  X(bytes_received)                 \
  X(bytes_sent)                     \
  X(sessions_opened)                \
  X(sessions_closed)                \
  X(session_takeovers)              \
  X(stale_hellos)                   \
  X(heartbeat_timeouts)             \
  X(heartbeat_timeouts_deferred)    \
  X(sessions_unconfirmed)           \
  X(alerts_placed)                  \
  X(alerts_on_border)               \
  X(alerts_outside_zones)           \
  X(positions_not_kept)             \
  X(connections_closed)             \
  X(peer_unreachable)               \
  X(published_durable)              \
  X(published_best_effort)          \
  X(published_no_interest)          \
  X(delivered)                      \
  X(acks_received)                  \
  X(subscriptions_added)            \
  X(subscriptions_removed)          \
  X(send_would_block)               \
  X(dropped_best_effort)            \
  X(dropped_behind)                 \
  X(retained_over_limit)            \
  X(slow_consumer_detected)         \
  X(slow_consumer_recovered)        \
  X(errors_sent)                    \
  X(errors_unsent)                  \
  X(protocol_errors)                \
  X(duplicates)                     \
  X(alert_id_conflicts)             \
  X(alerts_ended)                   \
  X(alerts_amended)                 \
  X(alerts_assigned)                \
  X(alerts_held)                    \
  X(alerts_held_stored)             \
  X(publishes_unknown_zone)         \
  X(storage_failures)               \
  X(history_requests)               \
  X(replays_started)                \
  X(replayed)                       \
  X(redelivered)                    \
  X(redeliveries_postponed)         \
  X(dead_lettered)                  \
  X(sessions_expired)               \
  X(escalations)                    \
  X(emergencies)                    \
  X(timeline_requests)              \
  X(catch_up_replays)               \
  X(auth_accepted)                  \
  X(auth_refused_unknown_key)       \
  X(auth_refused_malformed)         \
  X(handshakes_failed_plain)        \
  X(handshakes_failed_protocol)     \
  X(handshakes_failed_refused)      \
  X(identity_mismatches)            \
  X(keys_reloads)                   \
  X(keys_reload_failures)           \
  X(sessions_revoked)               \
  X(subscriptions_revoked)          \
  X(audit_events)                   \
  X(audit_failures)                 \
  X(sessions_refused)               \
  X(publishes_rate_limited)         \
  X(replies_dropped)                \
  X(sessions_cut_unread_replies)    \
  X(history_requests_refused)       \
  X(publishes_storage_busy)
// clang-format on

struct BrokerCounters {
#define ZONECAST_DECLARE_COUNTER(name) uint64_t name = 0;
  ZONECAST_BROKER_COUNTERS(ZONECAST_DECLARE_COUNTER)
#undef ZONECAST_DECLARE_COUNTER
  // Indexed by v1::ErrorCode and v1::AckLevel.
  std::array<uint64_t, v1::ErrorCode_ARRAYSIZE> errors_by_code{};
  std::array<uint64_t, v1::AckLevel_ARRAYSIZE> acks_by_level{};

  // Calls fn(name, value) for every counter, including one per error code
  // ("errors.MALFORMED_FRAME") and ack level ("acks.RECEIVED").
  void ForEach(const std::function<void(absl::string_view, uint64_t)>& fn) const;
};

}  // namespace zonecast
