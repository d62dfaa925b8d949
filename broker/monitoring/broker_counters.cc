#include "monitoring/broker_counters.h"

#include "absl/strings/str_cat.h"

namespace zonecast {

void BrokerCounters::ForEach(const std::function<void(absl::string_view, uint64_t)>& fn) const {
#define ZONECAST_VISIT_COUNTER(name) fn(#name, name);
  ZONECAST_BROKER_COUNTERS(ZONECAST_VISIT_COUNTER)
#undef ZONECAST_VISIT_COUNTER
  for (int code = 1; code < v1::ErrorCode_ARRAYSIZE; ++code) {
    if (!v1::ErrorCode_IsValid(code)) continue;
    fn(absl::StrCat("errors.", v1::ErrorCode_Name(code)), errors_by_code[code]);
  }
  for (int level = 1; level < v1::AckLevel_ARRAYSIZE; ++level) {
    if (!v1::AckLevel_IsValid(level)) continue;
    fn(absl::StrCat("acks.", v1::AckLevel_Name(level)), acks_by_level[level]);
  }
}

}  // namespace zonecast
