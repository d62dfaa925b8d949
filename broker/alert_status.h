#pragma once
// AlertStatusBoard: every alert that is not resolved yet, with how far it
// got (stored, received by some terminal, accepted, en route, on scene),
// for GET /v1/alerts?state=open. Unlike the AlertBook (which holds only what
// waits for a response deadline), an alert stays here after an officer took
// it, until RESOLVED, or until it is older than max_age, or pushed out by
// newer ones past max_alerts. Rebuilt from the journal at start.
//
// Core loop thread only.
#include <cstdint>
#include <deque>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "zonecast/domain.pb.h"
#include "zonecast/monitoring.pb.h"

namespace zonecast {

class AlertStatusBoard {
 public:
  struct Limits {
    size_t max_alerts = 10000;
    absl::Duration max_age = absl::Hours(24);
  };
  AlertStatusBoard() : AlertStatusBoard(Limits()) {}
  explicit AlertStatusBoard(Limits limits) : limits_(limits) {}

  // An alert was stored (the original, not an escalated copy). A second one
  // with the same id is ignored.
  void OnPublished(const std::string& alert_id, absl::string_view title, uint64_t seq,
                   absl::string_view topic, v1::Priority priority, absl::string_view publisher,
                   int64_t unix_ms);
  // A terminal acknowledged: RECEIVED counts the unit, a response moves the
  // state forward (never back), RESOLVED removes the alert.
  void OnAck(absl::string_view alert_id, absl::string_view unit, v1::AckLevel level,
             int64_t unix_ms);
  void OnEscalated(absl::string_view alert_id, int64_t unix_ms);
  // Drops alerts older than max_age.
  void Expire(int64_t now_unix_ms);

  // The open alerts, oldest first. deadline_of(alert_id) gives the response
  // deadline (0 if none).
  template <typename DeadlineFn>
  void Fill(int64_t now_unix_ms, DeadlineFn&& deadline_of, v1::AlertStatusList* out) const;

  size_t size() const { return alerts_.size(); }
  const Limits& limits() const { return limits_; }

 private:
  struct Entry {
    v1::AlertStatus status;
    int level = 0;  // furthest AckLevel reached, 0 for none
    absl::flat_hash_set<std::string> received;
  };

  Limits limits_;
  absl::flat_hash_map<std::string, Entry> alerts_;
  std::deque<std::string> order_;  // publish order; may hold ids already removed
};

template <typename DeadlineFn>
void AlertStatusBoard::Fill(int64_t now_unix_ms, DeadlineFn&& deadline_of,
                            v1::AlertStatusList* out) const {
  out->set_unix_ms(now_unix_ms);
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& id : order_) {
    auto it = alerts_.find(id);
    if (it == alerts_.end() || !seen.insert(id).second) continue;
    v1::AlertStatus* status = out->add_alerts();
    *status = it->second.status;
    status->set_age_s(static_cast<double>(now_unix_ms - status->published_unix_ms()) / 1000.0);
    status->set_deadline_unix_ms(deadline_of(id));
  }
}

}  // namespace zonecast
