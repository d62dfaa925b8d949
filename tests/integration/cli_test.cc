// The `zonecast` command-line tool against a real zonecastd: help and usage
// exit codes, an unreachable broker, a broker Error, and the Lanhua bridge
// scene end to end (terminal, publish, watch on ack.>) with JSON output.
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <future>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
using google::protobuf::Struct;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;
using zonecast::testing::BrokerProcess;
using zonecast::testing::CliResult;
using zonecast::testing::ConnectClient;
using zonecast::testing::RunCli;
using zonecast::testing::WaitForGauge;
using zonecast::testing::WaitUntil;

// The non-empty lines of `text`.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipWhitespace())) {
    lines.emplace_back(line);
  }
  return lines;
}

// Parses one JSON object line; records a failure if it is not one.
Struct ParseJson(const std::string& line) {
  Struct object;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(line, &object).ok())
      << "not a JSON object: " << line;
  return object;
}

std::string StringField(const Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? "<missing>" : it->second.string_value();
}

double NumberField(const Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? -1 : it->second.number_value();
}

bool HasField(const Struct& object, const std::string& name) {
  return object.fields().contains(name);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string Explain(const CliResult& r) {
  return "exit " + std::to_string(r.exit_code) + "\nstdout:\n" + r.out + "\nstderr:\n" + r.err;
}

class CliTest : public ::testing::Test {
 protected:
  void StartBroker() {
    auto broker = BrokerProcess::Start();
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
  }

  void TearDown() override {
    if (HasFailure() && broker_ != nullptr) std::cerr << "broker log:\n" << broker_->Log();
  }

  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(CliTest, HelpExitsZero) {
  const CliResult top = RunCli({"--help"});
  EXPECT_EQ(top.exit_code, 0) << Explain(top);
  for (const char* command : {"publish", "terminal", "radio", "watch"}) {
    EXPECT_THAT(top.out, HasSubstr(command)) << Explain(top);
  }
  EXPECT_THAT(top.out, HasSubstr("--help")) << "points at per-command help";

  const CliResult publish = RunCli({"publish", "--help"});
  EXPECT_EQ(publish.exit_code, 0) << Explain(publish);
  EXPECT_THAT(publish.out, HasSubstr("--topic")) << Explain(publish);
  EXPECT_THAT(publish.out, HasSubstr("--timeout_ms")) << Explain(publish);
}

TEST_F(CliTest, PublishWithoutTopicIsAUsageError) {
  const CliResult r = RunCli({"publish", "--title", "no topic"});
  EXPECT_EQ(r.exit_code, 2) << Explain(r);
  EXPECT_THAT(r.err, HasSubstr("--topic")) << Explain(r);
  EXPECT_EQ(r.out, "");

  const CliResult bare = RunCli({"publish"});
  EXPECT_EQ(bare.exit_code, 2) << Explain(bare);
}

TEST_F(CliTest, PublishToDeadEndpointFailsWithinTimeout) {
  const absl::Time start = absl::Now();
  const CliResult r = RunCli({"publish", "--broker", "tcp://127.0.0.1:1", "--timeout_ms=300",
                              "--topic", "alert.jincheng.z03", "--title", "nobody there"},
                             absl::Seconds(10));
  EXPECT_NE(r.exit_code, 0) << Explain(r);
  EXPECT_EQ(r.exit_code, 1) << "documented: 1 if the broker is unreachable\n" << Explain(r);
  EXPECT_THAT(r.err, HasSubstr("tcp://127.0.0.1:1")) << Explain(r);
  EXPECT_EQ(r.out, "");
  EXPECT_LT(absl::Now() - start, absl::Seconds(3)) << "ignored --timeout_ms";
}

TEST_F(CliTest, PublishRefusedByBrokerExitsOneWithErrorCode) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const CliResult r = RunCli({"publish", "--broker", broker_->endpoint(), "--topic", "alert.*.z03",
                              "--title", "wildcard"});
  EXPECT_EQ(r.exit_code, 1) << Explain(r);
  EXPECT_THAT(r.err, HasSubstr("WILDCARD_IN_PUBLISH")) << Explain(r);
  EXPECT_EQ(r.out, "");
}

TEST_F(CliTest, LanhuaBridgeAlertFromPublishToTerminalAndAcks) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const std::string& broker = broker_->endpoint();
  std::future<CliResult> terminal = std::async(std::launch::async, [&broker] {
    return RunCli({"terminal", "--broker", broker, "--unit", "jc-z03-v12", "--group", "jc-pg03",
                   "--zone", "jincheng.z03", "--subscribe", "alert.jincheng.z03", "--count", "1",
                   "--json", "--respond", "ACCEPTED"},
                  absl::Seconds(15));
  });
  std::future<CliResult> watch = std::async(std::launch::async, [&broker] {
    return RunCli({"watch", "--broker", broker, "--subscribe", "ack.>", "--count", "2", "--json"},
                  absl::Seconds(15));
  });

  // Publish only once the broker holds both subscriptions.
  auto probe = ConnectClient(broker, v1::PROBE, "cli-test-probe");
  ASSERT_TRUE(probe.ok()) << probe.status();
  ASSERT_TRUE(WaitForGauge(**probe, "subscriptions", 2, absl::Seconds(10)))
      << "terminal and watch did not subscribe";

  const CliResult publish = RunCli(
      {"publish", "--broker", broker, "--topic", "alert.jincheng.z03", "--priority", "P1",
       "--title", "Person outside the railing, Lanhua bridge", "--body", "go now", "--address",
       "Lanhua bridge", "--lat", "35.4907", "--lon", "112.8513", "--id", "lanhua-1"});
  ASSERT_EQ(publish.exit_code, 0) << Explain(publish);
  const std::vector<std::string> publish_lines = Lines(publish.out);
  ASSERT_EQ(publish_lines.size(), 1u) << Explain(publish);
  const Struct ack = ParseJson(publish_lines[0]);
  EXPECT_EQ(StringField(ack, "alert_id"), "lanhua-1") << publish_lines[0];
  EXPECT_GT(NumberField(ack, "seq"), 0) << publish_lines[0];
  EXPECT_TRUE(absl::StrContains(publish_lines[0], "\"alert_id\":\"lanhua-1\"")) << publish_lines[0];
  const double seq = NumberField(ack, "seq");

  const CliResult terminal_result = terminal.get();
  EXPECT_EQ(terminal_result.exit_code, 0) << Explain(terminal_result);
  const std::vector<std::string> terminal_lines = Lines(terminal_result.out);
  ASSERT_EQ(terminal_lines.size(), 1u) << Explain(terminal_result);
  const Struct alert = ParseJson(terminal_lines[0]);
  EXPECT_EQ(StringField(alert, "alert_id"), "lanhua-1") << terminal_lines[0];
  EXPECT_EQ(StringField(alert, "title"), "Person outside the railing, Lanhua bridge");
  EXPECT_EQ(NumberField(alert, "seq"), seq) << terminal_lines[0];
  EXPECT_EQ(StringField(alert, "topic"), "alert.jincheng.z03");
  EXPECT_EQ(StringField(alert, "priority"), "P1");
  EXPECT_TRUE(absl::StrContains(terminal_lines[0], "\"alert_id\":\"lanhua-1\""))
      << terminal_lines[0];

  const CliResult watch_result = watch.get();
  EXPECT_EQ(watch_result.exit_code, 0) << Explain(watch_result);
  const std::vector<std::string> watch_lines = Lines(watch_result.out);
  ASSERT_EQ(watch_lines.size(), 2u) << Explain(watch_result);
  std::vector<std::string> levels;
  for (const std::string& line : watch_lines) {
    const Struct event = ParseJson(line);
    EXPECT_EQ(StringField(event, "event"), "ack") << line;
    EXPECT_EQ(StringField(event, "alert_id"), "lanhua-1") << line;
    EXPECT_EQ(StringField(event, "unit"), "jc-z03-v12") << line;
    // An ack's own seq and topic are those of the alert it acknowledges;
    // the topic it travelled on stays visible as delivery_topic.
    EXPECT_EQ(StringField(event, "topic"), "alert.jincheng.z03") << line;
    EXPECT_EQ(StringField(event, "delivery_topic"), "ack.jincheng.z03") << line;
    EXPECT_TRUE(HasField(event, "seq")) << line;
    levels.push_back(StringField(event, "level"));
  }
  EXPECT_THAT(levels, UnorderedElementsAre("RECEIVED", "ACCEPTED"));
}

// The center steers an alert from the shell: amends it, assigns a unit,
// withdraws it as a false alarm; the unit's terminal prints each change, a
// repeat is a duplicate, an alert that is not open is an error (exit 1),
// and the timeline shows the amendment.
TEST_F(CliTest, LifecycleFromTheShellReachesTheTerminal) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const std::string& broker = broker_->endpoint();
  std::future<CliResult> terminal = std::async(std::launch::async, [&broker] {
    return RunCli({"terminal", "--broker", broker, "--unit", "jc-z05-v01", "--zone", "jincheng.z05",
                   "--subscribe", "alert.jincheng.z05", "--count", "4", "--json"},
                  absl::Seconds(15));
  });
  auto probe = ConnectClient(broker, v1::PROBE, "cli-test-probe");
  ASSERT_TRUE(probe.ok()) << probe.status();
  ASSERT_TRUE(WaitForGauge(**probe, "subscriptions", 1, absl::Seconds(10)));
  const CliResult publish =
      RunCli({"publish", "--broker", broker, "--topic", "alert.jincheng.z05", "--priority", "P2",
              "--title", "Quarrel, a car smashed", "--id", "quarrel-7"});
  ASSERT_EQ(publish.exit_code, 0) << Explain(publish);

  const CliResult nothing =
      RunCli({"amend", "--broker", broker, "--topic", "alert.jincheng.z05", "quarrel-7"});
  EXPECT_EQ(nothing.exit_code, 2) << Explain(nothing);
  const CliResult amend = RunCli({"amend", "--broker", broker, "--topic", "alert.jincheng.z05",
                                  "--priority", "P1", "--body", "a knife was seen", "quarrel-7"});
  ASSERT_EQ(amend.exit_code, 0) << Explain(amend);
  const CliResult assign = RunCli({"assign", "--broker", broker, "--topic", "alert.jincheng.z05",
                                   "--to", "jc-z05-v01", "--unit", "center-op-2", "quarrel-7"});
  ASSERT_EQ(assign.exit_code, 0) << Explain(assign);
  const CliResult timeline = RunCli({"alert", "--broker", broker, "--tz", "UTC", "quarrel-7"});
  ASSERT_EQ(timeline.exit_code, 0) << Explain(timeline);
  EXPECT_THAT(timeline.out, HasSubstr("priority P1; text: a knife was seen")) << Explain(timeline);
  EXPECT_THAT(timeline.out, HasSubstr("ASSIGNED      to jc-z05-v01 by center-op-2"))
      << Explain(timeline);

  const std::vector<std::string> cancel_args = {
      "cancel", "--broker",          broker,     "--topic", "alert.jincheng.z05",
      "--text", "resolved by phone", "quarrel-7"};
  const CliResult cancel = RunCli(cancel_args);
  ASSERT_EQ(cancel.exit_code, 0) << Explain(cancel);
  EXPECT_THAT(cancel.out, HasSubstr("\"duplicate\":false")) << Explain(cancel);
  const CliResult again = RunCli(cancel_args);
  EXPECT_EQ(again.exit_code, 0) << Explain(again);
  EXPECT_THAT(again.out, HasSubstr("\"duplicate\":true")) << Explain(again);
  const CliResult closed =
      RunCli({"close", "--broker", broker, "--topic", "alert.jincheng.z05", "quarrel-7"});
  EXPECT_EQ(closed.exit_code, 1) << Explain(closed);
  EXPECT_THAT(closed.err, HasSubstr("ALERT_NOT_OPEN")) << Explain(closed);
  const CliResult no_reason =
      RunCli({"cancel", "--broker", broker, "--topic", "alert.jincheng.z05", "quarrel-7"});
  EXPECT_EQ(no_reason.exit_code, 2) << Explain(no_reason);

  const CliResult terminal_result = terminal.get();
  EXPECT_EQ(terminal_result.exit_code, 0) << Explain(terminal_result);
  const std::vector<std::string> lines = Lines(terminal_result.out);
  ASSERT_EQ(lines.size(), 4u) << Explain(terminal_result);
  EXPECT_EQ(StringField(ParseJson(lines[1]), "kind"), "AMENDED") << lines[1];
  EXPECT_EQ(StringField(ParseJson(lines[1]), "priority"), "P1") << lines[1];
  EXPECT_EQ(StringField(ParseJson(lines[2]), "kind"), "ASSIGNED") << lines[2];
  EXPECT_EQ(StringField(ParseJson(lines[2]), "unit"), "jc-z05-v01") << lines[2];
  const Struct update = ParseJson(lines[3]);
  EXPECT_EQ(StringField(update, "event"), "alert_update") << lines[3];
  EXPECT_EQ(StringField(update, "kind"), "CANCELLED") << lines[3];
  EXPECT_EQ(StringField(update, "alert_id"), "quarrel-7") << lines[3];
  EXPECT_EQ(StringField(update, "reason"), "resolved by phone") << lines[3];
}

// A terminal started while its broker is down waits, and says so; once the
// broker is up it serves, and what its officer types goes out from the same
// session: the emergency button and a status code.
TEST_F(CliTest, TerminalWaitsForADownBrokerThenSendsWhatTheOfficerTypes) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const std::string endpoint = broker_->endpoint();
  const std::string data_dir = broker_->data_dir();
  broker_->Kill();

  const std::string dir = zonecast::testing::MakeTempDir("zonecast-cli-terminal");
  {
    std::ofstream typed(dir + "/typed");
    typed << "emergency shots fired near the bridge\nstatus 10-8 back in service\n";
  }
  absl::StatusOr<pid_t> pid = zonecast::testing::SpawnCli(
      {"terminal", "--broker", endpoint, "--timeout_ms", "1000", "--unit", "jc-z03-v12", "--zone",
       "jincheng.z03", "--subscribe", "alert.jincheng.z03", "--count", "1", "--interactive"},
      dir + "/out", dir + "/err", dir + "/typed");
  ASSERT_TRUE(pid.ok()) << pid.status();
  auto err = [&] { return ReadAll(dir + "/err"); };
  ASSERT_TRUE(WaitUntil([&] { return absl::StrContains(err(), "waiting for the broker"); },
                        absl::Seconds(15)))
      << err();

  auto broker = zonecast::testing::BrokerProcess::Start({"--listen=" + endpoint}, data_dir);
  ASSERT_TRUE(broker.ok()) << broker.status();
  broker_ = *std::move(broker);
  int status = -1;
  ASSERT_TRUE(WaitUntil([&] { return waitpid(*pid, &status, WNOHANG) == *pid; }, absl::Seconds(30)))
      << "the terminal did not finish: " << err();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << err();
  EXPECT_THAT(err(), HasSubstr("connected"));
  EXPECT_THAT(err(), HasSubstr("EMERGENCY sent"));
  EXPECT_THAT(err(), HasSubstr("STATUS sent"));
  // The broker raised the emergency's P1 alert for the unit's own zone.
  EXPECT_THAT(ReadAll(dir + "/out"), HasSubstr("EMERGENCY: unit jc-z03-v12"));
  auto center = ConnectClient(endpoint, v1::CENTER, "cli-test-center");
  ASSERT_TRUE(center.ok()) << center.status();
  absl::StatusOr<v1::StatsSnapshot> stats = (*center)->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->counters().at("emergencies"), 1u);
}

// The README's Security walk-through: keygen writes a pair (the secret one
// private, never overwritten), and the CLI reaches a broker with a keys file
// only with its key.
TEST_F(CliTest, KeygenAndKeysReachAKeyedBroker) {
  const std::string dir = zonecast::testing::MakeTempDir("zonecast-cli-keys");
  CliResult broker_keys = RunCli({"keygen", dir + "/broker"});
  ASSERT_EQ(broker_keys.exit_code, 0) << Explain(broker_keys);
  CliResult center_keys = RunCli({"keygen", dir + "/center-op-1"});
  ASSERT_EQ(center_keys.exit_code, 0) << Explain(center_keys);
  const std::string center_public(absl::StripTrailingAsciiWhitespace(center_keys.out));
  EXPECT_EQ(center_public.size(), 40u) << Explain(center_keys);
  struct stat info {};
  ASSERT_EQ(::stat((dir + "/center-op-1.key").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  CliResult again = RunCli({"keygen", dir + "/center-op-1"});
  EXPECT_EQ(again.exit_code, 1) << Explain(again);
  EXPECT_THAT(again.err, HasSubstr("not overwritten"));

  std::ofstream(dir + "/keys.json")
      << R"({"city": "jincheng", "grants": [{"public_key": ")" << center_public
      << R"(", "identity": "center-op-1", "role": "CENTER"}]})";
  auto broker = BrokerProcess::Start(
      {"--keys_file=" + dir + "/keys.json", "--key_file=" + dir + "/broker.key"});
  ASSERT_TRUE(broker.ok()) << broker.status();
  const std::vector<std::string> alert = {"--broker", (*broker)->endpoint(),
                                          "--topic",  "alert.jincheng.z03",
                                          "--title",  "Lanhua bridge"};
  std::vector<std::string> plain = {"publish"};
  plain.insert(plain.end(), alert.begin(), alert.end());
  CliResult refused = RunCli(plain);
  EXPECT_EQ(refused.exit_code, 1) << Explain(refused);
  EXPECT_THAT(refused.err, HasSubstr("wants CURVE keys"));

  std::vector<std::string> keyed = {"publish", "--key", dir + "/center-op-1.key", "--broker_key",
                                    dir + "/broker.pub"};
  keyed.insert(keyed.end(), alert.begin(), alert.end());
  CliResult published = RunCli(keyed);
  ASSERT_EQ(published.exit_code, 0) << Explain(published);
  EXPECT_EQ(NumberField(ParseJson(Lines(published.out).at(0)), "seq"), 1);
}

}  // namespace
