// zonecast cancel / close: the center ends an open alert. Cancel withdraws
// it (a false alarm: every unit that got it is told to stand down); close
// marks it handled. Both stop its escalation and show in its timeline.
#include <iostream>

#include "absl/flags/flag.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "output.h"

namespace zonecast::cli {

namespace {

int RunUpdate(const std::string& command, v1::AlertUpdate::Kind kind) {
  std::string alert_id = absl::GetFlag(FLAGS_id);
  if (alert_id.empty() && !PositionalArgs().empty()) alert_id = PositionalArgs()[0];
  if (alert_id.empty()) return UsageError(command, "give the ALERT_ID");
  if (PositionalArgs().size() > 1) return UsageError(command, "give one ALERT_ID");
  const std::string topic = absl::GetFlag(FLAGS_topic);
  if (topic.empty())
    return UsageError(command, "--topic (the alert's, alert.<city>.<zone>) is required");
  const std::string text = absl::GetFlag(FLAGS_text);
  if (kind == v1::AlertUpdate::CANCELLED && text.empty()) {
    return UsageError(command, "--text REASON is required: the units are told why they stand down");
  }
  absl::StatusOr<ClientOptions> base = BaseOptions();
  if (!base.ok()) return Failure(command, base.status());
  ClientOptions options = *std::move(base);
  options.role = v1::CENTER;
  options.unit_id = absl::GetFlag(FLAGS_unit);
  if (options.unit_id.empty()) options.unit_id = DefaultUnitId("center");
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  if (!client.ok()) return Failure(command, client.status());
  absl::StatusOr<PublishResult> ack = kind == v1::AlertUpdate::CANCELLED
                                          ? (*client)->CancelAlert(topic, alert_id, text)
                                          : (*client)->CloseAlert(topic, alert_id, text);
  if (!ack.ok()) return Failure(command, ack.status());
  std::cout << PublishResultJson(*ack) << std::endl;
  return kExitOk;
}

}  // namespace

int RunCancel() { return RunUpdate("cancel", v1::AlertUpdate::CANCELLED); }
int RunClose() { return RunUpdate("close", v1::AlertUpdate::CLOSED); }

}  // namespace zonecast::cli
