#include "delivery/durable_delivery.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/log.h"
#include "protocol/frame_codec.h"
#include "protocol/topic.h"

namespace zonecast {

DurableDelivery::DurableDelivery(Parts parts, RedeliveryPolicy policy,
                                 absl::Duration session_expiry)
    : parts_(std::move(parts)), tracker_(std::move(policy)), session_expiry_(session_expiry) {}

void DurableDelivery::Resume(Session& session) {
  const DurableSession* unit = parts_.journal->durable_sessions().Find(session.unit_id());
  if (unit == nullptr || unit->patterns.empty()) return;
  std::vector<std::string> patterns;
  std::vector<std::string> revoked;
  HistoryReader::ReplayRequest request;
  request.session = session.id();
  for (const auto& [pattern, since] : unit->patterns) {
    // The keys file may have narrowed the unit's grants since.
    if (!session.MaySubscribe(pattern)) {
      revoked.push_back(pattern);
      continue;
    }
    patterns.push_back(pattern);
    request.patterns.emplace_back(pattern, since);
  }
  // Back in the trie at once, so nothing published from now on is missed;
  // the client's own re-Subscribe of the same patterns is then a no-op.
  if (absl::Status status = parts_.router->Subscribe(session, patterns); !status.ok()) {
    ZC_LOG(WARNING) << "unit " << session.unit_id()
                    << ": cannot restore subscriptions: " << status.message();
  }
  if (!revoked.empty()) {
    ZC_LOG(WARNING) << "unit " << session.unit_id() << " may no longer subscribe to "
                    << absl::StrJoin(revoked, ", ") << ": dropped";
    RecordSubscriptions(session, revoked, /*removed=*/true);
  }
  if (patterns.empty()) return;
  request.floor = unit->floor;
  request.settled.assign(unit->settled.begin(), unit->settled.end());
  request.upto_seq = parts_.journal->last_durable_seq();
  if (request.upto_seq <= request.floor) return;  // nothing can be owed
  session.replaying = true;
  ++parts_.counters->replays_started;
  parts_.replay(std::move(request));
}

void DurableDelivery::RecordSubscriptions(const Session& session,
                                          const std::vector<std::string>& patterns, bool removed) {
  if (session.role() != v1::TERMINAL) return;
  for (const std::string& pattern : patterns) {
    parts_.journal->AddSubscription(session.unit_id(), pattern, removed);
  }
}

void DurableDelivery::Send(Session& session, uint64_t seq, const std::string& topic,
                           const std::string& alert_id, v1::Priority priority,
                           const zmq::message_t& frame) {
  if (!session.replaying) {
    SendTracked(session, seq, topic, alert_id, priority, frame, 1);
    return;
  }
  Session::Held held;
  held.seq = seq;
  held.topic = topic;
  held.alert_id = alert_id;
  held.priority = priority;
  held.frame.copy(const_cast<zmq::message_t&>(frame));
  session.held.push_back(std::move(held));
}

void DurableDelivery::SendTracked(Session& session, uint64_t seq, const std::string& topic,
                                  const std::string& alert_id, v1::Priority priority,
                                  const zmq::message_t& frame, uint32_t delivery_count,
                                  bool replayed) {
  OutboundMessage message;
  message.frame.copy(const_cast<zmq::message_t&>(frame));
  message.priority = priority;
  message.seq = seq;
  message.ack_tracked = true;
  if (!parts_.router->Enqueue(session, std::move(message))) return;
  tracker_.OnDelivered(session.id(), seq, topic, alert_id, priority, frame, delivery_count,
                       parts_.clock->NowMono(), replayed);
  JournalDelivered(session, seq, topic, alert_id, delivery_count);
}

void DurableDelivery::OnReplay(HistoryReader::Reply& reply) {
  Session* session = parts_.sessions->Find(reply.session);
  if (session == nullptr) return;  // it left (or was taken over) meanwhile
  for (HistoryReader::ReplayItem& item : reply.items) {
    ++parts_.counters->replayed;
    SendTracked(*session, item.seq, item.topic, item.alert_id, item.priority, item.frame,
                item.delivery_count, /*replayed=*/true);
  }
  if (!reply.replay_done) return;
  // Live messages held during the replay go out now, after the older ones.
  for (Session::Held& held : session->held) {
    if (held.seq <= reply.upto_seq) continue;  // the replay covered it
    SendTracked(*session, held.seq, held.topic, held.alert_id, held.priority, held.frame, 1);
  }
  session->held.clear();
  session->replaying = false;
  // Everything up to the replay's end is settled except what it just sent.
  const uint64_t floor = reply.first_unsettled == 0 ? reply.upto_seq : reply.first_unsettled - 1;
  parts_.journal->durable_sessions().RaiseFloor(session->unit_id(), floor);
}

void DurableDelivery::OnReceived(Session& session, uint64_t seq) {
  const std::optional<AckTracker::Settled> settled = tracker_.OnReceived(session.id(), seq);
  // Only the RECEIVED that settles a pending delivery is a sample: a repeat
  // (the terminal resent it) would count one message twice.
  if (settled.has_value()) {
    parts_.latency->OnReceived(seq, settled->sent_at, parts_.clock->NowMono(),
                               absl::ToUnixMillis(parts_.clock->NowWall()), settled->replayed);
  }
}

void DurableDelivery::OnClosed(const Session& session) {
  tracker_.DropSession(session.id());
  if (session.role() == v1::TERMINAL) {
    parts_.journal->durable_sessions().Touch(session.unit_id(),
                                             absl::ToUnixMillis(parts_.clock->NowWall()));
  }
}

void DurableDelivery::ExpireDeliveries(size_t budget) {
  const uint64_t postponed = tracker_.postponed();
  tracker_.Expire(
      parts_.clock->NowMono(),
      [&](AckTracker::Action action, PendingDelivery& d) {
        if (action == AckTracker::Action::kDeadLetter) {
          DeadLetter(d);
        } else {
          Redeliver(d);
        }
      },
      budget);
  parts_.counters->redeliveries_postponed += tracker_.postponed() - postponed;
}

void DurableDelivery::Redeliver(PendingDelivery& d) {
  Session* session = parts_.sessions->Find(d.session);
  if (session == nullptr) return;
  v1::Frame frame;
  if (!frame.ParseFromArray(d.frame.data(), static_cast<int>(d.frame.size()))) return;
  frame.mutable_deliver()->set_delivery_count(d.delivery_count);
  frame.mutable_deliver()->set_redelivered(true);
  OutboundMessage message;
  message.frame = EncodeFrame(frame);
  message.priority = d.priority;
  message.seq = d.seq;
  message.ack_tracked = true;
  ++parts_.counters->redelivered;
  parts_.router->Enqueue(*session, std::move(message));
  JournalDelivered(*session, d.seq, d.topic, d.alert_id, d.delivery_count);
}

void DurableDelivery::DeadLetter(PendingDelivery& delivery) {
  ++parts_.counters->dead_lettered;
  Session* session = parts_.sessions->Find(delivery.session);
  const std::string unit = session != nullptr ? session->unit_id() : "";
  ZC_LOG(WARNING) << "dead letter: seq " << delivery.seq << " on " << delivery.topic << " to unit "
                  << unit << " after " << delivery.delivery_count << " deliveries without RECEIVED";
  v1::JournalDelivery record;
  record.set_unit(unit);
  record.set_seq(delivery.seq);
  record.set_kind(v1::JournalDelivery::DEAD_LETTERED);
  record.set_alert_id(delivery.alert_id);
  record.set_unix_ms(absl::ToUnixMillis(parts_.clock->NowWall()));
  record.set_delivery_count(delivery.delivery_count);
  if (!unit.empty()) parts_.journal->AddDelivery(record);
  std::string city;
  std::string zone;
  if (!CityAndZone(delivery.topic, &city, &zone)) return;
  v1::Event event;
  v1::DeadLetter* dead = event.mutable_dead_letter();
  dead->set_seq(delivery.seq);
  dead->set_topic(delivery.topic);
  dead->set_unit(unit);
  dead->set_alert_id(delivery.alert_id);
  dead->set_deliveries(delivery.delivery_count);
  dead->set_reason(absl::StrCat("no RECEIVED after ", delivery.delivery_count, " deliveries"));
  dead->set_unix_ms(record.unix_ms());
  parts_.publish(absl::StrCat("dlq.", city, ".", zone), v1::P2, std::move(event));
}

void DurableDelivery::ExpireAndCompact() {
  const int64_t now_ms = absl::ToUnixMillis(parts_.clock->NowWall());
  const int64_t expiry_ms = absl::ToInt64Milliseconds(session_expiry_);
  std::vector<std::string> expired;
  parts_.journal->durable_sessions().ForEach(
      [&](const std::string& unit, const DurableSession& state) {
        if (parts_.sessions->FindByUnit(unit) != nullptr) return;  // online
        if (now_ms - state.last_seen_unix_ms > expiry_ms) expired.push_back(unit);
      });
  for (const std::string& unit : expired) {
    ++parts_.counters->sessions_expired;
    ZC_LOG(INFO) << "durable session of unit " << unit << " expired (unused for "
                 << absl::FormatDuration(session_expiry_) << ")";
    parts_.journal->ExpireDurableSession(unit);
    parts_.received->Forget(unit);
  }
  const uint64_t durable = parts_.journal->last_durable_seq();
  parts_.sessions->ForEach([&](Session& session) {
    if (session.role() != v1::TERMINAL || session.replaying || session.queue().behind()) return;
    // Everything up to `durable` was routed to it while connected (or
    // replayed); what is not settled is still pending in the tracker.
    const uint64_t lowest = tracker_.LowestPending(session.id());
    parts_.journal->durable_sessions().RaiseFloor(session.unit_id(),
                                                  lowest == 0 ? durable : lowest - 1);
  });
}

void DurableDelivery::CatchUpBehind() {
  parts_.sessions->ForEach([&](Session& session) {
    if (!session.queue().behind() || session.replaying || !session.queue().empty()) return;
    session.queue().clear_behind();
    ++parts_.counters->catch_up_replays;
    ZC_LOG(INFO) << "unit " << session.unit_id()
                 << " fell behind (queue over its hard limit): replaying from the journal";
    Resume(session);
  });
}

void DurableDelivery::JournalDelivered(const Session& session, uint64_t seq,
                                       const std::string& topic, const std::string& alert_id,
                                       uint32_t delivery_count) {
  // Only alerts have timelines; other durable traffic is not worth a record
  // per recipient.
  if (alert_id.empty()) return;
  v1::JournalDelivery record;
  record.set_unit(session.unit_id());
  record.set_seq(seq);
  record.set_kind(v1::JournalDelivery::DELIVERED);
  record.set_alert_id(alert_id);
  record.set_unix_ms(absl::ToUnixMillis(parts_.clock->NowWall()));
  record.set_delivery_count(delivery_count);
  std::string city;
  std::string zone;
  if (CityAndZone(topic, &city, &zone)) record.set_zone(zone);
  parts_.journal->AddDelivery(record);
}

}  // namespace zonecast
