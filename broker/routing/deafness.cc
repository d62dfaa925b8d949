#include "routing/deafness.h"

#include <algorithm>

namespace zonecast {

MonoNanos DeafnessGrace(std::vector<MonoNanos>& silences, MonoNanos period) {
  if (silences.size() < kMinSessionsToJudgeDeafness) return 0;
  const auto tenth = silences.begin() + static_cast<std::ptrdiff_t>(silences.size() / 10);
  std::nth_element(silences.begin(), tenth, silences.end());
  return std::max<MonoNanos>(0, *tenth - period);
}

}  // namespace zonecast
