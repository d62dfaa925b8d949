#pragma once
// AlertFingerprint: what an alert says, in 32 bits, so that a publish
// re-using an alert id is told apart: the same alert again (a retry: same
// topic, priority, category, title, body and place) is a duplicate; another
// alert under that id is a conflict (ALERT_ID_CONFLICT), never silently
// dropped. Timestamps are left out: a retry may be built again later.
//
// Journaled with each publish, so it is stable across processes and
// versions (CRC-32C over length-prefixed fields). Never 0: 0 stands for
// "not known" (publishes journaled before fingerprints existed).
#include <cstdint>

#include "absl/strings/string_view.h"
#include "zonecast/domain.pb.h"

namespace zonecast {

uint32_t AlertFingerprint(absl::string_view topic, v1::Priority priority, const v1::Alert& alert);

}  // namespace zonecast
