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
};

int RunPublish();
int RunTerminal();
int RunRadio();
int RunWatch();
int RunHistory();
int RunAlert();

// Arguments after the flags (only `alert` takes one: the alert id).
const std::vector<std::string>& PositionalArgs();

const std::vector<Command>& Commands();

}  // namespace zonecast::cli
