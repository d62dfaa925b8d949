#include "journal/durable_sessions.h"

namespace zonecast {

DurableSession* DurableSessions::Find(absl::string_view unit) {
  auto it = units_.find(unit);
  return it == units_.end() ? nullptr : &it->second;
}

const DurableSession* DurableSessions::Find(absl::string_view unit) const {
  auto it = units_.find(unit);
  return it == units_.end() ? nullptr : &it->second;
}

bool DurableSessions::AddPattern(const std::string& unit, const std::string& pattern,
                                 uint64_t since_seq, int64_t now_unix_ms) {
  DurableSession& state = units_[unit];
  state.last_seen_unix_ms = std::max(state.last_seen_unix_ms, now_unix_ms);
  return state.patterns.emplace(pattern, since_seq).second;
}

bool DurableSessions::RemovePattern(absl::string_view unit, const std::string& pattern) {
  DurableSession* state = Find(unit);
  return state != nullptr && state->patterns.erase(pattern) > 0;
}

void DurableSessions::Settle(absl::string_view unit, uint64_t seq) {
  DurableSession* state = Find(unit);
  if (state == nullptr || seq <= state->floor) return;
  state->settled.insert(seq);
}

void DurableSessions::RaiseFloor(absl::string_view unit, uint64_t floor) {
  DurableSession* state = Find(unit);
  if (state == nullptr || floor <= state->floor) return;
  state->floor = floor;
  state->settled.erase(state->settled.begin(), state->settled.upper_bound(floor));
}

void DurableSessions::Touch(absl::string_view unit, int64_t now_unix_ms) {
  if (DurableSession* state = Find(unit)) {
    state->last_seen_unix_ms = std::max(state->last_seen_unix_ms, now_unix_ms);
  }
}

void DurableSessions::Erase(absl::string_view unit) { units_.erase(unit); }

void DurableSessions::SaveTo(v1::JournalCheckpoint* checkpoint) const {
  std::vector<v1::JournalCheckpoint> parts(1);
  parts[0].Swap(checkpoint);
  SaveTo(&parts, SIZE_MAX);
  parts[0].Swap(checkpoint);
}

// A repeated field's tag and length prefix, at most.
constexpr size_t kEntryFramingBytes = 6;

void DurableSessions::SaveTo(std::vector<v1::JournalCheckpoint>* parts, size_t max_bytes) const {
  if (parts->empty()) parts->emplace_back();
  // The part's size is kept as entries are added: asking the part itself
  // walks all of it, and doing that per unit made a checkpoint of 10,000
  // units take seconds of the loop's time.
  size_t part_bytes = parts->back().ByteSizeLong();
  for (const auto& [unit, state] : units_) {
    if (part_bytes > max_bytes) {
      parts->emplace_back();
      parts->back().set_continuation(true);
      part_bytes = 0;
    }
    v1::JournalUnitSubscriptions* entry = parts->back().add_subscriptions();
    entry->set_unit(unit);
    for (const auto& [pattern, since] : state.patterns) {
      entry->add_patterns(pattern);
      entry->add_since_seqs(since);
    }
    entry->set_floor(state.floor);
    for (uint64_t seq : state.settled) entry->add_settled(seq);
    entry->set_last_seen_unix_ms(state.last_seen_unix_ms);
    part_bytes += entry->ByteSizeLong() + kEntryFramingBytes;
  }
}

void DurableSessions::LoadFrom(const v1::JournalCheckpoint& checkpoint, bool merge) {
  if (!merge) units_.clear();
  for (const v1::JournalUnitSubscriptions& entry : checkpoint.subscriptions()) {
    DurableSession& state = units_[entry.unit()];
    for (int i = 0; i < entry.patterns_size(); ++i) {
      state.patterns[entry.patterns(i)] = i < entry.since_seqs_size() ? entry.since_seqs(i) : 0;
    }
    state.floor = entry.floor();
    state.settled.insert(entry.settled().begin(), entry.settled().end());
    state.last_seen_unix_ms = entry.last_seen_unix_ms();
  }
}

}  // namespace zonecast
