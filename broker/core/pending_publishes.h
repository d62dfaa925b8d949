#pragma once
// PendingPublishes: durable publishes between their journal append and the
// disk. The journal reports completions by sequence number; this is where
// the loop keeps what it needs then: the encoded frame to route, the parsed
// event (so an alert is never parsed back out of its bytes), who waits for
// the PubAck, and the repeats of the same alert id that arrived meanwhile
// (each gets the first one's PubAck or error).
//
// Core loop thread only.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "protocol/session_id.h"
#include "zmq.hpp"
#include "zonecast/wire.pb.h"

namespace zonecast {

// A durable publish waiting for its batch to reach the disk.
struct PendingPublish {
  SessionId publisher = 0;  // 0: the broker's own publish
  uint64_t request_id = 0;  // 0: nobody waits for a PubAck
  uint64_t seq = 0;
  std::string alert_id;
  uint32_t fingerprint = 0;  // an alert's AlertFingerprint (0: not an alert)
  std::string topic;
  v1::Priority priority = v1::P4;
  zmq::message_t frame;  // encoded Frame{deliver}, shared with recipients
  // The event, parsed, where what happens once it is stored needs it: an
  // alert the Escalator follows (a zones map is loaded), an emergency. Kept
  // for those only: holding every alert until its batch is on disk would
  // cost the allocator more than the title alone.
  v1::Event event;
  std::string title;           // an alert's, for the open-alerts list
  int64_t broker_unix_ms = 0;  // the broker's clock at ingress
  std::string publisher_unit;  // empty for the broker's own publishes
  // An alert from the center (not a copy the broker re-routed): it waits for
  // a response and may escalate.
  bool awaits_response = false;
  bool emergency = false;  // a radio EMERGENCY: raise the alarm when stored
  // Repeats of the same alert id that arrived while this one was in flight,
  // as (session, request id).
  std::vector<std::pair<SessionId, uint64_t>> duplicates;
  MonoNanos ingress = 0;
  int64_t sent_unix_ms = 0;  // the publisher's clock, for end-to-end latency
  // A P1 acknowledged (and noted as stored) ahead of its fan-out, with the
  // other P1s stored with it (see CoreLoop::RouteStoredP1s).
  bool answered = false;
  // A P1 the journal could not store at first, sent live and held
  // (HeldAlerts), appended again once the journal healed.
  bool was_held = false;
  // The responses its live copy got meanwhile (HeldAlerts::Held).
  std::vector<std::pair<std::string, v1::AckLevel>> held_responses;
};

// The journal completes publishes in the order they were appended, which is
// seq order; so they wait in a deque, oldest first, filled and used in place.
// The entries themselves are recycled: a PendingPublish is larger than a
// deque node holds twice, so a deque of them would allocate per publish.
class PendingPublishes {
 public:
  // Appends a publish to fill in place. The reference stays valid until
  // Remove(seq), whatever is added meanwhile.
  // REQUIRES: seq is higher than that of every publish added before.
  PendingPublish& Add(uint64_t seq, const std::string& alert_id);

  // If a publish of `alert_id` is in flight, makes (session, request_id) wait
  // for its outcome too and returns true.
  bool AttachDuplicate(absl::string_view alert_id, SessionId session, uint64_t request_id);
  // The publish of `alert_id` in flight, or nullptr.
  const PendingPublish* FindByAlert(absl::string_view alert_id);

  // The publish with `seq`, or nullptr.
  PendingPublish* Find(uint64_t seq);
  // Forgets the publish with `seq` (normally the oldest).
  void Remove(uint64_t seq);

  size_t size() const { return by_seq_.size(); }

 private:
  std::optional<size_t> IndexOf(uint64_t seq) const;

  // Entries no longer pending, for reuse: at most kSpares.
  static constexpr size_t kSpares = 1024;

  std::deque<std::unique_ptr<PendingPublish>> by_seq_;  // ascending seq
  std::vector<std::unique_ptr<PendingPublish>> spares_;
  absl::flat_hash_map<std::string, uint64_t> alert_seq_;  // alert id -> seq in flight
};

}  // namespace zonecast
