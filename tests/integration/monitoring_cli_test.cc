// The CLI's monitoring commands against a real zonecastd: `zonecast probe`
// (the Nagios/Icinga plugin: OK, WARNING, CRITICAL for a dead broker or an
// unreachable /readyz, UNKNOWN for bad flags, dashed flag names) and
// `zonecast stats` (the latency table and counters from GET /v1/stats).
// Also the pieces under them directly: FormatStatsTable on a hand-built
// snapshot, ParseHttpUrl, and HttpGet's errors and time bound.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "http_get.h"
#include "stats_table.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"
#include "zonecast/monitoring.pb.h"

namespace {

namespace v1 = zonecast::v1;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using zonecast::cli::FormatStatsTable;
using zonecast::cli::HttpGet;
using zonecast::cli::HttpUrl;
using zonecast::cli::JoinUrlPath;
using zonecast::cli::ParseHttpUrl;
using zonecast::testing::BrokerProcess;
using zonecast::testing::CliResult;
using zonecast::testing::CollectDeliveries;
using zonecast::testing::ConnectClient;
using zonecast::testing::MakeAlert;
using zonecast::testing::RunCli;

// Nagios plugin exit codes.
constexpr int kOk = 0;
constexpr int kWarning = 1;
constexpr int kCritical = 2;
constexpr int kUnknown = 3;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    lines.emplace_back(line);
  }
  return lines;
}

std::string Explain(const CliResult& r) {
  return absl::StrCat("exit ", r.exit_code, "\nstdout:\n", r.out, "\nstderr:\n", r.err);
}

// A loopback TCP port held by a socket: bound only, connections to it are
// refused; listening but never accepting, connections succeed and then
// nothing is ever answered. Held until destroyed, so nobody else takes it.
class LoopbackPort {
 public:
  explicit LoopbackPort(bool listen_silently) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t size = sizeof(address);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0 ||
        (listen_silently && listen(fd_, 16) != 0)) {
      ADD_FAILURE() << "cannot set up a loopback port";
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ~LoopbackPort() {
    if (fd_ >= 0) close(fd_);
  }
  LoopbackPort(const LoopbackPort&) = delete;
  LoopbackPort& operator=(const LoopbackPort&) = delete;

  std::string authority() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback HTTP server that answers every request with one canned
// response (raw HTTP/1.1 text) and closes the connection; it serves on its
// own thread until destroyed. Every wait in it is bounded by a poll timeout.
class CannedHttpServer {
 public:
  explicit CannedHttpServer(std::string response) : response_(std::move(response)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0 ||
        listen(fd_, 16) != 0) {
      ADD_FAILURE() << "cannot set up the canned HTTP server";
      return;
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedHttpServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) close(fd_);
  }
  CannedHttpServer(const CannedHttpServer&) = delete;
  CannedHttpServer& operator=(const CannedHttpServer&) = delete;

  std::string url() const { return absl::StrCat("http://127.0.0.1:", port_); }

 private:
  static bool Readable(int fd, int timeout_ms) {
    pollfd item{fd, POLLIN, 0};
    return poll(&item, 1, timeout_ms) > 0;
  }

  void Serve() {
    while (!stop_) {
      if (!Readable(fd_, 50)) continue;
      const int connection = accept(fd_, nullptr, nullptr);
      if (connection < 0) continue;
      // Read the request head (bounded), then answer whatever it was.
      std::string request;
      char buffer[4096];
      while (request.find("\r\n\r\n") == std::string::npos && Readable(connection, 2000)) {
        const ssize_t n = read(connection, buffer, sizeof(buffer));
        if (n <= 0) break;
        request.append(buffer, static_cast<size_t>(n));
      }
      size_t written = 0;
      while (written < response_.size()) {
        const ssize_t n =
            send(connection, response_.data() + written, response_.size() - written, MSG_NOSIGNAL);
        if (n <= 0) break;
        written += static_cast<size_t>(n);
      }
      close(connection);
    }
  }

  std::string response_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A whole HTTP/1.1 response with `status` (e.g. "503 Service Unavailable").
std::string HttpResponse(const std::string& status, const std::string& body) {
  return absl::StrCat("HTTP/1.1 ", status,
                      "\r\nContent-Type: text/plain\r\nContent-Length: ", body.size(),
                      "\r\nConnection: close\r\n\r\n", body);
}

class MonitoringCliTest : public ::testing::Test {
 protected:
  void StartBroker() {
    auto broker = BrokerProcess::Start();
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
  }

  void TearDown() override {
    if (HasFailure() && broker_ != nullptr) std::cerr << "broker log:\n" << broker_->Log();
  }

  // `zonecast probe --broker <ours>` plus `args`, 20 canaries in 0.4 s.
  CliResult Probe(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"probe", "--broker", broker_->endpoint(), "--rate=50",
                                     "--duration=0.4"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCli(argv, absl::Seconds(30));
  }

  std::unique_ptr<BrokerProcess> broker_;
};

using ProbeCommandTest = MonitoringCliTest;
using StatsCommandTest = MonitoringCliTest;

TEST_F(ProbeCommandTest, OkAgainstARealBroker) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const CliResult r = Probe({});
  EXPECT_EQ(r.exit_code, kOk) << Explain(r);
  ASSERT_EQ(Lines(r.out).size(), 1u) << "one plugin line\n" << Explain(r);
  EXPECT_THAT(r.out, StartsWith("ZONECAST OK - p99=")) << Explain(r);
  EXPECT_THAT(r.out, HasSubstr(" received=20/20 | ")) << Explain(r);
  EXPECT_THAT(r.out, ContainsRegex(R"(p99=[0-9]+\.[0-9]+ms;50;250;0 )")) << Explain(r);
  for (const char* perf : {"p50=", "p90=", "max="}) {
    EXPECT_THAT(r.out, ContainsRegex(absl::StrCat(perf, R"([0-9]+\.[0-9]+ms;;;0 )"))) << perf;
  }
  EXPECT_THAT(r.out, HasSubstr("sent=20;;;0 received=20;;;0 lost=0;;;0\n")) << Explain(r);
}

TEST_F(ProbeCommandTest, WarningWhenP99IsAboveTheWarnThreshold) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const CliResult r = Probe({"--warn_p99_ms=0.000001", "--crit_p99_ms=1000"});
  EXPECT_EQ(r.exit_code, kWarning) << Explain(r);
  ASSERT_EQ(Lines(r.out).size(), 1u) << Explain(r);
  EXPECT_THAT(r.out, StartsWith("ZONECAST WARNING - p99 ")) << Explain(r);
  EXPECT_THAT(r.out, ContainsRegex(R"(p99=[0-9]+\.[0-9]+ms;0\.000001;1000;0 )")) << Explain(r);
  EXPECT_THAT(r.out, HasSubstr("received=20/20")) << Explain(r);
}

TEST_F(ProbeCommandTest, CriticalWithinTimeoutWhenTheBrokerIsDown) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const std::string endpoint = broker_->endpoint();
  ASSERT_TRUE(broker_->Terminate().ok());
  const absl::Time start = absl::Now();
  const CliResult r =
      RunCli({"probe", "--broker", endpoint, "--timeout_ms=1000"}, absl::Seconds(30));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(r.exit_code, kCritical) << Explain(r);
  ASSERT_EQ(Lines(r.out).size(), 1u) << Explain(r);
  EXPECT_THAT(r.out,
              StartsWith(absl::StrCat("ZONECAST CRITICAL - broker ", endpoint, " unreachable")))
      << Explain(r);
  EXPECT_LT(took, absl::Milliseconds(1000) + absl::Seconds(3)) << "ignored --timeout_ms";
}

TEST_F(ProbeCommandTest, ReadyWhenTheHttpEndpointSaysSo) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_FALSE(broker_->http_endpoint().empty()) << "the broker reported no http= endpoint";
  // With and without the scheme.
  for (const std::string& url :
       {absl::StrCat("http://", broker_->http_endpoint()), broker_->http_endpoint()}) {
    const CliResult r = Probe({"--http", url});
    EXPECT_EQ(r.exit_code, kOk) << url << "\n" << Explain(r);
    EXPECT_THAT(r.out, StartsWith("ZONECAST OK - ")) << Explain(r);
    EXPECT_THAT(r.out, HasSubstr("received=20/20 ready | ")) << Explain(r);
  }
}

TEST_F(ProbeCommandTest, CriticalWhenTheHttpEndpointIsClosed) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const LoopbackPort closed(/*listen_silently=*/false);
  const CliResult r = Probe({"--http", absl::StrCat("http://", closed.authority())});
  EXPECT_EQ(r.exit_code, kCritical) << Explain(r);
  ASSERT_EQ(Lines(r.out).size(), 1u) << Explain(r);
  EXPECT_THAT(r.out, StartsWith("ZONECAST CRITICAL - monitoring endpoint unreachable"))
      << Explain(r);
  EXPECT_THAT(r.out, HasSubstr(closed.authority())) << Explain(r);
  // The canaries were still measured.
  EXPECT_THAT(r.out, HasSubstr("received=20/20")) << Explain(r);
}

TEST_F(ProbeCommandTest, CriticalWithTheReasonWhenTheBrokerIsNotReady) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const CannedHttpServer readyz(
      HttpResponse("503 Service Unavailable", "journal recovery in progress\n"));
  const CliResult r = Probe({"--http", readyz.url()});
  EXPECT_EQ(r.exit_code, kCritical) << Explain(r);
  ASSERT_EQ(Lines(r.out).size(), 1u) << Explain(r);
  EXPECT_THAT(r.out, StartsWith("ZONECAST CRITICAL - broker not ready: journal recovery in "
                                "progress; p99="))
      << Explain(r);
  EXPECT_THAT(r.out, HasSubstr("received=20/20 | ")) << Explain(r);
}

TEST_F(ProbeCommandTest, UnknownOnBadFlags) {
  const std::vector<std::vector<std::string>> cases = {
      {"--warn_p99_ms=300", "--crit_p99_ms=250"},  // warn above crit
      {"--rate=0"},
      {"--rate=-5"},
      {"--duration=0"},
      {"--rate=fast"},
      {"--no_such_flag"},
      {"--name=Not.A.Token"},
      {"--http=https://127.0.0.1:7480"},
      {"stray-argument"},
  };
  for (const std::vector<std::string>& flags : cases) {
    std::vector<std::string> argv = {"probe", "--broker", "tcp://127.0.0.1:1"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    const CliResult r = RunCli(argv, absl::Seconds(10));
    EXPECT_EQ(r.exit_code, kUnknown) << flags[0] << "\n" << Explain(r);
    EXPECT_EQ(Lines(r.out).size(), 1u) << flags[0] << "\n" << Explain(r);
    EXPECT_THAT(r.out, StartsWith("ZONECAST UNKNOWN - ")) << flags[0] << "\n" << Explain(r);
  }
}

TEST_F(ProbeCommandTest, DashedFlagNamesAreAccepted) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const CliResult r = Probe({"--warn-p99-ms=1000", "--crit-p99-ms", "2000", "--timeout-ms=3000"});
  EXPECT_EQ(r.exit_code, kOk) << Explain(r);
  EXPECT_THAT(r.out, ContainsRegex(R"(p99=[0-9]+\.[0-9]+ms;1000;2000;0 )")) << Explain(r);

  // Only names are rewritten: a value that looks like a dashed flag is kept
  // as given (here it is not a number, and the report quotes it).
  const CliResult value = RunCli({"probe", "--rate", "--not-a-number"}, absl::Seconds(10));
  EXPECT_EQ(value.exit_code, kUnknown) << Explain(value);
  EXPECT_THAT(value.out, HasSubstr("'--not-a-number'")) << Explain(value);
}

TEST_F(StatsCommandTest, ShowsRoutingLatencyAndCountersAfterAlerts) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_FALSE(broker_->http_endpoint().empty()) << "the broker reported no http= endpoint";
  auto terminal = ConnectClient(broker_->endpoint(), v1::TERMINAL, "jc-z03-v12");
  ASSERT_TRUE(terminal.ok()) << terminal.status();
  ASSERT_TRUE((*terminal)->Subscribe({"alert.jincheng.z03"}).ok());
  auto center = ConnectClient(broker_->endpoint(), v1::CENTER, "center-1");
  ASSERT_TRUE(center.ok()) << center.status();
  for (int i = 0; i < 3; ++i) {
    auto ack = (*center)->PublishAlert("alert.jincheng.z03", MakeAlert(absl::StrCat("stats-", i)));
    ASSERT_TRUE(ack.ok()) << ack.status();
  }
  const auto delivered = CollectDeliveries(
      **terminal, [](const std::vector<zonecast::Message>& d) { return d.size() >= 3; },
      absl::Seconds(10));
  ASSERT_EQ(delivered.size(), 3u);

  // The endpoint serves the loop's latest snapshot: poll (bounded) until it
  // has the three routings.
  const std::string url = absl::StrCat("http://", broker_->http_endpoint());
  v1::StatsSnapshot snapshot;
  CliResult json;
  const bool seen = zonecast::testing::WaitUntil(
      [&] {
        json = RunCli({"stats", "--http", url, "--json"}, absl::Seconds(10));
        google::protobuf::util::JsonParseOptions options;
        options.ignore_unknown_fields = true;
        snapshot.Clear();
        if (json.exit_code != 0 ||
            !google::protobuf::util::JsonStringToMessage(json.out, &snapshot, options).ok()) {
          return false;
        }
        for (const v1::LatencySummary& s : snapshot.latency_by_stage()) {
          if (s.stage() == "routing" && s.count() >= 3) return true;
        }
        return false;
      },
      absl::Seconds(15));
  ASSERT_TRUE(seen) << "no routing latency for 3 alerts in /v1/stats\n" << Explain(json);

  const CliResult r = RunCli({"stats", "--http", url}, absl::Seconds(10));
  ASSERT_EQ(r.exit_code, 0) << Explain(r);
  const std::vector<std::string> lines = Lines(r.out);
  ASSERT_FALSE(lines.empty());
  EXPECT_THAT(lines[0], StartsWith("broker ")) << Explain(r);
  EXPECT_THAT(lines[0], HasSubstr(" ready")) << Explain(r);
  EXPECT_THAT(r.out, HasSubstr("\nlatency (ms)\nstage ")) << Explain(r);
  EXPECT_THAT(r.out, ContainsRegex("\nrouting +all +all +broker +[0-9]+ ")) << Explain(r);
  EXPECT_THAT(r.out, ContainsRegex("\nrouting +P2 +z03 ")) << Explain(r);
  EXPECT_THAT(r.out, HasSubstr("\ncounters\n")) << Explain(r);
  EXPECT_THAT(r.out, HasSubstr("\ngauges\n")) << Explain(r);
  // Every non-zero counter of the snapshot is a row (the command's own
  // request came later, so its value may differ: check names only).
  for (const auto& [name, value] : snapshot.counters()) {
    if (value > 0 && !absl::StartsWith(name, "http_")) {
      EXPECT_THAT(r.out, ContainsRegex(absl::StrCat("\n", name, " +[0-9]+\n"))) << name;
    }
  }
}

TEST_F(StatsCommandTest, UnreachableEndpointExitsOneAndBadUrlTwo) {
  const LoopbackPort closed(/*listen_silently=*/false);
  const CliResult r =
      RunCli({"stats", "--http", absl::StrCat("http://", closed.authority())}, absl::Seconds(10));
  EXPECT_EQ(r.exit_code, 1) << Explain(r);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr(closed.authority())) << Explain(r);

  const CliResult bad = RunCli({"stats", "--http", "ftp://x"}, absl::Seconds(10));
  EXPECT_EQ(bad.exit_code, 2) << Explain(bad);
}

TEST_F(StatsCommandTest, Non200OrNonSnapshotAnswerExitsOne) {
  const CannedHttpServer unavailable(HttpResponse("503 Service Unavailable", "starting\n"));
  const CliResult r = RunCli({"stats", "--http", unavailable.url()}, absl::Seconds(10));
  EXPECT_EQ(r.exit_code, 1) << Explain(r);
  EXPECT_THAT(r.err, HasSubstr("HTTP 503: starting")) << Explain(r);
  EXPECT_EQ(r.out, "");

  const CannedHttpServer garbage(HttpResponse("200 OK", "<html>not a snapshot</html>"));
  const CliResult g = RunCli({"stats", "--http", garbage.url()}, absl::Seconds(10));
  EXPECT_EQ(g.exit_code, 1) << Explain(g);
  EXPECT_THAT(g.err, HasSubstr("did not return a stats snapshot")) << Explain(g);
}

// FormatStatsTable ----------------------------------------------------------

v1::LatencySummary Latency(const std::string& stage, const std::string& priority,
                           const std::string& zone, uint64_t count, double p50, double max) {
  v1::LatencySummary s;
  s.set_stage(stage);
  s.set_priority(priority);
  s.set_zone(zone);
  s.set_clock(stage == "end_to_end" ? "cross" : "broker");
  s.set_count(count);
  s.set_p50_ms(p50);
  s.set_p90_ms(p50 * 2);
  s.set_p99_ms(max / 2);
  s.set_p999_ms(max);
  s.set_max_ms(max);
  return s;
}

TEST(FormatStatsTableTest, HeaderLatencyCountersAndGauges) {
  v1::StatsSnapshot snapshot;
  snapshot.set_broker_id("zc-1");
  snapshot.set_version("0.1.0");
  snapshot.set_uptime_s(3723.9);
  snapshot.set_ready(true);
  *snapshot.add_latency_by_stage() = Latency("routing", "", "", 42, 0.051, 0.23);
  *snapshot.add_latency_by_stage() = Latency("end_to_end", "", "", 40, 1.5, 12.25);
  // Out of order on purpose: rows follow the aggregates' stage order, then
  // priority, then zone.
  *snapshot.add_latency() = Latency("end_to_end", "P1", "z03", 40, 1.5, 12.25);
  *snapshot.add_latency() = Latency("routing", "P2", "z05", 30, 0.05, 0.2);
  *snapshot.add_latency() = Latency("routing", "P1", "z03", 12, 0.048, 0.23);
  (*snapshot.mutable_counters())["published_durable"] = 42;
  (*snapshot.mutable_counters())["delivered"] = 1234567;
  (*snapshot.mutable_counters())["duplicates"] = 0;  // zero: left out
  (*snapshot.mutable_gauges())["sessions.terminal"] = 3;
  (*snapshot.mutable_gauges())["durable_lag"] = 0;  // gauges are all shown
  (*snapshot.mutable_gauges())["clock_offset_ms"] = -12;

  EXPECT_EQ(FormatStatsTable(snapshot),
            "broker zc-1  version 0.1.0  up 1h02m03s  ready\n"
            "\n"
            "latency (ms)\n"
            "stage       priority  zone  clock   count    p50    p90    p99   p99.9     max\n"
            "routing     all       all   broker     42  0.051  0.102  0.115   0.230   0.230\n"
            "end_to_end  all       all   cross      40  1.500  3.000  6.125  12.250  12.250\n"
            "routing     P1        z03   broker     12  0.048  0.096  0.115   0.230   0.230\n"
            "routing     P2        z05   broker     30  0.050  0.100  0.100   0.200   0.200\n"
            "end_to_end  P1        z03   cross      40  1.500  3.000  6.125  12.250  12.250\n"
            "\n"
            "counters\n"
            "delivered          1234567\n"
            "published_durable       42\n"
            "\n"
            "gauges\n"
            "clock_offset_ms    -12\n"
            "durable_lag          0\n"
            "sessions.terminal    3\n");
}

TEST(FormatStatsTableTest, NotReadyAndEmpty) {
  v1::StatsSnapshot snapshot;
  snapshot.set_broker_id("zc-2");
  snapshot.set_uptime_s(2 * 86400 + 5);
  snapshot.set_ready(false);
  snapshot.set_not_ready_reason("journal recovery in progress\n");
  (*snapshot.mutable_counters())["duplicates"] = 0;
  EXPECT_EQ(FormatStatsTable(snapshot),
            "broker zc-2  up 2d00h00m05s  NOT READY: journal recovery in progress\n"
            "\n"
            "latency (ms): no samples yet\n"
            "\n"
            "counters: all zero\n"
            "\n"
            "gauges: none\n");
}

// ParseHttpUrl and HttpGet ---------------------------------------------------

TEST(ParseHttpUrlTest, AcceptedForms) {
  struct Case {
    const char* url;
    const char* host;
    uint16_t port;
    const char* target;
  };
  for (const Case& c : std::vector<Case>{
           {"http://127.0.0.1:7480/v1/stats", "127.0.0.1", 7480, "/v1/stats"},
           {"127.0.0.1:7480/readyz", "127.0.0.1", 7480, "/readyz"},
           {"http://127.0.0.1:7480", "127.0.0.1", 7480, "/"},
           {"HTTP://localhost:80/a?b=c#frag", "localhost", 80, "/a?b=c"},
           {"http://[::1]:7480/x", "::1", 7480, "/x"},
           {"monitor.example", "monitor.example", 80, "/"},
       }) {
    absl::StatusOr<HttpUrl> url = ParseHttpUrl(c.url);
    ASSERT_TRUE(url.ok()) << c.url << ": " << url.status();
    EXPECT_EQ(url->host, c.host) << c.url;
    EXPECT_EQ(url->port, c.port) << c.url;
    EXPECT_EQ(url->target, c.target) << c.url;
  }
  EXPECT_EQ(ParseHttpUrl("http://[::1]:7480")->Authority(), "[::1]:7480");
  EXPECT_EQ(JoinUrlPath("http://h:1/", "/readyz"), "http://h:1/readyz");
  EXPECT_EQ(JoinUrlPath("h:1", "/readyz"), "h:1/readyz");
}

TEST(ParseHttpUrlTest, RejectedForms) {
  for (const char* url : {"", "https://127.0.0.1:7480", "http://:7480/", "http://h:0/",
                          "http://h:65536/", "http://h:x/", "http://h:/", "http://u@h:1/",
                          "http://[::1/", "::1:7480", "http://h:1/a b"}) {
    absl::StatusOr<HttpUrl> parsed = ParseHttpUrl(url);
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << "'" << url << "'";
  }
  EXPECT_EQ(HttpGet("ftp://x", absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HttpGetTest, RefusedConnectionIsUnavailableAndNamesTheAddress) {
  const LoopbackPort closed(/*listen_silently=*/false);
  absl::StatusOr<zonecast::cli::HttpGetResult> result =
      HttpGet(absl::StrCat("http://", closed.authority(), "/readyz"), absl::Seconds(5));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnavailable) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr(closed.authority()));
}

TEST(HttpGetTest, SilentServerIsDeadlineExceededWithinTheTimeout) {
  const LoopbackPort silent(/*listen_silently=*/true);
  const absl::Time start = absl::Now();
  absl::StatusOr<zonecast::cli::HttpGetResult> result =
      HttpGet(absl::StrCat("http://", silent.authority(), "/v1/stats"), absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kDeadlineExceeded) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr(silent.authority()));
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Seconds(2));
}

TEST_F(MonitoringCliTest, HttpGetReadsTheBrokersReadyz) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  ASSERT_FALSE(broker_->http_endpoint().empty());
  absl::StatusOr<zonecast::cli::HttpGetResult> result =
      HttpGet(JoinUrlPath(broker_->http_endpoint(), "/readyz"), absl::Seconds(5));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(result->body, "ready\n");
  EXPECT_THAT(result->content_type, StartsWith("text/plain"));
}

}  // namespace
