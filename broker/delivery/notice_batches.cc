#include "delivery/notice_batches.h"

namespace zonecast {

std::optional<v1::Frame> NoticeBatches::Add(SessionId to, const v1::Deliver& deliver) {
  auto it = batches_.find(to);
  if (it == batches_.end()) it = batches_.emplace(to, v1::Frame()).first;
  v1::Deliveries* batch = it->second.mutable_deliveries();
  *batch->add_delivers() = deliver;
  if (batch->delivers_size() < kMaxPerFrame) return std::nullopt;
  v1::Frame full = std::move(it->second);
  batches_.erase(it);
  return full;
}

std::vector<std::pair<SessionId, v1::Frame>> NoticeBatches::TakeAll() {
  std::vector<std::pair<SessionId, v1::Frame>> all;
  all.reserve(batches_.size());
  for (auto& [to, frame] : batches_) all.emplace_back(to, std::move(frame));
  batches_.clear();
  return all;
}

}  // namespace zonecast
