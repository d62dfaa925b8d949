#pragma once
// EventStream: one viewer's server-sent events (text/event-stream) from the
// broker's EventFeed, for the wall. First a `hello` naming the feed's newest
// event, then each event as
//
//   id: <number>
//   event: <type>
//   data: <one line of JSON>
//
// A `missed` event when the viewer fell behind the feed's ring (it should
// reload what it shows), and a comment line after 15 s of nothing, so that
// the browser and any proxy see the connection alive.
#include <cstdint>
#include <string>

#include "common/clock.h"
#include "http/http_server.h"
#include "monitoring/event_feed.h"

namespace zonecast {

class EventStream : public HttpStream {
 public:
  static constexpr size_t kEventsPerRead = 256;
  static constexpr absl::Duration kKeepAlive = absl::Seconds(15);

  // Follows `feed` from after event number `after` (its newest when
  // `from_newest`). Counts itself among the feed's viewers while it lives.
  EventStream(EventFeed& feed, const Clock& clock, uint64_t after, bool from_newest);
  ~EventStream() override;
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  std::string Read() override;

 private:
  EventFeed& feed_;
  const Clock& clock_;
  uint64_t cursor_;
  bool said_hello_ = false;
  MonoNanos last_sent_;
};

}  // namespace zonecast
