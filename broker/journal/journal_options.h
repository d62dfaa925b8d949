#pragma once
// JournalOptions: where the journal lives, how it syncs, what it keeps.
#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace zonecast {

// The journal (the embedded default store) and its promises.
struct JournalOptions {
  std::string data_dir = "./var/zonecast";  // segments go to <data_dir>/journal
  uint64_t segment_bytes = 64ull << 20;
  // true: fdatasync every batch before its PubAcks (--fsync=batch, the only
  // mode that keeps the durability promise); false: --fsync=never.
  bool fsync = true;
  uint64_t retention_bytes = 1ull << 30;
  absl::Duration retention_age = absl::Hours(168);
  bool strict_recovery = false;  // refuse to start on a damaged segment
  absl::Duration dedup_window = absl::Minutes(10);
  // Stop reading new frames while this much is submitted and not yet durable.
  uint64_t max_inflight_bytes = 64ull << 20;
};

}  // namespace zonecast
