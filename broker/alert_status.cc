#include "alert_status.h"

#include "zones.h"

namespace zonecast {

void AlertStatusBoard::OnPublished(const std::string& alert_id, absl::string_view title,
                                   uint64_t seq, absl::string_view topic, v1::Priority priority,
                                   absl::string_view publisher, int64_t unix_ms) {
  if (alert_id.empty() || alerts_.contains(alert_id)) return;
  while (alerts_.size() >= limits_.max_alerts && !order_.empty()) {
    alerts_.erase(order_.front());
    order_.pop_front();
  }
  Entry& entry = alerts_[alert_id];
  v1::AlertStatus& status = entry.status;
  status.set_alert_id(alert_id);
  status.set_seq(seq);
  status.set_topic(std::string(topic));
  std::string city;
  std::string zone;
  if (CityAndZone(topic, &city, &zone)) {
    status.set_city(city);
    status.set_zone(zone);
  }
  status.set_priority(v1::Priority_Name(priority));
  status.set_title(std::string(title));
  status.set_publisher(std::string(publisher));
  status.set_published_unix_ms(unix_ms);
  status.set_state("PUBLISHED");
  status.set_last_change_unix_ms(unix_ms);
  order_.push_back(alert_id);
}

void AlertStatusBoard::OnAck(absl::string_view alert_id, absl::string_view unit, v1::AckLevel level,
                             int64_t unix_ms) {
  auto it = alerts_.find(alert_id);
  if (it == alerts_.end()) return;
  if (level == v1::RESOLVED) {
    alerts_.erase(it);  // its id stays in order_ until it reaches the front
    return;
  }
  Entry& entry = it->second;
  if (level == v1::RECEIVED) {
    entry.received.insert(std::string(unit));
    entry.status.set_units_received(static_cast<uint32_t>(entry.received.size()));
  }
  // DECLINED is an answer, not progress: the alert still needs a taker.
  if (level == v1::DECLINED || level <= entry.level) return;
  entry.level = level;
  entry.status.set_state(v1::AckLevel_Name(level));
  if (level != v1::RECEIVED) entry.status.set_responder(std::string(unit));
  entry.status.set_last_change_unix_ms(unix_ms);
}

void AlertStatusBoard::OnEscalated(absl::string_view alert_id, int64_t unix_ms) {
  auto it = alerts_.find(alert_id);
  if (it == alerts_.end()) return;
  it->second.status.set_escalated(true);
  it->second.status.set_last_change_unix_ms(unix_ms);
}

void AlertStatusBoard::Expire(int64_t now_unix_ms) {
  const int64_t oldest = now_unix_ms - absl::ToInt64Milliseconds(limits_.max_age);
  while (!order_.empty()) {
    auto it = alerts_.find(order_.front());
    if (it != alerts_.end() && it->second.status.published_unix_ms() >= oldest) break;
    if (it != alerts_.end()) alerts_.erase(it);
    order_.pop_front();
  }
}

}  // namespace zonecast
