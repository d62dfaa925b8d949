#pragma once
// ZoneShapes: where each zone lies on the ground. Read from a GeoJSON
// FeatureCollection (one Polygon or MultiPolygon feature per zone, its
// `properties.zone` the zone id; coordinates [longitude, latitude] in
// degrees, as GeoJSON has them), kept in an R-tree of the polygons' boxes so
// that a location finds its zone in logarithmic time however many zones a
// city draws.
//
// Containment is planar in degrees: across a city the error is far below
// the width of a street. Distances are on the WGS84 ellipsoid.
//
// Immutable after FromGeoJson; any thread may read it.
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zonecast {

class ZoneShapes {
 public:
  // Coordinates must be finite longitudes in [-180, 180] and latitudes in
  // [-90, 90].
  static constexpr size_t kMaxZones = 10000;
  static constexpr size_t kMaxPointsPerZone = 100000;

  ZoneShapes();  // no shapes: every location is in no zone
  ~ZoneShapes();
  ZoneShapes(ZoneShapes&&) noexcept;
  ZoneShapes& operator=(ZoneShapes&&) noexcept;

  // Parses and checks a GeoJSON FeatureCollection. InvalidArgument naming
  // the feature and the problem: not GeoJSON, a geometry other than Polygon
  // or MultiPolygon, a ring not closed or under four positions, a
  // coordinate out of range, a self-crossing outline, a zone id missing,
  // twice, or not in `known_zones` (when that is not empty).
  static absl::StatusOr<ZoneShapes> FromGeoJson(
      absl::string_view geojson, const absl::flat_hash_set<std::string>& known_zones);

  bool empty() const;
  size_t size() const;

  // The zones whose outline contains the point, sorted by id. Two or more
  // when it lies on a border they share; none when it is outside them all.
  std::vector<std::string> ZonesAt(double lat, double lon) const;

  // Zones whose outlines share a stretch of border (not just a corner),
  // each pair once with the smaller id first.
  std::vector<std::pair<std::string, std::string>> SharedBorders() const;

  // The GeoJSON text as read, for a map to draw.
  const std::string& geojson() const;

  // Metres between two points on the WGS84 ellipsoid.
  static double DistanceMetres(double lat1, double lon1, double lat2, double lon2);

 private:
  struct Data;
  std::unique_ptr<const Data> data_;
};

}  // namespace zonecast
