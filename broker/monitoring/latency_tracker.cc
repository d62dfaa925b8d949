#include "monitoring/latency_tracker.h"

#include "protocol/topic.h"

namespace zonecast {
namespace {

constexpr uint16_t kNoZone = 0;

// Alerts, radio events, acks and dead letters carry the zone as the third
// token (alert.<city>.<zone>); other topics have none.
absl::string_view ZoneOf(absl::string_view topic) {
  const absl::string_view family = TopicFamily(topic);
  if (family != "alert" && family != "radio" && family != "ack" && family != "dlq") return "";
  TopicTokens tokens = SplitTopic(topic);
  return tokens.size() >= 3 ? tokens[2] : absl::string_view();
}

int PriorityIndex(int priority) { return priority >= 1 && priority <= 4 ? priority - 1 : 3; }

LatencyStage ResponseStage(v1::AckLevel level) {
  switch (level) {
    case v1::ACCEPTED:
      return LatencyStage::kResponseAccepted;
    case v1::EN_ROUTE:
      return LatencyStage::kResponseEnRoute;
    case v1::ON_SCENE:
      return LatencyStage::kResponseOnScene;
    default:
      return LatencyStage::kResponseResolved;
  }
}

}  // namespace

LatencyTracker::LatencyTracker(Limits limits) : limits_(limits) {
  if (limits_.zones < 2) limits_.zones = 2;
  zone_names_.push_back("none");
  zone_ids_.emplace("none", kNoZone);
}

uint16_t LatencyTracker::ZoneId(absl::string_view topic) {
  const absl::string_view zone = ZoneOf(topic);
  if (zone.empty()) return kNoZone;
  if (auto it = zone_ids_.find(zone); it != zone_ids_.end()) return it->second;
  // Zone tokens come from publishers: bound the label set so a bad client
  // cannot grow the metrics without end. The last id collects the rest
  // under a label no topic token can spell.
  const size_t other = limits_.zones - 1;
  if (zone_names_.size() < other) {
    const auto id = static_cast<uint16_t>(zone_names_.size());
    zone_names_.emplace_back(zone);
    zone_ids_.emplace(std::string(zone), id);
    return id;
  }
  if (zone_names_.size() == other) zone_names_.push_back("(other)");
  return static_cast<uint16_t>(other);
}

void LatencyTracker::Record(LatencyStage stage, int priority, uint16_t zone, int64_t nanos) {
  auto& by_zone =
      histograms_[static_cast<size_t>(stage)][static_cast<size_t>(PriorityIndex(priority))];
  if (by_zone.size() <= zone) by_zone.resize(zone + 1);
  if (by_zone[zone] == nullptr) by_zone[zone] = std::make_unique<LatencyHistogram>();
  by_zone[zone]->Record(nanos);
}

void LatencyTracker::OnPubAck(uint64_t seq, int64_t now_unix_ms) {
  // Zone and priority as OnDurable found them: the topic is not split twice.
  auto it = messages_.find(seq);
  if (it == messages_.end() || it->second.sent_unix_ms <= 0) return;
  const Message& message = it->second;
  int64_t millis = now_unix_ms - message.sent_unix_ms;
  if (millis < 0) {
    ++negative_cross_clock_;
    millis = 0;
  }
  Record(LatencyStage::kPubAck, message.priority, message.zone, millis * 1'000'000);
}

void LatencyTracker::OnDurable(uint64_t seq, absl::string_view topic, v1::Priority priority,
                               MonoNanos ingress, MonoNanos durable, int64_t sent_unix_ms,
                               bool alert) {
  const uint16_t zone = ZoneId(topic);
  const auto prio = static_cast<uint8_t>(priority);
  if (ingress != 0) Record(LatencyStage::kDurable, prio, zone, durable - ingress);
  if (messages_.size() >= limits_.messages && !message_order_.empty()) {
    messages_.erase(message_order_.front());
    message_order_.pop_front();
  }
  if (messages_.try_emplace(seq, Message{ingress, 0, sent_unix_ms, zone, prio}).second) {
    message_order_.push_back(seq);
  }
  if (alert) {
    if (alerts_.size() >= limits_.alerts && !alert_order_.empty()) {
      alerts_.erase(alert_order_.front());
      alert_order_.pop_front();
    }
    if (alerts_.try_emplace(seq, Alert{0, zone, prio, 0}).second) alert_order_.push_back(seq);
  }
}

void LatencyTracker::OnSent(uint64_t seq, MonoNanos now) {
  auto it = messages_.find(seq);
  if (it == messages_.end() || it->second.first_sent != 0) return;
  Message& message = it->second;
  message.first_sent = now;
  if (message.ingress != 0) {
    Record(LatencyStage::kRouting, message.priority, message.zone, now - message.ingress);
  }
  if (auto alert = alerts_.find(seq); alert != alerts_.end() && alert->second.first_sent == 0) {
    alert->second.first_sent = now;
  }
}

void LatencyTracker::OnReceived(uint64_t seq, MonoNanos sent_at, MonoNanos now, int64_t now_unix_ms,
                                bool replayed) {
  auto it = messages_.find(seq);
  if (it == messages_.end()) return;
  const Message& message = it->second;
  if (sent_at != 0)
    Record(LatencyStage::kDeliveryRtt, message.priority, message.zone, now - sent_at);
  if (message.sent_unix_ms > 0) {
    int64_t millis = now_unix_ms - message.sent_unix_ms;
    if (millis < 0) {
      ++negative_cross_clock_;
      millis = 0;
    }
    Record(replayed ? LatencyStage::kCatchUp : LatencyStage::kEndToEnd, message.priority,
           message.zone, millis * 1'000'000);
  }
}

void LatencyTracker::OnResponse(uint64_t seq, v1::AckLevel level, MonoNanos now) {
  if (level < v1::ACCEPTED || level > v1::RESOLVED) return;
  auto it = alerts_.find(seq);
  if (it == alerts_.end() || it->second.first_sent == 0) return;
  Alert& alert = it->second;
  const auto bit = static_cast<uint8_t>(1u << level);
  if ((alert.responded & bit) != 0) return;
  alert.responded |= bit;
  Record(ResponseStage(level), alert.priority, alert.zone, now - alert.first_sent);
}

std::vector<LatencySeries> LatencyTracker::Series() const {
  std::vector<LatencySeries> out;
  for (int stage = 0; stage < kLatencyStageCount; ++stage) {
    for (int priority = 0; priority < 4; ++priority) {
      const auto& by_zone = histograms_[static_cast<size_t>(stage)][static_cast<size_t>(priority)];
      for (size_t zone = 0; zone < by_zone.size(); ++zone) {
        if (by_zone[zone] == nullptr || by_zone[zone]->count() == 0) continue;
        LatencySeries series;
        series.stage = static_cast<LatencyStage>(stage);
        series.priority = priority + 1;
        series.zone = zone_names_[zone];
        series.histogram = *by_zone[zone];
        out.push_back(std::move(series));
      }
    }
  }
  return out;
}

}  // namespace zonecast
