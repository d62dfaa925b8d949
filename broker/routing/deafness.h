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

// The broker's own deaf spells: stretches longer than a heartbeat period in
// which no loop turn read every waiting frame (routing a backlog after a
// stalled disk, say). The frames peers sent meanwhile arrive late after
// it, out of ZeroMQ's and the kernel's buffers, and the peers themselves
// may lag from the same overload on a shared machine; the turn that
// finally drains the input makes most sessions fresh again, so
// DeafnessGrace no longer sees the spell. For dead_after plus the spell's
// length after one ends, every session is allowed the spell's length more:
// a dead peer is still dropped, one spell later.
class DeafSpells {
 public:
  // A turn at `now` read every waiting frame; the previous such turn was at
  // `last_drained` (0: none yet).
  void OnDrained(MonoNanos last_drained, MonoNanos now, MonoNanos period) {
    if (last_drained != 0 && now - last_drained > period) {
      length_ = now - last_drained;
      ended_at_ = now;
    }
  }
  // The extra silence allowed at `now` to sessions dropped after
  // `dead_after` of silence.
  MonoNanos Grace(MonoNanos now, MonoNanos dead_after) const {
    return length_ > 0 && now - ended_at_ < dead_after + length_ ? length_ : 0;
  }

 private:
  MonoNanos length_ = 0;
  MonoNanos ended_at_ = 0;
};

}  // namespace zonecast
