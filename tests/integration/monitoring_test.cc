// The monitoring endpoint of the real zonecastd: /healthz,
// /readyz, /metrics (checked by promtool), /v1/stats, /v1/sessions,
// /v1/alerts, stage latencies that count a known workload exactly, sys.stats
// for subscribers, and an HTTP side that shrugs off malformed requests.
//
// HTTP requests go through the CLI's Beast client (clients/cli/http_get.h);
// every wait is bounded, and "eventually" conditions are polled with
// WaitUntil, never slept for.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "http_get.h"
#include "integration/durability_support.h"
#include "journal/journal_format.h"
#include "support/broker_process.h"
#include "support/promtool.h"
#include "support/test_clients.h"
#include "zonecast/client.h"
#include "zonecast/monitoring.pb.h"
#include "zonecast/wire.pb.h"

namespace {

namespace v1 = zonecast::v1;
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using zonecast::Client;
using zonecast::testing::BrokerProcess;
using zonecast::testing::CollectDeliveries;
using zonecast::testing::ConnectClient;
using zonecast::testing::MakeAlert;
using zonecast::testing::WaitUntil;

constexpr char kZ07[] = "alert.jincheng.z07";
constexpr char kTerminal[] = "jc-z07-v01";

// The bearer token the tests' brokers ask for (--http_token_file).
constexpr char kToken[] = "test-token-0123456789abcdef";

absl::StatusOr<zonecast::cli::HttpGetResult> Get(const BrokerProcess& broker,
                                                 const std::string& path,
                                                 const std::string& token = kToken) {
  return zonecast::cli::HttpGet(absl::StrCat("http://", broker.http_endpoint(), path),
                                absl::Seconds(10), token);
}

// A file holding kToken, for --http_token_file.
std::string TokenFile() {
  const std::string path = zonecast::testing::MakeTempDir("zonecast-token") + "/token";
  std::ofstream(path) << kToken << "\n";
  return path;
}

// The value of one sample line "series value" of a Prometheus exposition,
// e.g. Sample(text, "zonecast_delivered_total").
std::optional<double> Sample(const std::string& text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, series) || line.size() <= series.size() ||
        line[series.size()] != ' ') {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(series.size() + 1), &value)) return value;
  }
  return std::nullopt;
}

std::string LatencySeries(const std::string& suffix, const std::string& stage,
                          const std::string& priority, const std::string& zone,
                          const std::string& clock = "broker") {
  return absl::StrCat("zonecast_latency_seconds", suffix, "{stage=\"", stage, "\",priority=\"",
                      priority, "\",zone=\"", zone, "\",clock=\"", clock, "\"}");
}

template <typename Message>
bool ParseJson(const std::string& json, Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;  // the broker's JSON must match its proto
  return google::protobuf::util::JsonStringToMessage(json, message, options).ok();
}

class MonitoringTest : public ::testing::Test {
 protected:
  void StartBroker(std::vector<std::string> args = {}, bool with_token = true) {
    if (with_token) args.push_back("--http_token_file=" + TokenFile());
    auto broker = BrokerProcess::Start(std::move(args));
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
    ASSERT_FALSE(broker_->http_endpoint().empty()) << "no http= in the ready file";
  }

  // GET that must answer; the status and body are the test's to judge.
  zonecast::cli::HttpGetResult MustGet(const std::string& path) {
    auto result = Get(*broker_, path);
    EXPECT_TRUE(result.ok()) << path << ": " << result.status();
    return result.ok() ? *result : zonecast::cli::HttpGetResult{};
  }

  // Polls /metrics until `series` has `value`.
  bool WaitForSample(const std::string& series, double value,
                     absl::Duration timeout = absl::Seconds(10)) {
    std::optional<double> last;
    const bool ok = WaitUntil(
        [&] {
          last = Sample(MustGet("/metrics").body, series);
          return last == value;
        },
        timeout);
    if (!ok)
      ADD_FAILURE() << series << " is " << (last ? absl::StrCat(*last) : "absent") << ", expected "
                    << value;
    return ok;
  }

  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(MonitoringTest, HealthAndReadinessOfARunningBroker) {
  StartBroker();
  zonecast::cli::HttpGetResult health = MustGet("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  zonecast::cli::HttpGetResult ready = MustGet("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.body, "ready\n");
  zonecast::cli::HttpGetResult index = MustGet("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_THAT(index.body, HasSubstr("/metrics"));
}

// With a token, everything but /healthz asks for it; without one, alert
// data (names, places, units) is not served at all.
TEST_F(MonitoringTest, BearerTokenGuardsTheEndpointAndAlertData) {
  StartBroker();
  for (const char* path : {"/metrics", "/readyz", "/v1/stats", "/v1/alerts?state=open"}) {
    absl::StatusOr<zonecast::cli::HttpGetResult> bare = Get(*broker_, path, "");
    ASSERT_TRUE(bare.ok()) << bare.status();
    EXPECT_EQ(bare->status, 401) << path;
    absl::StatusOr<zonecast::cli::HttpGetResult> wrong = Get(*broker_, path, "not-the-token");
    ASSERT_TRUE(wrong.ok()) << wrong.status();
    EXPECT_EQ(wrong->status, 401) << path;
    EXPECT_EQ(MustGet(path).status, 200) << path;
  }
  absl::StatusOr<zonecast::cli::HttpGetResult> health = Get(*broker_, "/healthz", "");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);

  StartBroker({}, /*with_token=*/false);
  EXPECT_EQ(MustGet("/metrics").status, 200);
  EXPECT_EQ(MustGet("/v1/alerts?state=open").status, 403);
  EXPECT_EQ(MustGet("/v1/alerts/any").status, 403);
  EXPECT_EQ(MustGet("/v1/sessions").status, 403);
}

TEST_F(MonitoringTest, BadRequestsGetFourHundreds) {
  StartBroker();
  EXPECT_EQ(MustGet("/nope").status, 404);
  zonecast::cli::HttpGetResult unknown = MustGet("/v1/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.content_type, HasSubstr("application/json"));
  zonecast::cli::HttpGetResult bad_state = MustGet("/v1/alerts?state=closed");
  EXPECT_EQ(bad_state.status, 400);
  EXPECT_THAT(bad_state.body, HasSubstr("state=open"));
  EXPECT_EQ(MustGet("/v1/alerts/no-such-alert").status, 404);
  EXPECT_EQ(MustGet("/v1/alerts?state=open&limit=0").status, 400);
  EXPECT_EQ(MustGet("/v1/alerts?state=open&limit=x").status, 400);
  EXPECT_EQ(MustGet(absl::StrCat("/v1/alerts/", std::string(300, 'a'))).status, 400);
}

// A known workload: N alerts to one zone with one terminal. Every stage of
// every alert is counted exactly once, and promtool accepts the exposition.
TEST_F(MonitoringTest, MetricsCountAKnownWorkloadExactly) {
  StartBroker();
  auto terminal = ConnectClient(broker_->endpoint(), v1::TERMINAL, kTerminal, "z07");
  ASSERT_TRUE(terminal.ok()) << terminal.status();
  ASSERT_TRUE((*terminal)->Subscribe({kZ07}).ok());
  auto center = ConnectClient(broker_->endpoint(), v1::CENTER, "center-metrics");
  ASSERT_TRUE(center.ok()) << center.status();

  constexpr int kAlerts = 40;
  for (int i = 0; i < kAlerts; ++i) {
    const v1::Priority priority = i % 4 == 0 ? v1::P1 : v1::P2;
    auto acked = (*center)->PublishAlert(kZ07, MakeAlert(absl::StrCat("metrics-", i), priority));
    ASSERT_TRUE(acked.ok()) << acked.status();
  }
  std::vector<zonecast::Message> got = CollectDeliveries(
      **terminal, [](const std::vector<zonecast::Message>& d) { return d.size() == kAlerts; },
      absl::Seconds(10));
  ASSERT_EQ(got.size(), static_cast<size_t>(kAlerts));

  // RECEIVED travels back asynchronously: wait for the last one to count.
  ASSERT_TRUE(WaitForSample(LatencySeries("_count", "delivery_rtt", "P2", "z07"), 30));
  const std::string text = MustGet("/metrics").body;
  for (const char* stage : {"routing", "durable", "delivery_rtt"}) {
    EXPECT_EQ(Sample(text, LatencySeries("_count", stage, "P1", "z07")), 10) << stage;
    EXPECT_EQ(Sample(text, LatencySeries("_count", stage, "P2", "z07")), 30) << stage;
    // +Inf holds every sample.
    std::string inf = LatencySeries("_bucket", stage, "P2", "z07");
    inf.insert(inf.size() - 1, ",le=\"+Inf\"");
    EXPECT_EQ(Sample(text, inf), 30) << stage;
  }
  EXPECT_EQ(Sample(text, LatencySeries("_count", "end_to_end", "P2", "z07", "cross")), 30);
  EXPECT_EQ(Sample(text, "zonecast_published_durable_total"), kAlerts);
  EXPECT_EQ(Sample(text, "zonecast_acks_total{level=\"RECEIVED\"}"), kAlerts);
  EXPECT_EQ(Sample(text, "zonecast_sessions{role=\"terminal\",zone=\"z07\"}"), 1);
  EXPECT_EQ(Sample(text, "zonecast_ready"), 1);
  // Every metric says what it counts (no fallback "zonecast gauge x").
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StartsWith(line, "# HELP ")) continue;
    EXPECT_FALSE(absl::StrContains(line, " zonecast gauge ") ||
                 absl::StrContains(line, " zonecast counter "))
        << "no real HELP: " << line;
  }
  absl::Status lint = zonecast::testing::CheckWithPromtool(text);
  if (absl::IsFailedPrecondition(lint) && std::getenv("ZONECAST_REQUIRE_PROMTOOL") == nullptr) {
    GTEST_SKIP() << "promtool not installed; the exposition was not linted";
  }
  EXPECT_TRUE(lint.ok()) << lint << "\n" << text;

  // The same numbers as JSON, with percentiles.
  zonecast::cli::HttpGetResult stats_json = MustGet("/v1/stats");
  ASSERT_EQ(stats_json.status, 200);
  v1::StatsSnapshot stats;
  ASSERT_TRUE(ParseJson(stats_json.body, &stats)) << stats_json.body;
  EXPECT_TRUE(stats.ready());
  EXPECT_EQ(stats.counters().at("published_durable"), static_cast<uint64_t>(kAlerts));
  bool saw_routing = false;
  for (const v1::LatencySummary& summary : stats.latency_by_stage()) {
    if (summary.stage() != "routing") continue;
    saw_routing = true;
    EXPECT_EQ(summary.count(), static_cast<uint64_t>(kAlerts));
    EXPECT_GT(summary.p50_ms(), 0);
    EXPECT_LE(summary.p50_ms(), summary.p99_ms());
    EXPECT_LE(summary.p99_ms(), summary.max_ms() * 1.02);
  }
  EXPECT_TRUE(saw_routing) << stats_json.body;
}

TEST_F(MonitoringTest, SessionsListsWhoIsOnline) {
  StartBroker();
  auto terminal = ConnectClient(broker_->endpoint(), v1::TERMINAL, kTerminal, "z07");
  ASSERT_TRUE(terminal.ok()) << terminal.status();
  ASSERT_TRUE((*terminal)->Subscribe({kZ07}).ok());
  zonecast::cli::HttpGetResult body = MustGet("/v1/sessions");
  ASSERT_EQ(body.status, 200);
  v1::SessionList sessions;
  ASSERT_TRUE(ParseJson(body.body, &sessions)) << body.body;
  const v1::SessionInfo* found = nullptr;
  for (const v1::SessionInfo& s : sessions.sessions()) {
    if (s.unit() == kTerminal) found = &s;
  }
  ASSERT_NE(found, nullptr) << body.body;
  EXPECT_EQ(found->role(), "terminal");
  EXPECT_EQ(found->zone(), "z07");
  EXPECT_EQ(found->subscriptions(), 1u);
  EXPECT_GT(found->last_heard_unix_ms(), 0);
  EXPECT_LE(found->online_since_unix_ms(), found->last_heard_unix_ms());
}

// A published, received and accepted alert: its timeline from the journal,
// and the open-alerts list until it is resolved.
TEST_F(MonitoringTest, AlertTimelineAndOpenAlerts) {
  StartBroker();
  auto terminal = ConnectClient(broker_->endpoint(), v1::TERMINAL, kTerminal, "z07");
  ASSERT_TRUE(terminal.ok()) << terminal.status();
  ASSERT_TRUE((*terminal)->Subscribe({kZ07}).ok());
  auto center = ConnectClient(broker_->endpoint(), v1::CENTER, "center-timeline");
  ASSERT_TRUE(center.ok()) << center.status();
  const std::string id = "lanhua-bridge-0417";
  auto acked = (*center)->PublishAlert(kZ07, MakeAlert(id, v1::P1));
  ASSERT_TRUE(acked.ok()) << acked.status();
  std::optional<zonecast::Message> alert =
      zonecast::testing::NextDeliver(**terminal, absl::Seconds(5));
  ASSERT_TRUE(alert.has_value());
  ASSERT_TRUE((*terminal)->SendAck(*alert, v1::ACCEPTED, "on my way").ok());

  // Accepted, not resolved: still open, in state ACCEPTED by the terminal.
  v1::AlertStatusList open;
  ASSERT_TRUE(WaitUntil(
      [&] {
        open.Clear();
        const zonecast::cli::HttpGetResult list = MustGet("/v1/alerts?state=open");
        return list.status == 200 && ParseJson(list.body, &open) && open.alerts_size() == 1 &&
               open.alerts(0).state() == "ACCEPTED";
      },
      absl::Seconds(10)))
      << open.DebugString();
  EXPECT_EQ(open.alerts(0).alert_id(), id);
  EXPECT_EQ(open.total(), 1u);
  EXPECT_EQ(open.alerts(0).zone(), "z07");
  EXPECT_EQ(open.alerts(0).priority(), "P1");
  EXPECT_EQ(open.alerts(0).responder(), kTerminal);
  EXPECT_EQ(open.alerts(0).units_received(), 1u);
  EXPECT_GE(open.alerts(0).age_s(), 0);

  // The timeline has every step (the journal is read, so wait for the ack
  // record to be on disk).
  std::string timeline_json;
  ASSERT_TRUE(WaitUntil(
      [&] {
        const zonecast::cli::HttpGetResult t = MustGet(absl::StrCat("/v1/alerts/", id));
        timeline_json = t.body;
        return t.status == 200 && absl::StrContains(t.body, "ACCEPTED") &&
               absl::StrContains(t.body, "TAKEN");
      },
      absl::Seconds(10)))
      << timeline_json;
  google::protobuf::util::JsonParseOptions lenient;
  lenient.ignore_unknown_fields = true;  // the "status" added beside the timeline
  v1::AlertTimeline timeline;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(timeline_json, &timeline, lenient).ok())
      << timeline_json;
  std::vector<std::string> steps;
  for (const v1::TimelineEntry& entry : timeline.entries()) {
    steps.push_back(entry.kind() == v1::TimelineEntry::ACK
                        ? absl::StrCat("ACK ", v1::AckLevel_Name(entry.level()))
                        : v1::TimelineEntry::Kind_Name(entry.kind()));
  }
  EXPECT_THAT(steps, ::testing::ElementsAre("PUBLISHED", "DELIVERED", "ACK RECEIVED",
                                            "ACK ACCEPTED", "TAKEN"))
      << timeline_json;
  EXPECT_EQ(timeline.state(), "accepted");
  EXPECT_THAT(timeline_json, HasSubstr("\"status\""));

  // Resolved: off the open list.
  ASSERT_TRUE((*terminal)->SendAck(*alert, v1::RESOLVED, "").ok());
  EXPECT_TRUE(WaitUntil(
      [&] {
        v1::AlertStatusList now;
        const zonecast::cli::HttpGetResult list = MustGet("/v1/alerts?state=open");
        return list.status == 200 && ParseJson(list.body, &now) && now.alerts_size() == 0;
      },
      absl::Seconds(10)));
}

// The open-alerts list is rebuilt from the journal after a restart, with
// the title and how far each alert got.
TEST_F(MonitoringTest, OpenAlertsSurviveARestart) {
  StartBroker();
  {
    auto terminal = ConnectClient(broker_->endpoint(), v1::TERMINAL, kTerminal, "z07");
    ASSERT_TRUE(terminal.ok()) << terminal.status();
    ASSERT_TRUE((*terminal)->Subscribe({kZ07}).ok());
    auto center = ConnectClient(broker_->endpoint(), v1::CENTER, "center-restart");
    ASSERT_TRUE(center.ok()) << center.status();
    v1::Alert taken = MakeAlert("taken-before-restart", v1::P1);
    taken.set_title("Woman outside the railing");
    ASSERT_TRUE((*center)->PublishAlert(kZ07, taken).ok());
    ASSERT_TRUE((*center)->PublishAlert(kZ07, MakeAlert("resolved-before-restart", v1::P2)).ok());
    std::vector<zonecast::Message> got = CollectDeliveries(
        **terminal, [](const std::vector<zonecast::Message>& d) { return d.size() == 2; },
        absl::Seconds(10));
    ASSERT_EQ(got.size(), 2u);
    ASSERT_TRUE((*terminal)->SendAck(got[0], v1::ON_SCENE, "").ok());
    ASSERT_TRUE((*terminal)->SendAck(got[1], v1::RESOLVED, "").ok());
    // Both acks are stored once the list shows them.
    ASSERT_TRUE(WaitUntil(
        [&] {
          v1::AlertStatusList open;
          const zonecast::cli::HttpGetResult list = MustGet("/v1/alerts?state=open");
          return ParseJson(list.body, &open) && open.alerts_size() == 1 &&
                 open.alerts(0).state() == "ON_SCENE";
        },
        absl::Seconds(10)));
  }
  const std::string data_dir = broker_->data_dir();
  ASSERT_TRUE(broker_->Terminate().ok());
  auto again = BrokerProcess::Start({"--http_token_file=" + TokenFile()}, data_dir);
  ASSERT_TRUE(again.ok()) << again.status();
  broker_ = *std::move(again);
  v1::AlertStatusList open;
  const zonecast::cli::HttpGetResult list = MustGet("/v1/alerts?state=open");
  ASSERT_TRUE(ParseJson(list.body, &open)) << list.body;
  ASSERT_EQ(open.alerts_size(), 1) << list.body;
  EXPECT_EQ(open.alerts(0).alert_id(), "taken-before-restart");
  EXPECT_EQ(open.alerts(0).title(), "Woman outside the railing");
  EXPECT_EQ(open.alerts(0).state(), "ON_SCENE");
  EXPECT_EQ(open.alerts(0).responder(), kTerminal);
  EXPECT_EQ(open.alerts(0).units_received(), 1u);
}

TEST_F(MonitoringTest, StatsArePublishedOnSysStats) {
  StartBroker({"--stats_interval=200ms"});
  auto watcher = ConnectClient(broker_->endpoint(), v1::CENTER, "center-stats");
  ASSERT_TRUE(watcher.ok()) << watcher.status();
  ASSERT_TRUE((*watcher)->Subscribe({"sys.stats"}).ok());
  std::optional<zonecast::Message> stats =
      zonecast::testing::NextDeliver(**watcher, absl::Seconds(5));
  ASSERT_TRUE(stats.has_value()) << "no sys.stats within 5 s at --stats_interval=200ms";
  EXPECT_EQ(stats->topic(), "sys.stats");
  ASSERT_TRUE(stats->event().has_stats());
  EXPECT_TRUE(stats->event().stats().counters().contains("published_durable"));
  EXPECT_GE(stats->event().stats().gauges().at("sessions"), 1);
  EXPECT_GT(stats->event().stats().uptime_s(), 0);

  // The CLI's watcher shows them, as one JSON line or one line of text.
  zonecast::testing::CliResult json =
      zonecast::testing::RunCli({"watch", "--broker", broker_->endpoint(), "--subscribe",
                                 "sys.stats", "--count", "1", "--json"},
                                absl::Seconds(10));
  EXPECT_EQ(json.exit_code, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"event\":\"stats\""));
  EXPECT_THAT(json.out, HasSubstr("\"published_durable\":0"));  // a number, not "0"
  zonecast::testing::CliResult text = zonecast::testing::RunCli(
      {"watch", "--broker", broker_->endpoint(), "--subscribe", "sys.stats", "--count", "1"},
      absl::Seconds(10));
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("STATS zonecastd ready"));
}

// Garbage and half requests on the HTTP port: each gets its 4xx or is cut
// off, and the broker goes on routing and answering.
TEST_F(MonitoringTest, MalformedHttpDoesNotHurtTheBroker) {
  StartBroker();
  const std::string& endpoint = broker_->http_endpoint();
  const size_t colon = endpoint.rfind(':');
  const int port = std::stoi(endpoint.substr(colon + 1));
  const std::vector<std::string> attacks = {
      "GARBAGE\r\n\r\n",
      std::string("\x00\x01\x02\xff\r\n\r\n", 8),
      "GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n",
      absl::StrCat("GET /", std::string(10000, 'a'), " HTTP/1.1\r\n\r\n"),
      absl::StrCat("GET / HTTP/1.1\r\nX: ", std::string(20000, 'b'), "\r\n\r\n"),
      "POST /metrics HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n",
      "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "GET / HTTP/1.1\r\n",  // never finished
  };
  for (const std::string& attack : attacks) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    timeval timeout{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    (void)::send(fd, attack.data(), attack.size(), MSG_NOSIGNAL);
    char buffer[512];
    (void)::recv(fd, buffer, sizeof buffer, 0);  // an answer, or the timeout
    ::close(fd);
  }
  EXPECT_EQ(MustGet("/healthz").status, 200);
  EXPECT_EQ(MustGet("/readyz").status, 200);
  const std::string text = MustGet("/metrics").body;
  const std::optional<double> malformed = Sample(text, "zonecast_http_malformed_total");
  ASSERT_TRUE(malformed.has_value()) << text;
  EXPECT_GE(*malformed, 3);
  // Routing is untouched.
  auto terminal = ConnectClient(broker_->endpoint(), v1::TERMINAL, kTerminal, "z07");
  ASSERT_TRUE(terminal.ok()) << terminal.status();
  ASSERT_TRUE((*terminal)->Subscribe({kZ07}).ok());
  auto center = ConnectClient(broker_->endpoint(), v1::CENTER, "center-after-attack");
  ASSERT_TRUE(center.ok()) << center.status();
  ASSERT_TRUE((*center)->PublishAlert(kZ07, MakeAlert("after-attack", v1::P1)).ok());
  EXPECT_TRUE(zonecast::testing::NextDeliver(**terminal, absl::Seconds(5)).has_value());
  EXPECT_TRUE(broker_->running());
}

// /readyz is 503 while the journal is recovered, then 200. The journal is
// made big enough (written directly in the segment format) that recovery
// takes a while, and the test polls from the moment the HTTP endpoint is
// announced in the ready file.
TEST_F(MonitoringTest, NotReadyUntilRecoveryCompletes) {
  namespace zj = zonecast::journal;
  const std::string dir = zonecast::testing::MakeTempDir("zonecast-readyz");
  const std::string data_dir = dir + "/data";
  const std::string journal_dir = data_dir + "/journal";
  fs::create_directories(journal_dir);
  v1::Frame frame;
  v1::Deliver* deliver = frame.mutable_deliver();
  deliver->set_topic("radio.jincheng.z07.jc-z07-v01");
  deliver->set_priority(v1::P3);
  deliver->set_broker_unix_ms(absl::ToUnixMillis(absl::Now()) - 3'600'000);
  deliver->mutable_event()->mutable_radio()->set_kind(v1::RadioEvent::STATUS);
  deliver->mutable_event()->mutable_radio()->set_text(std::string(200, 's'));
  constexpr uint64_t kRecords = 600'000;
  std::string segment = zj::EncodeSegmentHeader(zj::SegmentHeader{1, 1});
  std::string payload;
  for (uint64_t seq = 1; seq <= kRecords; ++seq) {
    deliver->set_seq(seq);
    payload.clear();
    zj::EncodePublish(zj::PublishRecord{seq, deliver->broker_unix_ms(), "", deliver->topic(),
                                        frame.SerializeAsString(), v1::P3},
                      &payload);
    zj::AppendRecord(&segment, zj::RecordType::kPublish, payload);
  }
  {
    std::ofstream out(journal_dir + "/" + zj::SegmentFileName(1), std::ios::binary);
    out.write(segment.data(), static_cast<std::streamsize>(segment.size()));
  }
  const std::string ready_file = dir + "/ready";
  auto pid = zonecast::testing::Spawn(
      {ZONECASTD_PATH, "--listen=tcp://127.0.0.1:*", "--http=127.0.0.1:0", "--data_dir=" + data_dir,
       "--ready_file=" + ready_file, "--segment_bytes=1073741824"},
      dir + "/out", dir + "/err");
  ASSERT_TRUE(pid.ok()) << pid.status();
  std::string http;
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::ifstream in(ready_file);
        std::string line;
        while (std::getline(in, line)) {
          if (absl::StartsWith(line, "http=")) http = line.substr(5);
        }
        return !http.empty();
      },
      absl::Seconds(10)));
  int not_ready = 0;
  std::string reason;
  const bool became_ready = WaitUntil(
      [&] {
        auto answer =
            zonecast::cli::HttpGet(absl::StrCat("http://", http, "/readyz"), absl::Seconds(5));
        if (!answer.ok()) return false;
        if (answer->status == 503) {
          ++not_ready;
          reason = answer->body;
        }
        return answer->status == 200;
      },
      absl::Seconds(60));
  ::kill(*pid, SIGKILL);
  ::waitpid(*pid, nullptr, 0);
  ASSERT_TRUE(became_ready) << "never ready; last reason: " << reason;
  EXPECT_GT(not_ready, 0) << "recovery of " << kRecords << " records was never seen";
  EXPECT_THAT(reason, HasSubstr("recovering"));
  fs::remove_all(dir);
}

// A journal that cannot write makes the broker not ready (503 with the
// reason) and ready again once there is room. The data dir is a small tmpfs
// (root only) that the test fills.
TEST_F(MonitoringTest, NotReadyWhileTheJournalCannotWrite) {
  using zonecast::testing::durability::FillUntilFull;
  using zonecast::testing::durability::Tmpfs;
  if (geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs as --data_dir";
  Tmpfs tmpfs("2m");
  if (!tmpfs.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here: " << tmpfs.error();
  const std::string filler = tmpfs.dir() + "/filler";
  auto broker = BrokerProcess::Start({}, tmpfs.dir() + "/data");
  ASSERT_TRUE(broker.ok()) << broker.status();
  broker_ = *std::move(broker);
  EXPECT_EQ(MustGet("/readyz").status, 200);

  ASSERT_GT(FillUntilFull(filler), 0);
  // The full file system is seen before any write fails...
  zonecast::cli::HttpGetResult full = MustGet("/readyz");
  EXPECT_EQ(full.status, 503);
  EXPECT_THAT(full.body, HasSubstr("full"));
  // ...and a refused alert marks the journal itself unhealthy.
  auto center = ConnectClient(broker_->endpoint(), v1::CENTER, "center-full");
  ASSERT_TRUE(center.ok()) << center.status();
  EXPECT_FALSE((*center)->PublishAlert(kZ07, MakeAlert("refused-when-full", v1::P2, 8192)).ok());
  zonecast::cli::HttpGetResult refused = MustGet("/readyz");
  EXPECT_EQ(refused.status, 503);
  EXPECT_THAT(refused.body, HasSubstr("journal cannot write"));
  EXPECT_EQ(Sample(MustGet("/metrics").body, "zonecast_ready"), 0);

  // Room again: the next store heals the journal and the broker is ready.
  ASSERT_TRUE(fs::remove(filler));
  ASSERT_TRUE((*center)->PublishAlert(kZ07, MakeAlert("refused-when-full", v1::P2, 8192)).ok());
  EXPECT_TRUE(WaitUntil([&] { return MustGet("/readyz").status == 200; }, absl::Seconds(10)));
  ASSERT_TRUE(broker_->Terminate().ok());
  broker_.reset();
}

}  // namespace
