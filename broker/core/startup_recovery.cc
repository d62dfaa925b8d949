#include "core/startup_recovery.h"

#include <algorithm>

#include "common/log.h"
#include "journal/history.h"
#include "protocol/alert_updates.h"
#include "protocol/topic.h"
#include "zonecast/journal.pb.h"
#include "zonecast/wire.pb.h"

namespace zonecast {

StartupRecovery::StartupRecovery(const ZoneIndex& zones, const Clock& clock,
                                 UnresolvedAlerts& status, Escalator& escalator,
                                 ReceivedAlerts* received)
    : zones_(zones), clock_(clock), status_(status), escalator_(escalator), received_(received) {}

void StartupRecovery::Finish(const std::vector<journal::SegmentInfo>& segments) {
  ReopenAlerts();
  RebuildAlertStatus(segments);
}

journal::RecoveryVisitor StartupRecovery::Visitor() {
  journal::RecoveryVisitor visitor;
  const int64_t now_ms = absl::ToUnixMillis(clock_.NowWall());
  // Alerts whose deadline passed long ago while the broker was down are not
  // escalated at start: an operator has long dealt with them.
  const int64_t horizon_ms = absl::ToInt64Milliseconds(absl::Minutes(10));
  // The open-alerts list forgets alerts after max_age; so does its rebuild.
  const int64_t status_since_ms = now_ms - absl::ToInt64Milliseconds(status_.limits().max_age);
  publishes_.resize(status_.limits().max_alerts);
  visitor.on_publish = [this, now_ms, horizon_ms,
                        status_since_ms](const journal::PublishRecord& record) {
    if (record.alert_id.empty() || record.unix_ms < status_since_ms ||
        TopicFamily(record.topic) != "alert") {
      return;
    }
    publishes_[publish_count_++ % publishes_.size()] = record.seq;
    if (zones_.empty()) return;
    const size_t separator = record.alert_id.find(kAlertUpdateSeparator[0]);
    const bool is_update = separator != absl::string_view::npos;
    const auto priority = static_cast<v1::Priority>(record.priority);
    const absl::Duration deadline = zones_.Deadline(priority);
    // 0: no deadline (kept, in case an amendment gives it one).
    const int64_t deadline_ms =
        deadline > absl::ZeroDuration() ? record.unix_ms + absl::ToInt64Milliseconds(deadline) : 0;
    if (is_update) {
      // Updates of an alert being followed only; whatever their own age.
      if (!alerts_.contains(record.alert_id.substr(0, separator))) return;
    } else if (deadline_ms != 0 && now_ms - deadline_ms > horizon_ms) {
      return;
    }
    v1::Frame frame;
    if (!frame.ParseFromArray(record.frame.data(), static_cast<int>(record.frame.size()))) return;
    if (frame.deliver().event().has_alert_update()) {
      const v1::AlertUpdate& update = frame.deliver().event().alert_update();
      auto it = alerts_.find(update.alert_id());
      if (it == alerts_.end()) return;
      if (EndsAlert(update.kind())) {
        alerts_.erase(it);
      } else if (update.kind() == v1::AlertUpdate::AMENDED) {
        OpenAlert& open = it->second;
        ApplyAmendment(update, &open.alert);
        if (update.priority() != v1::PRIORITY_UNSPECIFIED && update.priority() != open.priority) {
          // As the live Escalator::OnAmended: the new priority's deadline
          // from the amendment, if sooner.
          open.priority = update.priority();
          open.units_needed = zones_.UnitsNeeded(open.priority);
          const absl::Duration sooner = zones_.Deadline(open.priority);
          if (sooner > absl::ZeroDuration()) {
            const int64_t from_now = record.unix_ms + absl::ToInt64Milliseconds(sooner);
            open.deadline_unix_ms =
                open.deadline_unix_ms == 0 ? from_now : std::min(open.deadline_unix_ms, from_now);
          }
          if (open.deadline_unix_ms != 0 && now_ms - open.deadline_unix_ms > horizon_ms) {
            alerts_.erase(it);
          }
        }
      }
      return;
    }
    const v1::Alert& alert = frame.deliver().event().alert();
    if (IsCopyOfAlert(alert) || !alert.origin_unit().empty()) return;
    OpenAlert open;
    open.alert_id = std::string(record.alert_id);
    open.seq = record.seq;
    if (!CityAndZone(record.topic, &open.city, &open.zone)) return;
    if (zones_.Find(open.city, open.zone) == nullptr) return;
    open.priority = priority;
    open.units_needed = zones_.UnitsNeeded(priority);
    open.publisher = frame.deliver().publisher();
    open.deadline_unix_ms = deadline_ms;
    open.alert = alert;
    alerts_.insert_or_assign(open.alert_id, std::move(open));
  };
  visitor.on_other = [this](journal::RecordType type, absl::string_view payload) {
    if (publish_count_ == 0) return;  // no alert yet that an ack could be for
    if (type == journal::RecordType::kDelivery) {
      v1::JournalDelivery delivery;
      if (!delivery.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
          delivery.alert_id().empty()) {
        return;
      }
      if (delivery.kind() != v1::JournalDelivery::ACK) return;
      if (received_ != nullptr)
        received_->Record(delivery.unit(), delivery.seq(), delivery.alert_id());
      acks_.push_back(
          Ack{delivery.alert_id(), delivery.unit(), delivery.level(), delivery.unix_ms(), {}});
      if (Escalator::IsResponse(delivery.level())) {
        auto it = alerts_.find(delivery.alert_id());
        if (it != alerts_.end()) {
          it->second.takers.insert(delivery.unit());
          if (it->second.takers.size() >= it->second.units_needed) alerts_.erase(it);
        }
      }
    } else if (type == journal::RecordType::kEscalation) {
      v1::JournalEscalation escalation;
      if (escalation.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        acks_.push_back(Ack{escalation.alert_id(), "", v1::ACK_LEVEL_UNSPECIFIED,
                            escalation.unix_ms(), escalation.zones()});
        // Escalation goes on in steps: the next one is a deadline after
        // this one, one level up.
        auto it = alerts_.find(escalation.alert_id());
        if (it != alerts_.end()) {
          OpenAlert& open = it->second;
          open.level = std::max<int>(1, static_cast<int>(escalation.level()));
          const absl::Duration deadline = zones_.Deadline(open.priority);
          open.deadline_unix_ms = escalation.unix_ms() + absl::ToInt64Milliseconds(deadline);
          // As live: no next step without a deadline, nor past the last.
          if (deadline <= absl::ZeroDuration() || open.level >= Escalator::kMaxLevel) {
            alerts_.erase(it);
          }
        }
      }
    }
  };
  return visitor;
}

void StartupRecovery::RebuildAlertStatus(const std::vector<journal::SegmentInfo>& segments) {
  const size_t ring = publishes_.size();
  const uint64_t kept = std::min<uint64_t>(publish_count_, ring);
  std::vector<uint64_t> seqs;
  seqs.reserve(kept);
  for (uint64_t i = publish_count_ - kept; i < publish_count_; ++i) {
    seqs.push_back(publishes_[i % ring]);
  }
  // Recovery saw them in seq order; read them again from the tail of the
  // journal (the page cache still has it).
  size_t next = 0;
  if (!seqs.empty()) {
    ScanJournalPublishes(segments, seqs.front(), [&](const journal::PublishRecord& publish) {
      while (next < seqs.size() && seqs[next] < publish.seq) ++next;
      if (next == seqs.size()) return false;
      if (seqs[next] != publish.seq) return true;
      v1::Frame frame;
      if (!frame.ParseFromArray(publish.frame.data(), static_cast<int>(publish.frame.size()))) {
        return true;
      }
      if (frame.deliver().event().has_alert_update()) {
        // A cancel or close ends the alert; its later acks change nothing.
        const v1::AlertUpdate& update = frame.deliver().event().alert_update();
        if (EndsAlert(update.kind())) ended_.insert(update.alert_id());
        // Once, from the alert's own topic: the copies to the zones it
        // escalated to are the same update.
        const UnresolvedAlerts::Entry* entry = status_.Find(update.alert_id());
        if ((update.kind() == v1::AlertUpdate::AMENDED ||
             update.kind() == v1::AlertUpdate::ASSIGNED) &&
            entry != nullptr && entry->topic == publish.topic) {
          changes_.push_back(update);
          changes_.back().set_unix_ms(publish.unix_ms);
        }
        return true;
      }
      const v1::Alert& alert = frame.deliver().event().alert();
      // A copy to another zone: the original is the one followed.
      if (IsCopyOfAlert(alert)) return true;
      status_.OnPublished(std::string(publish.alert_id), alert.title(), publish.seq, publish.topic,
                          static_cast<v1::Priority>(publish.priority), frame.deliver().publisher(),
                          publish.unix_ms);
      status_.SetLocation(publish.alert_id, alert.location());
      if (alert.located_in_size() > 1) {
        std::string city;
        std::string own;
        CityAndZone(publish.topic, &city, &own);
        google::protobuf::RepeatedPtrField<std::string> others;
        for (const std::string& zone : alert.located_in()) {
          if (zone != own) *others.Add() = zone;
        }
        status_.AddZonesReached(publish.alert_id, others);
      }
      return true;
    });
  }
  for (const v1::AlertUpdate& change : changes_) {
    if (change.kind() == v1::AlertUpdate::AMENDED) {
      status_.OnAmended(change.alert_id(), change, change.unix_ms());
    } else {
      status_.OnAssigned(change.alert_id(), change.unix_ms());
    }
  }
  std::vector<v1::AlertUpdate>().swap(changes_);
  for (const Ack& ack : acks_) {
    if (ended_.contains(ack.alert_id)) continue;
    if (ack.level == v1::ACK_LEVEL_UNSPECIFIED) {
      status_.OnEscalated(ack.alert_id, ack.unix_ms, ack.zones);
    } else {
      status_.OnAck(ack.alert_id, ack.unit, ack.level, ack.unix_ms);
    }
  }
  if (status_.size() > 0) {
    ZC_LOG(INFO) << status_.size() << " alerts not resolved yet";
  }
  std::vector<uint64_t>().swap(publishes_);
  std::vector<Ack>().swap(acks_);
  for (const std::string& id : ended_) status_.OnEnded(id);
  ended_.clear();
  publish_count_ = 0;
}

void StartupRecovery::ReopenAlerts() {
  for (auto& [id, alert] : alerts_) {
    // Taken by as many units as it needs (an amendment may have lowered
    // the number after they answered).
    if (alert.takers.size() >= alert.units_needed) continue;
    escalator_.Reopen(std::move(alert));
  }
  if (!alerts_.empty()) {
    ZC_LOG(INFO) << alerts_.size() << " alerts still wait for a response";
  }
  alerts_.clear();
}

}  // namespace zonecast
