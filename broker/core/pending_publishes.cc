#include "core/pending_publishes.h"

namespace zonecast {

void PendingPublishes::Add(PendingPublish publish) {
  if (!publish.alert_id.empty()) alert_seq_.emplace(publish.alert_id, publish.seq);
  const uint64_t seq = publish.seq;
  by_seq_.insert_or_assign(seq, std::move(publish));
}

bool PendingPublishes::AttachDuplicate(absl::string_view alert_id, SessionId session,
                                       uint64_t request_id) {
  auto it = alert_seq_.find(alert_id);
  if (it == alert_seq_.end()) return false;
  by_seq_.at(it->second).duplicates.emplace_back(session, request_id);
  return true;
}

std::optional<PendingPublish> PendingPublishes::Take(uint64_t seq) {
  auto node = by_seq_.extract(seq);
  if (node.empty()) return std::nullopt;
  PendingPublish publish = std::move(node.mapped());
  if (!publish.alert_id.empty()) {
    auto it = alert_seq_.find(publish.alert_id);
    if (it != alert_seq_.end() && it->second == seq) alert_seq_.erase(it);
  }
  return publish;
}

}  // namespace zonecast
