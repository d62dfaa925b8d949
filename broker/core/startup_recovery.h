#pragma once
// StartupRecovery: what the alert subsystems keep only in memory, rebuilt
// from the journal at start. As recovery reads the records it notes
//  - alerts still waiting for a response whose deadline is near enough
//    (passed less than 10 minutes ago, or ahead), for the Escalator;
//  - the sequence numbers of the last alert publishes, and the acks and
//    escalations, for the open-alerts list (UnresolvedAlerts);
//  - which alerts each unit confirmed, so it may still respond after a
//    restart (ReceivedAlerts; only when acks are checked).
// Finish() then reopens the alerts and reads only the noted publishes again:
// copying or parsing each of a million alerts during the scan would slow
// recovery by a third.
//
// A local object of CoreLoop::Start; core loop thread.
#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "alerts/escalator.h"
#include "alerts/pending_responses.h"
#include "alerts/unresolved_alerts.h"
#include "alerts/zones.h"
#include "common/clock.h"
#include "delivery/received_alerts.h"
#include "journal/journal_recovery.h"
#include "journal/journal_writer.h"

namespace zonecast {

class StartupRecovery {
 public:
  // Everything must outlive this object.
  StartupRecovery(const ZoneIndex& zones, const Clock& clock, UnresolvedAlerts& status,
                  Escalator& escalator, ReceivedAlerts* received);

  // For Journal::Open: sees every record as recovery reads it.
  journal::RecoveryVisitor Visitor();

  // After recovery: reopens the alerts that still wait and rebuilds the
  // open-alerts list, reading the noted publishes from `segments`.
  void Finish(const std::vector<journal::SegmentInfo>& segments);

 private:
  // An ack, or (level unspecified) an escalation, of an alert.
  struct Ack {
    std::string alert_id;
    std::string unit;
    v1::AckLevel level = v1::ACK_LEVEL_UNSPECIFIED;
    int64_t unix_ms = 0;
    // An escalation step (level unspecified): the zones it reached.
    google::protobuf::RepeatedPtrField<std::string> zones;
  };

  void ReopenAlerts();
  void RebuildAlertStatus(const std::vector<journal::SegmentInfo>& segments);

  const ZoneIndex& zones_;
  const Clock& clock_;
  UnresolvedAlerts& status_;
  Escalator& escalator_;
  ReceivedAlerts* received_;  // null: acks are not checked (no keys file)
  absl::flat_hash_map<std::string, OpenAlert> alerts_;
  std::vector<uint64_t> publishes_;  // a ring of the last alert publishes' seqs
  uint64_t publish_count_ = 0;
  std::vector<Ack> acks_;
  absl::flat_hash_set<std::string> ended_;  // alerts a cancel or close ended
  // Amendments and assignments in journal order, for the open-alerts list.
  std::vector<v1::AlertUpdate> changes_;
};

}  // namespace zonecast
