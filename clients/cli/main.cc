// zonecast: command-line client of the zonecast broker.
//   zonecast publish | terminal | radio | watch  [flags]
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/strings/str_join.h"
#include "cli_common.h"
#include "commands.h"

namespace zonecast::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command>* const commands = new std::vector<Command>{
      {"publish",
       "publish one alert from the center and print its PubAck",
       "Usage: zonecast publish --topic alert.<city>.<zone> --title TEXT [--priority P1..P4]\n"
       "         [--body TEXT] [--lat X --lon Y] [--address TEXT] [--category C] [--id ALERT_ID]\n"
       "\n"
       "Publishes an alert as the center and prints the broker's PubAck as one JSON line\n"
       "({\"seq\":...,\"alert_id\":...}). Exit 0 on PubAck; 1 if the broker is unreachable,\n"
       "answers with an Error or times out (retry with the same --id); 2 on bad flags.",
       {"broker", "timeout_ms", "topic", "priority", "title", "body", "category", "lat", "lon",
        "address", "id", "unit"},
       &RunPublish},
      {"terminal",
       "run a patrol terminal: print alerts, ack them, respond",
       "Usage: zonecast terminal --unit UNIT [--group GROUP] [--zone ZONE]\n"
       "         --subscribe PATTERN [--subscribe PATTERN ...] [--count N] [--json]\n"
       "         [--respond ACCEPTED|EN_ROUTE|ON_SCENE|RESOLVED|DECLINED [--text TEXT]]\n"
       "         [--interactive]\n"
       "\n"
       "Connects as patrol unit UNIT, prints every delivered message (one JSON line each\n"
       "with --json), acknowledges RECEIVED automatically and sends --respond for each\n"
       "alert. With --interactive, type a response (accepted, en_route, on_scene,\n"
       "resolved, declined, then optional text) for the last alert shown. Runs until\n"
       "--count deliveries or Ctrl-C. Reconnects by itself and is replayed what it missed.",
       {"broker", "timeout_ms", "unit", "group", "zone", "subscribe", "count", "json", "respond",
        "text", "interactive"},
       &RunTerminal},
      {"radio",
       "send one radio event (position, status, emergency ...) upward",
       "Usage: zonecast radio --unit UNIT --topic radio.<city>.<zone>.<unit>\n"
       "         --kind POSITION|STATUS|EMERGENCY|PTT_START|PTT_END|TEXT\n"
       "         [--lat X --lon Y] [--status CODE] [--text TEXT]\n"
       "\n"
       "Publishes one radio event as patrol unit UNIT and prints the PubAck as JSON.\n"
       "POSITION and PTT are best-effort (seq 0); STATUS, TEXT and EMERGENCY are durable.",
       {"broker", "timeout_ms", "unit", "group", "zone", "topic", "kind", "lat", "lon", "status",
        "text"},
       &RunRadio},
      {"watch",
       "show alerts, radio events, acks and presence as they pass",
       "Usage: zonecast watch --subscribe PATTERN [--subscribe PATTERN ...] [--json]\n"
       "         [--count N] [--role center|probe] [--unit NAME]\n"
       "\n"
       "The center's and monitors' view: prints everything matching the patterns, e.g.\n"
       "'alert.jincheng.*', 'radio.>', 'ack.>', 'sys.presence.>'. Does not acknowledge.",
       {"broker", "timeout_ms", "subscribe", "json", "count", "role", "unit"},
       &RunWatch},
      {"history",
       "print stored messages from the broker's journal",
       "Usage: zonecast history --topic PATTERN [--since-seq N | --since RFC3339]\n"
       "         [--limit N] [--json]\n"
       "\n"
       "Prints the durable messages whose topic matches PATTERN (wildcards allowed), oldest\n"
       "first, as the journal holds them; served off the routing thread. When --limit cuts\n"
       "the answer short, stderr says which --since-seq continues it.",
       {"broker", "timeout_ms", "topic", "since_seq", "since", "limit", "json", "unit"},
       &RunHistory},
      {"alert",
       "print an alert's timeline: published, delivered, acks, escalations",
       "Usage: zonecast alert [--json] ALERT_ID\n"
       "\n"
       "Prints everything that happened to one alert, in broker time order: who published\n"
       "it, each delivery and redelivery (to which unit), each ack with its level, and\n"
       "escalations, with the time since publication. Rebuilt from the journal.",
       {"broker", "timeout_ms", "json", "id"},
       &RunAlert,
       /*takes_positional=*/true},
  };
  return *commands;
}

namespace {
std::vector<std::string> g_positional;
}  // namespace

const std::vector<std::string>& PositionalArgs() { return g_positional; }

namespace {

void PrintUsage(std::ostream& out) {
  out << "zonecast: command-line client of the zonecast police alert broker.\n\n"
         "Usage: zonecast COMMAND [flags]      (zonecast COMMAND --help for its flags)\n\n"
         "Commands:\n";
  for (const Command& c : Commands()) {
    out << "  " << c.name << std::string(10 - std::strlen(c.name), ' ') << c.summary << "\n";
  }
}

void PrintCommandHelp(const Command& command) {
  std::cout << command.usage
            << "\n\nFlags (dashes and underscores in names are "
               "interchangeable):\n";
  for (const char* name : command.flags) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr) continue;
    std::cout << "  --" << name;
    if (!flag->DefaultValue().empty()) std::cout << "=" << flag->DefaultValue();
    std::cout << "\n      " << flag->Help() << "\n";
  }
}

// Rewrites flag names to underscores and folds every --subscribe occurrence
// into one comma-separated --subscribe (Abseil keeps only the last one of a
// repeated flag). Returns the new argv strings.
std::vector<std::string> PrepareArgs(int argc, char** argv) {
  std::vector<std::string> args;
  std::vector<std::string> patterns;
  args.emplace_back(argv[0]);
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0) {
      for (size_t j = 2; j < arg.size() && arg[j] != '='; ++j) {
        if (arg[j] == '-') arg[j] = '_';
      }
    }
    if (arg == "--subscribe" && i + 1 < argc) {
      patterns.emplace_back(argv[++i]);
      continue;
    }
    if (arg.rfind("--subscribe=", 0) == 0) {
      patterns.push_back(arg.substr(std::strlen("--subscribe=")));
      continue;
    }
    args.push_back(std::move(arg));
  }
  if (!patterns.empty()) args.push_back("--subscribe=" + absl::StrJoin(patterns, ","));
  return args;
}

}  // namespace
}  // namespace zonecast::cli

int main(int argc, char** argv) {
  using namespace zonecast::cli;
  if (argc < 2) {
    PrintUsage(std::cerr);
    return kExitUsage;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(std::cout);
    return kExitOk;
  }
  const Command* command = nullptr;
  for (const Command& c : Commands()) {
    if (name == c.name) command = &c;
  }
  if (command == nullptr) {
    std::cerr << "zonecast: unknown command '" << name << "'\n\n";
    PrintUsage(std::cerr);
    return kExitUsage;
  }
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "--helpfull") {
      PrintCommandHelp(*command);
      return kExitOk;
    }
  }
  std::vector<std::string> args = PrepareArgs(argc, argv);
  std::vector<char*> arg_pointers;
  arg_pointers.reserve(args.size());
  for (std::string& arg : args) arg_pointers.push_back(arg.data());
  // Unknown flags make Abseil print the problem and exit(1); turn bad
  // values and stray arguments into our usage exit code instead.
  std::vector<char*> rest =
      absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  if (rest.size() > 1 && !command->takes_positional) {
    return UsageError(command->name, std::string("unexpected argument '") + rest[1] + "'");
  }
  for (size_t i = 1; i < rest.size(); ++i) g_positional.emplace_back(rest[i]);
  return command->run();
}
