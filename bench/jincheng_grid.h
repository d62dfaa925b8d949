#pragma once
// Where a place in a Jincheng zone is, for the bench drivers that put
// incidents and walking units on the map: deploy/zones/jincheng-zones.geojson
// draws the ten zones on a 2 x 5 grid, z01..z05 the top row west to east and
// z06..z10 the bottom one, each cell about 0.02 degrees of longitude by 0.03
// of latitude.
#include <utility>

namespace zonecast::bench {

// {lat, lon} of a point well inside zone `z` (0..9), from (u, v) in
// [0, 1]; the margins keep off the drawn borders.
inline std::pair<double, double> PointInZone(int z, double u, double v) {
  const double north = z < 5 ? 35.515 : 35.485;
  const double west = 112.80 + 0.02 * (z % 5);
  return {north - 0.006 - v * 0.018, west + 0.004 + u * 0.012};
}

}  // namespace zonecast::bench
