// zonecast publish: the center publishes one alert and prints its PubAck.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/random/random.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "output.h"

namespace zonecast::cli {

namespace {

// "A-<unix ms>-<random>": unique enough for one center; a retry must reuse it.
std::string GenerateAlertId() {
  absl::BitGen gen;
  return absl::StrCat("a-", absl::ToUnixMillis(absl::Now()), "-",
                      absl::Uniform<uint32_t>(gen, 0, 1u << 20));
}

}  // namespace

int RunPublish() {
  const std::string command = "publish";
  const std::string topic = absl::GetFlag(FLAGS_topic);
  const std::string title = absl::GetFlag(FLAGS_title);
  if (topic.empty()) return UsageError(command, "--topic is required");
  if (title.empty()) return UsageError(command, "--title is required");
  v1::Priority priority = v1::P3;
  const std::string priority_text = absl::GetFlag(FLAGS_priority);
  if (!priority_text.empty() &&
      (!v1::Priority_Parse(priority_text, &priority) || priority == v1::PRIORITY_UNSPECIFIED)) {
    return UsageError(command, "--priority must be P1, P2, P3 or P4");
  }
  double lat = 0;
  double lon = 0;
  if (!ParseCoordinate(absl::GetFlag(FLAGS_lat), &lat) ||
      !ParseCoordinate(absl::GetFlag(FLAGS_lon), &lon)) {
    return UsageError(command, "--lat and --lon must be numbers in degrees");
  }

  v1::Alert alert_fields;
  v1::Alert* alert = &alert_fields;
  std::string alert_id = absl::GetFlag(FLAGS_id);
  if (alert_id.empty()) alert_id = GenerateAlertId();
  alert->set_alert_id(alert_id);
  alert->set_topic(topic);
  alert->set_priority(priority);
  alert->set_category(absl::GetFlag(FLAGS_category));
  alert->set_title(title);
  alert->set_body(absl::GetFlag(FLAGS_body));
  alert->mutable_location()->set_lat(lat);
  alert->mutable_location()->set_lon(lon);
  alert->mutable_location()->set_address(absl::GetFlag(FLAGS_address));
  alert->set_created_unix_ms(absl::ToUnixMillis(absl::Now()));

  absl::StatusOr<std::unique_ptr<Client>> client = ConnectCenter("center");
  if (!client.ok()) return Failure(command, client.status());
  absl::StatusOr<PublishResult> ack = (*client)->PublishAlert(topic, std::move(alert_fields));
  if (!ack.ok()) return Failure(command, ack.status());
  std::cout << PublishResultJson(*ack) << std::endl;
  return kExitOk;
}

}  // namespace zonecast::cli
