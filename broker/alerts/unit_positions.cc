#include "alerts/unit_positions.h"

#include <algorithm>
#include <cmath>

#include "alerts/zone_shapes.h"

namespace zonecast {

bool UnitPositions::Update(absl::string_view unit, absl::string_view zone, double lat, double lon,
                           int64_t unix_ms) {
  if (!std::isfinite(lat) || !std::isfinite(lon) || std::abs(lat) > 90 || std::abs(lon) > 180) {
    return false;
  }
  auto it = units_.find(unit);
  if (it == units_.end()) {
    if (units_.size() >= kMaxUnits) return false;
    it = units_.emplace(std::string(unit), Position{}).first;
  }
  Position& position = it->second;
  position.zone = std::string(zone);
  position.lat = lat;
  position.lon = lon;
  position.unix_ms = unix_ms;
  return true;
}

const UnitPositions::Position* UnitPositions::Find(absl::string_view unit) const {
  auto it = units_.find(unit);
  return it == units_.end() ? nullptr : &it->second;
}

void UnitPositions::Fill(google::protobuf::RepeatedPtrField<v1::UnitPosition>* out) const {
  out->Reserve(out->size() + static_cast<int>(units_.size()));
  for (const auto& [unit, position] : units_) {
    v1::UnitPosition* p = out->Add();
    p->set_unit(unit);
    p->set_zone(position.zone);
    p->set_lat(position.lat);
    p->set_lon(position.lon);
    p->set_reported_unix_ms(position.unix_ms);
  }
  std::sort(out->begin(), out->end(), [](const v1::UnitPosition& a, const v1::UnitPosition& b) {
    return a.unit() < b.unit();
  });
}

std::vector<v1::UnitPosition> NearestOnline(
    const google::protobuf::RepeatedPtrField<v1::UnitPosition>& positions, double lat, double lon,
    size_t limit) {
  std::vector<v1::UnitPosition> nearest;
  for (const v1::UnitPosition& position : positions) {
    if (!position.online()) continue;
    nearest.push_back(position);
    nearest.back().set_distance_m(
        ZoneShapes::DistanceMetres(lat, lon, position.lat(), position.lon()));
  }
  auto closer = [](const v1::UnitPosition& a, const v1::UnitPosition& b) {
    return a.distance_m() != b.distance_m() ? a.distance_m() < b.distance_m() : a.unit() < b.unit();
  };
  if (nearest.size() > limit) {
    std::partial_sort(nearest.begin(), nearest.begin() + static_cast<std::ptrdiff_t>(limit),
                      nearest.end(), closer);
    nearest.resize(limit);
  } else {
    std::sort(nearest.begin(), nearest.end(), closer);
  }
  return nearest;
}

}  // namespace zonecast
