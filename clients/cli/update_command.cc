// zonecast amend / assign / cancel / close: the center steers an open
// alert. Amend changes its text, priority or location; assign sends a unit
// to it; cancel withdraws it (a false alarm: every unit that got it is told
// to stand down); close marks it handled (both stop its escalation). Every
// change reaches the alert's units and shows in its timeline.
#include <functional>
#include <iostream>

#include "absl/flags/flag.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "output.h"

namespace zonecast::cli {

namespace {

// The ALERT_ID and --topic every update names; false after a usage error.
bool AlertArgs(const std::string& command, std::string* alert_id, std::string* topic, int* exit) {
  *alert_id = absl::GetFlag(FLAGS_id);
  if (alert_id->empty() && !PositionalArgs().empty()) *alert_id = PositionalArgs()[0];
  *topic = absl::GetFlag(FLAGS_topic);
  if (alert_id->empty()) {
    *exit = UsageError(command, "give the ALERT_ID");
  } else if (PositionalArgs().size() > 1) {
    *exit = UsageError(command, "give one ALERT_ID");
  } else if (topic->empty()) {
    *exit = UsageError(command, "--topic (the alert's, alert.<city>.<zone>) is required");
  } else {
    return true;
  }
  return false;
}

// Sends the update `send` makes as a center console and prints its PubAck.
int SendUpdate(const std::string& command,
               const std::function<absl::StatusOr<PublishResult>(Client&)>& send) {
  absl::StatusOr<std::unique_ptr<Client>> client = ConnectCenter("center");
  if (!client.ok()) return Failure(command, client.status());
  absl::StatusOr<PublishResult> ack = send(**client);
  if (!ack.ok()) return Failure(command, ack.status());
  std::cout << PublishResultJson(*ack) << std::endl;
  return kExitOk;
}

int RunEnd(const std::string& command, v1::AlertUpdate::Kind kind) {
  std::string alert_id;
  std::string topic;
  if (int exit = 0; !AlertArgs(command, &alert_id, &topic, &exit)) return exit;
  const std::string text = absl::GetFlag(FLAGS_text);
  if (kind == v1::AlertUpdate::CANCELLED && text.empty()) {
    return UsageError(command, "--text REASON is required: the units are told why they stand down");
  }
  return SendUpdate(command, [&](Client& client) {
    return kind == v1::AlertUpdate::CANCELLED ? client.CancelAlert(topic, alert_id, text)
                                              : client.CloseAlert(topic, alert_id, text);
  });
}

}  // namespace

int RunCancel() { return RunEnd("cancel", v1::AlertUpdate::CANCELLED); }
int RunClose() { return RunEnd("close", v1::AlertUpdate::CLOSED); }

int RunAmend() {
  const std::string command = "amend";
  std::string alert_id;
  std::string topic;
  if (int exit = 0; !AlertArgs(command, &alert_id, &topic, &exit)) return exit;
  Client::Amendment change;
  change.title = absl::GetFlag(FLAGS_title);
  change.body = absl::GetFlag(FLAGS_body);
  const std::string priority = absl::GetFlag(FLAGS_priority);
  if (!priority.empty() && (!v1::Priority_Parse(priority, &change.priority) ||
                            change.priority == v1::PRIORITY_UNSPECIFIED)) {
    return UsageError(command, "--priority must be P1, P2, P3 or P4");
  }
  const std::string lat_text = absl::GetFlag(FLAGS_lat);
  const std::string lon_text = absl::GetFlag(FLAGS_lon);
  const std::string address = absl::GetFlag(FLAGS_address);
  if (!lat_text.empty() || !lon_text.empty() || !address.empty()) {
    double lat = 0;
    double lon = 0;
    if (lat_text.empty() != lon_text.empty() || !ParseCoordinate(lat_text, &lat) ||
        !ParseCoordinate(lon_text, &lon)) {
      return UsageError(command, "--lat and --lon go together, as numbers in degrees");
    }
    v1::Location& at = change.location.emplace();
    at.set_lat(lat);
    at.set_lon(lon);
    at.set_address(address);
  }
  if (change.title.empty() && change.body.empty() && change.priority == v1::PRIORITY_UNSPECIFIED &&
      !change.location.has_value()) {
    return UsageError(command, "give what changes: --title, --body, --priority or --lat/--lon");
  }
  return SendUpdate(command,
                    [&](Client& client) { return client.AmendAlert(topic, alert_id, change); });
}

int RunAssign() {
  const std::string command = "assign";
  std::string alert_id;
  std::string topic;
  if (int exit = 0; !AlertArgs(command, &alert_id, &topic, &exit)) return exit;
  const std::string unit = absl::GetFlag(FLAGS_to);
  if (unit.empty()) return UsageError(command, "--to UNIT (the unit sent) is required");
  const std::string note = absl::GetFlag(FLAGS_text);
  return SendUpdate(
      command, [&](Client& client) { return client.AssignAlert(topic, alert_id, unit, note); });
}

}  // namespace zonecast::cli
