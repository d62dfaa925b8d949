#pragma once
// SessionTable: every live session, findable by its id, by the routing id of
// its connection and by its unit id. Owns the Session objects.
//
// Core loop thread only.
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "routing/session.h"

namespace zonecast {

class SessionTable {
 public:
  // Creates a session. REQUIRES: neither the routing id nor the unit id is
  // in use (callers take over or close the older session first).
  Session& Add(std::string routing_id, const v1::Hello& hello, QueueLimits limits, MonoNanos now);
  // Destroys the session; `session` dangles afterwards.
  void Remove(Session& session);

  Session* Find(SessionId id) const;
  Session* FindByRouting(absl::string_view routing_id) const;
  Session* FindByUnit(absl::string_view unit_id) const;

  size_t size() const { return by_id_.size(); }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [id, session] : by_id_) fn(*session);
  }

 private:
  SessionId next_id_ = 1;
  absl::flat_hash_map<SessionId, std::unique_ptr<Session>> by_id_;
  absl::flat_hash_map<std::string, Session*> by_routing_;
  absl::flat_hash_map<std::string, Session*> by_unit_;
};

}  // namespace zonecast
