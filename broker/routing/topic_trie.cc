#include "routing/topic_trie.h"

#include <algorithm>

#include "protocol/topic.h"

namespace zonecast {

struct TopicTrie::Node {
  absl::flat_hash_map<std::string, std::unique_ptr<Node>> literal;
  std::unique_ptr<Node> star;          // `*` child
  std::unique_ptr<Node> tail;          // `>` child (always a leaf)
  std::vector<SessionId> subscribers;  // subscriptions ending exactly here

  bool Empty() const { return literal.empty() && !star && !tail && subscribers.empty(); }
};

namespace {

using Node = TopicTrie::Node;

// Child slot for `token`, or nullptr if absent and !create.
std::unique_ptr<Node>* Slot(Node* node, absl::string_view token, bool create) {
  if (token == "*") return &node->star;
  if (token == ">") return &node->tail;
  auto it = node->literal.find(token);
  if (it == node->literal.end()) {
    if (!create) return nullptr;
    it = node->literal.emplace(std::string(token), nullptr).first;
  }
  return &it->second;
}

void CollectMatches(const Node* node, const TopicTokens& tokens, size_t index,
                    std::vector<SessionId>* out) {
  // `>` here matches tokens[index..] when at least one token remains.
  if (node->tail && index < tokens.size()) {
    out->insert(out->end(), node->tail->subscribers.begin(), node->tail->subscribers.end());
  }
  if (index == tokens.size()) {
    out->insert(out->end(), node->subscribers.begin(), node->subscribers.end());
    return;
  }
  if (node->star) CollectMatches(node->star.get(), tokens, index + 1, out);
  auto it = node->literal.find(tokens[index]);
  if (it != node->literal.end()) CollectMatches(it->second.get(), tokens, index + 1, out);
}

}  // namespace

TopicTrie::TopicTrie() : root_(std::make_unique<Node>()) {}
TopicTrie::~TopicTrie() = default;

bool TopicTrie::Insert(absl::string_view pattern, SessionId id) {
  Node* node = root_.get();
  for (absl::string_view token : SplitTopic(pattern)) {
    std::unique_ptr<Node>* slot = Slot(node, token, /*create=*/true);
    if (!*slot) {
      *slot = std::make_unique<Node>();
      ++node_count_;
    }
    node = slot->get();
  }
  if (std::find(node->subscribers.begin(), node->subscribers.end(), id) !=
      node->subscribers.end()) {
    return false;
  }
  node->subscribers.push_back(id);
  ++subscription_count_;
  return true;
}

bool TopicTrie::Remove(absl::string_view pattern, SessionId id) {
  TopicTokens tokens = SplitTopic(pattern);
  // Remember the path so empty nodes can be pruned bottom-up.
  absl::InlinedVector<std::pair<Node*, absl::string_view>, 8> path;
  Node* node = root_.get();
  for (absl::string_view token : tokens) {
    std::unique_ptr<Node>* slot = Slot(node, token, /*create=*/false);
    if (slot == nullptr || !*slot) return false;
    path.emplace_back(node, token);
    node = slot->get();
  }
  auto it = std::find(node->subscribers.begin(), node->subscribers.end(), id);
  if (it == node->subscribers.end()) return false;
  *it = node->subscribers.back();
  node->subscribers.pop_back();
  --subscription_count_;
  for (auto step = path.rbegin(); step != path.rend(); ++step) {
    std::unique_ptr<Node>* slot = Slot(step->first, step->second, /*create=*/false);
    if (!(*slot)->Empty()) break;
    if (step->second == "*" || step->second == ">") {
      slot->reset();
    } else {
      step->first->literal.erase(step->second);
    }
    --node_count_;
  }
  return true;
}

void TopicTrie::Match(absl::string_view topic, std::vector<SessionId>* out) const {
  TopicTokens tokens = SplitTopic(topic);
  CollectMatches(root_.get(), tokens, 0, out);
}

}  // namespace zonecast
