#pragma once
// HeldAlerts: P1 alerts and emergencies the journal could not store (a full
// or failing disk). A life-at-risk call must not wait for the disk: the
// loop sends such a publish live to the units online, tells the publisher
// it is held (PubAck.held), and keeps it here, in arrival order, until the
// journal is healthy again; then it is appended like any durable publish
// and routed once more as stored (units see the same alert id twice).
//
// Bounded: at most kMaxAlerts or kMaxBytes; beyond that a P1 is refused
// like any other publish (STORAGE_UNAVAILABLE). Lost if the broker dies
// before the disk heals; the PubAck says so to the publisher.
//
// Core loop thread only.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "zonecast/domain.pb.h"
#include "zonecast/wire.pb.h"

namespace zonecast {

class HeldAlerts {
 public:
  static constexpr size_t kMaxAlerts = 1000;
  static constexpr size_t kMaxBytes = 16 << 20;

  struct Held {
    v1::Frame frame;  // Frame{deliver}, seq 0, as it will be stored
    std::string alert_id;
    uint32_t fingerprint = 0;
    size_t bytes = 0;
    // Units that answered the live copy (ACCEPTED or further), and how:
    // applied to the stored alert, so that it does not escalate for want
    // of a response it had.
    std::vector<std::pair<std::string, v1::AckLevel>> responses;
  };

  // Keeps `held` unless it would pass the bounds (false then); `again`: one
  // held before whose store failed once more, kept whatever the bounds
  // (its publisher was told it is held). False if its alert id is held.
  bool Hold(Held held, bool again = false);
  // A unit answered the live copy of held alert `alert_id`.
  void NoteResponse(absl::string_view alert_id, const std::string& unit, v1::AckLevel level);
  bool Contains(absl::string_view alert_id) const { return ids_.contains(alert_id); }
  // Hands every held alert back, oldest first, and forgets them.
  std::deque<Held> TakeAll();

  bool empty() const { return held_.empty(); }
  size_t size() const { return held_.size(); }
  size_t bytes() const { return bytes_; }

 private:
  std::deque<Held> held_;
  absl::flat_hash_set<std::string> ids_;
  size_t bytes_ = 0;
};

}  // namespace zonecast
