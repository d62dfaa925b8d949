#pragma once
// LatencyTracker: the stage timestamps of durable messages and the latency
// histograms they feed, per stage, priority and zone.
//
// Stages, all on the broker's monotonic clock unless said otherwise:
//   ingress (Publish read) -> durable (its batch fdatasync'ed) -> each copy
//   sent to the socket -> RECEIVED from each terminal -> responses
//   (ACCEPTED, EN_ROUTE, ON_SCENE, RESOLVED).
// Samples: routing = ingress -> first copy sent; durable = ingress ->
// durable; delivery_rtt = a copy sent -> its RECEIVED; end_to_end =
// publisher's Publish.sent_unix_ms -> RECEIVED on the broker's wall clock
// (two machines' clocks: labelled "cross", negative values counted and
// recorded as 0), for copies sent live; catch_up = the same for copies a
// terminal got in its replay after being away; pub_ack = Publish.sent_unix_ms -> PubAck sent
// (cross, so time the frame waited in sockets before the loop read it shows); response_* = first
// copy sent -> the first response of that level.
//
// Stage times live in bounded FIFO maps (the most recent messages, and the
// most recent alerts for the slower human responses), so memory is fixed.
// After a restart the monotonic times of older messages are gone; their
// later stages are not sampled.
//
// Core loop thread only; readers get copies (Series()).
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "monitoring/latency_histogram.h"
#include "monitoring/monitoring_snapshot.h"
#include "zonecast/domain.pb.h"

namespace zonecast {

class LatencyTracker {
 public:
  struct Limits {
    size_t messages = 1 << 16;  // stage times of the most recent durable messages
    size_t alerts = 1 << 14;    // first-sent times of alerts awaiting responses
    size_t zones = 64;          // distinct zone labels; the rest count as "(other)"
  };
  LatencyTracker() : LatencyTracker(Limits()) {}
  explicit LatencyTracker(Limits limits);

  // A durable message's batch reached the disk. `sent_unix_ms` is the
  // publisher's clock (0 if it did not say); `alert` keeps its first-sent
  // time for the response stages.
  void OnDurable(uint64_t seq, absl::string_view topic, v1::Priority priority, MonoNanos ingress,
                 MonoNanos durable, int64_t sent_unix_ms, bool alert);
  // The PubAck of durable message `seq` (after its OnDurable, whose
  // sent_unix_ms it is measured from) went out at `now_unix_ms`.
  void OnPubAck(uint64_t seq, int64_t now_unix_ms);
  // A copy of durable message `seq` went to the socket (any recipient).
  void OnSent(uint64_t seq, MonoNanos now);
  // A terminal's RECEIVED for a copy sent at `sent_at` (0 if unknown). A
  // copy `replayed` to a terminal catching up after being away samples
  // catch_up instead of end_to_end: minutes offline are no live latency.
  void OnReceived(uint64_t seq, MonoNanos sent_at, MonoNanos now, int64_t now_unix_ms,
                  bool replayed = false);
  // An officer's response; the first of each level per alert is sampled.
  void OnResponse(uint64_t seq, v1::AckLevel level, MonoNanos now);

  // Copies of every series with samples.
  std::vector<LatencySeries> Series() const;
  // End-to-end samples whose publisher clock was ahead of the broker's.
  uint64_t negative_cross_clock() const { return negative_cross_clock_; }
  size_t tracked_messages() const { return messages_.size(); }

 private:
  struct Message {
    MonoNanos ingress = 0;
    MonoNanos first_sent = 0;  // 0 until the first copy is sent
    int64_t sent_unix_ms = 0;
    uint16_t zone = 0;
    uint8_t priority = 0;
  };
  struct Alert {
    MonoNanos first_sent = 0;
    uint16_t zone = 0;
    uint8_t priority = 0;
    uint8_t responded = 0;  // bit per AckLevel already sampled
  };

  uint16_t ZoneId(absl::string_view topic);
  void Record(LatencyStage stage, int priority, uint16_t zone, int64_t nanos);

  Limits limits_;
  absl::flat_hash_map<uint64_t, Message> messages_;
  std::deque<uint64_t> message_order_;
  absl::flat_hash_map<uint64_t, Alert> alerts_;
  std::deque<uint64_t> alert_order_;
  // Zone label -> id; id 0 is "none", id zones-1 is "(other)".
  absl::flat_hash_map<std::string, uint16_t> zone_ids_;
  std::vector<std::string> zone_names_;
  // [stage][priority 1..4 at 0..3][zone id], allocated on first sample.
  std::array<std::array<std::vector<std::unique_ptr<LatencyHistogram>>, 4>, kLatencyStageCount>
      histograms_;
  uint64_t negative_cross_clock_ = 0;
};

}  // namespace zonecast
