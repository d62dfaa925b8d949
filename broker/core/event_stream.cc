#include "core/event_stream.h"

#include "absl/strings/str_cat.h"

namespace zonecast {

EventStream::EventStream(EventFeed& feed, const Clock& clock, uint64_t after, bool from_newest)
    : feed_(feed),
      clock_(clock),
      cursor_(from_newest ? feed.newest() : after),
      last_sent_(clock.NowMono()) {
  feed_.AddViewer();
}

EventStream::~EventStream() { feed_.RemoveViewer(); }

std::string EventStream::Read() {
  std::string out;
  if (!said_hello_) {
    said_hello_ = true;
    // retry: how long a browser's EventSource waits before it reconnects.
    absl::StrAppend(&out, "retry: 2000\n\nevent: hello\ndata: {\"newest\":", cursor_, "}\n\n");
  }
  const EventFeed::Page page = feed_.After(cursor_, kEventsPerRead);
  if (page.missed) absl::StrAppend(&out, "event: missed\ndata: {}\n\n");
  for (const EventFeed::Event& event : page.events) {
    absl::StrAppend(&out, "id: ", event.number, "\nevent: ", event.type, "\ndata: ", event.json,
                    "\n\n");
  }
  cursor_ = page.last;
  const MonoNanos now = clock_.NowMono();
  if (out.empty() && now - last_sent_ > absl::ToInt64Nanoseconds(kKeepAlive)) {
    out = ": keep-alive\n\n";
  }
  if (!out.empty()) last_sent_ = now;
  return out;
}

}  // namespace zonecast
