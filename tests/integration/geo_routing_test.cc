// Geo-routing against the real zonecastd with the shipped Jincheng zones
// file and outlines (deploy/zones/): an alert published to alert.jincheng
// with a location goes to the zone that holds it; on a shared border to
// both zones, marked; outside every zone it is refused with a clear error.
// And the units' last positions: GET /v1/units and `zonecast units --near`.
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "http_get.h"
#include "shared/wire_status.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"
#include "zonecast/monitoring.pb.h"

#ifndef ZONECAST_SOURCE_DIR
#error "ZONECAST_SOURCE_DIR must name the source tree (set in tests/CMakeLists.txt)"
#endif

namespace {

namespace v1 = zonecast::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using zonecast::Client;
using zonecast::Message;
using zonecast::testing::BrokerProcess;
using zonecast::testing::ConnectAll;
using zonecast::testing::Counter;
using zonecast::testing::MakeAlert;
using zonecast::testing::NextAlert;
using zonecast::testing::NextDeliver;

constexpr char kToken[] = "geo-token-0123456789abcdef";
// Lanhua bridge, in Nanjie (z03).
constexpr double kLanhuaLat = 35.4907;
constexpr double kLanhuaLon = 112.8511;
// A corner on the border of z03 and z08 (jincheng-zones.geojson).
constexpr double kBorderLat = 35.48587;
constexpr double kBorderLon = 112.85144;

v1::Alert AlertAt(const std::string& id, double lat, double lon) {
  v1::Alert alert = MakeAlert(id, v1::P1);
  alert.mutable_location()->set_lat(lat);
  alert.mutable_location()->set_lon(lon);
  return alert;
}

class GeoRoutingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string token = zonecast::testing::MakeTempDir("zonecast-geo") + "/token";
    std::ofstream(token) << kToken << "\n";
    token_file_ = token;
    auto broker = BrokerProcess::Start(
        {"--zones", std::string(ZONECAST_SOURCE_DIR) + "/deploy/zones/jincheng.json",
         "--http_token_file=" + token});
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
    auto clients =
        ConnectAll(broker_->endpoint(), {{v1::TERMINAL, "jc-z03-v01", {"alert.jincheng.z03"}},
                                         {v1::TERMINAL, "jc-z08-v01", {"alert.jincheng.z08"}},
                                         {v1::CENTER, "center-1", {}}});
    ASSERT_TRUE(clients.ok()) << clients.status();
    clients_ = *std::move(clients);
  }

  void TearDown() override {
    if (HasFailure() && broker_ != nullptr) std::cerr << "broker log:\n" << broker_->Log();
  }

  Client& z03() { return *clients_[0]; }
  Client& z08() { return *clients_[1]; }
  Client& center() { return *clients_[2]; }

  // The next alert `terminal` gets must be `alert_id` (a fence publishes
  // after what must not arrive, so that nothing is awaited by sleeping).
  void ExpectNextAlert(Client& terminal, const std::string& alert_id) {
    std::optional<Message> got = NextAlert(terminal, absl::Seconds(5));
    ASSERT_TRUE(got.has_value()) << "no alert within 5 s";
    EXPECT_EQ(got->event().alert().alert_id(), alert_id);
  }

  absl::StatusOr<zonecast::cli::HttpGetResult> Get(const std::string& path) {
    return zonecast::cli::HttpGet(absl::StrCat("http://", broker_->http_endpoint(), path),
                                  absl::Seconds(10), kToken);
  }

  std::string token_file_;
  std::unique_ptr<BrokerProcess> broker_;
  std::vector<std::unique_ptr<Client>> clients_;
};

TEST_F(GeoRoutingTest, AlertWithALocationAndNoZoneGoesToTheZoneThatHoldsIt) {
  absl::StatusOr<zonecast::PublishResult> ack =
      center().PublishAlert("alert.jincheng", AlertAt("lanhua-geo", kLanhuaLat, kLanhuaLon));
  ASSERT_TRUE(ack.ok()) << ack.status();
  EXPECT_EQ(ack->recipients(), 1u);
  std::optional<Message> got = NextAlert(z03(), absl::Seconds(5));
  ASSERT_TRUE(got.has_value()) << "z03's terminal did not get the alert";
  EXPECT_EQ(got->topic(), "alert.jincheng.z03");
  EXPECT_EQ(got->event().alert().topic(), "alert.jincheng.z03");
  EXPECT_THAT(got->event().alert().located_in(), ElementsAre("z03"));
  EXPECT_TRUE(got->event().alert().copy_of_zone().empty());

  // z08 got nothing: the next alert it sees is one sent to it afterwards.
  ASSERT_TRUE(center().PublishAlert("alert.jincheng.z08", MakeAlert("fence-z08", v1::P3)).ok());
  ExpectNextAlert(z08(), "fence-z08");

  absl::StatusOr<v1::StatsSnapshot> stats = center().Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Counter(*stats, "alerts_placed"), 1u);
  EXPECT_EQ(Counter(*stats, "alerts_on_border"), 0u);
}

TEST_F(GeoRoutingTest, AlertOnABorderGoesToBothZonesMarkedAndBothHearWhoTookIt) {
  absl::StatusOr<zonecast::PublishResult> ack =
      center().PublishAlert("alert.jincheng", AlertAt("border-1", kBorderLat, kBorderLon));
  ASSERT_TRUE(ack.ok()) << ack.status();

  std::optional<Message> original = NextAlert(z03(), absl::Seconds(5));
  ASSERT_TRUE(original.has_value()) << "z03's terminal did not get the alert";
  EXPECT_EQ(original->topic(), "alert.jincheng.z03");
  EXPECT_THAT(original->event().alert().located_in(), ElementsAre("z03", "z08"));
  EXPECT_TRUE(original->event().alert().copy_of_zone().empty());

  std::optional<Message> copy = NextAlert(z08(), absl::Seconds(5));
  ASSERT_TRUE(copy.has_value()) << "z08's terminal did not get the border copy";
  EXPECT_EQ(copy->topic(), "alert.jincheng.z08");
  EXPECT_EQ(copy->event().alert().alert_id(), "border-1");
  EXPECT_THAT(copy->event().alert().located_in(), ElementsAre("z03", "z08"));
  EXPECT_EQ(copy->event().alert().copy_of_zone(), "z03");

  // The z08 unit takes it: z03's units hear who did (the copy's zone and
  // the original's share the alert).
  ASSERT_TRUE(z08().SendAck(*copy, v1::ACCEPTED, "on the bridge").ok());
  std::optional<Message> taken;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!taken && absl::Now() < deadline) {
    std::optional<Message> m = NextDeliver(z03(), deadline - absl::Now());
    if (!m) break;
    if (m->event().has_alert_update() &&
        m->event().alert_update().kind() == v1::AlertUpdate::TAKEN) {
      taken = m;
    }
  }
  ASSERT_TRUE(taken.has_value()) << "z03 never heard that the alert was taken";
  EXPECT_EQ(taken->event().alert_update().unit(), "jc-z08-v01");

  // One alert in the open list (the copy is no alert of its own).
  absl::StatusOr<zonecast::cli::HttpGetResult> open = Get("/v1/alerts?state=open");
  ASSERT_TRUE(open.ok()) << open.status();
  EXPECT_THAT(open->body, HasSubstr("\"alert_id\":\"border-1\""));
  EXPECT_THAT(open->body, HasSubstr("\"total\":1")) << open->body;
  EXPECT_THAT(open->body, HasSubstr("\"responder\":\"jc-z08-v01\"")) << open->body;
  EXPECT_THAT(open->body, HasSubstr("\"escalated\":false")) << "a border copy is no escalation";

  absl::StatusOr<v1::StatsSnapshot> stats = center().Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Counter(*stats, "alerts_on_border"), 1u);
}

TEST_F(GeoRoutingTest, AlertThatCannotBePlacedIsRefusedWithAClearError) {
  struct Case {
    std::string topic;
    std::optional<std::pair<double, double>> at;
    v1::ErrorCode code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"alert.jincheng", std::make_pair(35.60, 112.85), v1::UNKNOWN_ZONE,
       "is in none of the 10 zones of jincheng"},
      {"alert.jincheng", std::nullopt, v1::INVALID_ARGUMENT, "give its lat and lon"},
      {"alert.taiyuan", std::make_pair(kLanhuaLat, kLanhuaLon), v1::UNKNOWN_ZONE,
       "no city taiyuan"},
  };
  int n = 0;
  for (const Case& c : cases) {
    v1::Alert alert = MakeAlert(absl::StrCat("unplaced-", n++), v1::P1);
    if (c.at) {
      alert.mutable_location()->set_lat(c.at->first);
      alert.mutable_location()->set_lon(c.at->second);
    }
    absl::StatusOr<zonecast::PublishResult> ack = center().PublishAlert(c.topic, alert);
    ASSERT_FALSE(ack.ok()) << c.says;
    EXPECT_EQ(zonecast::ErrorCodeOf(ack.status()), c.code) << ack.status();
    EXPECT_THAT(ack.status().message(), HasSubstr(c.says));
  }
  absl::StatusOr<v1::StatsSnapshot> stats = center().Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Counter(*stats, "alerts_outside_zones"), 1u);
  EXPECT_EQ(Counter(*stats, "alerts_placed"), 0u);
  // Nobody was sent anything: the first alert either terminal sees is the
  // fence.
  ASSERT_TRUE(center().PublishAlert("alert.jincheng.z03", MakeAlert("fence-z03", v1::P3)).ok());
  ExpectNextAlert(z03(), "fence-z03");
}

TEST_F(GeoRoutingTest, NearestOnlineUnitsByTheirLastPosition) {
  // z03's unit on the bridge, z08's a kilometre and a half south.
  v1::RadioEvent at_bridge = zonecast::testing::MakePosition("jc-z03-v01");
  at_bridge.mutable_position()->set_lat(kLanhuaLat + 0.0003);
  at_bridge.mutable_position()->set_lon(kLanhuaLon);
  ASSERT_TRUE(z03().PublishRadio("radio.jincheng.z03.jc-z03-v01", at_bridge).ok());
  v1::RadioEvent south = zonecast::testing::MakePosition("jc-z08-v01");
  south.mutable_position()->set_lat(35.4767);
  south.mutable_position()->set_lon(112.8511);
  ASSERT_TRUE(z08().PublishRadio("radio.jincheng.z08.jc-z08-v01", south).ok());

  absl::StatusOr<zonecast::cli::HttpGetResult> near =
      Get(absl::StrCat("/v1/units?near=", kLanhuaLat, ",", kLanhuaLon, "&limit=5"));
  ASSERT_TRUE(near.ok()) << near.status();
  ASSERT_EQ(near->status, 200) << near->body;
  v1::UnitPositions units;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(near->body, &units).ok()) << near->body;
  ASSERT_EQ(units.units_size(), 2) << near->body;
  EXPECT_EQ(units.units(0).unit(), "jc-z03-v01");
  EXPECT_NEAR(units.units(0).distance_m(), 33, 3);
  EXPECT_EQ(units.units(0).zone(), "z03");
  EXPECT_TRUE(units.units(0).online());
  EXPECT_EQ(units.units(1).unit(), "jc-z08-v01");
  EXPECT_NEAR(units.units(1).distance_m(), 1554, 20);

  // Offline units keep their place on the map but are no longer "near".
  clients_[1].reset();
  ASSERT_TRUE(zonecast::testing::WaitUntil([&] {
    absl::StatusOr<zonecast::cli::HttpGetResult> all = Get("/v1/units");
    v1::UnitPositions listed;
    return all.ok() && google::protobuf::util::JsonStringToMessage(all->body, &listed).ok() &&
           listed.units_size() == 2 && listed.units(1).unit() == "jc-z08-v01" &&
           !listed.units(1).online();
  })) << "jc-z08-v01 is not listed offline";

  zonecast::testing::CliResult cli = zonecast::testing::RunCli(
      {"units", "--near", absl::StrCat(kLanhuaLat, ",", kLanhuaLon), "--http",
       absl::StrCat("http://", broker_->http_endpoint()), "--http_token_file", token_file_});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_THAT(cli.out, HasSubstr("jc-z03-v01"));
  EXPECT_THAT(cli.out, ::testing::ContainsRegex("3[0-9] m"));
  EXPECT_EQ(cli.out.find("jc-z08-v01"), std::string::npos) << cli.out;

  EXPECT_EQ(Get("/v1/units?near=north").value().status, 400);
  EXPECT_EQ(zonecast::cli::HttpGet(absl::StrCat("http://", broker_->http_endpoint(), "/v1/units"),
                                   absl::Seconds(10))
                .value()
                .status,
            401)
      << "positions are served only with the token";
  zonecast::testing::CliResult bad = zonecast::testing::RunCli({"units", "--near", "35.49"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("--near LAT,LON"));
}

TEST(GeoRoutingWithoutOutlinesTest, AlertWithoutAZoneIsRefused) {
  auto broker = BrokerProcess::Start();
  ASSERT_TRUE(broker.ok()) << broker.status();
  auto center = zonecast::testing::ConnectClient((*broker)->endpoint(), v1::CENTER, "center-1");
  ASSERT_TRUE(center.ok()) << center.status();
  absl::StatusOr<zonecast::PublishResult> ack =
      (*center)->PublishAlert("alert.jincheng", AlertAt("no-map", kLanhuaLat, kLanhuaLon));
  ASSERT_FALSE(ack.ok());
  EXPECT_EQ(zonecast::ErrorCodeOf(ack.status()), v1::INVALID_TOPIC) << ack.status();
  EXPECT_THAT(ack.status().message(), HasSubstr("no zone outlines"));
}

}  // namespace
