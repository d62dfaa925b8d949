#include "alerts/zones.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "protocol/topic.h"
#include "shared/proto_json.h"

namespace zonecast {

absl::StatusOr<ZoneIndex> ZoneIndex::Load(const std::string& path) {
  v1::ZoneMap map;
  if (absl::Status status = ReadJsonFile(path, "zones file", &map); !status.ok()) return status;
  std::string geojson;
  if (!map.shapes().empty()) {
    const std::filesystem::path shapes =
        std::filesystem::path(path).parent_path() / std::filesystem::path(map.shapes());
    std::ifstream in(shapes);
    if (!in) {
      return absl::NotFoundError(
          absl::StrCat("zones file ", path, ": cannot read its shapes file ", shapes.string()));
    }
    std::ostringstream text;
    text << in.rdbuf();
    geojson = text.str();
    if (geojson.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("zones file ", path, ": its shapes file ", shapes.string(), " is empty"));
    }
  }
  absl::StatusOr<ZoneIndex> index = FromMap(std::move(map), geojson);
  if (!index.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("zones file ", path, ": ", index.status().message()));
  }
  return index;
}

absl::StatusOr<ZoneIndex> ZoneIndex::FromMap(v1::ZoneMap map, absl::string_view geojson) {
  ZoneIndex index;
  auto is_token = [](absl::string_view s) {
    return !s.empty() && s.find('.') == s.npos && ValidateTopic(s).ok();
  };
  if (!is_token(map.city())) {
    return absl::InvalidArgumentError(absl::StrCat("city '", map.city(), "' is not a topic token"));
  }
  // A deadline is a few seconds to hours; a huge or infinite one would
  // overflow the monotonic clock and escalate at once.
  const v1::ResponseDeadlines& d = map.response_deadlines();
  for (double seconds : {d.p1_s(), d.p2_s(), d.p3_s(), d.p4_s()}) {
    if (!std::isfinite(seconds) || seconds > kMaxDeadlineSeconds) {
      return absl::InvalidArgumentError(absl::StrCat("response deadline ", seconds,
                                                     " s is not a number of seconds up to ",
                                                     kMaxDeadlineSeconds, " (use 0 for none)"));
    }
  }
  if (!map.supervisor_topic().empty()) {
    if (absl::Status topic = ValidateTopic(map.supervisor_topic()); !topic.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("supervisor_topic '", map.supervisor_topic(), "': ", topic.message()));
    }
  }
  const v1::UnitsNeeded& units = map.units_needed();
  for (uint32_t n : {units.p1(), units.p2(), units.p3(), units.p4()}) {
    if (n > kMaxUnitsNeeded) {
      return absl::InvalidArgumentError(absl::StrCat(
          "units_needed ", n, " is more than a zone has on duty (at most ", kMaxUnitsNeeded, ")"));
    }
  }
  for (int i = 0; i < map.zones_size(); ++i) {
    const std::string& id = map.zones(i).id();
    if (!is_token(id)) {
      return absl::InvalidArgumentError(absl::StrCat("zone id '", id, "' is not a topic token"));
    }
    if (!index.zones_.emplace(id, i).second) {
      return absl::InvalidArgumentError(absl::StrCat("zone '", id, "' appears twice"));
    }
  }
  for (const v1::Zone& zone : map.zones()) {
    for (const std::string& neighbour : zone.neighbours()) {
      if (neighbour == zone.id()) {
        return absl::InvalidArgumentError(
            absl::StrCat("zone '", zone.id(), "' lists itself as a neighbour"));
      }
      if (!index.zones_.contains(neighbour)) {
        return absl::InvalidArgumentError(
            absl::StrCat("zone '", zone.id(), "' has unknown neighbour '", neighbour, "'"));
      }
    }
  }
  if (!geojson.empty()) {
    absl::flat_hash_set<std::string> ids;
    for (const v1::Zone& zone : map.zones()) ids.insert(zone.id());
    absl::StatusOr<ZoneShapes> shapes = ZoneShapes::FromGeoJson(geojson, ids);
    if (!shapes.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("shapes: ", shapes.status().message()));
    }
    // A zone that lists no neighbours gets those it shares a border with.
    absl::flat_hash_set<std::string> listing;
    for (const v1::Zone& zone : map.zones()) {
      if (zone.neighbours_size() > 0) listing.insert(zone.id());
    }
    for (const auto& [a, b] : shapes->SharedBorders()) {
      if (!listing.contains(a)) map.mutable_zones(index.zones_.at(a))->add_neighbours(b);
      if (!listing.contains(b)) map.mutable_zones(index.zones_.at(b))->add_neighbours(a);
    }
    index.shapes_ = std::make_shared<const ZoneShapes>(*std::move(shapes));
  }
  index.map_ = std::move(map);
  return index;
}

const v1::Zone* ZoneIndex::Find(absl::string_view city, absl::string_view zone_id) const {
  if (city != map_.city()) return nullptr;
  auto it = zones_.find(zone_id);
  return it == zones_.end() ? nullptr : &map_.zones(it->second);
}

namespace {

// The one of four per-priority values (a ResponseDeadlines' or an
// UnitsNeeded's fields) for `priority`; `none` for an unspecified one.
template <typename T>
T ForPriority(v1::Priority priority, T p1, T p2, T p3, T p4, T none) {
  switch (priority) {
    case v1::P1:
      return p1;
    case v1::P2:
      return p2;
    case v1::P3:
      return p3;
    case v1::P4:
      return p4;
    default:
      return none;
  }
}

}  // namespace

absl::Duration ZoneIndex::Deadline(v1::Priority priority) const {
  const v1::ResponseDeadlines& d = map_.response_deadlines();
  const double seconds = ForPriority(priority, d.p1_s(), d.p2_s(), d.p3_s(), d.p4_s(), 0.0);
  return seconds > 0 ? absl::Seconds(seconds) : absl::ZeroDuration();
}

uint32_t ZoneIndex::UnitsNeeded(v1::Priority priority) const {
  const v1::UnitsNeeded& n = map_.units_needed();
  return std::max<uint32_t>(1, ForPriority(priority, n.p1(), n.p2(), n.p3(), n.p4(), 0u));
}

}  // namespace zonecast
