// UnitPositions: each unit's last position, bounded; the nearest online
// units to a point.
#include "alerts/unit_positions.h"

#include <cmath>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

TEST(UnitPositionsTest, KeepsTheNewestPositionOfEachUnit) {
  UnitPositions positions;
  EXPECT_TRUE(positions.Update("jc-z03-v01", "z03", 35.49, 112.85, 1000));
  EXPECT_TRUE(positions.Update("jc-z03-v01", "z03", 35.50, 112.86, 2000));
  EXPECT_TRUE(positions.Update("jc-z10-v01", "z10", 35.47, 112.89, 1500));
  ASSERT_EQ(positions.size(), 2u);
  const UnitPositions::Position* p = positions.Find("jc-z03-v01");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->lat, 35.50);
  EXPECT_EQ(p->lon, 112.86);
  EXPECT_EQ(p->unix_ms, 2000);
  EXPECT_EQ(positions.Find("nobody"), nullptr);
}

TEST(UnitPositionsTest, RefusesWhatIsNotAPlaceOnEarth) {
  UnitPositions positions;
  EXPECT_FALSE(positions.Update("u", "z01", 91, 0, 1));
  EXPECT_FALSE(positions.Update("u", "z01", 0, -181, 1));
  EXPECT_FALSE(positions.Update("u", "z01", std::nan(""), 0, 1));
  EXPECT_FALSE(positions.Update("u", "z01", 0, std::numeric_limits<double>::infinity(), 1));
  EXPECT_EQ(positions.size(), 0u);
}

TEST(UnitPositionsTest, HoldsAtMostMaxUnits) {
  UnitPositions positions;
  for (size_t i = 0; i < UnitPositions::kMaxUnits; ++i) {
    ASSERT_TRUE(positions.Update(absl::StrCat("u", i), "z01", 35, 112, 1));
  }
  EXPECT_FALSE(positions.Update("one-more", "z01", 35, 112, 1));
  EXPECT_TRUE(positions.Update("u0", "z01", 35.1, 112, 2)) << "a known unit still moves";
  EXPECT_EQ(positions.size(), UnitPositions::kMaxUnits);
}

TEST(UnitPositionsTest, NearestOnlineUnitsComeFirstWithTheirDistance) {
  UnitPositions positions;
  // Lanhua bridge is at 35.4907, 112.8511.
  positions.Update("near", "z03", 35.4910, 112.8511, 1);     // ~33 m
  positions.Update("far", "z10", 35.4700, 112.8900, 1);      // ~4 km
  positions.Update("middle", "z03", 35.5000, 112.8511, 1);   // ~1 km
  positions.Update("offline", "z03", 35.4907, 112.8511, 1);  // on the spot, but offline
  google::protobuf::RepeatedPtrField<v1::UnitPosition> all;
  positions.Fill(&all);
  ASSERT_EQ(all.size(), 4);
  for (v1::UnitPosition& p : all) p.set_online(p.unit() != "offline");

  std::vector<v1::UnitPosition> nearest = NearestOnline(all, 35.4907, 112.8511, 2);
  ASSERT_EQ(nearest.size(), 2u);
  EXPECT_EQ(nearest[0].unit(), "near");
  EXPECT_NEAR(nearest[0].distance_m(), 33, 2);
  EXPECT_EQ(nearest[1].unit(), "middle");
  EXPECT_NEAR(nearest[1].distance_m(), 1032, 10);
  EXPECT_EQ(NearestOnline(all, 35.4907, 112.8511, 10).size(), 3u);
  EXPECT_EQ(NearestOnline(all, 35.4907, 112.8511, 10).back().unit(), "far");
}

}  // namespace
}  // namespace zonecast
