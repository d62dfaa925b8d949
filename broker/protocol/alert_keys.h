#pragma once
// The idempotency key of an alert's update: "<alert id>#<kind>", e.g.
// "lanhua-1#cancelled". A cancel repeated (a retry, a second console) is
// then a duplicate of the first, in the dedup window and across restarts,
// and the journal's record of the update is found by its alert's id. '#'
// is therefore not allowed in alert ids.
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "zonecast/domain.pb.h"

namespace zonecast {

inline constexpr char kAlertUpdateSeparator[] = "#";

inline std::string AlertUpdateKey(absl::string_view alert_id, v1::AlertUpdate::Kind kind) {
  return absl::StrCat(alert_id, kAlertUpdateSeparator,
                      absl::AsciiStrToLower(v1::AlertUpdate::Kind_Name(kind)));
}

// Whether a journaled publish's key `key` is alert `alert_id` or one of its
// updates.
inline bool IsKeyOfAlert(absl::string_view key, absl::string_view alert_id) {
  return key.size() >= alert_id.size() && key.substr(0, alert_id.size()) == alert_id &&
         (key.size() == alert_id.size() || key[alert_id.size()] == kAlertUpdateSeparator[0]);
}

}  // namespace zonecast
