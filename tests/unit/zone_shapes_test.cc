// ZoneShapes: zone outlines from GeoJSON, the zone(s) holding a location,
// shared borders, distances; and the Jincheng outlines shipped in deploy/.
#include "alerts/zone_shapes.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "alerts/zones.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

#ifndef ZONECAST_SOURCE_DIR
#error "ZONECAST_SOURCE_DIR must name the source tree (set in tests/CMakeLists.txt)"
#endif

namespace zonecast {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A square feature [lon0, lon1] x [lat0, lat1] for `zone`.
std::string Square(const std::string& zone, double lon0, double lat0, double lon1, double lat1) {
  return absl::StrCat(R"({"type":"Feature","properties":{"zone":")", zone,
                      R"("},"geometry":{"type":"Polygon","coordinates":[[[)", lon0, ",", lat0,
                      "],[", lon1, ",", lat0, "],[", lon1, ",", lat1, "],[", lon0, ",", lat1, "],[",
                      lon0, ",", lat0, "]]]}}");
}

std::string Collection(const std::vector<std::string>& features) {
  return absl::StrCat(R"({"type":"FeatureCollection","features":[)", absl::StrJoin(features, ","),
                      "]}");
}

// a | b side by side, c touching b only at its corner (1, 1).
std::string ThreeSquares() {
  return Collection({Square("a", 0, 0, 1, 1), Square("b", 1, 0, 2, 1), Square("c", 2, 1, 3, 2)});
}

TEST(ZoneShapesTest, FindsTheZoneThatHoldsAPoint) {
  absl::StatusOr<ZoneShapes> shapes = ZoneShapes::FromGeoJson(ThreeSquares(), {});
  ASSERT_TRUE(shapes.ok()) << shapes.status();
  EXPECT_EQ(shapes->size(), 3u);
  EXPECT_THAT(shapes->ZonesAt(/*lat=*/0.5, /*lon=*/0.5), ElementsAre("a"));
  EXPECT_THAT(shapes->ZonesAt(0.5, 1.5), ElementsAre("b"));
  EXPECT_THAT(shapes->ZonesAt(1.5, 2.5), ElementsAre("c"));
}

TEST(ZoneShapesTest, APointOutsideEveryZoneIsInNone) {
  absl::StatusOr<ZoneShapes> shapes = ZoneShapes::FromGeoJson(ThreeSquares(), {});
  ASSERT_TRUE(shapes.ok()) << shapes.status();
  EXPECT_THAT(shapes->ZonesAt(5, 5), IsEmpty());
  EXPECT_THAT(shapes->ZonesAt(1.5, 0.5), IsEmpty());  // north of a: nobody's
  EXPECT_THAT(ZoneShapes().ZonesAt(0.5, 0.5), IsEmpty());
}

TEST(ZoneShapesTest, APointOnASharedBorderIsInBothZones) {
  absl::StatusOr<ZoneShapes> shapes = ZoneShapes::FromGeoJson(ThreeSquares(), {});
  ASSERT_TRUE(shapes.ok()) << shapes.status();
  EXPECT_THAT(shapes->ZonesAt(0.5, 1.0), ElementsAre("a", "b"));
  // The corner b and c share, and the one all of a, b meet at.
  EXPECT_THAT(shapes->ZonesAt(1.0, 2.0), ElementsAre("b", "c"));
  // The outer edge of one zone is in that zone.
  EXPECT_THAT(shapes->ZonesAt(0.0, 0.5), ElementsAre("a"));
}

TEST(ZoneShapesTest, SharedBordersAreStretchesNotCorners) {
  absl::StatusOr<ZoneShapes> shapes = ZoneShapes::FromGeoJson(ThreeSquares(), {});
  ASSERT_TRUE(shapes.ok()) << shapes.status();
  EXPECT_THAT(shapes->SharedBorders(), ElementsAre(std::make_pair("a", "b")));
}

TEST(ZoneShapesTest, AcceptsEitherWindingMultiPolygonsAndHoles) {
  // Clockwise outline, and a zone of two parts one of which has a hole.
  const std::string clockwise =
      R"({"type":"Feature","properties":{"zone":"cw"},"geometry":{"type":"Polygon",)"
      R"("coordinates":[[[0,0],[0,1],[1,1],[1,0],[0,0]]]}})";
  const std::string parts =
      R"({"type":"Feature","properties":{"zone":"mp"},"geometry":{"type":"MultiPolygon",)"
      R"("coordinates":[[[[10,0],[14,0],[14,4],[10,4],[10,0]],[[11,1],[11,3],[13,3],[13,1],[11,1]]],)"
      R"([[[20,0],[21,0],[21,1],[20,1],[20,0]]]]}})";
  absl::StatusOr<ZoneShapes> shapes = ZoneShapes::FromGeoJson(Collection({clockwise, parts}), {});
  ASSERT_TRUE(shapes.ok()) << shapes.status();
  EXPECT_THAT(shapes->ZonesAt(0.5, 0.5), ElementsAre("cw"));
  EXPECT_THAT(shapes->ZonesAt(0.5, 10.5), ElementsAre("mp"));
  EXPECT_THAT(shapes->ZonesAt(2, 12), IsEmpty()) << "inside the hole";
  EXPECT_THAT(shapes->ZonesAt(0.5, 20.5), ElementsAre("mp"));
}

TEST(ZoneShapesTest, RefusesWhatIsNotAZoneOutlineNamingTheProblem) {
  const std::string bowtie =
      R"({"type":"Feature","properties":{"zone":"a"},"geometry":{"type":"Polygon",)"
      R"("coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}})";
  const std::string short_ring =
      R"({"type":"Feature","properties":{"zone":"a"},"geometry":{"type":"Polygon",)"
      R"("coordinates":[[[0,0],[1,0],[0,0]]]}})";
  const std::string unclosed =
      R"({"type":"Feature","properties":{"zone":"a"},"geometry":{"type":"Polygon",)"
      R"("coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0.5]]]}})";
  const std::string point =
      R"({"type":"Feature","properties":{"zone":"a"},"geometry":{"type":"Point",)"
      R"("coordinates":[0,0]}})";
  const std::string no_zone = R"({"type":"Feature","properties":{},"geometry":{"type":"Polygon",)"
                              R"("coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}})";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[1, 2", "not JSON"},
      {R"({"type":"Feature"})", "not a GeoJSON FeatureCollection"},
      {Collection({Square("a", 0, 0, 1, 1), Square("a", 2, 0, 3, 1)}), "drawn twice"},
      {Collection({Square("zz", 0, 0, 1, 1)}), "no such zone"},
      {Collection({Square("a", 0, 0, 1, 100)}), "not a longitude and a latitude"},
      {Collection({bowtie}), "zone a"},
      {Collection({short_ring}), "4 or more"},
      {Collection({unclosed}), "does not end where it starts"},
      {Collection({point}), "not Polygon or MultiPolygon"},
      {Collection({no_zone}), "properties.zone"},
  };
  for (const auto& [geojson, named] : cases) {
    absl::StatusOr<ZoneShapes> shapes = ZoneShapes::FromGeoJson(geojson, {"a", "b"});
    ASSERT_FALSE(shapes.ok()) << named;
    EXPECT_EQ(shapes.status().code(), absl::StatusCode::kInvalidArgument) << shapes.status();
    EXPECT_THAT(shapes.status().message(), HasSubstr(named)) << shapes.status();
  }
}

TEST(ZoneShapesTest, DistanceIsOnTheEllipsoid) {
  // A degree of latitude at 35 N is 110.95 km; a degree of longitude there,
  // 91.3 km.
  EXPECT_NEAR(ZoneShapes::DistanceMetres(35.0, 112.8, 36.0, 112.8), 110'950, 200);
  EXPECT_NEAR(ZoneShapes::DistanceMetres(35.5, 112.0, 35.5, 113.0), 90'800, 600);
  EXPECT_EQ(ZoneShapes::DistanceMetres(35.49, 112.85, 35.49, 112.85), 0);
}

TEST(ZoneShapesTest, ZonesWithoutNeighboursGetThoseTheyShareABorderWith) {
  v1::ZoneMap map;
  map.set_city("jincheng");
  for (const char* id : {"a", "b", "c"}) map.add_zones()->set_id(id);
  map.mutable_zones(2)->add_neighbours("a");  // c lists its own: kept as written
  absl::StatusOr<ZoneIndex> index = ZoneIndex::FromMap(map, ThreeSquares());
  ASSERT_TRUE(index.ok()) << index.status();
  EXPECT_THAT(index->Find("jincheng", "a")->neighbours(), ElementsAre("b"));
  EXPECT_THAT(index->Find("jincheng", "b")->neighbours(), ElementsAre("a"));
  EXPECT_THAT(index->Find("jincheng", "c")->neighbours(), ElementsAre("a"));
  EXPECT_THAT(index->shapes().ZonesAt(0.5, 1.0), ElementsAre("a", "b"));
}

TEST(ZoneShapesTest, JinchengOutlinesMatchTheZonesFileAndHoldLanhuaBridge) {
  absl::StatusOr<ZoneIndex> index =
      ZoneIndex::Load(std::string(ZONECAST_SOURCE_DIR) + "/deploy/zones/jincheng.json");
  ASSERT_TRUE(index.ok()) << index.status();
  const ZoneShapes& shapes = index->shapes();
  ASSERT_EQ(shapes.size(), 10u);
  // The bridge of the seed's call is in Nanjie (z03), as the README's
  // walk-through publishes it.
  EXPECT_THAT(shapes.ZonesAt(35.4907, 112.8511), ElementsAre("z03"));
  // The outlines drawn are the grid the zones file's neighbours describe.
  std::set<std::pair<std::string, std::string>> listed;
  for (const v1::Zone& zone : index->map().zones()) {
    for (const std::string& neighbour : zone.neighbours()) {
      listed.insert(std::minmax(zone.id(), neighbour));
    }
  }
  const std::vector<std::pair<std::string, std::string>> borders = shapes.SharedBorders();
  EXPECT_EQ((std::set<std::pair<std::string, std::string>>(borders.begin(), borders.end())),
            listed);
  // Every zone holds its own middle and nobody else's.
  EXPECT_THAT(shapes.ZonesAt(35.50, 112.81), ElementsAre("z01"));
  EXPECT_THAT(shapes.ZonesAt(35.47, 112.89), ElementsAre("z10"));
  EXPECT_THAT(shapes.ZonesAt(35.60, 112.85), IsEmpty());
}

}  // namespace
}  // namespace zonecast
