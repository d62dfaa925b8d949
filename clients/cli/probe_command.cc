// zonecast probe: a Nagios/Icinga plugin. It sends canaries through the
// broker to itself, measures their round trips, optionally asks the
// monitoring endpoint whether the broker is ready, and prints one plugin
// line with performance data. Exit codes follow the plugin API (0 OK,
// 1 WARNING, 2 CRITICAL, 3 UNKNOWN), not the other commands' (cli_common.h).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <exception>
#include <future>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "commands.h"
#include "http_get.h"

namespace zonecast::cli {
namespace {

enum PluginState { kOk = 0, kWarning = 1, kCritical = 2, kUnknown = 3 };

// More canaries than this is a load test, not a probe.
constexpr double kMaxCanaries = 100000;
// The broker's limit on unit ids; the probe's name is its unit id.
constexpr size_t kMaxNameBytes = 64;

const char* StateName(PluginState state) {
  switch (state) {
    case kOk:
      return "OK";
    case kWarning:
      return "WARNING";
    case kCritical:
      return "CRITICAL";
    default:
      return "UNKNOWN";
  }
}

// The plugin output is one line, and '|' starts the performance data.
std::string OneLine(absl::string_view text) {
  return absl::StrReplaceAll(absl::StripAsciiWhitespace(text),
                             {{"\r\n", " "}, {"\n", " "}, {"\r", " "}, {"|", "/"}});
}

// Prints the plugin line and returns the state as the exit code.
int Report(PluginState state, absl::string_view text, absl::string_view perfdata = "") {
  std::string line = absl::StrCat("ZONECAST ", StateName(state), " - ", OneLine(text));
  if (!perfdata.empty()) absl::StrAppend(&line, " | ", perfdata);
  std::cout << line << std::endl;
  return state;
}

// A threshold as given, without exponent notation or trailing zeros
// (Nagios range syntax takes plain decimals): 50 -> "50", 1e-6 -> "0.000001".
std::string Threshold(double value) {
  std::string text = absl::StrFormat("%.6f", value);
  while (text.back() == '0') text.pop_back();  // "%.6f" always has a '.' to stop at
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string Ms(double value) { return absl::StrFormat("%.2fms", value); }

bool IsTokenChar(char c) {
  return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_' || c == '-';
}

// "probe-<hostname>-<pid>", lower-cased, other characters as '-', cut to
// the broker's unit id limit.
std::string DefaultProbeName() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  std::string token = absl::AsciiStrToLower(host);
  for (char& c : token) {
    if (!IsTokenChar(c)) c = '-';
  }
  const std::string pid = absl::StrCat(getpid());
  const size_t room = kMaxNameBytes - std::string("probe--").size() - pid.size();
  if (token.size() > room) token.resize(room);
  if (token.empty()) token = "host";
  return absl::StrCat("probe-", token, "-", pid);
}

bool ValidName(const std::string& name) {
  return !name.empty() && name.size() <= kMaxNameBytes &&
         std::all_of(name.begin(), name.end(), IsTokenChar);
}

// What came back of the canaries.
struct CanaryRun {
  uint64_t sent = 0;      // publishes attempted; a failed send is a lost canary
  uint64_t received = 0;  // distinct canaries of this run delivered back
  std::vector<double> round_trips_ms;
  std::string first_error;  // the first send failure or Error frame, if any
};

// Nanoseconds on this process's monotonic clock: what a canary carries as
// sent_unix_ns, so that only this process ever interprets it.
int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Publishes `total` canaries on probe.<name> at `rate` per second while
// receiving them back, then waits up to `straggler_wait` for the rest.
// Receiving goes on between sends so that a round trip ends when the
// canary arrives, not when the sending is over.
CanaryRun RunCanaries(Client& client, const std::string& name, uint64_t total, double rate,
                      absl::Duration straggler_wait) {
  const std::string topic = absl::StrCat("probe.", name);
  CanaryRun run;
  std::vector<int64_t> sent_ns(total, 0);
  std::vector<bool> back(total, false);
  auto note_error = [&run](absl::string_view error) {
    if (run.first_error.empty()) run.first_error = std::string(error);
  };
  auto handle = [&](const Message& message, int64_t now_ns) {
    const v1::Event& event = message.event();
    if (!event.has_canary() || event.canary().probe() != name) return;
    const uint64_t index = event.canary().index();
    // Only canaries of this run, once each (a reconnect may replay).
    if (index >= run.sent || back[index] || event.canary().sent_unix_ns() != sent_ns[index]) {
      return;
    }
    back[index] = true;
    ++run.received;
    run.round_trips_ms.push_back(static_cast<double>(now_ns - sent_ns[index]) / 1e6);
  };
  // Receives until `until_ns`, or earlier once every canary sent is back
  // when `stop_when_all_back`. False on a client error (recorded).
  auto receive_until = [&](int64_t until_ns, bool stop_when_all_back) {
    while (true) {
      if (stop_when_all_back && run.received == run.sent) return true;
      const int64_t now = MonotonicNs();
      if (now >= until_ns) return true;
      absl::StatusOr<Message> next = client.Next(absl::Nanoseconds(until_ns - now));
      if (next.ok()) {
        handle(*next, MonotonicNs());
      } else if (absl::IsFailedPrecondition(next.status())) {
        note_error(next.status().message());  // taken over: this client is done
        return false;
      } else if (!absl::IsDeadlineExceeded(next.status())) {
        note_error(next.status().message());  // Goodbye, or an Error from the broker
      }
    }
  };

  const double interval_ns = 1e9 / rate;
  const int64_t start_ns = MonotonicNs();
  for (uint64_t i = 0; i < total; ++i) {
    const auto due_ns =
        start_ns + static_cast<int64_t>(std::llround(interval_ns * static_cast<double>(i)));
    if (!receive_until(due_ns, /*stop_when_all_back=*/false)) break;
    v1::Event event;
    v1::Canary* canary = event.mutable_canary();
    canary->set_probe(name);
    canary->set_index(i);
    sent_ns[i] = MonotonicNs();
    canary->set_sent_unix_ns(sent_ns[i]);
    ++run.sent;
    if (absl::Status status = client.PublishNoAck(topic, std::move(event)); !status.ok()) {
      note_error(status.message());
    }
  }
  receive_until(MonotonicNs() + absl::ToInt64Nanoseconds(straggler_wait),
                /*stop_when_all_back=*/true);
  return run;
}

// The answer of GET <http>/readyz: empty when ready, else the problem.
std::string CheckReady(const std::string& base, absl::Duration timeout, const std::string& token) {
  const std::string url = JoinUrlPath(base, "/readyz");
  absl::StatusOr<HttpGetResult> response = HttpGet(url, timeout, token);
  if (!response.ok()) {
    return absl::StrCat("monitoring endpoint unreachable: ", response.status().message());
  }
  if (response->status == 200) return "";
  const std::string body = OneLine(response->body.substr(0, response->body.find('\n')));
  if (response->status == 503) {
    return absl::StrCat("broker not ready: ", body.empty() ? "HTTP 503" : body);
  }
  return absl::StrCat("GET ", url, " answered HTTP ", response->status, body.empty() ? "" : ": ",
                      body.substr(0, 200));
}

// Nearest-rank percentile of sorted, non-empty `values`.
double Percentile(const std::vector<double>& sorted, double percent) {
  const auto rank =
      static_cast<size_t>(std::ceil(percent / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

int Probe() {
  const std::string broker = absl::GetFlag(FLAGS_broker);
  const std::string http = absl::GetFlag(FLAGS_http);
  const double rate = absl::GetFlag(FLAGS_rate);
  const double duration_s = absl::GetFlag(FLAGS_duration);
  const double warn_ms = absl::GetFlag(FLAGS_warn_p99_ms);
  const double crit_ms = absl::GetFlag(FLAGS_crit_p99_ms);
  const int32_t timeout_ms = absl::GetFlag(FLAGS_timeout_ms);
  std::string name = absl::GetFlag(FLAGS_name);

  if (!std::isfinite(rate) || rate <= 0) {
    return ProbeUsageError("--rate must be a positive number of canaries per second");
  }
  if (!std::isfinite(duration_s) || duration_s <= 0) {
    return ProbeUsageError("--duration must be a positive number of seconds");
  }
  if (rate * duration_s > kMaxCanaries) {
    return ProbeUsageError(absl::StrCat("--rate x --duration asks for more than ",
                                        static_cast<int64_t>(kMaxCanaries), " canaries"));
  }
  if (!std::isfinite(warn_ms) || !std::isfinite(crit_ms) || warn_ms < 0 || crit_ms < 0) {
    return ProbeUsageError("--warn_p99_ms and --crit_p99_ms must be numbers >= 0");
  }
  if (warn_ms > crit_ms) {
    return ProbeUsageError(absl::StrCat("--warn_p99_ms (", Threshold(warn_ms),
                                        ") is above --crit_p99_ms (", Threshold(crit_ms), ")"));
  }
  if (timeout_ms <= 0) return ProbeUsageError("--timeout_ms must be positive");
  if (name.empty()) {
    name = DefaultProbeName();
  } else if (!ValidName(name)) {
    return ProbeUsageError(
        absl::StrCat("--name must be 1-", kMaxNameBytes, " characters of [a-z0-9_-]"));
  }
  if (!http.empty()) {
    if (absl::Status status = ParseHttpUrl(http).status(); !status.ok()) {
      return ProbeUsageError(absl::StrCat("--http: ", status.message()));
    }
  }
  const absl::Duration timeout = absl::Milliseconds(timeout_ms);
  const auto total = std::max<uint64_t>(1, std::llround(rate * duration_s));

  // The readiness question runs beside the canaries, so that a dead broker
  // costs one --timeout_ms, not two. (The future's destructor waits for it;
  // HttpGet is bounded by the same timeout.)
  std::future<std::string> ready_problem;
  absl::StatusOr<std::string> token = HttpToken();
  if (!token.ok()) return Report(kUnknown, std::string(token.status().message()));
  if (!http.empty()) {
    ready_problem = std::async(std::launch::async, CheckReady, http, timeout, *token);
  }

  // Connect and request timeouts: --timeout_ms; keys: --key, --broker_key.
  absl::StatusOr<ClientOptions> base = BaseOptions();
  if (!base.ok()) return Report(kUnknown, std::string(base.status().message()));
  ClientOptions options = *std::move(base);
  options.role = v1::PROBE;
  options.unit_id = name;
  options.client_name = "zonecast-probe/0.1";
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
  if (!client.ok()) {
    // Connect gives up after connect_timeout with Unavailable; any other
    // code is the broker refusing the Hello.
    const char* what = client.status().code() == absl::StatusCode::kUnavailable
                           ? "unreachable"
                           : "refused the probe";
    return Report(kCritical,
                  absl::StrCat("broker ", broker, " ", what, ": ", client.status().message()));
  }
  const std::string topic = absl::StrCat("probe.", name);
  if (absl::Status status = (*client)->Subscribe({topic}); !status.ok()) {
    return Report(kCritical,
                  absl::StrCat("broker ", broker, " did not confirm the subscription to ", topic,
                               ": ", status.message()));
  }
  CanaryRun run = RunCanaries(**client, name, total, rate, timeout);
  client->reset();  // Goodbye now, not after the readiness wait

  std::vector<std::pair<PluginState, std::string>> problems;
  const uint64_t lost = run.sent - run.received;
  std::string summary;
  std::string perfdata;
  if (run.received == 0) {
    problems.emplace_back(
        kCritical, absl::StrCat("no canary came back from ", broker, " within ",
                                absl::FormatDuration(timeout), run.first_error.empty() ? "" : " (",
                                run.first_error, run.first_error.empty() ? "" : ")"));
    summary = absl::StrCat("received=0/", run.sent);
  } else {
    std::vector<double>& rtt = run.round_trips_ms;
    std::sort(rtt.begin(), rtt.end());
    const double p50 = Percentile(rtt, 50);
    const double p90 = Percentile(rtt, 90);
    const double p99 = Percentile(rtt, 99);
    const double max = rtt.back();
    if (p99 > crit_ms) {
      problems.emplace_back(kCritical,
                            absl::StrCat("p99 ", Ms(p99), " > ", Threshold(crit_ms), "ms"));
    } else if (p99 > warn_ms) {
      problems.emplace_back(kWarning,
                            absl::StrCat("p99 ", Ms(p99), " > ", Threshold(warn_ms), "ms"));
    }
    if (lost > 0) {
      problems.emplace_back(kWarning,
                            absl::StrCat(lost, " of ", run.sent, " canaries lost",
                                         run.first_error.empty() ? "" : " (", run.first_error,
                                         run.first_error.empty() ? "" : ")"));
    }
    summary = absl::StrCat("p99=", Ms(p99), " p50=", Ms(p50), " max=", Ms(max),
                           " received=", run.received, "/", run.sent);
    perfdata =
        absl::StrCat("p50=", Ms(p50), ";;;0 p90=", Ms(p90), ";;;0 p99=", Ms(p99), ";",
                     Threshold(warn_ms), ";", Threshold(crit_ms), ";0 max=", Ms(max), ";;;0 ");
  }
  absl::StrAppend(&perfdata, "sent=", run.sent, ";;;0 received=", run.received, ";;;0 lost=", lost,
                  ";;;0");
  if (ready_problem.valid()) {
    if (std::string problem = ready_problem.get(); problem.empty()) {
      absl::StrAppend(&summary, " ready");
    } else {
      problems.emplace_back(kCritical, std::move(problem));
    }
  }

  PluginState state = kOk;
  for (const auto& [severity, text] : problems) state = std::max(state, severity);
  // The worst first: a truncated status line keeps what matters.
  std::stable_sort(problems.begin(), problems.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> reasons;
  reasons.reserve(problems.size());
  for (auto& [severity, text] : problems) reasons.push_back(std::move(text));
  const std::string text =
      reasons.empty() ? summary : absl::StrCat(absl::StrJoin(reasons, "; "), "; ", summary);
  return Report(state, text, perfdata);
}

}  // namespace

int ProbeUsageError(const std::string& message) { return Report(kUnknown, message); }

int RunProbe() {
  // A plugin that dies without its line leaves the monitoring system
  // guessing: anything unexpected is UNKNOWN, said on stdout.
  try {
    return Probe();
  } catch (const std::exception& e) {
    return Report(kUnknown, absl::StrCat("internal error: ", e.what()));
  }
}

}  // namespace zonecast::cli
