// zonecast terminal: a patrol unit's terminal. Waits for its broker if it
// is down, subscribes to its zone, prints each alert, acknowledges RECEIVED
// (the library does) and sends the officer's response given by --respond;
// with --interactive also what the officer types: responses, the emergency
// button, status codes, positions, text.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "receive_loop.h"

namespace zonecast::cli {

int RunTerminal() {
  const std::string command = "terminal";
  const std::string unit = absl::GetFlag(FLAGS_unit);
  const std::vector<std::string> patterns = absl::GetFlag(FLAGS_subscribe);
  if (unit.empty()) return UsageError(command, "--unit is required");
  if (patterns.empty()) return UsageError(command, "at least one --subscribe PATTERN is required");
  v1::AckLevel respond = v1::ACK_LEVEL_UNSPECIFIED;
  const std::string respond_name = absl::AsciiStrToUpper(absl::GetFlag(FLAGS_respond));
  if (!respond_name.empty() && (!v1::AckLevel_Parse(respond_name, &respond) ||
                                respond == v1::RECEIVED || respond == v1::ACK_LEVEL_UNSPECIFIED)) {
    return UsageError(command,
                      "--respond must be ACCEPTED, EN_ROUTE, ON_SCENE, RESOLVED or DECLINED");
  }
  absl::StatusOr<ClientOptions> base = BaseOptions();
  if (!base.ok()) return Failure(command, base.status());
  ClientOptions options = *std::move(base);
  options.role = v1::TERMINAL;
  options.unit_id = unit;
  options.patrol_group = absl::GetFlag(FLAGS_group);
  options.zone = absl::GetFlag(FLAGS_zone);
  const double give_up_s = absl::GetFlag(FLAGS_give_up_s);
  if (!(give_up_s >= 0)) return UsageError(command, "--give_up_s must be >= 0");
  // radio.<city>.<zone>.<unit>, for what the officer types (--interactive).
  std::string radio_topic;
  if (const std::vector<std::string> parts = absl::StrSplit(options.zone, '.');
      parts.size() == 2 && !parts[0].empty() && !parts[1].empty()) {
    radio_topic = absl::StrCat("radio.", parts[0], ".", parts[1], ".", unit);
  }
  absl::StatusOr<std::unique_ptr<Client>> client =
      ConnectWaiting(command, options, absl::Seconds(give_up_s));
  if (!client.ok()) return Failure(command, client.status());
  if (absl::Status status = (*client)->Subscribe(patterns); !status.ok()) {
    return Failure(command, status);
  }
  std::cerr << "zonecast terminal: unit " << unit << " subscribed to "
            << absl::StrJoin(patterns, ", ") << std::endl;
  return ReceiveLoop(command, **client, absl::GetFlag(FLAGS_json), absl::GetFlag(FLAGS_count),
                     respond, absl::GetFlag(FLAGS_interactive), radio_topic);
}

}  // namespace zonecast::cli
