// zonecastd: the zonecast broker. Reads flags into BrokerOptions (the only
// place that calls absl::GetFlag), blocks SIGINT/SIGTERM into a signalfd that
// the core loop polls, and runs the loop until one arrives.
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/log.h"
#include "core/core_loop.h"
#include "core/monitoring_routes.h"
#include "core/options.h"
#include "core/ready_file.h"
#include "google/protobuf/stubs/logging.h"
#include "http/http_server.h"
#include "monitoring/monitoring_exchange.h"
#include "shared/flags.h"
#include "zonecast/version.h"

ABSL_FLAG(std::string, listen, "tcp://127.0.0.1:7400",
          "ZeroMQ endpoint to bind; tcp://127.0.0.1:* picks a free port (see --ready_file)");
ABSL_FLAG(std::string, dispatch_listen, "",
          "Optional ZeroMQ endpoint for the center's consoles only (no terminals): read ahead "
          "of --listen every turn, so a dispatcher's P1 never waits behind thousands of "
          "terminals' acks; empty: none");
ABSL_FLAG(std::string, data_dir, "./var/zonecast", "Directory of the journal (created if absent)");
ABSL_FLAG(std::string, http, "127.0.0.1:7480",
          "HOST:PORT of the monitoring HTTP endpoint (/metrics, /readyz, /v1/...); port 0 picks "
          "a free one (see --ready_file); 'off' disables it");
ABSL_FLAG(absl::Duration, stats_interval, absl::Seconds(5),
          "How often a stats snapshot is published on sys.stats; 0 disables it");
ABSL_FLAG(uint32_t, heartbeat_ms, 1000, "Heartbeat period, both directions, in milliseconds");
ABSL_FLAG(uint32_t, heartbeat_misses, 3,
          "Missed heartbeats after which a silent peer is marked offline");
ABSL_FLAG(uint32_t, max_frame_bytes, 65536,
          "Largest accepted frame; larger ones get Error FRAME_TOO_LARGE");
ABSL_FLAG(uint64_t, session_queue_bytes, 8 << 20,
          "Soft limit of one session's outbound queue: beyond it best-effort messages are "
          "dropped (counted) and durable ones are retained (counted)");
ABSL_FLAG(uint64_t, session_queue_messages, 65536,
          "Soft limit of one session's queue, in messages");
ABSL_FLAG(uint64_t, session_queue_hard_bytes, 64 << 20,
          "Hard limit: beyond it durable P2-P4 messages wait in the journal, not in memory; "
          "P1 is always kept");
ABSL_FLAG(uint64_t, session_reply_bytes, 4 << 20,
          "Replies (PubAcks, errors, history pages, stats) one session may leave unread: over "
          "it errors are dropped (counted) and for anything else the session is cut (counted)");
ABSL_FLAG(uint64_t, replies_total_bytes, 256 << 20,
          "Unread replies of all sessions together, with the same policy as --session_reply_bytes");
ABSL_FLAG(uint64_t, max_inflight_bytes, 64 << 20,
          "Journal bytes waiting for the disk beyond which durable publishes get STORAGE_BUSY "
          "(P1 at twice this); the broker keeps reading, heartbeating and routing best-effort");
ABSL_FLAG(int32_t, pipe_hwm, 1000, "ZeroMQ per-peer send pipe size, in messages");
ABSL_FLAG(int32_t, io_threads, 2,
          "ZeroMQ I/O threads for --listen's connections (--dispatch_listen gets one more of "
          "its own): TCP, framing and CURVE for thousands of terminals");
ABSL_FLAG(int32_t, listen_backlog, 4096,
          "TCP connections the kernel may hold before the broker accepts them (capped by "
          "net.core.somaxconn): room for every terminal coming back at once after a restart");
ABSL_FLAG(uint64_t, match_cache_entries, 4096, "Topic match cache size; 0 disables it");
ABSL_FLAG(uint64_t, read_batch, 512, "Frames read per core loop turn");
ABSL_FLAG(uint64_t, fanout_per_turn, 4096,
          "A core loop turn stops reading once the messages it routed reached this many "
          "recipients; the rest is read next turn, after PubAcks and timers");
ABSL_FLAG(uint64_t, redeliveries_per_turn, 1024,
          "Redeliveries per core loop turn at most; more wait for the next turn, after the "
          "socket was read again");
ABSL_FLAG(std::string, ready_file, "",
          "If set, write 'http=HOST:PORT' to this file once the HTTP endpoint listens (during "
          "recovery already) and add 'zmq=<bound endpoint>' once the broker serves");
ABSL_FLAG(std::string, broker_id, "zonecastd", "Name of this broker in Welcome frames and logs");
ABSL_FLAG(std::string, fsync, "batch",
          "batch: fdatasync every group of publishes before their PubAcks (the durability "
          "promise); never: no fdatasync, for benchmarks only - a crash loses acknowledged alerts");
ABSL_FLAG(uint64_t, segment_bytes, 64ull << 20, "Journal segment size at which a new one starts");
ABSL_FLAG(double, retention_hours, 168, "Delete sealed journal segments older than this");
ABSL_FLAG(uint64_t, retention_bytes, 1ull << 30,
          "Delete the oldest sealed journal segments while the journal is larger than this");
ABSL_FLAG(std::string, recovery, "repair",
          "repair: on a damaged journal segment, set it aside (kept as *.damaged-*), keep its good "
          "prefix and start; strict: refuse to start");
ABSL_FLAG(absl::Duration, dedup_window, absl::Minutes(10),
          "How long an alert id is remembered: a publish repeating it gets the original PubAck");
ABSL_FLAG(std::vector<std::string>, ack_wait, std::vector<std::string>({"1s", "2s", "5s", "10s"}),
          "How long a terminal has to acknowledge RECEIVED before a redelivery, for P1,P2,P3,P4");
ABSL_FLAG(std::vector<std::string>, redelivery_backoff,
          std::vector<std::string>({"1s", "2s", "4s", "8s"}),
          "Waits after the 1st, 2nd, ... redelivery (the last one repeats)");
ABSL_FLAG(double, redelivery_jitter, 0.25,
          "Each wait for RECEIVED is stretched by up to this fraction, at random, so the copies "
          "of a burst do not all come due together (0..1)");
ABSL_FLAG(uint64_t, redeliveries_per_session_per_turn, 64,
          "Redeliveries to one session per core loop turn at most; its other due copies wait "
          "100 ms more");
ABSL_FLAG(uint32_t, max_deliveries, 5,
          "Deliveries without RECEIVED after which a message goes to dlq.<city>.<zone>");
ABSL_FLAG(absl::Duration, session_expiry, absl::Hours(24 * 7),
          "A terminal's durable session unused this long is forgotten");
ABSL_FLAG(std::string, zones, "",
          "Zones file (JSON, e.g. deploy/zones/jincheng.json): neighbours and response deadlines; "
          "without it alerts never escalate");
ABSL_FLAG(std::string, http_token_file, "",
          "File holding a bearer token (16+ characters): with it the HTTP endpoint asks for "
          "'Authorization: Bearer <token>' on everything but /healthz, and serves alert data "
          "(/v1/alerts, /v1/sessions), which it never does without one");
ABSL_FLAG(std::string, keys_file, "",
          "Keys file (JSON): the CURVE public keys that may connect, each bound to an identity "
          "(unit, center operator or probe). With it connections are encrypted and plain ones "
          "refused; needs --key_file. See README, Security");
ABSL_FLAG(std::string, key_file, "",
          "The broker's own secret key file (zonecast keygen), for --keys_file");
ABSL_FLAG(bool, insecure, false,
          "Without --keys_file, allow --listen beyond loopback: plain, unauthenticated "
          "connections (a trusted lab network only)");
ABSL_FLAG(std::string, audit_log, "",
          "Audit log: connects, refused keys and requests, take-overs, key reloads, one JSON "
          "line each (default <data_dir>/audit.log; 'off' disables it)");
ABSL_FLAG(uint64_t, audit_log_bytes, 16 << 20,
          "Size at which the audit log is rotated (5 old files are kept)");
ABSL_FLAG(uint64_t, max_sessions, 20000,
          "Sessions at most; a Hello beyond gets Error TOO_MANY_SESSIONS");
ABSL_FLAG(uint64_t, max_subscriptions, 256,
          "Subscriptions per session at most (TOO_MANY_SUBSCRIPTIONS beyond)");
ABSL_FLAG(double, publish_rate, 50,
          "Publishes a second per terminal or probe session (RATE_LIMITED beyond; emergency "
          "button presses never are); 0: unlimited");
ABSL_FLAG(double, publish_burst, 200, "Publishes a session may send at once before the rate");
ABSL_FLAG(double, center_publish_rate, 0, "Publishes a second per center session; 0: unlimited");
ABSL_FLAG(std::string, log_level, "info", "debug, info, warning or error");

namespace {

constexpr char kUsage[] =
    "zonecastd: the zonecast broker for police alert and radio events.\n"
    "\n"
    "Usage: zonecastd [flags]\n"
    "\n"
    "Routes alerts from the command center to the patrol terminals of each zone\n"
    "(alert.<city>.<zone>), carries radio events back up (radio.<city>.<zone>.<unit>)\n"
    "and serves monitoring probes. Stops cleanly on SIGINT or SIGTERM (exit 0);\n"
    "SIGHUP reloads --keys_file (a bad file is refused and the keys in force stay).";

zonecast::BrokerOptions OptionsFromFlags() {
  zonecast::BrokerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.dispatch_listen = absl::GetFlag(FLAGS_dispatch_listen);
  options.redelivery.max_deliveries = absl::GetFlag(FLAGS_max_deliveries);
  options.redelivery.jitter = absl::GetFlag(FLAGS_redelivery_jitter);
  options.redelivery.per_session_per_pass = absl::GetFlag(FLAGS_redeliveries_per_session_per_turn);
  options.session_expiry = absl::GetFlag(FLAGS_session_expiry);
  options.zones_path = absl::GetFlag(FLAGS_zones);
  options.keys_file = absl::GetFlag(FLAGS_keys_file);
  options.key_file = absl::GetFlag(FLAGS_key_file);
  options.insecure = absl::GetFlag(FLAGS_insecure);
  options.max_sessions = absl::GetFlag(FLAGS_max_sessions);
  options.max_subscriptions_per_session = absl::GetFlag(FLAGS_max_subscriptions);
  options.publish_rate = absl::GetFlag(FLAGS_publish_rate);
  options.publish_burst = absl::GetFlag(FLAGS_publish_burst);
  options.center_publish_rate = absl::GetFlag(FLAGS_center_publish_rate);
  options.audit_log = absl::GetFlag(FLAGS_audit_log);
  options.audit_log_bytes = absl::GetFlag(FLAGS_audit_log_bytes);
  options.journal.data_dir = absl::GetFlag(FLAGS_data_dir);
  options.journal.segment_bytes = absl::GetFlag(FLAGS_segment_bytes);
  options.journal.max_inflight_bytes = absl::GetFlag(FLAGS_max_inflight_bytes);
  options.journal.retention_bytes = absl::GetFlag(FLAGS_retention_bytes);
  options.journal.retention_age = absl::Hours(absl::GetFlag(FLAGS_retention_hours));
  options.journal.dedup_window = absl::GetFlag(FLAGS_dedup_window);
  options.http = absl::GetFlag(FLAGS_http);
  options.stats_interval = absl::GetFlag(FLAGS_stats_interval);
  options.heartbeat_ms = absl::GetFlag(FLAGS_heartbeat_ms);
  options.heartbeat_misses = absl::GetFlag(FLAGS_heartbeat_misses);
  options.max_frame_bytes = absl::GetFlag(FLAGS_max_frame_bytes);
  options.queue_limits.soft_bytes = absl::GetFlag(FLAGS_session_queue_bytes);
  options.queue_limits.soft_messages = absl::GetFlag(FLAGS_session_queue_messages);
  options.queue_limits.hard_bytes = absl::GetFlag(FLAGS_session_queue_hard_bytes);
  options.queue_limits.reply_bytes = absl::GetFlag(FLAGS_session_reply_bytes);
  options.replies_total_bytes = absl::GetFlag(FLAGS_replies_total_bytes);
  options.pipe_hwm = absl::GetFlag(FLAGS_pipe_hwm);
  options.listen_backlog = absl::GetFlag(FLAGS_listen_backlog);
  options.io_threads = absl::GetFlag(FLAGS_io_threads);
  options.match_cache_entries = absl::GetFlag(FLAGS_match_cache_entries);
  options.read_batch = absl::GetFlag(FLAGS_read_batch);
  options.fanout_per_turn = absl::GetFlag(FLAGS_fanout_per_turn);
  options.redeliveries_per_turn = absl::GetFlag(FLAGS_redeliveries_per_turn);
  options.ready_file = absl::GetFlag(FLAGS_ready_file);
  options.broker_id = absl::GetFlag(FLAGS_broker_id);
  return options;
}

// Parses a list of durations ("1s,500ms"); prints the problem and returns
// false when it is not min..max valid durations.
bool ParseDurations(const std::vector<std::string>& texts, size_t min, size_t max, const char* flag,
                    std::vector<absl::Duration>* out) {
  out->clear();
  for (const std::string& text : texts) {
    absl::Duration d;
    if (!absl::ParseDuration(text, &d)) {
      std::cerr << "zonecastd: " << flag << ": '" << text
                << "' is not a duration (e.g. 500ms, 2s)\n";
      return false;
    }
    out->push_back(d);
  }
  if (out->size() < min || out->size() > max) {
    std::cerr << "zonecastd: " << flag << " takes " << min << (min == max ? "" : " or more")
              << " comma-separated durations\n";
    return false;
  }
  return true;
}

bool SetLogLevel(const std::string& name) {
  using zonecast::LogLevel;
  if (name == "debug")
    zonecast::SetMinLogLevel(LogLevel::kDebug);
  else if (name == "info")
    zonecast::SetMinLogLevel(LogLevel::kInfo);
  else if (name == "warning")
    zonecast::SetMinLogLevel(LogLevel::kWarning);
  else if (name == "error")
    zonecast::SetMinLogLevel(LogLevel::kError);
  else
    return false;
  return true;
}

// Protobuf logs an ERROR for every string field with invalid UTF-8 it is
// asked to parse. Those frames are already answered and counted as
// MALFORMED_FRAME; do not let a hostile peer flood the log with them.
void QuietProtobufLog(google::protobuf::LogLevel level, const char* filename, int line,
                      const std::string& message) {
  if (level >= google::protobuf::LOGLEVEL_FATAL) {
    ZC_LOG(ERROR) << "protobuf: " << filename << ":" << line << ": " << message;
  }
}

// The bearer token in `path`: its first line, trimmed; at least 16
// characters, so that it cannot be guessed by trying.
absl::StatusOr<std::string> ReadToken(const std::string& path) {
  absl::StatusOr<std::string> token = zonecast::ReadTokenFile(path);
  if (!token.ok()) return token.status();
  if (token->size() < 16) {
    return absl::InvalidArgumentError(absl::StrCat(path, " holds no token of 16+ characters"));
  }
  return token;
}

// Reads and checks the command line into *options. Returns the exit code
// to stop with (0 after --help or --version, 2 on a bad flag), or nullopt to
// go on.
std::optional<int> ParseCommandLine(int argc, char** argv, zonecast::BrokerOptions* options) {
  if (zonecast::WantsHelp(argc, argv)) {
    zonecast::PrintFlagHelp(std::cout, kUsage, zonecast::FlagsDefinedIn({"broker/core/main.cc"}));
    return 0;
  }
  if (zonecast::WantsVersion(argc, argv)) {
    std::cout << "zonecastd " << zonecast::kVersion << "\n";
    return 0;
  }
  absl::SetProgramUsageMessage(kUsage);
  std::vector<std::string> args = zonecast::NormalizeFlagArgs(argc, argv);
  if (std::optional<std::string> problem = zonecast::CheckFlags(args)) {
    std::cerr << "zonecastd: " << *problem << " (see --help)\n";
    return 2;
  }
  std::vector<char*> arg_pointers = zonecast::ArgvOf(args);
  std::vector<char*> rest =
      absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  if (rest.size() > 1) {
    std::cerr << "zonecastd: unexpected argument '" << rest[1] << "' (see --help)\n";
    return 2;
  }
  if (!SetLogLevel(absl::GetFlag(FLAGS_log_level))) {
    std::cerr << "zonecastd: --log_level must be debug, info, warning or error\n";
    return 2;
  }
  *options = OptionsFromFlags();
  const std::string fsync = absl::GetFlag(FLAGS_fsync);
  if (fsync != "batch" && fsync != "never") {
    std::cerr << "zonecastd: --fsync must be batch or never\n";
    return 2;
  }
  options->journal.fsync = fsync == "batch";
  const std::string recovery = absl::GetFlag(FLAGS_recovery);
  if (recovery != "repair" && recovery != "strict") {
    std::cerr << "zonecastd: --recovery must be repair or strict\n";
    return 2;
  }
  options->journal.strict_recovery = recovery == "strict";
  std::vector<absl::Duration> ack_wait;
  if (!ParseDurations(absl::GetFlag(FLAGS_ack_wait), 4, 4, "--ack_wait", &ack_wait) ||
      !ParseDurations(absl::GetFlag(FLAGS_redelivery_backoff), 1, 64, "--redelivery_backoff",
                      &options->redelivery.backoff)) {
    return 2;
  }
  std::copy(ack_wait.begin(), ack_wait.end(), options->redelivery.ack_wait.begin());
  if (const std::string path = absl::GetFlag(FLAGS_http_token_file); !path.empty()) {
    absl::StatusOr<std::string> token = ReadToken(path);
    if (!token.ok()) {
      std::cerr << "zonecastd: --http_token_file: " << token.status().message() << "\n";
      return 2;
    }
    options->http_token = *std::move(token);
  }
  if (absl::Status status = options->Validate(); !status.ok()) {
    std::cerr << "zonecastd: " << status.message() << "\n";
    return 2;
  }
  return std::nullopt;
}

// Blocks the stop signals and SIGHUP in every thread (ZeroMQ's I/O threads
// inherit this mask) and returns a descriptor the core loop polls to
// receive them, or -1.
int StopSignalFd() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signalfd(-1, &stop_signals, SFD_CLOEXEC | SFD_NONBLOCK);
}

// Starts the monitoring endpoint (unless --http=off) and records where it
// listens in options->http and the ready file.
absl::StatusOr<std::unique_ptr<zonecast::HttpServer>> StartMonitoring(
    zonecast::MonitoringRoutes& monitoring, zonecast::BrokerOptions* options) {
  if (options->http == "off" || options->http.empty()) {
    options->http.clear();
    return nullptr;
  }
  zonecast::HttpServer::Options http_options;
  http_options.listen = options->http;
  http_options.accept_post = true;  // the wall's console
  // An alert's text in Chinese is three bytes a character, and more escaped.
  http_options.max_body_bytes = 16384;
  absl::StatusOr<std::unique_ptr<zonecast::HttpServer>> server = zonecast::HttpServer::Start(
      http_options, [&monitoring](const zonecast::HttpRequest& r) { return monitoring.Handle(r); });
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("--http ", options->http, ": ", server.status().message()));
  }
  monitoring.set_server_counters(&(*server)->counters());
  options->http = (*server)->endpoint();
  ZC_LOG(INFO) << "monitoring on http://" << options->http << "/";
  if (!options->ready_file.empty()) {
    if (absl::Status status = zonecast::WriteReadyFile(options->ready_file, options->http, "", "");
        !status.ok()) {
      return status;
    }
  }
  return server;
}

}  // namespace

int main(int argc, char** argv) {
  zonecast::BrokerOptions options;
  if (std::optional<int> exit_code = ParseCommandLine(argc, argv, &options)) return *exit_code;
  google::protobuf::SetLogHandler(&QuietProtobufLog);
  std::error_code ec;
  std::filesystem::create_directories(options.journal.data_dir, ec);
  if (ec) {
    std::cerr << "zonecastd: cannot create --data_dir " << options.journal.data_dir << ": "
              << ec.message() << "\n";
    return 1;
  }
  const int stop_fd = StopSignalFd();
  if (stop_fd < 0) {
    std::cerr << "zonecastd: signalfd failed\n";
    return 1;
  }
  // The monitoring endpoint comes up first, so that /healthz and /readyz
  // (503 "recovering") answer while a long journal recovery runs.
  zonecast::MonitoringExchange exchange(zonecast::Clock::Real());
  zonecast::ConsoleSignIn sign_in;
  if (options.secure()) sign_in.ExpectKeys();
  zonecast::WallConsole console(sign_in);
  zonecast::MonitoringRoutes monitoring(exchange, options.journal.data_dir + "/journal",
                                        options.http_token, &sign_in, &console);
  absl::StatusOr<std::unique_ptr<zonecast::HttpServer>> http =
      StartMonitoring(monitoring, &options);
  if (!http.ok()) {
    std::cerr << "zonecastd: " << http.status().message() << "\n";
    return 1;
  }
  zonecast::CoreLoop loop(options, zonecast::Clock::Real(), &exchange);
  loop.set_console_sign_in(&sign_in);
  if (absl::Status status = loop.Start(); !status.ok()) {
    exchange.SetPhase(zonecast::MonitoringExchange::Phase::kFailed, std::string(status.message()));
    std::cerr << "zonecastd: " << status.message() << "\n";
    return 1;
  }
  // The wall's console acts as a client of the consoles' endpoint if there
  // is one: its actions then wait behind no terminal.
  console.SetBroker(loop.dispatch_endpoint().empty() ? loop.endpoint() : loop.dispatch_endpoint(),
                    loop.public_key());
  loop.Run(stop_fd);
  http->reset();
  close(stop_fd);
  ZC_LOG(INFO) << "stopped";
  return 0;
}
