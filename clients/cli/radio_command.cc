// zonecast radio: a patrol unit sends one radio event upward.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "output.h"

namespace zonecast::cli {

int RunRadio() {
  const std::string command = "radio";
  const std::string unit = absl::GetFlag(FLAGS_unit);
  const std::string topic = absl::GetFlag(FLAGS_topic);
  if (unit.empty()) return UsageError(command, "--unit is required");
  if (topic.empty()) return UsageError(command, "--topic is required (radio.<city>.<zone>.<unit>)");
  v1::RadioEvent::Kind kind;
  if (!v1::RadioEvent::Kind_Parse(absl::AsciiStrToUpper(absl::GetFlag(FLAGS_kind)), &kind) ||
      kind == v1::RadioEvent::KIND_UNSPECIFIED) {
    return UsageError(command,
                      "--kind must be POSITION, STATUS, EMERGENCY, PTT_START, PTT_END or TEXT");
  }
  double lat = 0;
  double lon = 0;
  if (!ParseCoordinate(absl::GetFlag(FLAGS_lat), &lat) ||
      !ParseCoordinate(absl::GetFlag(FLAGS_lon), &lon)) {
    return UsageError(command, "--lat and --lon must be numbers in degrees");
  }
  if (kind == v1::RadioEvent::STATUS && absl::GetFlag(FLAGS_status).empty()) {
    return UsageError(command, "--kind STATUS needs --status CODE");
  }

  v1::RadioEvent event;
  v1::RadioEvent* radio = &event;
  radio->set_unit(unit);
  radio->set_kind(kind);
  if (!absl::GetFlag(FLAGS_lat).empty() || !absl::GetFlag(FLAGS_lon).empty()) {
    radio->mutable_position()->set_lat(lat);
    radio->mutable_position()->set_lon(lon);
  }
  radio->set_status_code(absl::GetFlag(FLAGS_status));
  radio->set_text(absl::GetFlag(FLAGS_text));
  radio->set_event_unix_ms(absl::ToUnixMillis(absl::Now()));

  absl::StatusOr<ClientOptions> base = BaseOptions();
  if (!base.ok()) return Failure(command, base.status());
  ClientOptions options = *std::move(base);
  options.role = v1::TERMINAL;
  options.unit_id = unit;
  options.patrol_group = absl::GetFlag(FLAGS_group);
  options.zone = absl::GetFlag(FLAGS_zone);
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  if (!client.ok()) return Failure(command, client.status());
  absl::StatusOr<PublishResult> ack = (*client)->PublishRadio(topic, std::move(event));
  if (!ack.ok()) return Failure(command, ack.status());
  std::cout << PublishResultJson(*ack) << std::endl;
  return kExitOk;
}

}  // namespace zonecast::cli
