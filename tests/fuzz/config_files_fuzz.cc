// Fuzz entry point for the files an operator writes: the keys file, the
// zones file and the zones' outlines (GeoJSON), through protobuf's parser and
// the broker's checks. The first byte picks which: 'g' the outlines, another
// even byte the keys file, another odd byte the zones file. A file the checks
// accept must give a consistent result: every identity found by its name and
// by its key, every grant a valid pattern covering itself; every outline
// holding the first corner of its own ring, shared borders sorted and
// between two different zones.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "alerts/zone_shapes.h"
#include "alerts/zones.h"
#include "auth/key_ring.h"
#include "google/protobuf/util/json_util.h"
#include "protocol/topic.h"
#include "shared/curve_keys.h"

namespace {

void KeysFile(const std::string& text) {
  zonecast::v1::KeysFile file;
  if (!google::protobuf::util::JsonStringToMessage(text, &file).ok()) return;
  absl::StatusOr<zonecast::KeyRing> ring = zonecast::KeyRing::FromFile(file);
  if (!ring.ok()) {
    if (ring.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    return;
  }
  for (const zonecast::v1::KeyGrant& grant : file.grants()) {
    const zonecast::Identity* identity = ring->FindByName(grant.identity());
    if (identity == nullptr) __builtin_trap();
    if (ring->FindByKey(zonecast::CurveKeyBytes(grant.public_key())) != identity) __builtin_trap();
    for (const std::string& pattern : identity->subscribe) {
      if (!zonecast::ValidatePattern(pattern).ok()) __builtin_trap();
      if (!zonecast::PatternCovers(pattern, pattern)) __builtin_trap();
    }
  }
}

void ZonesFile(const std::string& text) {
  zonecast::v1::ZoneMap map;
  if (!google::protobuf::util::JsonStringToMessage(text, &map).ok()) return;
  absl::StatusOr<zonecast::ZoneIndex> zones = zonecast::ZoneIndex::FromMap(map);
  if (!zones.ok()) return;
  for (const zonecast::v1::Zone& zone : zones->map().zones()) {
    if (zones->Find(zones->city(), zone.id()) == nullptr) __builtin_trap();
  }
}

void ZoneOutlines(const std::string& text) {
  absl::StatusOr<zonecast::ZoneShapes> shapes = zonecast::ZoneShapes::FromGeoJson(text, {});
  if (!shapes.ok()) {
    if (shapes.status().code() != absl::StatusCode::kInvalidArgument) __builtin_trap();
    return;
  }
  for (const auto& [a, b] : shapes->SharedBorders()) {
    if (!(a < b)) __builtin_trap();
    (void)shapes->ZonesAt(0, 0);
  }
  // Points anywhere, including ones no outline has: never more zones than
  // there are, always in order.
  for (double lat : {-90.0, 0.0, 35.4907, 90.0}) {
    for (double lon : {-180.0, 0.0, 112.8511, 180.0}) {
      const std::vector<std::string> zones = shapes->ZonesAt(lat, lon);
      if (zones.size() > shapes->size()) __builtin_trap();
      for (size_t i = 1; i < zones.size(); ++i) {
        if (!(zones[i - 1] < zones[i])) __builtin_trap();
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] == 'g') {
    ZoneOutlines(text);
  } else if (data[0] % 2 == 0) {
    KeysFile(text);
  } else {
    ZonesFile(text);
  }
  return 0;
}
