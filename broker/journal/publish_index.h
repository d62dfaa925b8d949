#pragma once
// PublishIndex: where each durable publish record of the journal lies, kept
// between scans by the history thread. A replay (one per terminal that
// comes back) and a history page scan from a seq; reading and checking
// every segment whole for each of them made a storm of thousands of
// reconnects cost minutes of CPU. Here each segment's durable prefix is
// mapped read-only once, its records are checked once, and a scan starts
// at the first publish it needs; the newest segment, still growing, is
// checked only past what was checked before.
//
// The journal only appends below a segment's durable size and deletes
// whole files, so a mapping never loses bytes under it. History thread only.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "journal/journal_format.h"
#include "journal/journal_writer.h"

namespace zonecast {

class PublishIndex {
 public:
  PublishIndex() = default;
  ~PublishIndex();
  PublishIndex(const PublishIndex&) = delete;
  PublishIndex& operator=(const PublishIndex&) = delete;

  // Calls fn for every durable publish record in `segments` with seq >=
  // from_seq, oldest first, until fn returns false. Segments no longer
  // listed are forgotten (unmapped).
  void Scan(const std::vector<journal::SegmentInfo>& segments, uint64_t from_seq,
            const std::function<bool(const journal::PublishRecord&)>& fn);

  // Segments mapped now, for tests.
  size_t mapped_segments() const { return segments_.size(); }

 private:
  struct Publish {
    uint64_t seq;
    uint64_t offset;  // of the payload, in the segment
    uint32_t length;
  };
  struct Segment {
    void* map = nullptr;
    uint64_t mapped = 0;             // bytes mapped: the durable prefix when last looked at
    uint64_t checked = 0;            // end of the good records checked so far
    bool stopped = false;            // damage: nothing past `checked` is used
    bool unordered = false;          // seqs not rising in file order: no binary search
    std::vector<Publish> publishes;  // in file order
  };

  // Maps and checks what `info` adds to what is known of its segment.
  // False if the file cannot be read.
  bool Refresh(const journal::SegmentInfo& info, Segment* segment);
  static void Unmap(Segment* segment);

  absl::flat_hash_map<std::string, Segment> segments_;  // by path
};

}  // namespace zonecast
