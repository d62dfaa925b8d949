#pragma once
// Session: one connected peer after its Hello (a center console, a patrol
// terminal or a probe): who it is, what it subscribed to, when it was last
// heard from, and its outbound queue.
//
// Owned by the SessionTable; core loop thread only.
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "common/clock.h"
#include "common/token_bucket.h"
#include "routing/session_queue.h"
#include "routing/topic_trie.h"
#include "zmq.hpp"
#include "zonecast/wire.pb.h"

namespace zonecast {

class Session {
 public:
  Session(SessionId id, std::string routing_id, const v1::Hello& hello, QueueLimits limits,
          MonoNanos now);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  SessionId id() const { return id_; }
  // ZeroMQ ROUTER routing id of the connection currently carrying the session.
  const std::string& routing_id() const { return routing_id_; }
  v1::Role role() const { return role_; }
  const std::string& unit_id() const { return unit_id_; }
  const std::string& patrol_group() const { return patrol_group_; }
  const std::string& zone() const { return zone_; }
  // Whether `hello`, from another connection of the same unit, was sent
  // by this session's client before the Hello that opened this session.
  bool IsOlderThanMine(const v1::Hello& hello) const {
    return hello_instance_ != 0 && hello.instance() == hello_instance_ &&
           hello.attempt() < hello_attempt_;
  }
  // Whether `hello`, on this session's own connection, is its client's
  // retry of the Hello that opened it (sent before that Welcome arrived).
  bool IsRetryOfMine(const v1::Hello& hello) const {
    return hello_instance_ != 0 && hello.instance() == hello_instance_ &&
           hello.attempt() > hello_attempt_;
  }
  void set_hello_attempt(uint64_t attempt) { hello_attempt_ = attempt; }
  // Whether its client reads Deliveries frames (Hello.reads_deliveries).
  bool reads_deliveries() const { return reads_deliveries_; }

  // What the session may subscribe to and read from history: patterns from
  // its identity's grants (see PatternCovers). Unrestricted when the broker
  // has no keys file: then every client is who it says it is.
  void RestrictSubscriptions(std::vector<std::string> grants) {
    restricted_ = true;
    grants_ = std::move(grants);
  }
  bool restricted() const { return restricted_; }
  bool MaySubscribe(absl::string_view pattern) const;

  absl::flat_hash_set<std::string>& patterns() { return patterns_; }
  const absl::flat_hash_set<std::string>& patterns() const { return patterns_; }
  SessionQueue& queue() { return queue_; }
  const SessionQueue& queue() const { return queue_; }

  // Its publishes' rate limit.
  TokenBucket& publish_limit() { return publish_limit_; }
  void set_publish_limit(TokenBucket limit) { publish_limit_ = limit; }

  MonoNanos last_heard() const { return last_heard_; }
  // Any frame after the Hello is the peer's confirmation that it got the
  // Welcome and uses this session. A session never confirmed was most
  // often abandoned by its terminal for a new connection before the
  // Welcome arrived (a reconnect storm); its silence is not a live
  // terminal's missed heartbeats.
  void Heard(MonoNanos t) {
    last_heard_ = t;
    confirmed_ = true;
  }
  bool confirmed() const { return confirmed_; }
  // When a frame last went to its socket: a peer that got one lately needs
  // no heartbeat to know the broker lives (see CoreLoop::OnTick).
  MonoNanos last_sent = 0;

  int64_t online_since_unix_ms = 0;

  // Set while the session sits in the loop's list of sessions to flush.
  bool dirty = false;
  // Set when its ZeroMQ pipe refused a message (full); retried every turn.
  bool blocked = false;
  // Set when it is to be ended at the end of the turn (its unread replies
  // went over the limits); nothing more is queued for it meanwhile.
  bool cut = false;
  // History and timeline requests sent to the reader and not answered yet.
  size_t history_in_flight = 0;

  // A durable message held back while the session's replay from the journal
  // runs, so that it goes out after the older replayed ones (per-topic
  // order).
  struct Held {
    uint64_t seq = 0;
    std::string topic;
    std::string alert_id;
    v1::Priority priority = v1::P4;
    zmq::message_t frame;
  };
  // True between a durable terminal's Hello and the end of its replay.
  bool replaying = false;
  std::vector<Held> held;

 private:
  SessionId id_;
  std::string routing_id_;
  v1::Role role_;
  std::string unit_id_;
  std::string patrol_group_;
  std::string zone_;
  uint64_t hello_instance_;  // Hello's `instance` and `attempt` (0: not given)
  uint64_t hello_attempt_;
  bool reads_deliveries_;
  bool restricted_ = false;
  std::vector<std::string> grants_;
  absl::flat_hash_set<std::string> patterns_;
  SessionQueue queue_;
  TokenBucket publish_limit_;
  MonoNanos last_heard_;
  bool confirmed_ = false;
};

}  // namespace zonecast
