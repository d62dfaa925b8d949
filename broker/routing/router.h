#pragma once
// Router: subscriptions and fan-out. Publish -> match (cache, then trie) ->
// enqueue one shared copy of the encoded frame on every matching session's
// queue. Sessions that received something are collected in a dirty list; the
// core loop flushes each of them once per batch (nats' "pending client data"),
// so one socket pass serves many publishes.
//
// Core loop thread only.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "monitoring/broker_counters.h"
#include "routing/match_cache.h"
#include "routing/session_table.h"
#include "routing/topic_trie.h"
#include "zmq.hpp"

namespace zonecast {

class Router {
 public:
  Router(SessionTable& sessions, BrokerCounters& counters, size_t cache_entries,
         size_t max_subscriptions_per_session);
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Adds patterns to the session. INVALID_TOPIC for an invalid pattern (none
  // of the batch is applied), TOO_MANY_SUBSCRIPTIONS over the per-session cap.
  absl::Status Subscribe(Session& session, const std::vector<std::string>& patterns);
  // Removes patterns; unknown ones are ignored. INVALID_TOPIC as above.
  absl::Status Unsubscribe(Session& session, const std::vector<std::string>& patterns);
  // Removes all of a session's subscriptions (before it is destroyed).
  void RemoveAll(Session& session);

  // Sessions subscribed to literal `topic`, sorted and unique.
  MatchResult Match(absl::string_view topic);

  // Queues one message for one session (control frames, Deliver).
  // Returns false if the queue's policy dropped it.
  bool Enqueue(Session& session, OutboundMessage&& message);

  // Sessions with queued output since the last call; each once.
  std::vector<SessionId> TakeDirty();

  const TopicTrie& trie() const { return trie_; }
  const MatchCache& cache() const { return cache_; }

 private:
  SessionTable& sessions_;
  BrokerCounters& counters_;
  TopicTrie trie_;
  MatchCache cache_;
  size_t max_subscriptions_per_session_;
  std::vector<SessionId> dirty_;
  std::vector<SessionId> scratch_;
};

}  // namespace zonecast
