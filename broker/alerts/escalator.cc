#include "alerts/escalator.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "protocol/alert_updates.h"
#include "protocol/topic.h"

namespace zonecast {

bool Escalator::IsResponse(v1::AckLevel level) {
  return level == v1::ACCEPTED || level == v1::EN_ROUTE || level == v1::ON_SCENE ||
         level == v1::RESOLVED;
}

std::optional<Escalation> Escalator::OnStored(uint64_t seq, const std::string& topic,
                                              v1::Priority priority, const std::string& publisher,
                                              const v1::Alert& alert, size_t terminals) {
  // Without a zones map and with a unit online there is nothing to wait
  // for: no deadline, nothing kept. (Checked before the alert is copied.)
  if (terminals > 0 && zones_.empty() && zones_.Deadline(priority) <= absl::ZeroDuration()) {
    return std::nullopt;
  }
  OpenAlert open;
  if (!CityAndZone(topic, &open.city, &open.zone)) return std::nullopt;
  // With a zones map, a zone it lacks was refused at publish (UNKNOWN_ZONE);
  // one from an older journal has no policy to follow.
  if (!zones_.empty() && zones_.Find(open.city, open.zone) == nullptr) return std::nullopt;
  open.alert_id = alert.alert_id();
  open.seq = seq;
  open.priority = priority;
  open.publisher = publisher;
  open.alert = alert;
  open.units_needed = zones_.UnitsNeeded(priority);
  // Nobody on duty there, map or not: the center hears of it at once.
  if (terminals == 0) return Escalate(std::move(open), "no_unit_online");
  const absl::Duration deadline = zones_.Deadline(priority);
  if (deadline <= absl::ZeroDuration()) {
    if (!zones_.empty()) KeepUndated(std::move(open));
    return std::nullopt;
  }
  open.deadline = clock_.NowMono() + absl::ToInt64Nanoseconds(deadline);
  open.deadline_unix_ms = absl::ToUnixMillis(clock_.NowWall() + deadline);
  pending_.Open(std::move(open));
  return std::nullopt;
}

void Escalator::KeepUndated(OpenAlert alert) {
  std::string id = alert.alert_id;
  if (!undated_.try_emplace(id, std::move(alert)).second) return;
  undated_order_.push_back(std::move(id));
  while (undated_order_.size() > kMaxUndated) {
    undated_.erase(undated_order_.front());
    undated_order_.pop_front();
  }
}

void Escalator::OnAck(absl::string_view alert_id, absl::string_view unit, v1::AckLevel level) {
  if (!IsResponse(level) || alert_id.empty()) return;
  undated_.erase(alert_id);
  OpenAlert* open = pending_.FindMutable(alert_id);
  if (open == nullptr) return;
  open->takers.insert(std::string(unit));
  if (open->takers.size() >= open->units_needed) pending_.Respond(alert_id);
}

void Escalator::OnAmended(const v1::AlertUpdate& amendment) {
  if (auto it = undated_.find(amendment.alert_id()); it != undated_.end()) {
    // Its new priority may have a deadline: it waits from now.
    OpenAlert alert = std::move(it->second);
    undated_.erase(it);
    ApplyAmendment(amendment, &alert.alert);
    if (amendment.priority() != v1::PRIORITY_UNSPECIFIED) alert.priority = amendment.priority();
    alert.units_needed = zones_.UnitsNeeded(alert.priority);
    const absl::Duration deadline = zones_.Deadline(alert.priority);
    if (deadline <= absl::ZeroDuration()) {
      KeepUndated(std::move(alert));
      return;
    }
    alert.deadline = clock_.NowMono() + absl::ToInt64Nanoseconds(deadline);
    alert.deadline_unix_ms = absl::ToUnixMillis(clock_.NowWall() + deadline);
    pending_.Open(std::move(alert));
    return;
  }
  OpenAlert* open = pending_.FindMutable(amendment.alert_id());
  if (open == nullptr) return;
  ApplyAmendment(amendment, &open->alert);
  if (amendment.priority() == v1::PRIORITY_UNSPECIFIED || amendment.priority() == open->priority) {
    return;
  }
  open->priority = amendment.priority();
  open->units_needed = zones_.UnitsNeeded(open->priority);
  if (open->takers.size() >= open->units_needed) {
    pending_.Respond(amendment.alert_id());
    return;
  }
  const absl::Duration deadline = zones_.Deadline(open->priority);
  if (deadline <= absl::ZeroDuration()) return;
  const MonoNanos sooner = clock_.NowMono() + absl::ToInt64Nanoseconds(deadline);
  if (sooner < open->deadline) {
    open->deadline_unix_ms = absl::ToUnixMillis(clock_.NowWall() + deadline);
    pending_.Reschedule(amendment.alert_id(), sooner);
  }
}

std::vector<Escalation> Escalator::Expire() {
  std::vector<OpenAlert> expired;
  pending_.Expire(clock_.NowMono(), [&](OpenAlert& alert) { expired.push_back(std::move(alert)); });
  // Escalated after the sweep: each goes back into the book with its next
  // deadline.
  std::vector<Escalation> due;
  due.reserve(expired.size());
  for (OpenAlert& alert : expired) due.push_back(Escalate(std::move(alert), "deadline"));
  return due;
}

std::vector<std::string> Escalator::ZonesReached(absl::string_view alert_id) const {
  const OpenAlert* alert = pending_.Find(alert_id);
  if (alert == nullptr) return {};
  std::vector<std::string> zones;
  for (int distance = 1; distance <= alert->level; ++distance) {
    std::vector<std::string> ring = Ring(alert->city, alert->zone, distance);
    if (ring.empty()) break;
    zones.insert(zones.end(), ring.begin(), ring.end());
  }
  return zones;
}

std::vector<std::string> Escalator::Ring(absl::string_view city, absl::string_view zone,
                                         int distance) const {
  std::vector<std::string> ring = {std::string(zone)};
  absl::flat_hash_set<std::string> seen = {std::string(zone)};
  for (int hop = 0; hop < distance && !ring.empty(); ++hop) {
    std::vector<std::string> next;
    for (const std::string& id : ring) {
      const v1::Zone* z = zones_.Find(city, id);
      if (z == nullptr) continue;
      for (const std::string& n : z->neighbours()) {
        if (seen.insert(n).second) next.push_back(n);
      }
    }
    ring = std::move(next);
  }
  std::sort(ring.begin(), ring.end());
  return ring;
}

void Escalator::Reopen(OpenAlert alert) {
  if (alert.deadline_unix_ms == 0) {
    KeepUndated(std::move(alert));
    return;
  }
  const int64_t left_ms =
      std::max<int64_t>(0, alert.deadline_unix_ms - absl::ToUnixMillis(clock_.NowWall()));
  alert.deadline = clock_.NowMono() + left_ms * 1'000'000;
  pending_.Open(std::move(alert));
}

Escalation Escalator::Escalate(OpenAlert alert, const std::string& reason) {
  const int level = alert.level + 1;
  // The next ring of zones; once the map is covered, a reminder only.
  const std::vector<std::string> neighbours = Ring(alert.city, alert.zone, level);
  const std::string step = neighbours.empty() && level > 1 ? "reminder" : reason;
  ZC_LOG(WARNING) << "alert " << alert.alert_id << " (seq " << alert.seq << ", zone " << alert.zone
                  << ") escalates: " << step << ", level " << level;
  Escalation out;
  v1::JournalEscalation& record = out.record.emplace();
  record.set_alert_id(alert.alert_id);
  record.set_seq(alert.seq);
  record.set_reason(step);
  record.set_zone(alert.zone);
  record.set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  record.set_level(static_cast<uint32_t>(level));
  for (const std::string& n : neighbours) record.add_zones(n);
  // The next step, one deadline on, until someone takes it.
  const absl::Duration deadline = zones_.Deadline(alert.priority);
  const bool again = deadline > absl::ZeroDuration() && level < kMaxLevel;
  alert.deadline_unix_ms = again ? absl::ToUnixMillis(clock_.NowWall() + deadline) : 0;

  EscalationMessage& notice = out.messages.emplace_back();
  notice.topic = absl::StrCat("escalation.", alert.city);
  v1::Escalation* escalation = notice.event.mutable_escalation();
  *escalation->mutable_alert() = alert.alert;
  escalation->set_seq(alert.seq);
  escalation->set_reason(step);
  escalation->set_zone(alert.zone);
  for (const std::string& n : neighbours) escalation->add_neighbours(n);
  escalation->set_unix_ms(record.unix_ms());
  escalation->set_deadline_unix_ms(alert.deadline_unix_ms);
  escalation->set_level(static_cast<uint32_t>(level));

  // The map is covered and still nobody took it: the supervisor hears too.
  if (step == "reminder" && !zones_.map().supervisor_topic().empty()) {
    v1::Event event = notice.event;  // `notice` may move when the vector grows
    EscalationMessage& supervisor = out.messages.emplace_back();
    supervisor.topic = zones_.map().supervisor_topic();
    supervisor.event = std::move(event);
  }
  for (const std::string& neighbour : neighbours) {
    EscalationMessage& copy = out.messages.emplace_back();
    copy.topic = absl::StrCat("alert.", alert.city, ".", neighbour);
    copy.priority = alert.priority == v1::PRIORITY_UNSPECIFIED ? v1::P1 : alert.priority;
    copy.alert_id = alert.alert_id;
    copy.publisher = alert.publisher;
    v1::Alert* rerouted = copy.event.mutable_alert();
    *rerouted = alert.alert;
    rerouted->set_topic(copy.topic);
    rerouted->set_escalated_from_zone(alert.zone);
  }
  if (again) {
    alert.level = level;
    alert.deadline = clock_.NowMono() + absl::ToInt64Nanoseconds(deadline);
    pending_.Open(std::move(alert));
  }
  return out;
}

std::optional<Escalation> Escalator::OnEmergency(uint64_t seq, const std::string& topic,
                                                 const v1::RadioEvent& radio) {
  std::string city;
  std::string zone_id;
  if (!CityAndZone(topic, &city, &zone_id)) return std::nullopt;
  ZC_LOG(WARNING) << "EMERGENCY button: unit " << radio.unit() << " in zone " << zone_id;
  Escalation out;
  v1::Alert& alert = out.raised_alert.emplace();
  alert.set_alert_id(absl::StrCat("emergency-", radio.unit(), "-", seq));
  alert.set_priority(v1::P1);
  alert.set_category("officer_emergency");
  alert.set_title(absl::StrCat("EMERGENCY: unit ", radio.unit(), " pressed the emergency button"));
  alert.set_body(radio.text());
  *alert.mutable_location() = radio.position();
  alert.set_created_unix_ms(radio.event_unix_ms());
  alert.set_origin_unit(radio.unit());
  out.raised_topic = absl::StrCat("alert.", city, ".", zone_id);
  // The unit's own zone first, then its neighbours, all at once.
  std::vector<std::string> zones = {zone_id};
  if (const v1::Zone* zone = zones_.Find(city, zone_id)) {
    zones.insert(zones.end(), zone->neighbours().begin(), zone->neighbours().end());
  }
  for (const std::string& z : zones) {
    EscalationMessage& copy = out.messages.emplace_back();
    copy.topic = absl::StrCat("alert.", city, ".", z);
    copy.alert_id = alert.alert_id();
    *copy.event.mutable_alert() = alert;
    copy.event.mutable_alert()->set_topic(copy.topic);
  }
  EscalationMessage& notice = out.messages.emplace_back();
  notice.topic = absl::StrCat("escalation.", city);
  v1::Escalation* escalation = notice.event.mutable_escalation();
  *escalation->mutable_alert() = alert;
  escalation->set_seq(seq);
  escalation->set_reason("emergency");
  escalation->set_zone(zone_id);
  for (size_t i = 1; i < zones.size(); ++i) escalation->add_neighbours(zones[i]);
  escalation->set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  return out;
}

}  // namespace zonecast
