#pragma once
// The center's and the broker's changes to a published alert (AlertUpdate):
// their idempotency keys, and what an amendment does to the alert.
//
// An update's key is "<alert id>#<kind>[-<what>]", e.g. "lanhua-1#cancelled",
// "lanhua-1#taken-jc-z10-v03", "lanhua-1#amended-2-1f2e3d4c" (the alert's
// amendments and assignments so far, then the amendment's fingerprint),
// "lanhua-1#assigned-2-jc-z10-v01". A cancel repeated (a retry, a second
// console) is then a duplicate of the first, in the dedup window and
// across restarts; so is an amendment or assignment repeated while the
// first is on its way to the disk. Once one is applied the count moves on:
// the loop then also takes the same change as a repeat of the last one
// applied (a retry after its PubAck), while changing an alert back (amend
// A, B, then A again) is a new amendment.
// The journal's records of an alert's updates are found by the alert's id;
// '#' is therefore not allowed in alert ids.
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "zonecast/domain.pb.h"

namespace zonecast {

inline constexpr char kAlertUpdateSeparator[] = "#";

// `revision`: the alert's amendments and assignments applied so far
// (used for AMENDED and ASSIGNED only).
std::string AlertUpdateKey(const v1::AlertUpdate& update, uint32_t revision);

// Whether a journaled publish's key `key` is alert `alert_id` or one of its
// updates.
inline bool IsKeyOfAlert(absl::string_view key, absl::string_view alert_id) {
  return key.size() >= alert_id.size() && key.substr(0, alert_id.size()) == alert_id &&
         (key.size() == alert_id.size() || key[alert_id.size()] == kAlertUpdateSeparator[0]);
}

// A copy of an alert the broker sent to another zone (an escalation step,
// or a location on a shared border), not the alert as the center published
// it: the original is the one its timeline and open-alerts entry follow.
inline bool IsCopyOfAlert(const v1::Alert& alert) {
  return !alert.escalated_from_zone().empty() || !alert.copy_of_zone().empty();
}

// Cancel and close end an alert: no more escalation, off the open list.
inline bool EndsAlert(v1::AlertUpdate::Kind kind) {
  return kind == v1::AlertUpdate::CANCELLED || kind == v1::AlertUpdate::CLOSED;
}

// True if an AMENDED update changes anything.
bool AmendsSomething(const v1::AlertUpdate& amendment);
// Writes the amendment's set fields over `alert`.
void ApplyAmendment(const v1::AlertUpdate& amendment, v1::Alert* alert);
// For people: "priority P1; title: ...; location: ...".
std::string DescribeAmendment(const v1::AlertUpdate& amendment);

}  // namespace zonecast
