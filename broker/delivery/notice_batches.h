#pragma once
// NoticeBatches: the ack events a session is to hear of (the acks of its
// alerts, for a publisher; ack.> for a wall or a console watching it),
// gathered over one loop turn and sent as one Deliveries frame per
// session. A burst of alerts to crowded zones brings back a thousand
// RECEIVED acks per alert; sent one frame each, they filled the console's
// connection ahead of its own PubAcks (a P1's PubAck waited behind them)
// and cost the console and the walls more to read than the alerts.
//
// Core loop thread only.
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "protocol/session_id.h"
#include "zonecast/wire.pb.h"

namespace zonecast {

class NoticeBatches {
 public:
  // A frame holds at most this many: a frame stays far below the frame
  // limit, and a long turn still sends some of its notices early.
  static constexpr int kMaxPerFrame = 512;

  // Adds `deliver` for session `to`. Returns the batch as a frame to send
  // now when it reached kMaxPerFrame.
  std::optional<v1::Frame> Add(SessionId to, const v1::Deliver& deliver);

  // Takes every batch (at the end of a turn).
  std::vector<std::pair<SessionId, v1::Frame>> TakeAll();

  bool empty() const { return batches_.empty(); }

 private:
  absl::flat_hash_map<SessionId, v1::Frame> batches_;
};

}  // namespace zonecast
