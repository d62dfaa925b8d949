#pragma once
// Who may publish what, and how each message is carried. The topic families
// and roles are those of ARCHITECTURE.md:
//
//   family      publishers               payload      carried as
//   alert.>     center                   Alert        durable, priority from the alert
//                                        AlertUpdate  durable, the alert's priority
//   radio.c.z.u terminal u, center       RadioEvent   POSITION and PTT best-effort (P4/P3);
//                                                     EMERGENCY durable P1; STATUS, TEXT durable
//   probe.>     any role                 any          best-effort
//   ack. escalation. sys. dlq.   the broker only
//
// Subscriptions are open to every role.
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "zonecast/wire.pb.h"

namespace zonecast {

// Alert ids are stored with a 16-bit length and shown to people: keep them short.
inline constexpr size_t kMaxAlertIdBytes = 128;

struct PublishClass {
  v1::Priority priority = v1::P4;
  bool durable = false;
};

// Checks a publish of `publish` by a session of `role` and `unit_id`, after
// the topic was validated as literal. On success returns how to carry it.
// Errors (with wire codes): PERMISSION_DENIED for a family the role may not
// publish to (or another unit's radio topic); INVALID_TOPIC for an unknown
// family or a radio topic that is not radio.<city>.<zone>.<unit>;
// INVALID_ARGUMENT for a payload that does not fit the family (no alert id,
// no priority, wrong event kind).
absl::StatusOr<PublishClass> ClassifyPublish(v1::Role role, absl::string_view unit_id,
                                             const v1::Publish& publish);

// "center", "terminal", "probe".
absl::string_view RoleName(v1::Role role);

}  // namespace zonecast
