#pragma once
// How long the broker itself has gone without hearing its peers. A live
// peer sends something at least every heartbeat period, so when even the
// freshest tenth of the sessions have been silent for longer than that, the
// silence is the broker's: their frames wait in ZeroMQ's I/O thread or the
// kernel's socket buffers while the CPU is busy elsewhere (an alert burst
// to thousands of terminals on a small machine). Judging each session's
// silence without this would end thousands of live sessions at once, which
// then all reconnect and deepen the overload.
#include <vector>

#include "common/clock.h"

namespace zonecast {

// Fewer sessions than this tell nothing about the broker: one dead peer of
// three is not the broker being deaf.
inline constexpr size_t kMinSessionsToJudgeDeafness = 16;

// The extra silence every session is allowed now: how far the freshest
// tenth's silence exceeds one heartbeat `period` (0 when it does not, or
// with too few sessions to tell). `silences` are the sessions' times since
// last heard; the vector is reordered.
MonoNanos DeafnessGrace(std::vector<MonoNanos>& silences, MonoNanos period);

}  // namespace zonecast
