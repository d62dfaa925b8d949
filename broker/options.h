#pragma once
// BrokerOptions: everything zonecastd can be told, as plain values. main.cc is
// the only place that reads flags; it fills this struct and calls Validate().
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "session_queue.h"
#include "zonecast/domain.pb.h"

namespace zonecast {

// When a durable delivery to a terminal is sent again (DESIGN.md contract 5).
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

// The journal (the embedded default store) and its promises.
struct JournalOptions {
  std::string data_dir = "./var/zonecast";  // segments go to <data_dir>/journal
  uint64_t segment_bytes = 64ull << 20;
  // true: fdatasync every batch before its PubAcks (--fsync=batch, the only
  // mode that keeps the durability promise); false: --fsync=never.
  bool fsync = true;
  uint64_t retention_bytes = 1ull << 30;
  absl::Duration retention_age = absl::Hours(168);
  bool strict_recovery = false;  // refuse to start on a damaged segment
  absl::Duration dedup_window = absl::Minutes(10);
  // Stop reading new frames while this much is submitted and not yet durable.
  uint64_t max_inflight_bytes = 64ull << 20;
};

struct BrokerOptions {
  // ZeroMQ endpoint of the ROUTER socket. "tcp://127.0.0.1:*" binds an
  // ephemeral port (tests); the bound endpoint is logged and written to
  // ready_file.
  std::string listen = "tcp://127.0.0.1:7400";
  std::string http = "127.0.0.1:7480";  // monitoring endpoint (HTTP), HOST:PORT
  // A StatsSnapshot goes to sys.stats this often; zero: never.
  absl::Duration stats_interval = absl::Seconds(5);
  uint32_t heartbeat_ms = 1000;
  uint32_t heartbeat_misses = 3;  // silence of misses * period: the peer is offline
  uint32_t max_frame_bytes = 65536;
  // Messages larger than TransportMaxBytes() are cut off by ZeroMQ itself
  // (the connection is dropped without an Error frame): a guard against
  // memory exhaustion. Frames between max_frame_bytes and it get Error
  // FRAME_TOO_LARGE.
  uint32_t transport_max_bytes = 4 << 20;
  uint32_t TransportMaxBytes() const {
    return std::max<uint32_t>(transport_max_bytes, 2 * max_frame_bytes);
  }
  QueueLimits queue_limits;
  int pipe_hwm = 1000;  // ZeroMQ per-peer send pipe, in messages
  size_t match_cache_entries = 4096;
  size_t read_batch = 512;  // frames drained per loop turn
  size_t max_subscriptions_per_session = 256;
  // Written when the HTTP endpoint listens ("http=HOST:PORT\n") and again
  // once the ZeroMQ socket is bound (adding "zmq=<endpoint>\n").
  std::string ready_file;
  std::string broker_id = "zonecastd";
  JournalOptions journal;
  RedeliveryPolicy redelivery;
  // Zones file (JSON): neighbours and response deadlines for escalation.
  std::string zones_path;
  // A durable session (terminal) unused this long is forgotten (journaled).
  absl::Duration session_expiry = absl::Hours(24 * 7);

  // InvalidArgument naming the first bad option.
  absl::Status Validate() const;
};

}  // namespace zonecast
