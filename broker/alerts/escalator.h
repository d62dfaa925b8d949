#pragma once
// Escalator: an alert nobody takes must reach the center and the
// neighbouring zones by itself, and keep reaching further until someone
// takes it.
//
// When an alert from the center is stored and routed, it escalates at once
// if no unit of its zone received it ("no_unit_online"); otherwise it waits
// until its zone's response deadline for its priority (zones file). A
// terminal's ACCEPTED, EN_ROUTE, ON_SCENE or RESOLVED takes it out (from as
// many units as the priority needs), and so does the center's cancel or
// close; at the deadline it escalates
// ("deadline"). Escalation goes in steps one deadline apart: step 1 sends
// copies to the zone's neighbours, step 2 to the ring of zones next to
// those, and so on through the map; once every zone has it, each further
// step is a "reminder" to the center (and to the zones file's
// supervisor_topic, if any). Every step publishes an Escalation on
// escalation.<city> with its level. At most kMaxLevel steps. An officer's emergency button raises a
// P1 alert for the unit's zone and its neighbours, and an Escalation ("emergency"), at once.
//
// The Escalator decides and keeps the deadlines; it does not publish. Each
// decision is an Escalation: the journal record and the messages to
// publish, in order, which the core loop carries out through the journal
// like any durable publish. Without a zones map there are no neighbours
// and no deadlines: only an alert no unit of its zone got escalates (to
// the center, on escalation.<city>).
//
// Core loop thread only; time comes from the Clock, so tests drive it with
// a FakeClock.
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "alerts/pending_responses.h"
#include "alerts/zones.h"
#include "common/clock.h"
#include "zonecast/domain.pb.h"
#include "zonecast/journal.pb.h"

namespace zonecast {

// One message the loop publishes for an escalation.
struct EscalationMessage {
  std::string topic;
  v1::Priority priority = v1::P1;
  v1::Event event;
  std::string alert_id;  // set on alert copies, so their acks and dedup follow the alert
  // The center that published the original: acks to this copy reach it too.
  std::string publisher;
};

// One escalation decision.
struct Escalation {
  // Journaled for an alert that escalates (not for the emergency button,
  // whose stored radio event is its record).
  std::optional<v1::JournalEscalation> record;
  std::vector<EscalationMessage> messages;
  // An emergency's alert and the topic of the unit's zone, for the
  // open-alerts list; unset otherwise.
  std::optional<v1::Alert> raised_alert;
  std::string raised_topic;
};

class Escalator {
 public:
  // `zones` and `clock` must outlive the Escalator.
  Escalator(const ZoneIndex& zones, const Clock& clock) : zones_(zones), clock_(clock) {}

  // An alert from the center was stored (seq) and routed to `terminals`
  // units of its zone (terminals that matched only through a wildcard do
  // not count). Returns the escalation if it escalates now; otherwise starts
  // its deadline, if its zone and priority have one.
  std::optional<Escalation> OnStored(uint64_t seq, const std::string& topic, v1::Priority priority,
                                     const std::string& publisher, const v1::Alert& alert,
                                     size_t terminals);

  // Unit `unit` answered `level` for `alert_id`; the wait stops once as
  // many units as its priority needs (zones file) have responded.
  void OnAck(absl::string_view alert_id, absl::string_view unit, v1::AckLevel level);
  // The center amended the alert: later copies carry the new text; a new
  // priority brings its own deadline (if sooner) and units needed.
  void OnAmended(const v1::AlertUpdate& amendment);
  // The zones an open alert's escalation steps sent copies to so far.
  std::vector<std::string> ZonesReached(absl::string_view alert_id) const;
  // The center cancelled or closed the alert: it escalates no more.
  void OnEnded(absl::string_view alert_id) {
    if (alert_id.empty()) return;
    pending_.Respond(alert_id);
    undated_.erase(alert_id);
  }

  // The escalations whose deadline passed, oldest first.
  std::vector<Escalation> Expire();
  MonoNanos NextDue() const { return pending_.NextDue(); }

  // A terminal pressed the emergency button: the radio event `radio`, stored
  // as seq on radio.<city>.<zone>.<unit>. Nullopt if the topic has no zone.
  std::optional<Escalation> OnEmergency(uint64_t seq, const std::string& topic,
                                        const v1::RadioEvent& radio);

  // Waits again for an alert recovered from the journal: `alert` with its
  // deadline in wall-clock time (deadline_unix_ms); one already past
  // escalates on the next Expire(). deadline_unix_ms 0: its priority has
  // no deadline; kept in case an amendment gives it one.
  void Reopen(OpenAlert alert);

  // The open alert `alert_id` (waiting for a response), or nullptr.
  const OpenAlert* Find(absl::string_view alert_id) const { return pending_.Find(alert_id); }
  size_t open() const { return pending_.open(); }

  // True for the ack levels that take an alert: ACCEPTED .. RESOLVED.
  static bool IsResponse(v1::AckLevel level);

  // Steps after which an alert nobody takes is left to the center's
  // open-alerts list: 100 P1 deadlines of 30 s are 50 minutes of reminders.
  static constexpr int kMaxLevel = 100;

 private:
  // The next step for `alert` (its level + 1), and its next deadline: the
  // alert is open again, one level up, unless it has no deadline or
  // reached kMaxLevel.
  Escalation Escalate(OpenAlert alert, const std::string& reason);
  // The zones exactly `distance` neighbour hops from `zone`.
  std::vector<std::string> Ring(absl::string_view city, absl::string_view zone, int distance) const;

  // Alerts whose priority has no deadline, kept (the newest kMaxUndated)
  // so that an amendment to a priority with one starts its wait.
  static constexpr size_t kMaxUndated = 10000;
  void KeepUndated(OpenAlert alert);

  const ZoneIndex& zones_;
  const Clock& clock_;
  PendingResponses pending_;
  absl::flat_hash_map<std::string, OpenAlert> undated_;
  std::deque<std::string> undated_order_;
};

}  // namespace zonecast
