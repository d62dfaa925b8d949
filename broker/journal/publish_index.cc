#include "journal/publish_index.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "journal/journal_reader.h"

namespace zonecast {

PublishIndex::~PublishIndex() {
  for (auto& [path, segment] : segments_) Unmap(&segment);
}

void PublishIndex::Unmap(Segment* segment) {
  if (segment->map != nullptr) munmap(segment->map, segment->mapped);
  segment->map = nullptr;
  segment->mapped = 0;
}

bool PublishIndex::Refresh(const journal::SegmentInfo& info, Segment* segment) {
  if (info.bytes == segment->mapped) return true;
  if (info.bytes < segment->mapped) {  // not this journal's way: start over
    Unmap(segment);
    *segment = Segment();
  }
  const int fd = ::open(info.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  void* map = mmap(nullptr, info.bytes, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return false;
  Unmap(segment);
  segment->map = map;
  segment->mapped = info.bytes;
  if (segment->stopped) return true;
  const absl::string_view data(static_cast<const char*>(map), info.bytes);
  journal::SegmentScanner scanner(data);
  if (segment->checked > 0) scanner.SkipTo(segment->checked);
  journal::ScannedRecord record;
  while (scanner.Next(&record)) {
    if (record.type != journal::RecordType::kPublish) continue;
    journal::PublishRecord publish;
    if (!journal::DecodePublish(record.payload, &publish)) continue;
    if (!segment->publishes.empty() && publish.seq < segment->publishes.back().seq) {
      segment->unordered = true;
    }
    segment->publishes.push_back(Publish{publish.seq,
                                         static_cast<uint64_t>(record.payload.data() - data.data()),
                                         static_cast<uint32_t>(record.payload.size())});
  }
  segment->checked = scanner.good_bytes();
  // A torn tail of the durable prefix cannot be; damage stops the segment
  // where it is, as a fresh scan would.
  segment->stopped = scanner.end() != journal::SegmentScanner::End::kClean;
  return true;
}

void PublishIndex::Scan(const std::vector<journal::SegmentInfo>& segments, uint64_t from_seq,
                        const std::function<bool(const journal::PublishRecord&)>& fn) {
  if (segments_.size() > segments.size()) {
    absl::flat_hash_set<absl::string_view> listed;
    for (const journal::SegmentInfo& info : segments) listed.insert(info.path);
    for (auto it = segments_.begin(); it != segments_.end();) {
      if (listed.contains(it->first)) {
        ++it;
        continue;
      }
      Unmap(&it->second);
      segments_.erase(it++);
    }
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    if (journal::SegmentEndsBefore(segments, i, from_seq)) continue;
    Segment& segment = segments_[segments[i].path];
    if (!Refresh(segments[i], &segment)) continue;
    const auto first =
        segment.unordered
            ? segment.publishes.begin()
            : std::lower_bound(segment.publishes.begin(), segment.publishes.end(), from_seq,
                               [](const Publish& p, uint64_t seq) { return p.seq < seq; });
    const char* base = static_cast<const char*>(segment.map);
    for (auto it = first; it != segment.publishes.end(); ++it) {
      journal::PublishRecord publish;
      if (it->seq < from_seq ||
          !journal::DecodePublish(absl::string_view(base + it->offset, it->length), &publish)) {
        continue;
      }
      if (!fn(publish)) return;
    }
  }
}

}  // namespace zonecast
