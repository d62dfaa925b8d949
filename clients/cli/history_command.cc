// zonecast history: stored messages from the broker's journal.
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "output.h"

namespace zonecast::cli {

int RunHistory() {
  const std::string command = "history";
  const std::string pattern = absl::GetFlag(FLAGS_topic);
  if (pattern.empty()) return UsageError(command, "--topic PATTERN is required (e.g. 'alert.>')");
  HistoryQuery query;
  query.pattern = pattern;
  query.since_seq = absl::GetFlag(FLAGS_since_seq);
  const std::string since = absl::GetFlag(FLAGS_since);
  if (!since.empty()) {
    absl::Time t;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, since, &t, &error)) {
      return UsageError(command, "--since must be RFC 3339, e.g. 2026-11-29T04:00:00Z: " + error);
    }
    query.since_unix_ms = absl::ToUnixMillis(t);
  }
  const int32_t limit = absl::GetFlag(FLAGS_limit);
  if (limit < 1) return UsageError(command, "--limit must be at least 1");
  query.limit = static_cast<uint32_t>(limit);

  absl::StatusOr<std::unique_ptr<Client>> client = ConnectCenter("history");
  if (!client.ok()) return Failure(command, client.status());
  absl::StatusOr<HistoryPage> page = (*client)->History(query);
  if (!page.ok()) return Failure(command, page.status());
  const bool json = absl::GetFlag(FLAGS_json);
  for (const Message& deliver : page->messages) {
    std::cout << (json ? DeliveryJson(deliver) : DeliveryText(deliver)) << "\n";
  }
  std::cout.flush();
  if (page->next_seq != 0) {
    std::cerr << "zonecast history: more stored; continue with --since-seq " << page->next_seq
              << "\n";
  }
  return kExitOk;
}

}  // namespace zonecast::cli
