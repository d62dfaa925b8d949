#include "routing/session.h"

#include <algorithm>

#include "protocol/topic.h"

namespace zonecast {

Session::Session(SessionId id, std::string routing_id, const v1::Hello& hello, QueueLimits limits,
                 MonoNanos now)
    : id_(id),
      routing_id_(std::move(routing_id)),
      role_(hello.role()),
      unit_id_(hello.unit_id()),
      patrol_group_(hello.patrol_group()),
      zone_(hello.zone()),
      hello_instance_(hello.instance()),
      hello_attempt_(hello.attempt()),
      reads_deliveries_(hello.reads_deliveries()),
      queue_(limits),
      last_heard_(now) {}

bool Session::MaySubscribe(absl::string_view pattern) const {
  return !restricted_ || std::any_of(grants_.begin(), grants_.end(), [&](const std::string& grant) {
    return PatternCovers(grant, pattern);
  });
}

}  // namespace zonecast
