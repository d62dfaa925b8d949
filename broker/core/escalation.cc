// CoreLoop's escalation: an alert nobody takes must reach the center and the
// neighbouring zones by itself (ARCHITECTURE.md "One alert, end to end").
//
// When an alert from the center is stored and routed, it escalates at once
// if no terminal received it ("no_unit_online"); otherwise it waits in the
// AlertBook until its zone's response deadline for its priority (zones
// file). A terminal's ACCEPTED, EN_ROUTE, ON_SCENE or RESOLVED takes it out;
// at the deadline it escalates ("deadline"). Escalating journals the fact,
// publishes an Escalation event on escalation.<city>, and re-routes a copy
// of the alert (same alert id, escalated_from_zone set) to every
// neighbouring zone. An officer's emergency button raises a P1 alert for the
// unit's zone and its neighbours and an Escalation ("emergency") at once.
#include "absl/strings/str_cat.h"
#include "alerts/zones.h"
#include "common/log.h"
#include "core/core_loop.h"
#include "protocol/frame_codec.h"
#include "protocol/topic.h"

namespace zonecast {
namespace {

bool IsResponse(v1::AckLevel level) {
  return level == v1::ACCEPTED || level == v1::EN_ROUTE || level == v1::ON_SCENE ||
         level == v1::RESOLVED;
}

}  // namespace

journal::RecoveryVisitor CoreLoop::AlertRecoveryVisitor() {
  journal::RecoveryVisitor visitor;
  const int64_t now_ms = absl::ToUnixMillis(clock_.NowWall());
  // Alerts whose deadline passed long ago while the broker was down are not
  // escalated at start: an operator has long dealt with them.
  const int64_t horizon_ms = absl::ToInt64Milliseconds(absl::Minutes(10));
  // The open-alerts list forgets alerts after max_age; so does its rebuild.
  const int64_t status_since_ms =
      now_ms - absl::ToInt64Milliseconds(alert_status_.limits().max_age);
  recovered_publishes_.resize(alert_status_.limits().max_alerts);
  visitor.on_publish = [this, now_ms, horizon_ms,
                        status_since_ms](const journal::PublishRecord& record) {
    if (record.alert_id.empty() || record.unix_ms < status_since_ms ||
        TopicFamily(record.topic) != "alert") {
      return;
    }
    recovered_publishes_[recovered_publish_count_++ % recovered_publishes_.size()] = record.seq;
    if (zones_.empty()) return;
    const auto priority = static_cast<v1::Priority>(record.priority);
    const absl::Duration deadline = zones_.Deadline(priority);
    if (deadline <= absl::ZeroDuration()) return;
    const int64_t deadline_ms = record.unix_ms + absl::ToInt64Milliseconds(deadline);
    if (now_ms - deadline_ms > horizon_ms) return;
    v1::Frame frame;
    if (!frame.ParseFromArray(record.frame.data(), static_cast<int>(record.frame.size()))) return;
    const v1::Alert& alert = frame.deliver().event().alert();
    if (!alert.escalated_from_zone().empty() || !alert.origin_unit().empty()) return;
    OpenAlert open;
    open.alert_id = std::string(record.alert_id);
    open.seq = record.seq;
    if (!CityAndZone(record.topic, &open.city, &open.zone)) return;
    if (zones_.Find(open.city, open.zone) == nullptr) return;
    open.priority = priority;
    open.publisher = frame.deliver().publisher();
    open.deadline_unix_ms = deadline_ms;
    open.alert = alert;
    recovered_alerts_.insert_or_assign(open.alert_id, std::move(open));
  };
  visitor.on_other = [this](journal::RecordType type, absl::string_view payload) {
    if (recovered_publish_count_ == 0) return;  // no alert yet that an ack could be for
    if (type == journal::RecordType::kDelivery) {
      v1::JournalDelivery delivery;
      if (!delivery.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
          delivery.kind() != v1::JournalDelivery::ACK || delivery.alert_id().empty()) {
        return;
      }
      recovered_acks_.push_back(
          RecoveredAck{delivery.alert_id(), delivery.unit(), delivery.level(), delivery.unix_ms()});
      if (IsResponse(delivery.level())) recovered_alerts_.erase(delivery.alert_id());
    } else if (type == journal::RecordType::kEscalation) {
      v1::JournalEscalation escalation;
      if (escalation.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        recovered_acks_.push_back(RecoveredAck{escalation.alert_id(), "", v1::ACK_LEVEL_UNSPECIFIED,
                                               escalation.unix_ms()});
        recovered_alerts_.erase(escalation.alert_id());
      }
    }
  };
  return visitor;
}

void CoreLoop::RebuildAlertStatus() {
  const size_t ring = recovered_publishes_.size();
  const uint64_t kept = std::min<uint64_t>(recovered_publish_count_, ring);
  std::vector<uint64_t> seqs;
  seqs.reserve(kept);
  for (uint64_t i = recovered_publish_count_ - kept; i < recovered_publish_count_; ++i) {
    seqs.push_back(recovered_publishes_[i % ring]);
  }
  // Recovery saw them in seq order; read them again from the tail of the
  // journal (the page cache still has it).
  size_t next = 0;
  if (!seqs.empty()) {
    ScanJournalPublishes(
        journal_->Segments(), seqs.front(), [&](const journal::PublishRecord& publish) {
          while (next < seqs.size() && seqs[next] < publish.seq) ++next;
          if (next == seqs.size()) return false;
          if (seqs[next] != publish.seq) return true;
          v1::Frame frame;
          if (!frame.ParseFromArray(publish.frame.data(), static_cast<int>(publish.frame.size()))) {
            return true;
          }
          const v1::Alert& alert = frame.deliver().event().alert();
          // An escalated copy: the original is the one followed.
          if (!alert.escalated_from_zone().empty()) return true;
          alert_status_.OnPublished(std::string(publish.alert_id), alert.title(), publish.seq,
                                    publish.topic, static_cast<v1::Priority>(publish.priority),
                                    frame.deliver().publisher(), publish.unix_ms);
          return true;
        });
  }
  for (const RecoveredAck& ack : recovered_acks_) {
    if (ack.level == v1::ACK_LEVEL_UNSPECIFIED) {
      alert_status_.OnEscalated(ack.alert_id, ack.unix_ms);
    } else {
      alert_status_.OnAck(ack.alert_id, ack.unit, ack.level, ack.unix_ms);
    }
  }
  if (alert_status_.size() > 0) {
    ZC_LOG(INFO) << alert_status_.size() << " alerts not resolved yet";
  }
  std::vector<uint64_t>().swap(recovered_publishes_);
  std::vector<RecoveredAck>().swap(recovered_acks_);
  recovered_publish_count_ = 0;
}

void CoreLoop::ReopenRecoveredAlerts() {
  const int64_t now_ms = absl::ToUnixMillis(clock_.NowWall());
  const MonoNanos now = clock_.NowMono();
  for (auto& [id, alert] : recovered_alerts_) {
    const int64_t left_ms = std::max<int64_t>(0, alert.deadline_unix_ms - now_ms);
    alert.deadline = now + left_ms * 1'000'000;
    alert_book_.Open(std::move(alert));
  }
  if (!recovered_alerts_.empty()) {
    ZC_LOG(INFO) << recovered_alerts_.size() << " alerts still wait for a response";
  }
  recovered_alerts_.clear();
}

void CoreLoop::TrackResponse(const PendingPublish& publish, size_t terminals) {
  if (zones_.empty()) return;
  OpenAlert open;
  if (!CityAndZone(publish.topic, &open.city, &open.zone)) return;
  if (zones_.Find(open.city, open.zone) == nullptr) return;
  open.alert_id = publish.alert_id;
  open.seq = publish.seq;
  open.priority = publish.priority;
  open.publisher = publish.publisher_unit;
  open.alert = publish.deliver.event().alert();
  if (terminals == 0) {
    Escalate(open, "no_unit_online");
    return;
  }
  const absl::Duration deadline = zones_.Deadline(publish.priority);
  if (deadline <= absl::ZeroDuration()) return;
  open.deadline = clock_.NowMono() + absl::ToInt64Nanoseconds(deadline);
  open.deadline_unix_ms = absl::ToUnixMillis(clock_.NowWall() + deadline);
  alert_book_.Open(std::move(open));
}

void CoreLoop::OnResponse(const v1::AckFrame& ack) {
  if (IsResponse(ack.level()) && !ack.alert_id().empty()) alert_book_.Respond(ack.alert_id());
}

void CoreLoop::ExpireAlerts() {
  alert_book_.Expire(clock_.NowMono(), [this](OpenAlert& alert) { Escalate(alert, "deadline"); });
}

void CoreLoop::Escalate(const OpenAlert& alert, const std::string& reason) {
  ++counters_.escalations;
  const v1::Zone* zone = zones_.Find(alert.city, alert.zone);
  std::vector<std::string> neighbours;
  if (zone != nullptr) neighbours.assign(zone->neighbours().begin(), zone->neighbours().end());
  ZC_LOG(WARNING) << "alert " << alert.alert_id << " (seq " << alert.seq << ", zone " << alert.zone
                  << ") escalates: " << reason;
  v1::JournalEscalation record;
  record.set_alert_id(alert.alert_id);
  record.set_seq(alert.seq);
  record.set_reason(reason);
  record.set_zone(alert.zone);
  record.set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  alert_status_.OnEscalated(alert.alert_id, record.unix_ms());
  journal_->AddRecord(journal::RecordType::kEscalation, record.SerializeAsString());

  v1::Event event;
  v1::Escalation* escalation = event.mutable_escalation();
  *escalation->mutable_alert() = alert.alert;
  escalation->set_seq(alert.seq);
  escalation->set_reason(reason);
  escalation->set_zone(alert.zone);
  for (const std::string& n : neighbours) escalation->add_neighbours(n);
  escalation->set_unix_ms(record.unix_ms());
  escalation->set_deadline_unix_ms(alert.deadline_unix_ms);
  PublishInternal(absl::StrCat("escalation.", alert.city), v1::P1, std::move(event));

  for (const std::string& neighbour : neighbours) {
    v1::Event copy;
    v1::Alert* rerouted = copy.mutable_alert();
    *rerouted = alert.alert;
    const std::string topic = absl::StrCat("alert.", alert.city, ".", neighbour);
    rerouted->set_topic(topic);
    rerouted->set_escalated_from_zone(alert.zone);
    const v1::Priority priority =
        alert.priority == v1::PRIORITY_UNSPECIFIED ? v1::P1 : alert.priority;
    const uint64_t seq = PublishInternal(topic, priority, std::move(copy), alert.alert_id);
    // Acks to the copy still reach the center that published the original.
    if (!alert.publisher.empty()) RememberPublisher(seq, alert.publisher);
  }
}

void CoreLoop::RaiseEmergency(const PendingPublish& publish) {
  const v1::RadioEvent& radio = publish.deliver.event().radio();
  OpenAlert open;
  if (!CityAndZone(publish.topic, &open.city, &open.zone)) return;
  ++counters_.emergencies;
  ZC_LOG(WARNING) << "EMERGENCY button: unit " << radio.unit() << " in zone " << open.zone;
  open.alert_id = absl::StrCat("emergency-", radio.unit(), "-", publish.seq);
  open.seq = publish.seq;
  open.priority = v1::P1;
  v1::Alert& alert = open.alert;
  alert.set_alert_id(open.alert_id);
  alert.set_priority(v1::P1);
  alert.set_category("officer_emergency");
  alert.set_title(absl::StrCat("EMERGENCY: unit ", radio.unit(), " pressed the emergency button"));
  alert.set_body(radio.text());
  *alert.mutable_location() = radio.position();
  alert.set_created_unix_ms(radio.event_unix_ms());
  alert.set_origin_unit(radio.unit());
  alert_status_.OnPublished(open.alert_id, alert.title(), publish.seq,
                            absl::StrCat("alert.", open.city, ".", open.zone), v1::P1,
                            options_.broker_id, absl::ToUnixMillis(clock_.NowWall()));
  // The unit's own zone first, then its neighbours, all at once.
  std::vector<std::string> zones = {open.zone};
  if (const v1::Zone* zone = zones_.Find(open.city, open.zone)) {
    zones.insert(zones.end(), zone->neighbours().begin(), zone->neighbours().end());
  }
  for (const std::string& z : zones) {
    v1::Event event;
    *event.mutable_alert() = alert;
    const std::string topic = absl::StrCat("alert.", open.city, ".", z);
    event.mutable_alert()->set_topic(topic);
    PublishInternal(topic, v1::P1, std::move(event), open.alert_id);
  }
  v1::Event event;
  v1::Escalation* escalation = event.mutable_escalation();
  *escalation->mutable_alert() = alert;
  escalation->set_seq(publish.seq);
  escalation->set_reason("emergency");
  escalation->set_zone(open.zone);
  for (size_t i = 1; i < zones.size(); ++i) escalation->add_neighbours(zones[i]);
  escalation->set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  PublishInternal(absl::StrCat("escalation.", open.city), v1::P1, std::move(event));
}

}  // namespace zonecast
