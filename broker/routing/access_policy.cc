#include "routing/access_policy.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "protocol/alert_updates.h"
#include "protocol/topic.h"
#include "shared/wire_status.h"

namespace zonecast {
namespace {

absl::StatusOr<PublishClass> ClassifyAlert(v1::Role role, const v1::Publish& publish) {
  if (role != v1::CENTER) {
    return ProtocolError(v1::PERMISSION_DENIED,
                         absl::StrCat("a ", RoleName(role), " may not publish alerts ('",
                                      publish.topic(), "'); only the center may"));
  }
  // Routing, escalation and the zones map all key on the zone: an alert
  // without one would be stored but reach nobody and escalate nowhere.
  if (SplitTopic(publish.topic()).size() != 3) {
    return ProtocolError(v1::INVALID_TOPIC, absl::StrCat("alert topic '", publish.topic(),
                                                         "' must be alert.<city>.<zone>"));
  }
  if (publish.event().has_alert_update()) {
    // A change to an open alert: the loop checks it against the alert and
    // carries it at the alert's priority.
    const v1::AlertUpdate& update = publish.event().alert_update();
    if (update.alert_id().empty() || update.alert_id().size() > kMaxAlertIdBytes) {
      return ProtocolError(v1::INVALID_ARGUMENT, "an alert update names its alert_id");
    }
    switch (update.kind()) {
      case v1::AlertUpdate::CANCELLED:
      case v1::AlertUpdate::CLOSED:
        break;
      case v1::AlertUpdate::AMENDED:
        if (!AmendsSomething(update)) {
          return ProtocolError(v1::INVALID_ARGUMENT,
                               "an amendment sets a new title, text, priority or location");
        }
        if (update.priority() < v1::PRIORITY_UNSPECIFIED || update.priority() > v1::P4) {
          return ProtocolError(v1::INVALID_ARGUMENT, "alert priority must be P1..P4");
        }
        break;
      case v1::AlertUpdate::ASSIGNED:
        if (absl::Status unit = ValidateUnitId(update.unit()); !unit.ok()) {
          return ProtocolError(v1::INVALID_ARGUMENT,
                               absl::StrCat("an assignment names the unit sent: ", unit.message()));
        }
        break;
      default:
        return ProtocolError(v1::INVALID_ARGUMENT,
                             "the center amends, assigns, cancels or closes an alert "
                             "(TAKEN is the broker's)");
    }
    return PublishClass{v1::P1, /*durable=*/true};
  }
  if (!publish.event().has_alert()) {
    return ProtocolError(v1::INVALID_ARGUMENT,
                         "a publish to alert.> must carry an Alert or an AlertUpdate");
  }
  const v1::Alert& alert = publish.event().alert();
  if (alert.alert_id().empty()) {
    return ProtocolError(v1::INVALID_ARGUMENT, "alert_id is required (it is the idempotency key)");
  }
  if (alert.alert_id().size() > kMaxAlertIdBytes) {
    return ProtocolError(v1::INVALID_ARGUMENT,
                         absl::StrCat("alert_id longer than ", kMaxAlertIdBytes, " bytes"));
  }
  if (absl::StrContains(alert.alert_id(), kAlertUpdateSeparator)) {
    return ProtocolError(v1::INVALID_ARGUMENT,
                         absl::StrCat("'", kAlertUpdateSeparator,
                                      "' is reserved in alert ids (it keys the alert's updates)"));
  }
  if (alert.priority() < v1::P1 || alert.priority() > v1::P4) {
    return ProtocolError(v1::INVALID_ARGUMENT, "alert priority must be P1..P4");
  }
  return PublishClass{alert.priority(), /*durable=*/true};
}

absl::StatusOr<PublishClass> ClassifyRadio(v1::Role role, absl::string_view unit_id,
                                           const v1::Publish& publish) {
  TopicTokens tokens = SplitTopic(publish.topic());
  if (tokens.size() != 4) {
    return ProtocolError(v1::INVALID_TOPIC, absl::StrCat("radio topic '", publish.topic(),
                                                         "' must be radio.<city>.<zone>.<unit>"));
  }
  if (role == v1::PROBE) {
    return ProtocolError(v1::PERMISSION_DENIED, "a probe may publish only on probe.>");
  }
  if (role == v1::TERMINAL && tokens[3] != unit_id) {
    return ProtocolError(
        v1::PERMISSION_DENIED,
        absl::StrCat("unit '", unit_id, "' may not publish on another unit's topic '",
                     publish.topic(), "'"));
  }
  if (!publish.event().has_radio()) {
    return ProtocolError(v1::INVALID_ARGUMENT, "a publish to radio.> must carry a RadioEvent");
  }
  const v1::RadioEvent& radio = publish.event().radio();
  if (!radio.unit().empty() && radio.unit() != tokens[3]) {
    return ProtocolError(v1::INVALID_ARGUMENT, "radio event unit does not match its topic");
  }
  const v1::Priority asked = publish.priority();
  auto or_default = [asked](v1::Priority fallback) {
    return asked >= v1::P1 && asked <= v1::P4 ? asked : fallback;
  };
  switch (radio.kind()) {
    case v1::RadioEvent::EMERGENCY:
      return PublishClass{v1::P1, true};  // an officer in distress is always P1
    case v1::RadioEvent::STATUS:
    case v1::RadioEvent::TEXT:
      return PublishClass{or_default(v1::P3), true};
    case v1::RadioEvent::POSITION:
      return PublishClass{or_default(v1::P4), false};
    case v1::RadioEvent::PTT_START:
    case v1::RadioEvent::PTT_END:
      return PublishClass{or_default(v1::P3), false};
    default:
      return ProtocolError(v1::INVALID_ARGUMENT, "radio event kind is missing or unknown");
  }
}

}  // namespace

absl::string_view RoleName(v1::Role role) {
  switch (role) {
    case v1::CENTER:
      return "center";
    case v1::TERMINAL:
      return "terminal";
    case v1::PROBE:
      return "probe";
    default:
      return "unknown";
  }
}

absl::StatusOr<PublishClass> ClassifyPublish(v1::Role role, absl::string_view unit_id,
                                             const v1::Publish& publish) {
  const absl::string_view family = TopicFamily(publish.topic());
  if (family == "alert") return ClassifyAlert(role, publish);
  if (family == "radio") return ClassifyRadio(role, unit_id, publish);
  if (family == "probe") {
    if (SplitTopic(publish.topic()).size() < 2) {
      return ProtocolError(v1::INVALID_TOPIC, "probe topics are probe.<name>[.<more>]");
    }
    const v1::Priority asked = publish.priority();
    return PublishClass{asked >= v1::P1 && asked <= v1::P4 ? asked : v1::P4, false};
  }
  if (family == "ack" || family == "escalation" || family == "sys" || family == "dlq") {
    return ProtocolError(v1::PERMISSION_DENIED,
                         absl::StrCat("'", family, ".>' is published by the broker only"));
  }
  return ProtocolError(v1::INVALID_TOPIC,
                       absl::StrCat("unknown topic family '", family,
                                    "'; clients publish on alert.>, radio.> or probe.>"));
}

}  // namespace zonecast
