#include "core/pending_publishes.h"

#include <algorithm>

namespace zonecast {

PendingPublish& PendingPublishes::Add(uint64_t seq, const std::string& alert_id) {
  if (!alert_id.empty()) alert_seq_.emplace(alert_id, seq);
  std::unique_ptr<PendingPublish> entry;
  if (spares_.empty()) {
    entry = std::make_unique<PendingPublish>();
  } else {
    entry = std::move(spares_.back());
    spares_.pop_back();
  }
  PendingPublish& publish = *by_seq_.emplace_back(std::move(entry));
  publish.seq = seq;
  publish.alert_id = alert_id;
  return publish;
}

std::optional<size_t> PendingPublishes::IndexOf(uint64_t seq) const {
  if (by_seq_.empty()) return std::nullopt;
  // Seqs are mostly consecutive: try the direct position first.
  const uint64_t first = by_seq_.front()->seq;
  if (seq >= first && seq - first < by_seq_.size() && by_seq_[seq - first]->seq == seq) {
    return seq - first;
  }
  auto it = std::lower_bound(
      by_seq_.begin(), by_seq_.end(), seq,
      [](const std::unique_ptr<PendingPublish>& p, uint64_t s) { return p->seq < s; });
  if (it == by_seq_.end() || (*it)->seq != seq) return std::nullopt;
  return static_cast<size_t>(it - by_seq_.begin());
}

PendingPublish* PendingPublishes::Find(uint64_t seq) {
  const std::optional<size_t> index = IndexOf(seq);
  return index.has_value() ? by_seq_[*index].get() : nullptr;
}

bool PendingPublishes::AttachDuplicate(absl::string_view alert_id, SessionId session,
                                       uint64_t request_id) {
  auto it = alert_seq_.find(alert_id);
  if (it == alert_seq_.end()) return false;
  PendingPublish* first = Find(it->second);
  if (first == nullptr) return false;
  first->duplicates.emplace_back(session, request_id);
  return true;
}

const PendingPublish* PendingPublishes::FindByAlert(absl::string_view alert_id) {
  auto it = alert_seq_.find(alert_id);
  return it == alert_seq_.end() ? nullptr : Find(it->second);
}

void PendingPublishes::Remove(uint64_t seq) {
  const std::optional<size_t> index = IndexOf(seq);
  if (!index.has_value()) return;
  std::unique_ptr<PendingPublish> found = std::move(by_seq_[*index]);
  if (!found->alert_id.empty()) {
    auto it = alert_seq_.find(found->alert_id);
    if (it != alert_seq_.end() && it->second == seq) alert_seq_.erase(it);
  }
  if (*index == 0) {
    by_seq_.pop_front();
  } else {
    // Out of order: not how the journal completes, but kept correct.
    by_seq_.erase(by_seq_.begin() + static_cast<std::ptrdiff_t>(*index));
  }
  if (spares_.size() < kSpares) {
    *found = PendingPublish();
    spares_.push_back(std::move(found));
  }
}

}  // namespace zonecast
