// CoreLoop's side of escalation: the Escalator (alerts/escalator.h)
// decides when an alert escalates and what goes out; the loop journals,
// counts and publishes it like any durable message.
#include "absl/strings/str_cat.h"
#include "core/core_loop.h"
#include "journal/journal_format.h"

namespace zonecast {

void CoreLoop::CarryOut(Escalation escalation, uint64_t seq) {
  if (escalation.record.has_value()) {
    const v1::JournalEscalation& record = *escalation.record;
    ++counters_.escalations;
    unresolved_alerts_.OnEscalated(record.alert_id(), record.unix_ms());
    journal_->AddRecord(journal::RecordType::kEscalation, record.SerializeAsString());
  }
  if (escalation.raised_alert.has_value()) {
    const v1::Alert& alert = *escalation.raised_alert;
    ++counters_.emergencies;
    unresolved_alerts_.OnPublished(alert.alert_id(), alert.title(), seq, escalation.raised_topic,
                                   v1::P1, options_.broker_id,
                                   absl::ToUnixMillis(clock_.NowWall()));
  }
  for (EscalationMessage& message : escalation.messages) {
    const uint64_t copy_seq = PublishInternal(message.topic, message.priority,
                                              std::move(message.event), message.alert_id);
    // Acks to a copy still reach the center that published the original.
    if (!message.publisher.empty()) RememberPublisher(copy_seq, message.publisher);
  }
}

}  // namespace zonecast
