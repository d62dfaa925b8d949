#pragma once
// The zonecast CLI subcommands. Each reads its flags (already parsed by
// main) and returns the process exit code (cli_common.h).
#include <string>
#include <vector>

namespace zonecast::cli {

struct Command {
  const char* name;
  const char* summary;
  const char* usage;               // shown by `zonecast NAME --help`
  std::vector<const char*> flags;  // flag names it reads, for --help
  int (*run)();
  bool takes_positional = false;
  // Reports bad flags or arguments and returns the exit code; null: the
  // shared UsageError (exit 2). A Nagios plugin must say UNKNOWN (3).
  int (*usage_error)(const std::string& message) = nullptr;
};

int RunPublish();
int RunTerminal();
int RunRadio();
int RunWatch();
int RunHistory();
int RunAlert();
int RunCancel();
int RunClose();
int RunAmend();
int RunAssign();
int RunProbe();
int RunStats();
int RunUnits();
int RunKeygen();
int RunDemo();

// The probe's bad-usage report: one "ZONECAST UNKNOWN - <message>" line on
// stdout; returns 3 (UNKNOWN).
int ProbeUsageError(const std::string& message);

// Arguments after the flags (`alert` takes the alert id, `keygen` a path).
const std::vector<std::string>& PositionalArgs();

const std::vector<Command>& Commands();

}  // namespace zonecast::cli
