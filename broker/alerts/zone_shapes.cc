#include "alerts/zone_shapes.h"

// Boost 1.74's Boost.Math, which Boost.Geometry includes, still uses a
// header Boost itself has deprecated; that note is not ours to fix.
#define BOOST_ALLOW_DEPRECATED_HEADERS

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "boost/geometry.hpp"
#include "boost/geometry/geometries/box.hpp"
#include "boost/geometry/geometries/multi_polygon.hpp"
#include "boost/geometry/geometries/point_xy.hpp"
#include "boost/geometry/geometries/polygon.hpp"
#include "boost/geometry/index/rtree.hpp"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace zonecast {
namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

using Point = bg::model::d2::point_xy<double>;  // x: longitude, y: latitude
using Polygon = bg::model::polygon<Point>;
using Shape = bg::model::multi_polygon<Polygon>;
using Box = bg::model::box<Point>;
using Entry = std::pair<Box, size_t>;  // a zone's bounding box, its index
using GeoPoint = bg::model::point<double, 2, bg::cs::geographic<bg::degree>>;

using google::protobuf::ListValue;
using google::protobuf::Struct;
using google::protobuf::Value;

const Value* Field(const Struct& object, const std::string& name) {
  auto it = object.fields().find(name);
  return it == object.fields().end() ? nullptr : &it->second;
}

std::string StringField(const Struct& object, const std::string& name) {
  const Value* value = Field(object, name);
  return value != nullptr && value->kind_case() == Value::kStringValue ? value->string_value()
                                                                       : std::string();
}

const ListValue* ListField(const Struct& object, const std::string& name) {
  const Value* value = Field(object, name);
  return value != nullptr && value->kind_case() == Value::kListValue ? &value->list_value()
                                                                     : nullptr;
}

// One linear ring: [[lon, lat], ...], closed, four positions at least.
absl::Status ReadRing(const Value& value, bool outer, Polygon* polygon, size_t* points) {
  if (value.kind_case() != Value::kListValue) {
    return absl::InvalidArgumentError("a ring is not an array of positions");
  }
  const ListValue& positions = value.list_value();
  if (positions.values_size() < 4) {
    return absl::InvalidArgumentError(absl::StrCat("a ring has ", positions.values_size(),
                                                   " positions; a closed ring needs 4 or more"));
  }
  *points += positions.values_size();
  if (*points > ZoneShapes::kMaxPointsPerZone) {
    return absl::InvalidArgumentError(
        absl::StrCat("more than ", ZoneShapes::kMaxPointsPerZone, " positions"));
  }
  Polygon::ring_type ring;
  for (const Value& position : positions.values()) {
    const ListValue* pair =
        position.kind_case() == Value::kListValue ? &position.list_value() : nullptr;
    if (pair == nullptr || pair->values_size() < 2 ||
        pair->values(0).kind_case() != Value::kNumberValue ||
        pair->values(1).kind_case() != Value::kNumberValue) {
      return absl::InvalidArgumentError("a position is not [longitude, latitude]");
    }
    const double lon = pair->values(0).number_value();
    const double lat = pair->values(1).number_value();
    if (!std::isfinite(lon) || !std::isfinite(lat) || std::abs(lon) > 180 || std::abs(lat) > 90) {
      return absl::InvalidArgumentError(
          absl::StrCat("position [", lon, ", ", lat, "] is not a longitude and a latitude"));
    }
    ring.emplace_back(lon, lat);
  }
  if (!bg::equals(ring.front(), ring.back())) {
    return absl::InvalidArgumentError("a ring does not end where it starts (GeoJSON rings close)");
  }
  if (outer) {
    polygon->outer() = std::move(ring);
  } else {
    polygon->inners().push_back(std::move(ring));
  }
  return absl::OkStatus();
}

// A Polygon's coordinates: the outline, then its holes.
absl::Status ReadPolygon(const Value& value, Shape* shape, size_t* points) {
  if (value.kind_case() != Value::kListValue || value.list_value().values_size() == 0) {
    return absl::InvalidArgumentError("a polygon is not a non-empty array of rings");
  }
  Polygon polygon;
  bool outer = true;
  for (const Value& ring : value.list_value().values()) {
    if (absl::Status status = ReadRing(ring, outer, &polygon, points); !status.ok()) return status;
    outer = false;
  }
  shape->push_back(std::move(polygon));
  return absl::OkStatus();
}

absl::Status ReadGeometry(const Struct& geometry, Shape* shape) {
  const std::string type = StringField(geometry, "type");
  const ListValue* coordinates = ListField(geometry, "coordinates");
  if (coordinates == nullptr) return absl::InvalidArgumentError("the geometry has no coordinates");
  size_t points = 0;
  if (type == "Polygon") {
    Value polygon;
    *polygon.mutable_list_value() = *coordinates;
    return ReadPolygon(polygon, shape, &points);
  }
  if (type == "MultiPolygon") {
    for (const Value& polygon : coordinates->values()) {
      if (absl::Status status = ReadPolygon(polygon, shape, &points); !status.ok()) return status;
    }
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("geometry type '", type, "' is not Polygon or MultiPolygon"));
}

// The box around a shape's outlines (its holes lie inside them).
// Written out: Boost.Geometry's envelope of a multi-polygon trips GCC 12's
// -Wmaybe-uninitialized inside Boost.
Box BoundsOf(const Shape& shape) {
  Box box(Point(180, 90), Point(-180, -90));
  for (const Polygon& polygon : shape) {
    for (const Point& p : polygon.outer()) {
      bg::set<bg::min_corner, 0>(box, std::min(bg::get<bg::min_corner, 0>(box), p.x()));
      bg::set<bg::min_corner, 1>(box, std::min(bg::get<bg::min_corner, 1>(box), p.y()));
      bg::set<bg::max_corner, 0>(box, std::max(bg::get<bg::max_corner, 0>(box), p.x()));
      bg::set<bg::max_corner, 1>(box, std::max(bg::get<bg::max_corner, 1>(box), p.y()));
    }
  }
  return box;
}

}  // namespace

struct ZoneShapes::Data {
  std::vector<std::string> ids;
  std::vector<Shape> shapes;  // parallel to ids
  bgi::rtree<Entry, bgi::rstar<16>> tree;
  std::string geojson;
};

ZoneShapes::ZoneShapes() : data_(std::make_unique<Data>()) {}
ZoneShapes::~ZoneShapes() = default;
ZoneShapes::ZoneShapes(ZoneShapes&&) noexcept = default;
ZoneShapes& ZoneShapes::operator=(ZoneShapes&&) noexcept = default;

absl::StatusOr<ZoneShapes> ZoneShapes::FromGeoJson(
    absl::string_view geojson, const absl::flat_hash_set<std::string>& known_zones) {
  Struct root;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(geojson.data(), geojson.size()), &root);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("not JSON: ", std::string(parsed.message().data(), parsed.message().size())));
  }
  if (StringField(root, "type") != "FeatureCollection") {
    return absl::InvalidArgumentError("not a GeoJSON FeatureCollection");
  }
  const ListValue* features = ListField(root, "features");
  if (features == nullptr) return absl::InvalidArgumentError("no \"features\" array");
  if (static_cast<size_t>(features->values_size()) > kMaxZones) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxZones, " features"));
  }
  auto data = std::make_unique<Data>();
  absl::flat_hash_set<std::string> seen;
  std::vector<Entry> entries;
  for (int i = 0; i < features->values_size(); ++i) {
    const Value& feature = features->values(i);
    auto problem = [i](absl::string_view zone, absl::string_view what) {
      return absl::InvalidArgumentError(absl::StrCat(
          "feature ", i, zone.empty() ? "" : absl::StrCat(" (zone ", zone, ")"), ": ", what));
    };
    if (feature.kind_case() != Value::kStructValue) return problem("", "not an object");
    const Value* properties = Field(feature.struct_value(), "properties");
    const std::string zone = properties != nullptr && properties->kind_case() == Value::kStructValue
                                 ? StringField(properties->struct_value(), "zone")
                                 : std::string();
    if (zone.empty()) return problem("", "no properties.zone naming its zone");
    if (!known_zones.empty() && !known_zones.contains(zone)) {
      return problem(zone, "no such zone in the zones map");
    }
    if (!seen.insert(zone).second) return problem(zone, "the zone is drawn twice");
    const Value* geometry = Field(feature.struct_value(), "geometry");
    if (geometry == nullptr || geometry->kind_case() != Value::kStructValue) {
      return problem(zone, "no geometry");
    }
    Shape shape;
    if (absl::Status status = ReadGeometry(geometry->struct_value(), &shape); !status.ok()) {
      return problem(zone, status.message());
    }
    // GeoJSON asks counter-clockwise outlines, but files in the wild have
    // both; Boost.Geometry wants its own order.
    bg::correct(shape);
    if (std::string why; !bg::is_valid(shape, why)) return problem(zone, why);
    entries.emplace_back(BoundsOf(shape), data->ids.size());
    data->ids.push_back(zone);
    data->shapes.push_back(std::move(shape));
  }
  data->tree = bgi::rtree<Entry, bgi::rstar<16>>(entries.begin(), entries.end());
  data->geojson = std::string(geojson);
  ZoneShapes shapes;
  shapes.data_ = std::move(data);
  return shapes;
}

bool ZoneShapes::empty() const { return data_->ids.empty(); }
size_t ZoneShapes::size() const { return data_->ids.size(); }
const std::string& ZoneShapes::geojson() const { return data_->geojson; }

std::vector<std::string> ZoneShapes::ZonesAt(double lat, double lon) const {
  std::vector<std::string> zones;
  if (!std::isfinite(lat) || !std::isfinite(lon)) return zones;
  const Point point(lon, lat);
  for (auto it = data_->tree.qbegin(bgi::intersects(point)); it != data_->tree.qend(); ++it) {
    // covered_by, not within: a point on the outline is in the zone.
    if (bg::covered_by(point, data_->shapes[it->second])) zones.push_back(data_->ids[it->second]);
  }
  std::sort(zones.begin(), zones.end());
  return zones;
}

std::vector<std::pair<std::string, std::string>> ZoneShapes::SharedBorders() const {
  std::vector<std::pair<std::string, std::string>> borders;
  for (size_t a = 0; a < data_->ids.size(); ++a) {
    const Shape& shape = data_->shapes[a];
    const Box box = BoundsOf(shape);
    for (auto it = data_->tree.qbegin(bgi::intersects(box)); it != data_->tree.qend(); ++it) {
      const size_t b = it->second;
      if (data_->ids[b] <= data_->ids[a]) continue;
      // A stretch of border: the middle of one of a's edges lies on b's
      // outline (covered by b, not inside it). A shared corner alone has
      // no such edge.
      bool shared = false;
      bg::for_each_segment(shape, [&](const auto& segment) {
        if (shared) return;
        const Point middle((bg::get<0, 0>(segment) + bg::get<1, 0>(segment)) / 2,
                           (bg::get<0, 1>(segment) + bg::get<1, 1>(segment)) / 2);
        const Shape& other = data_->shapes[b];
        shared = bg::covered_by(middle, other) && !bg::within(middle, other);
      });
      if (shared) borders.emplace_back(data_->ids[a], data_->ids[b]);
    }
  }
  std::sort(borders.begin(), borders.end());
  return borders;
}

double ZoneShapes::DistanceMetres(double lat1, double lon1, double lat2, double lon2) {
  return bg::distance(GeoPoint(lon1, lat1), GeoPoint(lon2, lat2));
}

}  // namespace zonecast
