// zonecast: command-line client of the zonecast broker.
//   zonecast publish | terminal | radio | watch | history | alert | amend | assign | cancel |
//   close | probe | stats
//   [flags]
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli_common.h"
#include "commands.h"
#include "shared/flags.h"
#include "zonecast/version.h"

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
       {"broker", "key", "broker_key", "timeout_ms", "topic", "priority", "title", "body",
        "category", "lat", "lon", "address", "id", "unit"},
       &RunPublish},
      {"terminal",
       "run a patrol terminal: print alerts, ack them, respond",
       "Usage: zonecast terminal --unit UNIT [--group GROUP] [--zone CITY.ZONE]\n"
       "         --subscribe PATTERN [--subscribe PATTERN ...] [--count N] [--json]\n"
       "         [--respond ACCEPTED|EN_ROUTE|ON_SCENE|RESOLVED|DECLINED [--text TEXT]]\n"
       "         [--interactive] [--give_up_s S]\n"
       "\n"
       "Connects as patrol unit UNIT (waiting, and saying so, while the broker is down:\n"
       "for ever unless --give_up_s), prints every delivered message (one JSON line each\n"
       "with --json), acknowledges RECEIVED automatically and sends --respond for each\n"
       "alert. With --interactive, type a response (accepted, en_route, on_scene,\n"
       "resolved, declined, then optional text) for the last alert shown, or a radio\n"
       "event on radio.CITY.ZONE.UNIT (needs --zone): emergency [text], status CODE\n"
       "[text], position LAT LON, text MESSAGE. Runs until --count deliveries or Ctrl-C.\n"
       "Reconnects by itself and is replayed what it missed.",
       {"broker", "key", "broker_key", "timeout_ms", "unit", "group", "zone", "subscribe", "count",
        "json", "respond", "text", "interactive", "give_up_s"},
       &RunTerminal},
      {"radio",
       "send one radio event (position, status, emergency ...) upward",
       "Usage: zonecast radio --unit UNIT --topic radio.<city>.<zone>.<unit>\n"
       "         --kind POSITION|STATUS|EMERGENCY|PTT_START|PTT_END|TEXT\n"
       "         [--lat X --lon Y] [--status CODE] [--text TEXT]\n"
       "\n"
       "Publishes one radio event as patrol unit UNIT and prints the PubAck as JSON.\n"
       "POSITION and PTT are best-effort (seq 0); STATUS, TEXT and EMERGENCY are durable.",
       {"broker", "key", "broker_key", "timeout_ms", "unit", "group", "zone", "topic", "kind",
        "lat", "lon", "status", "text"},
       &RunRadio},
      {"watch",
       "show alerts, radio events, acks and presence as they pass",
       "Usage: zonecast watch --subscribe PATTERN [--subscribe PATTERN ...] [--json]\n"
       "         [--count N] [--role center|probe] [--unit NAME]\n"
       "\n"
       "The center's and monitors' view: prints everything matching the patterns, e.g.\n"
       "'alert.jincheng.*', 'radio.>', 'ack.>', 'sys.presence.>'. Does not acknowledge.",
       {"broker", "key", "broker_key", "timeout_ms", "subscribe", "json", "count", "role", "unit"},
       &RunWatch},
      {"history",
       "print stored messages from the broker's journal",
       "Usage: zonecast history --topic PATTERN [--since-seq N | --since RFC3339]\n"
       "         [--limit N] [--json]\n"
       "\n"
       "Prints the durable messages whose topic matches PATTERN (wildcards allowed), oldest\n"
       "first, as the journal holds them; served off the routing thread. When --limit cuts\n"
       "the answer short, stderr says which --since-seq continues it.",
       {"broker", "key", "broker_key", "timeout_ms", "topic", "since_seq", "since", "limit", "json",
        "unit"},
       &RunHistory},
      {"alert",
       "print an alert's timeline: published, delivered, acks, escalations",
       "Usage: zonecast alert [--json] [--tz ZONE] ALERT_ID\n"
       "\n"
       "Prints everything that happened to one alert, in broker time order: who published\n"
       "it, each delivery and redelivery (to which unit), each ack with its level,\n"
       "escalations, who took it, amendments, assignments, a cancel or close, with the time\n"
       "since publication.\n"
       "Rebuilt from the journal. Times in --tz (default the system's zone; JSON: UTC ms).",
       {"broker", "key", "broker_key", "timeout_ms", "json", "id", "tz"},
       &RunAlert,
       /*takes_positional=*/true},
      {"cancel",
       "withdraw an open alert (a false alarm): its units stand down",
       "Usage: zonecast cancel --topic alert.<city>.<zone> --text REASON ALERT_ID\n"
       "\n"
       "Cancels an open alert as the center: every unit of its zone gets an AlertUpdate\n"
       "CANCELLED with the reason, escalation stops, and the timeline shows who cancelled\n"
       "it and why. Prints the PubAck as one JSON line. A repeat is a duplicate. Exit 0 on\n"
       "PubAck; 1 if the alert is not open or the broker answers with an Error; 2 on bad flags.",
       {"broker", "key", "broker_key", "timeout_ms", "topic", "text", "id", "unit"},
       &RunCancel,
       /*takes_positional=*/true},
      {"close",
       "close an open alert: handled",
       "Usage: zonecast close --topic alert.<city>.<zone> [--text NOTE] ALERT_ID\n"
       "\n"
       "Closes an open alert as the center (handled): its units get an AlertUpdate CLOSED,\n"
       "escalation stops, and the timeline shows it. Exit codes as for cancel.",
       {"broker", "key", "broker_key", "timeout_ms", "topic", "text", "id", "unit"},
       &RunClose,
       /*takes_positional=*/true},
      {"amend",
       "change an open alert's text, priority or location",
       "Usage: zonecast amend --topic alert.<city>.<zone> [--title T] [--body B]\n"
       "         [--priority P1..P4] [--lat LAT --lon LON [--address A]] ALERT_ID\n"
       "\n"
       "Amends an open alert as the center: the fields given replace the alert's, every\n"
       "unit that got it receives an AlertUpdate AMENDED, later escalation steps carry the\n"
       "new text, and a raised priority brings its shorter response deadline. The timeline\n"
       "shows who changed what. The same amendment repeated is a duplicate. Exit codes as\n"
       "for cancel.",
       {"broker", "key", "broker_key", "timeout_ms", "topic", "title", "body", "priority", "lat",
        "lon", "address", "id", "unit"},
       &RunAmend,
       /*takes_positional=*/true},
      {"assign",
       "send a unit to an open alert",
       "Usage: zonecast assign --topic alert.<city>.<zone> --to UNIT [--text NOTE] ALERT_ID\n"
       "\n"
       "Assigns an open alert to a unit as the center: its zone receives an AlertUpdate\n"
       "ASSIGNED naming the unit (which still accepts the alert like any other), and the\n"
       "timeline shows who assigned whom. Exit codes as for cancel.",
       {"broker", "key", "broker_key", "timeout_ms", "topic", "to", "text", "id", "unit"},
       &RunAssign,
       /*takes_positional=*/true},
      {"probe",
       "Nagios/Icinga check: canary round trips and readiness",
       "Usage: zonecast probe --broker tcp://HOST:7400 [--http http://HOST:7480] [--rate N]\n"
       "         [--duration S] [--warn_p99_ms X] [--crit_p99_ms Y] [--name NAME]\n"
       "         [--timeout_ms T]\n"
       "\n"
       "Connects as a probe, publishes --rate canaries a second for --duration seconds on\n"
       "probe.<name> (best-effort, not journaled), receives them back and measures their\n"
       "round trips on this machine's monotonic clock; canaries not back within --timeout_ms\n"
       "after the last send are lost. With --http it also asks GET /readyz. Prints one\n"
       "line in the monitoring plugin format (percentiles exact, in milliseconds):\n"
       "\n"
       "  ZONECAST OK - p99=0.41ms p50=0.20ms max=0.90ms received=40/40 ready | p50=0.20ms;;;0\n"
       "  p90=0.30ms;;;0 p99=0.41ms;50;250;0 max=0.90ms;;;0 sent=40;;;0 received=40;;;0 "
       "lost=0;;;0\n"
       "\n"
       "(one line; wrapped here). Exit 0 OK; 1 WARNING: p99 above --warn_p99_ms, or canaries\n"
       "lost; 2 CRITICAL: p99 above --crit_p99_ms, no canary back, broker unreachable (within\n"
       "--timeout_ms), /readyz unreachable or not ready; 3 UNKNOWN: bad flags (also\n"
       "--warn_p99_ms above --crit_p99_ms), internal error. Flags may be spelled with dashes.\n"
       "\n"
       "Icinga 2:\n"
       "  object CheckCommand \"zonecast\" {\n"
       "    command = [ \"/usr/local/bin/zonecast\", \"probe\" ]\n"
       "    arguments = {\n"
       "      \"--broker\" = \"$zonecast_broker$\"          // tcp://10.0.0.5:7400\n"
       "      \"--http\" = \"$zonecast_http$\"              // http://10.0.0.5:7480\n"
       "      \"--warn-p99-ms\" = \"$zonecast_warn_p99_ms$\"\n"
       "      \"--crit-p99-ms\" = \"$zonecast_crit_p99_ms$\"\n"
       "    }\n"
       "    vars.zonecast_warn_p99_ms = 50\n"
       "    vars.zonecast_crit_p99_ms = 250\n"
       "  }\n"
       "\n"
       "Nagios:\n"
       "  define command {\n"
       "    command_name  check_zonecast\n"
       "    command_line  /usr/local/bin/zonecast probe --broker $ARG1$ --http $ARG2$ "
       "--warn-p99-ms $ARG3$ --crit-p99-ms $ARG4$\n"
       "  }",
       {"broker", "key", "broker_key", "http", "http_token_file", "rate", "duration", "warn_p99_ms",
        "crit_p99_ms", "name", "timeout_ms"},
       &RunProbe,
       /*takes_positional=*/false,
       &ProbeUsageError},
      {"keygen",
       "write a CURVE key pair for a terminal, console, probe or the broker",
       "Usage: zonecast keygen PATH\n"
       "\n"
       "Writes a new key pair: PATH.key (the secret key, mode 0600: it stays on the\n"
       "device) and PATH.pub (the public key: it goes into the broker's keys file, or,\n"
       "for the broker's own pair, to every client). Prints the public key. Refuses to\n"
       "overwrite existing files. Exit 0; 1 if the files cannot be written; 2 on bad usage.\n"
       "\n"
       "  zonecast keygen /etc/zonecast/broker          # the broker's pair\n"
       "  zonecast keygen ./jc-z10-v01                  # a terminal's pair",
       {},
       &RunKeygen,
       /*takes_positional=*/true},
      {"stats",
       "print the broker's latency percentiles, counters and gauges",
       "Usage: zonecast stats [--http http://HOST:7480] [--json] [--timeout_ms T]\n"
       "\n"
       "Reads GET /v1/stats from the broker's monitoring endpoint and prints a header (broker\n"
       "id, version, uptime, ready or why not), the latency table in milliseconds (per stage,\n"
       "then per stage, priority and zone), the non-zero counters and the gauges. --json\n"
       "prints the endpoint's JSON as it came. Exit 0; 1 if the endpoint is unreachable or\n"
       "does not answer 200 with a snapshot; 2 on bad flags.",
       {"http", "http_token_file", "json", "timeout_ms"},
       &RunStats},
      {"units",
       "list the online units nearest a place, with their distance",
       "Usage: zonecast units --near LAT,LON [--limit N] [--http http://HOST:7480] [--json]\n"
       "\n"
       "Reads GET /v1/units?near=LAT,LON from the broker's monitoring endpoint: the online\n"
       "units nearest the place by their last radio POSITION, nearest first, with the\n"
       "distance and how long ago each reported. --limit caps the list (the broker caps it\n"
       "at 1000). Exit 0; 1 if the endpoint is unreachable or refuses; 2 on bad flags.\n"
       "\n"
       "  zonecast units --near 35.4907,112.8511 --limit 5 --http_token_file "
       "/etc/zonecast/http-token",
       {"near", "limit", "http", "http_token_file", "json", "timeout_ms"},
       &RunUnits},
      {"demo",
       "the Jincheng night on the center's wall, to watch in a browser",
       "Usage: zonecast demo [-- NIGHT OPTIONS]\n"
       "\n"
       "Runs the night driver of this build tree (bench/jincheng_night): a real zonecastd\n"
       "with the Jincheng zones and outlines, the center's operators, ten patrol groups of\n"
       "terminals walking their zones, incidents through the night, officers who accept or\n"
       "stay silent, one kill -9 of the broker. It prints the wall's URL (with a fresh\n"
       "token, signed in as the duty officer); open it to watch the night unfold on the map\n"
       "and to publish, amend, assign, cancel or close from the console. 30 night minutes at\n"
       "2x (15 to watch) unless NIGHT OPTIONS say otherwise (--minutes M, --speed S,\n"
       "--seed N, --units N; see jincheng_night --help). Needs a build tree: cmake --build\n"
       "--preset release --target zonecast zonecastd jincheng_night. Exit as the night's\n"
       "report (0: every P1 answered in time); 1 if the driver is missing.\n"
       "\n"
       "  build-release/clients/zonecast demo\n"
       "  build-release/clients/zonecast demo -- --minutes 60 --speed 4",
       {},
       &RunDemo,
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
  PrintFlagHelp(std::cout, command.usage,
                std::vector<std::string>(command.flags.begin(), command.flags.end()));
}

// NormalizeFlagArgs, then every --subscribe occurrence folded into one
// comma-separated --subscribe (Abseil keeps only the last one of a repeated
// flag). Returns the new argv strings.
std::vector<std::string> PrepareArgs(int argc, char** argv) {
  std::vector<std::string> normalized = NormalizeFlagArgs(argc, argv, /*first=*/2);
  std::vector<std::string> args;
  std::vector<std::string> patterns;
  for (size_t i = 0; i < normalized.size(); ++i) {
    std::string& arg = normalized[i];
    if (arg == "--") {
      for (; i < normalized.size(); ++i) args.push_back(std::move(normalized[i]));
      break;
    }
    if (arg == "--subscribe" && i + 1 < normalized.size()) {
      patterns.push_back(std::move(normalized[++i]));
    } else if (absl::StartsWith(arg, "--subscribe=")) {
      patterns.push_back(arg.substr(std::strlen("--subscribe=")));
    } else {
      args.push_back(std::move(arg));
    }
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
  if (name == "--version" || name == "version") {
    std::cout << "zonecast " << zonecast::kVersion << "\n";
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
  if (zonecast::WantsHelp(argc, argv, /*first=*/2)) {
    PrintCommandHelp(*command);
    return kExitOk;
  }
  std::vector<std::string> args = PrepareArgs(argc, argv);
  auto usage_error = [command](const std::string& message) {
    return command->usage_error != nullptr ? command->usage_error(message)
                                           : UsageError(command->name, message);
  };
  if (std::optional<std::string> problem = zonecast::CheckFlags(args)) return usage_error(*problem);
  std::vector<char*> arg_pointers = zonecast::ArgvOf(args);
  // CheckFlags took what would make Abseil print the problem and exit(1);
  // stray arguments get the command's usage exit code too.
  std::vector<char*> rest =
      absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  if (rest.size() > 1 && !command->takes_positional) {
    return usage_error(std::string("unexpected argument '") + rest[1] + "'");
  }
  for (size_t i = 1; i < rest.size(); ++i) g_positional.emplace_back(rest[i]);
  return command->run();
}
