#include "protocol/alert_updates.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "protocol/alert_fingerprint.h"

namespace zonecast {

std::string AlertUpdateKey(const v1::AlertUpdate& update, uint32_t revision) {
  std::string key = absl::StrCat(update.alert_id(), kAlertUpdateSeparator,
                                 absl::AsciiStrToLower(v1::AlertUpdate::Kind_Name(update.kind())));
  switch (update.kind()) {
    case v1::AlertUpdate::TAKEN:
      absl::StrAppend(&key, "-", update.unit());
      break;
    case v1::AlertUpdate::ASSIGNED:
      absl::StrAppend(&key, "-", revision, "-", update.unit());
      break;
    case v1::AlertUpdate::AMENDED: {
      v1::Alert changed;
      ApplyAmendment(update, &changed);
      absl::StrAppend(&key, "-", revision, "-",
                      absl::Hex(AlertFingerprint("", update.priority(), changed), absl::kZeroPad8));
      break;
    }
    default:
      break;
  }
  return key;
}

bool AmendsSomething(const v1::AlertUpdate& amendment) {
  return !amendment.title().empty() || !amendment.body().empty() ||
         amendment.priority() != v1::PRIORITY_UNSPECIFIED || amendment.has_location();
}

void ApplyAmendment(const v1::AlertUpdate& amendment, v1::Alert* alert) {
  if (!amendment.title().empty()) alert->set_title(amendment.title());
  if (!amendment.body().empty()) alert->set_body(amendment.body());
  if (amendment.priority() != v1::PRIORITY_UNSPECIFIED) alert->set_priority(amendment.priority());
  if (amendment.has_location()) *alert->mutable_location() = amendment.location();
}

std::string DescribeAmendment(const v1::AlertUpdate& amendment) {
  std::vector<std::string> parts;
  if (amendment.priority() != v1::PRIORITY_UNSPECIFIED) {
    parts.push_back(absl::StrCat("priority ", v1::Priority_Name(amendment.priority())));
  }
  if (!amendment.title().empty()) parts.push_back(absl::StrCat("title: ", amendment.title()));
  if (!amendment.body().empty()) parts.push_back(absl::StrCat("text: ", amendment.body()));
  if (amendment.has_location()) {
    const v1::Location& at = amendment.location();
    parts.push_back(absl::StrCat("location: ", at.address(), at.address().empty() ? "" : " ",
                                 absl::StrFormat("(%.5f, %.5f)", at.lat(), at.lon())));
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace zonecast
