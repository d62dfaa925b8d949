#include "routing/session_table.h"

#include "common/check.h"

namespace zonecast {

Session& SessionTable::Add(std::string routing_id, const v1::Hello& hello, QueueLimits limits,
                           MonoNanos now) {
  const SessionId id = next_id_++;
  auto session = std::make_unique<Session>(id, std::move(routing_id), hello, limits, now);
  Session& ref = *session;
  ZC_CHECK(by_routing_.emplace(ref.routing_id(), &ref).second) << "routing id in use";
  ZC_CHECK(by_unit_.emplace(ref.unit_id(), &ref).second) << "unit id in use: " << ref.unit_id();
  by_id_.emplace(id, std::move(session));
  return ref;
}

void SessionTable::Remove(Session& session) {
  by_routing_.erase(session.routing_id());
  by_unit_.erase(session.unit_id());
  by_id_.erase(session.id());
}

Session* SessionTable::Find(SessionId id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second.get();
}

Session* SessionTable::FindByRouting(absl::string_view routing_id) const {
  auto it = by_routing_.find(routing_id);
  return it == by_routing_.end() ? nullptr : it->second;
}

Session* SessionTable::FindByUnit(absl::string_view unit_id) const {
  auto it = by_unit_.find(unit_id);
  return it == by_unit_.end() ? nullptr : it->second;
}

}  // namespace zonecast
