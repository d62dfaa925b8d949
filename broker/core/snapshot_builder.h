#pragma once
// SnapshotBuilder: the counters, gauges, session list, latency series and
// open alerts that every monitoring view shares (StatsReply, /v1/stats,
// /metrics, sys.stats), built on the core loop from its state. The loop
// builds one only when a reader asks or sys.stats is due, and publishes it
// on the MonitoringExchange; rendering happens on the reader's thread.
//
// Core loop thread only: it reads the loop's state without locks.
#include <cstdint>
#include <memory>
#include <string>

#include "alerts/escalator.h"
#include "alerts/unit_positions.h"
#include "alerts/unresolved_alerts.h"
#include "common/clock.h"
#include "core/held_alerts.h"
#include "delivery/durable_delivery.h"
#include "journal/journal.h"
#include "monitoring/broker_counters.h"
#include "monitoring/latency_tracker.h"
#include "monitoring/monitoring_snapshot.h"
#include "routing/router.h"
#include "routing/session_table.h"
#include "zonecast/monitoring.pb.h"

namespace zonecast {

// The loop's state a snapshot reads. Every pointer must outlive the builder.
struct LoopState {
  std::string broker_id;
  const Clock* clock = nullptr;
  MonoNanos started_at = 0;
  const BrokerCounters* counters = nullptr;
  const SessionTable* sessions = nullptr;
  const Router* router = nullptr;
  const Journal* journal = nullptr;
  const DurableDelivery* durable = nullptr;
  const Escalator* escalator = nullptr;
  const UnresolvedAlerts* unresolved_alerts = nullptr;
  const LatencyTracker* latency = nullptr;
  const HeldAlerts* held_alerts = nullptr;
  const UnitPositions* unit_positions = nullptr;
};

class SnapshotBuilder {
 public:
  explicit SnapshotBuilder(LoopState loop);

  // The counters and gauges of every view.
  void FillCountersAndGauges(v1::StatsSnapshot* stats) const;
  // A new snapshot; `parts`: the SnapshotPart lists to fill besides
  // counters and latency.
  std::shared_ptr<MonitoringSnapshot> Build(uint32_t parts);

 private:
  // The journal's counters and gauges; returns the writer's stats.
  journal::WriterStats FillJournal(v1::StatsSnapshot* stats) const;
  // Sessions online by role and zone (always) and the list of them.
  void AddSessions(MonoNanos now, int64_t now_ms, bool list_sessions,
                   MonitoringSnapshot* snapshot) const;

  LoopState loop_;
  uint64_t generation_ = 0;
};

}  // namespace zonecast
