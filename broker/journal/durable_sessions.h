#pragma once
// DurableSessions: what the broker remembers about each patrol terminal (a
// durable session, keyed by unit id) whether it is connected or not: its
// subscriptions, each with the seq from which it applies, and which durable
// messages it has settled (acknowledged RECEIVED, or dead-lettered), as a
// floor plus a sparse set above it (nats' AckFloor + pending shape).
//
//   settled(seq) == seq <= floor || settled_above_floor.contains(seq)
//
// A unit that reconnects is replayed every durable message that matches one
// of its patterns (seq > that pattern's since_seq) and is not settled.
// Rebuilt from the journal; core loop thread only.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "zonecast/journal.pb.h"

namespace zonecast {

struct DurableSession {
  std::map<std::string, uint64_t> patterns;  // pattern -> since_seq
  uint64_t floor = 0;
  std::set<uint64_t> settled;  // settled seqs above floor
  int64_t last_seen_unix_ms = 0;

  bool IsSettled(uint64_t seq) const { return seq <= floor || settled.contains(seq); }
};

class DurableSessions {
 public:
  DurableSession* Find(absl::string_view unit);
  const DurableSession* Find(absl::string_view unit) const;
  // Returns true if the pattern is new for the unit (creating the unit).
  bool AddPattern(const std::string& unit, const std::string& pattern, uint64_t since_seq,
                  int64_t now_unix_ms);
  // Returns true if it was there.
  bool RemovePattern(absl::string_view unit, const std::string& pattern);
  // Marks seq settled for the unit (no-op for unknown units).
  void Settle(absl::string_view unit, uint64_t seq);
  // Raises the floor (never lowers it) and drops settled entries below it.
  void RaiseFloor(absl::string_view unit, uint64_t floor);
  void Touch(absl::string_view unit, int64_t now_unix_ms);
  void Erase(absl::string_view unit);

  // Checkpoint image and its inverse.
  void SaveTo(v1::JournalCheckpoint* checkpoint) const;
  // The same image split over several messages of at most about
  // `max_bytes` each (the first is left for the caller to fill first).
  void SaveTo(std::vector<v1::JournalCheckpoint>* parts, size_t max_bytes) const;
  // Replaces the state, or with `merge` adds to it (a continuation record).
  void LoadFrom(const v1::JournalCheckpoint& checkpoint, bool merge = false);

  size_t size() const { return units_.size(); }
  template <typename Fn>
  void ForEach(Fn&& fn) const {
    for (const auto& [unit, state] : units_) fn(unit, state);
  }

 private:
  absl::flat_hash_map<std::string, DurableSession> units_;
};

}  // namespace zonecast
