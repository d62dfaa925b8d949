// The wall's console against the real zonecastd with a keys file: an
// operator signs in with their own token (its SHA-256 in the keys file),
// and each action is carried out as that operator's CURVE session: a real
// terminal with its own key gets the alert and its cancellation from them,
// the timeline and the audit log name them. The endpoint's shared token
// reads but never acts; a reload that drops the operator signs them out.
#include <signal.h>

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http_get.h"
#include "shared/curve_keys.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
using ::testing::HasSubstr;
using zonecast::Client;
using zonecast::Message;
using zonecast::cli::HttpGetResult;
using zonecast::testing::BrokerProcess;
using zonecast::testing::NextAlert;
using zonecast::testing::NextDeliver;
using zonecast::testing::TestClientOptions;
using zonecast::testing::WaitUntil;

constexpr char kEndpointToken[] = "endpoint-token-0123456789abcdef";
// printf %s li-wei-wall-token-0001 | sha256sum
constexpr char kLiWeiToken[] = "li-wei-wall-token-0001";
constexpr char kLiWeiTokenHash[] =
    "5f8639088399f198e7e56cc4ecde9ec51ede9c6aa508a9a138e570cede5c7de3";
constexpr char kUnit[] = "jc-z03-v01";

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = zonecast::testing::MakeTempDir("zonecast-console");
    for (const char* name : {"broker", kUnit}) {
      absl::StatusOr<zonecast::CurveKeys> keys = zonecast::GenerateCurveKeys();
      ASSERT_TRUE(keys.ok()) << keys.status();
      ASSERT_TRUE(zonecast::WriteCurveKeyFiles(*keys, Path(absl::StrCat(name, ".key")),
                                               Path(absl::StrCat(name, ".pub")))
                      .ok());
      public_keys_[name] = keys->public_key;
    }
    WriteKeysFile(/*with_operator=*/true);
    std::ofstream(Path("token")) << kEndpointToken << "\n";
    auto broker = BrokerProcess::Start(
        {"--keys_file=" + Path("keys.json"), "--key_file=" + Path("broker.key"),
         "--zones=" + std::string(ZONECAST_SOURCE_DIR) + "/deploy/zones/jincheng.json",
         "--http_token_file=" + Path("token")});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
    zonecast::ClientOptions options = TestClientOptions(broker_->endpoint(), v1::TERMINAL, kUnit);
    ASSERT_TRUE(
        zonecast::LoadKeyFiles(Path(absl::StrCat(kUnit, ".key")), Path("broker.pub"), &options)
            .ok());
    absl::StatusOr<std::unique_ptr<Client>> terminal = Client::Connect(options);
    ASSERT_TRUE(terminal.ok()) << terminal.status();
    terminal_ = *std::move(terminal);
    ASSERT_TRUE(terminal_->Subscribe({"alert.jincheng.z03"}).ok());
  }

  void TearDown() override {
    if (HasFailure() && broker_ != nullptr) std::cerr << "broker log:\n" << broker_->Log();
  }

  std::string Path(const std::string& name) const { return absl::StrCat(dir_, "/", name); }

  void WriteKeysFile(bool with_operator) {
    std::ofstream out(Path("keys.json"));
    out << R"({"city": "jincheng", "grants": [{"public_key": ")" << public_keys_[kUnit]
        << R"(", "identity": ")" << kUnit << R"(", "role": "TERMINAL", "zones": ["z03"]})";
    if (with_operator) {
      out << R"(, {"identity": "li-wei", "role": "CENTER", "http_token_sha256": ")"
          << kLiWeiTokenHash << R"("})";
    }
    out << "]}";
  }

  HttpGetResult Post(const std::string& action, const std::string& body,
                     const std::string& token = kLiWeiToken) {
    absl::StatusOr<HttpGetResult> result = zonecast::cli::HttpPost(
        absl::StrCat("http://", broker_->http_endpoint(), "/v1/console/", action), body,
        absl::Seconds(10), token);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : HttpGetResult{};
  }
  HttpGetResult Get(const std::string& path, const std::string& token = kLiWeiToken) {
    absl::StatusOr<HttpGetResult> result = zonecast::cli::HttpGet(
        absl::StrCat("http://", broker_->http_endpoint(), path), absl::Seconds(10), token);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *std::move(result) : HttpGetResult{};
  }

  std::string dir_;
  std::map<std::string, std::string> public_keys_;
  std::unique_ptr<BrokerProcess> broker_;
  std::unique_ptr<Client> terminal_;
};

TEST_F(ConsoleTest, AnOperatorPublishesAndCancelsAsThemselves) {
  const HttpGetResult who = Get("/v1/console/operator");
  EXPECT_EQ(who.status, 200);
  EXPECT_THAT(who.body, HasSubstr(R"("operator_name":"li-wei","may_act":true)"));

  // Placed by its location (the Lanhua bridge, in z03).
  HttpGetResult published =
      Post("publish",
           R"({"alert_id": "console-lanhua", "topic": "alert.jincheng", "priority": "P1",
          "title": "Woman on the Lanhua bridge railing",
          "location": {"lat": 35.4907, "lon": 112.8511}})");
  ASSERT_EQ(published.status, 200) << published.body;
  EXPECT_THAT(published.body, HasSubstr(R"("operator_name":"li-wei")"));
  EXPECT_THAT(published.body, HasSubstr(R"("alert_id":"console-lanhua")"));
  EXPECT_THAT(published.body, HasSubstr(R"("recipients":1)"));
  std::optional<Message> alert = NextAlert(*terminal_, absl::Seconds(5));
  ASSERT_TRUE(alert.has_value());
  EXPECT_EQ(alert->event().alert().alert_id(), "console-lanhua");
  EXPECT_EQ(alert->publisher(), "li-wei");
  EXPECT_EQ(alert->topic(), "alert.jincheng.z03");

  // The same request again is the original's answer, not a second alert.
  EXPECT_THAT(Post("publish",
                   R"({"alert_id": "console-lanhua", "topic": "alert.jincheng", "priority": "P1",
                       "title": "Woman on the Lanhua bridge railing",
                       "location": {"lat": 35.4907, "lon": 112.8511}})")
                  .body,
              HasSubstr(R"("duplicate":true)"));

  HttpGetResult cancelled = Post(
      "cancel",
      R"({"topic": "alert.jincheng.z03", "alert_id": "console-lanhua", "text": "false alarm"})");
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  std::optional<Message> update;
  while ((update = NextDeliver(*terminal_, absl::Seconds(5))).has_value() &&
         !(update->event().has_alert_update() &&
           update->event().alert_update().kind() == v1::AlertUpdate::CANCELLED)) {
  }
  ASSERT_TRUE(update.has_value()) << "the terminal got no cancellation";
  EXPECT_EQ(update->event().alert_update().by(), "li-wei");
  EXPECT_EQ(update->event().alert_update().reason(), "false alarm");

  const HttpGetResult timeline = Get("/v1/alerts/console-lanhua");
  EXPECT_EQ(timeline.status, 200);
  EXPECT_THAT(timeline.body, HasSubstr(R"("kind":"CANCELLED","unit":"li-wei")"));

  // The door saw the operator, authenticated by the keys file.
  std::ifstream audit(broker_->data_dir() + "/audit.log");
  std::stringstream text;
  text << audit.rdbuf();
  EXPECT_THAT(text.str(), HasSubstr(R"("identity":"li-wei")"));
}

TEST_F(ConsoleTest, BadActionsGetTheBrokersErrorWithAnHttpStatus) {
  struct Case {
    std::string action;
    std::string body;
    int status;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"publish", R"({"topic": "alert.jincheng.z99", "priority": "P1", "title": "x"})", 404,
       "UNKNOWN_ZONE"},
      {"publish", R"({"topic": "alert.jincheng", "priority": "P1", "title": "x",
                      "location": {"lat": 10, "lon": 10}})",
       404, "in none of the"},
      {"publish", R"({"topic": "alert.jincheng.z03", "title": "x"})", 400, "priority"},
      {"cancel", R"({"topic": "alert.jincheng.z03", "alert_id": "never-published",
                     "text": "why"})",
       409, "ALERT_NOT_OPEN"},
      {"cancel", R"({"topic": "alert.jincheng.z03", "alert_id": "a"})", 400, "reason"},
      {"assign", R"({"topic": "alert.jincheng.z03", "alert_id": "a"})", 400, "unit"},
      {"publish", R"({"topic": )", 400, "not a console request"},
      {"publish", R"({"topic": "alert.jincheng.z03", "colour": "red"})", 400,
       "not a console request"},
  };
  for (const Case& c : cases) {
    const HttpGetResult result = Post(c.action, c.body);
    EXPECT_EQ(result.status, c.status) << c.body << " -> " << result.body;
    EXPECT_THAT(result.body, HasSubstr(c.error)) << c.body;
  }
  // An action is a POST.
  EXPECT_EQ(Get("/v1/console/publish").status, 405);
}

TEST_F(ConsoleTest, TheEndpointsTokenReadsButNeverActs) {
  const HttpGetResult who = Get("/v1/console/operator", kEndpointToken);
  EXPECT_EQ(who.status, 200);
  EXPECT_THAT(who.body, HasSubstr(R"("may_act":false)"));
  const std::string alert =
      R"({"topic": "alert.jincheng.z03", "priority": "P2", "title": "x", "operator_name": "li-wei"})";
  // Naming an operator in the request does not make one.
  EXPECT_EQ(Post("publish", alert, kEndpointToken).status, 403);
  EXPECT_EQ(Post("publish", alert, "").status, 401);
  EXPECT_EQ(Post("publish", alert, "li-wei-wall-token-0002").status, 401);
  // The operator's token reads what the endpoint's does.
  EXPECT_EQ(Get("/v1/alerts?state=open").status, 200);
  EXPECT_EQ(Get("/v1/alerts?state=open", kEndpointToken).status, 200);
  // No alert went out.
  EXPECT_FALSE(NextDeliver(*terminal_, absl::Milliseconds(300)).has_value());
}

TEST_F(ConsoleTest, AReloadWithoutTheOperatorSignsThemOut) {
  ASSERT_EQ(Get("/v1/console/operator").status, 200);
  WriteKeysFile(/*with_operator=*/false);
  ASSERT_EQ(::kill(broker_->pid(), SIGHUP), 0);
  EXPECT_TRUE(
      WaitUntil([&] { return Get("/v1/console/operator").status == 401; }, absl::Seconds(10)));
  EXPECT_EQ(
      Post("publish", R"({"topic": "alert.jincheng.z03", "priority": "P2", "title": "x"})").status,
      401);
  // The endpoint's token still reads.
  EXPECT_EQ(Get("/v1/alerts?state=open", kEndpointToken).status, 200);
}

}  // namespace
