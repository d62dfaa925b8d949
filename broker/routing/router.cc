#include "routing/router.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "protocol/topic.h"
#include "shared/wire_status.h"

namespace zonecast {

Router::Router(SessionTable& sessions, BrokerCounters& counters, size_t cache_entries,
               size_t max_subscriptions_per_session)
    : sessions_(sessions),
      counters_(counters),
      cache_(cache_entries),
      max_subscriptions_per_session_(max_subscriptions_per_session) {}

absl::Status Router::Subscribe(Session& session, const std::vector<std::string>& patterns) {
  size_t new_count = 0;
  for (const std::string& pattern : patterns) {
    if (absl::Status status = ValidatePattern(pattern); !status.ok()) {
      return ProtocolError(v1::INVALID_TOPIC, status.message());
    }
    if (!session.patterns().contains(pattern)) ++new_count;
  }
  if (session.patterns().size() + new_count > max_subscriptions_per_session_) {
    return ProtocolError(v1::TOO_MANY_SUBSCRIPTIONS,
                         absl::StrCat("a session may hold at most ", max_subscriptions_per_session_,
                                      " subscriptions"));
  }
  for (const std::string& pattern : patterns) {
    if (session.patterns().insert(pattern).second) {
      trie_.Insert(pattern, session.id());
      ++counters_.subscriptions_added;
    }
  }
  if (new_count > 0) cache_.Invalidate();
  return absl::OkStatus();
}

absl::Status Router::Unsubscribe(Session& session, const std::vector<std::string>& patterns) {
  for (const std::string& pattern : patterns) {
    if (absl::Status status = ValidatePattern(pattern); !status.ok()) {
      return ProtocolError(v1::INVALID_TOPIC, status.message());
    }
  }
  bool changed = false;
  for (const std::string& pattern : patterns) {
    if (session.patterns().erase(pattern) > 0) {
      trie_.Remove(pattern, session.id());
      ++counters_.subscriptions_removed;
      changed = true;
    }
  }
  if (changed) cache_.Invalidate();
  return absl::OkStatus();
}

void Router::RemoveAll(Session& session) {
  if (session.patterns().empty()) return;
  for (const std::string& pattern : session.patterns()) {
    trie_.Remove(pattern, session.id());
    ++counters_.subscriptions_removed;
  }
  session.patterns().clear();
  cache_.Invalidate();
}

MatchResult Router::Match(absl::string_view topic) {
  if (const MatchResult* cached = cache_.Find(topic)) return *cached;
  scratch_.clear();
  trie_.Match(topic, &scratch_);
  std::sort(scratch_.begin(), scratch_.end());
  scratch_.erase(std::unique(scratch_.begin(), scratch_.end()), scratch_.end());
  auto result = std::make_shared<const std::vector<SessionId>>(scratch_);
  cache_.Insert(topic, result);
  return result;
}

bool Router::Enqueue(Session& session, OutboundMessage&& message) {
  SessionQueue::Transition transition = SessionQueue::Transition::kNone;
  const uint64_t dropped_before = session.queue().counters().dropped_best_effort;
  const SessionQueue::PushResult result = session.queue().Push(std::move(message), &transition);
  // One push may evict several older best-effort messages.
  counters_.dropped_best_effort += session.queue().counters().dropped_best_effort - dropped_before;
  bool queued = true;
  switch (result) {
    case SessionQueue::PushResult::kQueued:
    case SessionQueue::PushResult::kQueuedEvictedBestEffort:
      break;
    case SessionQueue::PushResult::kDroppedBestEffort:
      queued = false;
      break;
    case SessionQueue::PushResult::kRetainedOverLimit:
      ++counters_.retained_over_limit;
      break;
    case SessionQueue::PushResult::kDroppedBehind:
      ++counters_.dropped_behind;
      queued = false;
      break;
    case SessionQueue::PushResult::kReplyOverLimit:
      queued = false;  // the caller drops the reply or cuts the session
      break;
  }
  if (transition == SessionQueue::Transition::kBecameSlow) {
    ++counters_.slow_consumer_detected;
    ZC_LOG(WARNING) << "slow consumer detected: unit " << session.unit_id() << " queue "
                    << session.queue().messages() << " messages, " << session.queue().bytes()
                    << " bytes";
  } else if (transition == SessionQueue::Transition::kRecovered) {
    ++counters_.slow_consumer_recovered;
    ZC_LOG(INFO) << "slow consumer recovered: unit " << session.unit_id();
  }
  if (queued && !session.dirty) {
    session.dirty = true;
    dirty_.push_back(session.id());
  }
  return queued;
}

std::vector<SessionId> Router::TakeDirty() {
  std::vector<SessionId> out;
  out.swap(dirty_);
  return out;
}

}  // namespace zonecast
