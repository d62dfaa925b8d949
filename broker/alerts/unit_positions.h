#pragma once
// UnitPositions: where each unit last said it was (its radio POSITION
// events), so that a dispatcher can ask which units are nearest an incident
// and the wall can draw them. Kept in memory by the loop; a restart forgets
// them until each unit reports again (every few seconds on patrol).
//
// Bounded: at most kMaxUnits units. Only the loop thread touches it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "zonecast/monitoring.pb.h"

namespace zonecast {

class UnitPositions {
 public:
  static constexpr size_t kMaxUnits = 100000;

  struct Position {
    std::string zone;
    double lat = 0;
    double lon = 0;
    int64_t unix_ms = 0;  // broker clock when it arrived
  };

  // Keeps the unit's newest position. False, and nothing kept, for a
  // latitude or longitude out of range (or not a number), or a unit beyond
  // kMaxUnits.
  bool Update(absl::string_view unit, absl::string_view zone, double lat, double lon,
              int64_t unix_ms);
  const Position* Find(absl::string_view unit) const;
  size_t size() const { return units_.size(); }

  // Every unit's position; `online` is left false for the caller to set.
  void Fill(google::protobuf::RepeatedPtrField<v1::UnitPosition>* out) const;

 private:
  absl::flat_hash_map<std::string, Position> units_;
};

// The `limit` units of `positions` nearest (lat, lon) that are online,
// nearest first, each with its distance in metres (on the WGS84
// ellipsoid).
std::vector<v1::UnitPosition> NearestOnline(
    const google::protobuf::RepeatedPtrField<v1::UnitPosition>& positions, double lat, double lon,
    size_t limit);

}  // namespace zonecast
