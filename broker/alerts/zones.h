#pragma once
// ZoneIndex: the zones file (--zones, JSON read by protobuf's JSON parser
// into v1::ZoneMap): which zones a city has, their neighbours, their patrol
// groups, and how long each priority may wait for an officer's response.
// Without a zones file there are no neighbours and no deadlines.
//
// Immutable after Load; any thread may read it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "alerts/zone_shapes.h"
#include "zonecast/config.pb.h"
#include "zonecast/domain.pb.h"

namespace zonecast {

class ZoneIndex {
 public:
  // One week: longer deadlines are certainly a mistake in the file.
  static constexpr double kMaxDeadlineSeconds = 7 * 24 * 3600;
  // Units an alert may need: a whole zone's shift is no more than this.
  static constexpr uint32_t kMaxUnitsNeeded = 50;

  ZoneIndex() = default;  // empty: no zones, no deadlines

  // Parses and validates a zones file and the outlines its `shapes` names
  // (relative to the file). InvalidArgument naming the problem (bad JSON,
  // a zone id or city that is not a topic token, a duplicate zone, a
  // neighbour that does not exist or is the zone itself, a deadline that is
  // not finite or above kMaxDeadlineSeconds, units_needed above
  // kMaxUnitsNeeded, an outline ZoneShapes refuses);
  // NotFound / Unavailable if a file cannot be read.
  static absl::StatusOr<ZoneIndex> Load(const std::string& path);
  // `geojson`: the outlines' text, if any (map.shapes() is not read).
  static absl::StatusOr<ZoneIndex> FromMap(v1::ZoneMap map, absl::string_view geojson = "");

  bool empty() const { return zones_.empty(); }
  const std::string& city() const { return map_.city(); }
  // The zone with this id in this city, or nullptr.
  const v1::Zone* Find(absl::string_view city, absl::string_view zone_id) const;
  // The response deadline of a priority; ZeroDuration means none.
  absl::Duration Deadline(v1::Priority priority) const;
  // Units that must take an alert of `priority` (at least 1).
  uint32_t UnitsNeeded(v1::Priority priority) const;
  const v1::ZoneMap& map() const { return map_; }
  // The zones' outlines; empty without a `shapes` file.
  const ZoneShapes& shapes() const { return *shapes_; }

 private:
  v1::ZoneMap map_;
  std::shared_ptr<const ZoneShapes> shapes_ = std::make_shared<const ZoneShapes>();
  absl::flat_hash_map<std::string, int> zones_;  // id -> index in map_.zones()
};

}  // namespace zonecast
