#include "monitoring/event_feed.h"

#include <algorithm>
#include <utility>

namespace zonecast {

EventFeed::EventFeed(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

void EventFeed::Append(std::string type, std::string json) {
  AnnotatedLock lock(&mutex_);
  Event event{++newest_, std::move(type), std::move(json)};
  if (ring_.size() < capacity_) {
    ring_.push_back(std::move(event));
  } else {
    ring_[(event.number - 1) % capacity_] = std::move(event);
  }
}

EventFeed::Page EventFeed::After(uint64_t after, size_t max) const {
  Page page;
  AnnotatedLock lock(&mutex_);
  page.last = std::min(after, newest_);
  page.missed = after > newest_;
  if (newest_ <= after) return page;
  const uint64_t oldest = newest_ - ring_.size() + 1;
  uint64_t from = after + 1;
  if (from < oldest) {
    page.missed = true;
    from = oldest;
  }
  for (uint64_t n = from; n <= newest_ && page.events.size() < max; ++n) {
    page.events.push_back(ring_[(n - 1) % capacity_]);
  }
  if (!page.events.empty()) page.last = page.events.back().number;
  return page;
}

uint64_t EventFeed::newest() const {
  AnnotatedLock lock(&mutex_);
  return newest_;
}

}  // namespace zonecast
