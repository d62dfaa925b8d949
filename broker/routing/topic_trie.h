#pragma once
// TopicTrie: subscription patterns -> subscriber session ids, matched against
// literal topics (after nats-server's sublist). Each level maps a literal
// token to a child node and keeps two special children, `*` and `>`. Removal
// prunes nodes that became empty, so node_count() returns to zero when the
// last subscription goes.
//
// Owned by the core loop; single-threaded, no locks.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "protocol/session_id.h"

namespace zonecast {

class TopicTrie {
 public:
  TopicTrie();
  ~TopicTrie();
  TopicTrie(const TopicTrie&) = delete;
  TopicTrie& operator=(const TopicTrie&) = delete;

  // Adds (pattern, id). Returns false if that pair was already present.
  // REQUIRES: ValidatePattern(pattern).ok().
  bool Insert(absl::string_view pattern, SessionId id);

  // Removes (pattern, id). Returns false if it was not present.
  bool Remove(absl::string_view pattern, SessionId id);

  // Appends the ids of every subscription matching literal `topic` to *out.
  // An id subscribed through several matching patterns appears once per
  // pattern; callers that need a set sort and dedupe.
  // REQUIRES: ValidateTopic(topic).ok().
  void Match(absl::string_view topic, std::vector<SessionId>* out) const;

  size_t subscription_count() const { return subscription_count_; }
  size_t node_count() const { return node_count_; }

  struct Node;  // defined in topic_trie.cc; public only for its helpers there

 private:
  std::unique_ptr<Node> root_;  // never null
  size_t subscription_count_ = 0;
  size_t node_count_ = 0;
};

}  // namespace zonecast
