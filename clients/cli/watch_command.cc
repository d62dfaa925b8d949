// zonecast watch: the center's and monitors' view of what passes.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_join.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "receive_loop.h"

namespace zonecast::cli {

int RunWatch() {
  const std::string command = "watch";
  const std::vector<std::string> patterns = absl::GetFlag(FLAGS_subscribe);
  if (patterns.empty()) return UsageError(command, "at least one --subscribe PATTERN is required");
  absl::StatusOr<ClientOptions> base = BaseOptions();
  if (!base.ok()) return Failure(command, base.status());
  ClientOptions options = *std::move(base);
  const std::string role = absl::GetFlag(FLAGS_role);
  if (role == "center") {
    options.role = v1::CENTER;
  } else if (role == "probe") {
    options.role = v1::PROBE;
  } else {
    return UsageError(command, "--role must be center or probe");
  }
  options.unit_id = absl::GetFlag(FLAGS_unit);
  if (options.unit_id.empty()) options.unit_id = DefaultUnitId("watch");
  // A watcher (a console or a probe) observes: the library sends RECEIVED
  // only for terminals.
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  if (!client.ok()) return Failure(command, client.status());
  if (absl::Status status = (*client)->Subscribe(patterns); !status.ok()) {
    return Failure(command, status);
  }
  std::cerr << "zonecast watch: subscribed to " << absl::StrJoin(patterns, ", ") << std::endl;
  return ReceiveLoop(command, **client, absl::GetFlag(FLAGS_json), absl::GetFlag(FLAGS_count),
                     v1::ACK_LEVEL_UNSPECIFIED);
}

}  // namespace zonecast::cli
