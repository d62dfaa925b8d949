#include "alerts/unresolved_alerts.h"

#include <algorithm>

#include "protocol/topic.h"

namespace zonecast {

void UnresolvedAlerts::OnPublished(const std::string& alert_id, absl::string_view title,
                                   uint64_t seq, absl::string_view topic, v1::Priority priority,
                                   absl::string_view publisher, int64_t unix_ms) {
  if (alert_id.empty() || alerts_.contains(alert_id)) return;
  while (alerts_.size() >= limits_.max_alerts && !order_.empty()) {
    alerts_.erase(order_.front());
    order_.pop_front();
  }
  Entry& entry = alerts_[alert_id];
  entry.seq = seq;
  entry.topic = std::string(topic);
  entry.priority = priority;
  entry.title = std::string(title);
  entry.publisher = std::string(publisher);
  entry.published_unix_ms = unix_ms;
  entry.last_change_unix_ms = unix_ms;
  order_.push_back(alert_id);
}

size_t UnresolvedAlerts::OnAck(absl::string_view alert_id, absl::string_view unit,
                               v1::AckLevel level, int64_t unix_ms) {
  auto it = alerts_.find(alert_id);
  if (it == alerts_.end()) return 0;
  if (level == v1::RESOLVED) {
    alerts_.erase(it);  // its id stays in order_ until it reaches the front
    return 0;
  }
  Entry& entry = it->second;
  if (level == v1::RECEIVED) {
    entry.received.insert(std::string(unit));
    if (entry.level < v1::RECEIVED) {
      entry.level = level;
      entry.last_change_unix_ms = unix_ms;
    }
    return 0;
  }
  // DECLINED is an answer, not progress: the alert still needs a taker.
  if (level == v1::DECLINED) return 0;
  const bool new_taker = entry.takers.insert(std::string(unit)).second;
  if (level > entry.level) {
    entry.level = level;
    entry.responder = std::string(unit);
    entry.last_change_unix_ms = unix_ms;
  }
  return new_taker ? entry.takers.size() : 0;
}

void UnresolvedAlerts::OnAmended(absl::string_view alert_id, const v1::AlertUpdate& amendment,
                                 int64_t unix_ms) {
  auto it = alerts_.find(alert_id);
  if (it == alerts_.end()) return;
  if (!amendment.title().empty()) it->second.title = amendment.title();
  if (amendment.priority() != v1::PRIORITY_UNSPECIFIED) it->second.priority = amendment.priority();
  it->second.last_change_unix_ms = unix_ms;
  ++it->second.revisions;
  if (amendment.has_location()) SetLocation(alert_id, amendment.location());
}

void UnresolvedAlerts::SetLocation(absl::string_view alert_id, const v1::Location& location) {
  auto it = alerts_.find(alert_id);
  if (it == alerts_.end()) return;
  // proto3 has no "unset" for numbers: 0,0 is in the Gulf of Guinea, not a
  // place the center sends a patrol to.
  it->second.located = location.lat() != 0 || location.lon() != 0;
  it->second.lat = location.lat();
  it->second.lon = location.lon();
}

void UnresolvedAlerts::OnAssigned(absl::string_view alert_id, int64_t unix_ms) {
  auto it = alerts_.find(alert_id);
  if (it == alerts_.end()) return;
  it->second.last_change_unix_ms = unix_ms;
  ++it->second.revisions;
}

void UnresolvedAlerts::OnEscalated(absl::string_view alert_id, int64_t unix_ms,
                                   const google::protobuf::RepeatedPtrField<std::string>& zones) {
  auto it = alerts_.find(alert_id);
  if (it == alerts_.end()) return;
  it->second.escalated = true;
  it->second.last_change_unix_ms = unix_ms;
  AddZonesReached(alert_id, zones);
}

void UnresolvedAlerts::AddZonesReached(
    absl::string_view alert_id, const google::protobuf::RepeatedPtrField<std::string>& zones) {
  auto it = alerts_.find(alert_id);
  if (it == alerts_.end()) return;
  std::vector<std::string>& reached = it->second.zones_reached;
  for (const std::string& zone : zones) {
    if (std::find(reached.begin(), reached.end(), zone) == reached.end()) reached.push_back(zone);
  }
}

void UnresolvedAlerts::Expire(int64_t now_unix_ms) {
  const int64_t oldest = now_unix_ms - absl::ToInt64Milliseconds(limits_.max_age);
  while (!order_.empty()) {
    auto it = alerts_.find(order_.front());
    if (it != alerts_.end() && it->second.published_unix_ms >= oldest) break;
    if (it != alerts_.end()) alerts_.erase(it);
    order_.pop_front();
  }
}

void UnresolvedAlerts::Fill(int64_t now_unix_ms,
                            absl::FunctionRef<int64_t(const std::string&)> deadline_of,
                            v1::AlertStatusList* out) const {
  out->set_unix_ms(now_unix_ms);
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& id : order_) {
    auto it = alerts_.find(id);
    if (it == alerts_.end() || !seen.insert(id).second) continue;
    const Entry& entry = it->second;
    v1::AlertStatus* status = out->add_alerts();
    status->set_alert_id(id);
    status->set_seq(entry.seq);
    status->set_topic(entry.topic);
    std::string city;
    std::string zone;
    if (CityAndZone(entry.topic, &city, &zone)) {
      status->set_city(std::move(city));
      status->set_zone(std::move(zone));
    }
    status->set_priority(v1::Priority_Name(entry.priority));
    status->set_title(entry.title);
    status->set_publisher(entry.publisher);
    status->set_published_unix_ms(entry.published_unix_ms);
    status->set_age_s(static_cast<double>(now_unix_ms - entry.published_unix_ms) / 1000.0);
    status->set_state(entry.level == 0 ? "PUBLISHED"
                                       : v1::AckLevel_Name(static_cast<v1::AckLevel>(entry.level)));
    status->set_units_received(static_cast<uint32_t>(entry.received.size()));
    status->set_responder(entry.responder);
    status->set_escalated(entry.escalated);
    status->set_deadline_unix_ms(deadline_of(id));
    status->set_last_change_unix_ms(entry.last_change_unix_ms);
    if (entry.located) {
      status->set_located(true);
      status->set_lat(entry.lat);
      status->set_lon(entry.lon);
    }
    std::vector<std::string> takers(entry.takers.begin(), entry.takers.end());
    std::sort(takers.begin(), takers.end());
    for (std::string& taker : takers) *status->add_takers() = std::move(taker);
  }
}

}  // namespace zonecast
