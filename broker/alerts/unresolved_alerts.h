#pragma once
// UnresolvedAlerts: every alert that is not resolved yet, with how far it
// got (stored, received by some terminal, accepted, en route, on scene),
// for GET /v1/alerts?state=open. Unlike the PendingResponses (which holds only what
// waits for a response deadline), an alert stays here after an officer took
// it, until RESOLVED, or until it is older than max_age, or pushed out by
// newer ones past max_alerts. Rebuilt from the journal at start.
//
// Core loop thread only.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "zonecast/domain.pb.h"
#include "zonecast/monitoring.pb.h"

namespace zonecast {

class UnresolvedAlerts {
 public:
  // Plain fields, not an AlertStatus: this runs for every alert on the
  // routing loop, the proto (with city, zone and state spelled out) is built
  // only when somebody asks for the list.
  struct Entry {
    uint64_t seq = 0;
    std::string topic;
    v1::Priority priority = v1::P4;
    std::string title;
    std::string publisher;
    int64_t published_unix_ms = 0;
    int64_t last_change_unix_ms = 0;
    int level = 0;                            // furthest AckLevel reached, 0 for none
    std::string responder;                    // unit of that response (not of RECEIVED)
    absl::flat_hash_set<std::string> takers;  // units that responded (ACCEPTED or further)
    bool escalated = false;
    bool located = false;  // lat and lon are its place
    double lat = 0;
    double lon = 0;
    // Zones its escalation sent copies to, in order: their units hear of
    // its takers, amendments and end too.
    std::vector<std::string> zones_reached;
    // Amendments and assignments applied so far (part of their keys).
    uint32_t revisions = 0;
    absl::flat_hash_set<std::string> received;
  };

  struct Limits {
    size_t max_alerts = 10000;
    absl::Duration max_age = absl::Hours(24);
  };
  UnresolvedAlerts() : UnresolvedAlerts(Limits()) {}
  explicit UnresolvedAlerts(Limits limits) : limits_(limits) {}

  // An alert was stored (the original, not an escalated copy). A second one
  // with the same id is ignored.
  void OnPublished(const std::string& alert_id, absl::string_view title, uint64_t seq,
                   absl::string_view topic, v1::Priority priority, absl::string_view publisher,
                   int64_t unix_ms);
  // A terminal acknowledged: RECEIVED counts the unit, a response moves the
  // state forward (never back), RESOLVED removes the alert. When `unit`
  // takes the alert for the first time (ACCEPTED, EN_ROUTE or ON_SCENE),
  // returns how many units have taken it now; otherwise 0.
  size_t OnAck(absl::string_view alert_id, absl::string_view unit, v1::AckLevel level,
               int64_t unix_ms);
  // The center amended it: its title or priority may have changed.
  void OnAmended(absl::string_view alert_id, const v1::AlertUpdate& amendment, int64_t unix_ms);
  // Where it is: its location when published (an amendment may move it).
  void SetLocation(absl::string_view alert_id, const v1::Location& location);
  // The center assigned a unit to it.
  void OnAssigned(absl::string_view alert_id, int64_t unix_ms);
  // The center cancelled or closed it: no longer open.
  void OnEnded(absl::string_view alert_id) { alerts_.erase(alert_id); }
  // The open alert `alert_id`, or nullptr.
  const Entry* Find(absl::string_view alert_id) const {
    auto it = alerts_.find(alert_id);
    return it == alerts_.end() ? nullptr : &it->second;
  }
  // An escalation step of the alert; `zones`: the zones it sent copies to.
  void OnEscalated(absl::string_view alert_id, int64_t unix_ms,
                   const google::protobuf::RepeatedPtrField<std::string>& zones);
  // Other zones that got a copy (its location is on their border): they
  // hear the alert's updates too.
  void AddZonesReached(absl::string_view alert_id,
                       const google::protobuf::RepeatedPtrField<std::string>& zones);
  // Drops alerts older than max_age.
  void Expire(int64_t now_unix_ms);

  // The open alerts, oldest first. deadline_of(alert_id) gives the response
  // deadline (0 if none).
  void Fill(int64_t now_unix_ms, absl::FunctionRef<int64_t(const std::string&)> deadline_of,
            v1::AlertStatusList* out) const;

  size_t size() const { return alerts_.size(); }
  const Limits& limits() const { return limits_; }

 private:
  Limits limits_;
  absl::flat_hash_map<std::string, Entry> alerts_;
  std::deque<std::string> order_;  // publish order; may hold ids already removed
};

}  // namespace zonecast
