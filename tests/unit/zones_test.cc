// ZoneIndex: the zones file (JSON through protobuf into v1::ZoneMap), its
// validation, neighbours and response deadlines; and CityAndZone.
#include "alerts/zones.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "protocol/topic.h"

#ifndef ZONECAST_SOURCE_DIR
#error "ZONECAST_SOURCE_DIR must name the source tree (set in tests/CMakeLists.txt)"
#endif

namespace zonecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ZoneIndexTest : public ::testing::Test {
 protected:
  static std::string JinchengPath() {
    return std::string(ZONECAST_SOURCE_DIR) + "/deploy/zones/jincheng.json";
  }

  ~ZoneIndexTest() override {
    for (const std::string& path : written_) std::remove(path.c_str());
  }

  // Writes `text` to a file of this test in the GoogleTest temp dir (removed
  // when the test ends).
  std::string WriteFile(const std::string& name, const std::string& text) {
    const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string path =
        ::testing::TempDir() + "zones_test_" + info->name() + "_" + name + ".json";
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    EXPECT_TRUE(out.good()) << path;
    written_.push_back(path);
    return path;
  }

  // A small valid map: z01 <-> z02, z02 <-> z03.
  static v1::ZoneMap ValidMap() {
    v1::ZoneMap map;
    map.set_city("jincheng");
    v1::Zone* z01 = map.add_zones();
    z01->set_id("z01");
    z01->add_neighbours("z02");
    v1::Zone* z02 = map.add_zones();
    z02->set_id("z02");
    z02->add_neighbours("z01");
    z02->add_neighbours("z03");
    v1::Zone* z03 = map.add_zones();
    z03->set_id("z03");
    z03->add_neighbours("z02");
    return map;
  }

  static void ExpectRejected(const v1::ZoneMap& map, const std::string& named) {
    absl::StatusOr<ZoneIndex> index = ZoneIndex::FromMap(map);
    ASSERT_FALSE(index.ok()) << named;
    EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument) << index.status();
    EXPECT_THAT(index.status().message(), HasSubstr(named)) << index.status();
  }

  std::vector<std::string> written_;
};

TEST_F(ZoneIndexTest, EmptyIndexHasNoZonesAndNoDeadlines) {
  ZoneIndex index;
  EXPECT_TRUE(index.empty());
  EXPECT_EQ(index.Find("jincheng", "z03"), nullptr);
  for (v1::Priority p : {v1::P1, v1::P2, v1::P3, v1::P4}) {
    EXPECT_EQ(index.Deadline(p), absl::ZeroDuration()) << p;
  }
}

TEST_F(ZoneIndexTest, LoadsTheJinchengZonesFile) {
  absl::StatusOr<ZoneIndex> loaded = ZoneIndex::Load(JinchengPath());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const ZoneIndex& index = *loaded;
  EXPECT_FALSE(index.empty());
  EXPECT_EQ(index.city(), "jincheng");
  ASSERT_EQ(index.map().zones_size(), 10);

  for (int i = 1; i <= 10; ++i) {
    const std::string id = (i < 10 ? "z0" : "z") + std::to_string(i);
    const v1::Zone* zone = index.Find("jincheng", id);
    ASSERT_NE(zone, nullptr) << id;
    EXPECT_EQ(zone->id(), id);
    EXPECT_FALSE(zone->name().empty()) << id;
    // One patrol group per zone, tied to a station.
    ASSERT_EQ(zone->patrol_groups_size(), 1) << id;
    EXPECT_FALSE(zone->patrol_groups(0).id().empty()) << id;
    EXPECT_FALSE(zone->patrol_groups(0).station().empty()) << id;
    EXPECT_GT(zone->patrol_groups(0).units_size(), 0) << id;
  }

  const v1::Zone* z03 = index.Find("jincheng", "z03");
  ASSERT_NE(z03, nullptr);
  EXPECT_EQ(z03->name(), "Nanjie");
  EXPECT_THAT(z03->neighbours(), ElementsAre("z02", "z04", "z08"));
  EXPECT_EQ(z03->patrol_groups(0).id(), "jc-pg03");
  EXPECT_THAT(z03->patrol_groups(0).station(), HasSubstr("Lanhua bridge"));

  // Only zones of this city.
  EXPECT_EQ(index.Find("lanzhou", "z03"), nullptr);
  EXPECT_EQ(index.Find("jincheng", "z11"), nullptr);
  EXPECT_EQ(index.Find("jincheng", ""), nullptr);

  EXPECT_EQ(index.Deadline(v1::P1), absl::Seconds(30));
  EXPECT_EQ(index.Deadline(v1::P2), absl::Seconds(120));
  EXPECT_EQ(index.Deadline(v1::P3), absl::Seconds(600));
  EXPECT_EQ(index.Deadline(v1::P4), absl::ZeroDuration());  // no deadline
  EXPECT_EQ(index.Deadline(v1::PRIORITY_UNSPECIFIED), absl::ZeroDuration());
}

TEST_F(ZoneIndexTest, JinchengNeighboursAreSymmetric) {
  absl::StatusOr<ZoneIndex> index = ZoneIndex::Load(JinchengPath());
  ASSERT_TRUE(index.ok()) << index.status();
  std::set<std::string> station_names;
  for (const v1::Zone& zone : index->map().zones()) {
    EXPECT_FALSE(zone.neighbours().empty()) << zone.id();
    for (const std::string& neighbour : zone.neighbours()) {
      const v1::Zone* other = index->Find("jincheng", neighbour);
      ASSERT_NE(other, nullptr) << zone.id() << " -> " << neighbour;
      EXPECT_NE(std::find(other->neighbours().begin(), other->neighbours().end(), zone.id()),
                other->neighbours().end())
          << zone.id() << " lists " << neighbour << " but not the other way round";
    }
    station_names.insert(zone.patrol_groups(0).station());
  }
  EXPECT_EQ(station_names.size(), 10u);  // ten stations
}

TEST_F(ZoneIndexTest, FromMapAcceptsAValidMap) {
  absl::StatusOr<ZoneIndex> index = ZoneIndex::FromMap(ValidMap());
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->city(), "jincheng");
  ASSERT_NE(index->Find("jincheng", "z02"), nullptr);
  EXPECT_THAT(index->Find("jincheng", "z02")->neighbours(), ElementsAre("z01", "z03"));
  EXPECT_EQ(index->Deadline(v1::P1), absl::ZeroDuration());  // none given
}

TEST_F(ZoneIndexTest, FromMapRejectsABadCityToken) {
  for (const std::string city : {"", "jin.cheng", "Jincheng", "*", ">", "jin cheng"}) {
    v1::ZoneMap map = ValidMap();
    map.set_city(city);
    ExpectRejected(map, "city '" + city + "'");
  }
}

TEST_F(ZoneIndexTest, FromMapRejectsABadZoneId) {
  for (const std::string id : {"", "z.01", "Z01", "*", ">", "z 01"}) {
    v1::ZoneMap map = ValidMap();
    v1::Zone* zone = map.add_zones();
    zone->set_id(id);
    ExpectRejected(map, "zone id '" + id + "'");
  }
}

TEST_F(ZoneIndexTest, FromMapRejectsADuplicateZone) {
  v1::ZoneMap map = ValidMap();
  map.add_zones()->set_id("z02");
  ExpectRejected(map, "'z02' appears twice");
}

TEST_F(ZoneIndexTest, FromMapRejectsAnUnknownNeighbour) {
  v1::ZoneMap map = ValidMap();
  map.mutable_zones(2)->add_neighbours("z09");
  ExpectRejected(map, "unknown neighbour 'z09'");
}

TEST_F(ZoneIndexTest, FromMapRejectsASelfNeighbour) {
  v1::ZoneMap map = ValidMap();
  map.mutable_zones(1)->add_neighbours("z02");
  ExpectRejected(map, "'z02' lists itself");
}

TEST_F(ZoneIndexTest, UnitsNeededDefaultToOneAndAreBounded) {
  v1::ZoneMap map = ValidMap();
  map.mutable_units_needed()->set_p1(2);
  absl::StatusOr<ZoneIndex> index = ZoneIndex::FromMap(map);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->UnitsNeeded(v1::P1), 2u);
  EXPECT_EQ(index->UnitsNeeded(v1::P2), 1u);  // unset
  map.mutable_units_needed()->set_p3(ZoneIndex::kMaxUnitsNeeded + 1);
  ExpectRejected(map, "units_needed");
}

TEST_F(ZoneIndexTest, FromMapRejectsABadSupervisorTopic) {
  v1::ZoneMap map = ValidMap();
  map.set_supervisor_topic("escalation.jincheng.supervisor");
  EXPECT_TRUE(ZoneIndex::FromMap(map).ok());
  for (const std::string topic : {"escalation.>", "Escalation", "a..b"}) {
    map.set_supervisor_topic(topic);
    ExpectRejected(map, "supervisor_topic '" + topic + "'");
  }
}

TEST_F(ZoneIndexTest, LoadOfAMissingFileIsNotFound) {
  const std::string path = ::testing::TempDir() + "zones_test_no_such_file.json";
  std::remove(path.c_str());
  absl::StatusOr<ZoneIndex> index = ZoneIndex::Load(path);
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kNotFound) << index.status();
  EXPECT_THAT(index.status().message(), HasSubstr(path));
}

TEST_F(ZoneIndexTest, LoadOfADirectoryIsAReadError) {
  // zones.h: NotFound / Unavailable if it cannot be read (not a parse error).
  absl::StatusOr<ZoneIndex> index = ZoneIndex::Load(::testing::TempDir());
  ASSERT_FALSE(index.ok());
  const absl::StatusCode code = index.status().code();
  if (code == absl::StatusCode::kInvalidArgument) {
    FAIL() << "Regression of a fixed bug: ZoneIndex::Load(a directory) reports a JSON parse error ("
           << index.status() << ") instead of NotFound/Unavailable";
  }
  EXPECT_TRUE(code == absl::StatusCode::kNotFound || code == absl::StatusCode::kUnavailable)
      << index.status();
}

TEST_F(ZoneIndexTest, LoadOfMalformedJsonIsInvalidArgument) {
  for (const char* text :
       {"", "{", R"({"city": "jincheng", "zones": [)", R"({"city": jincheng})", "[]"}) {
    const std::string path = WriteFile("malformed", text);
    absl::StatusOr<ZoneIndex> index = ZoneIndex::Load(path);
    ASSERT_FALSE(index.ok()) << text;
    EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument)
        << text << ": " << index.status();
    EXPECT_THAT(index.status().message(), HasSubstr(path));
  }
}

TEST_F(ZoneIndexTest, LoadRejectsAnUnknownJsonField) {
  const std::string path = WriteFile("unknown_field", R"({
    "city": "jincheng",
    "zones": [{"id": "z01", "neighbors": []}]
  })");
  absl::StatusOr<ZoneIndex> index = ZoneIndex::Load(path);
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument) << index.status();
  EXPECT_THAT(index.status().message(), HasSubstr("neighbors"));

  const std::string top_level =
      WriteFile("unknown_top_level", R"({"city": "jincheng", "deadlines": {"p1_s": 30}})");
  index = ZoneIndex::Load(top_level);
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument) << index.status();
}

TEST_F(ZoneIndexTest, LoadReportsValidationErrorsAsInvalidArgumentWithThePath) {
  const std::string path = WriteFile("bad_neighbour", R"({
    "city": "jincheng",
    "zones": [{"id": "z01", "neighbours": ["z02"]}]
  })");
  absl::StatusOr<ZoneIndex> index = ZoneIndex::Load(path);
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument) << index.status();
  EXPECT_THAT(index.status().message(), HasSubstr(path));
  EXPECT_THAT(index.status().message(), HasSubstr("unknown neighbour 'z02'"));
}

TEST_F(ZoneIndexTest, FractionalDeadlinesKeepTheirMilliseconds) {
  const std::string path = WriteFile("fractional", R"({
    "city": "jincheng",
    "response_deadlines": {"p1_s": 0.5, "p2_s": 1.25, "p3_s": 90},
    "zones": [{"id": "z01"}]
  })");
  absl::StatusOr<ZoneIndex> index = ZoneIndex::Load(path);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->Deadline(v1::P1), absl::Milliseconds(500));
  EXPECT_EQ(index->Deadline(v1::P2), absl::Milliseconds(1250));
  EXPECT_EQ(index->Deadline(v1::P3), absl::Seconds(90));
  EXPECT_EQ(index->Deadline(v1::P4), absl::ZeroDuration());  // absent: none
}

TEST_F(ZoneIndexTest, NegativeDeadlineMeansNone) {
  v1::ZoneMap map = ValidMap();
  map.mutable_response_deadlines()->set_p2_s(-5);
  absl::StatusOr<ZoneIndex> index = ZoneIndex::FromMap(map);
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_EQ(index->Deadline(v1::P2), absl::ZeroDuration());
}

TEST_F(ZoneIndexTest, DeadlineTooLargeForTheMonotonicClockIsRejected) {
  // The core loop computes a deadline as NowMono() + ToInt64Nanoseconds(
  // Deadline(p)) (escalation.cc, TrackResponse). A deadline of ~292 years or
  // more saturates to INT64_MAX nanoseconds and the sum overflows, so such a
  // value (or Infinity, which protobuf's JSON parser accepts for doubles)
  // cannot mean "never"; the zones file should refuse it.
  std::vector<std::string> accepted;
  for (const char* p1 : {"1e10", "\"Infinity\""}) {
    const std::string path = WriteFile(
        "huge_deadline", std::string(R"({"city": "jincheng", "response_deadlines": {"p1_s": )") +
                             p1 + R"(}, "zones": [{"id": "z01"}]})");
    absl::StatusOr<ZoneIndex> index = ZoneIndex::Load(path);
    if (index.ok()) {
      accepted.push_back(std::string(p1) + " -> Deadline(P1) " +
                         absl::FormatDuration(index->Deadline(v1::P1)) + ", " +
                         std::to_string(absl::ToInt64Nanoseconds(index->Deadline(v1::P1))) + " ns");
      continue;
    }
    EXPECT_EQ(index.status().code(), absl::StatusCode::kInvalidArgument) << index.status();
  }
  if (!accepted.empty()) {
    std::string list;
    for (const std::string& a : accepted) list += " [" + a + "]";
    FAIL() << "Regression of a fixed bug: the zones file accepts a p1_s deadline that overflows "
              "the monotonic "
              "deadline (NowMono() + INT64_MAX in escalation.cc TrackResponse), so the "
              "alert escalates at once instead of never:"
           << list;
  }
}

TEST_F(ZoneIndexTest, CityAndZoneOfAlertRadioAndShortTopics) {
  std::string city = "unchanged";
  std::string zone = "unchanged";
  ASSERT_TRUE(CityAndZone("alert.jincheng.z03", &city, &zone));
  EXPECT_EQ(city, "jincheng");
  EXPECT_EQ(zone, "z03");

  ASSERT_TRUE(CityAndZone("radio.jincheng.z07.jc-z07-v02", &city, &zone));
  EXPECT_EQ(city, "jincheng");
  EXPECT_EQ(zone, "z07");

  ASSERT_TRUE(CityAndZone("dlq.lanzhou.z10", &city, &zone));
  EXPECT_EQ(city, "lanzhou");
  EXPECT_EQ(zone, "z10");

  city = "unchanged";
  zone = "unchanged";
  EXPECT_FALSE(CityAndZone("alert.jincheng", &city, &zone));
  EXPECT_FALSE(CityAndZone("alert", &city, &zone));
  EXPECT_FALSE(CityAndZone("", &city, &zone));
  EXPECT_EQ(city, "unchanged");  // untouched when false
  EXPECT_EQ(zone, "unchanged");
}

}  // namespace
}  // namespace zonecast
