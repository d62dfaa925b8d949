#pragma once
// HistoryReader: reads stored messages from the journal's segment files on
// its own thread, so that reading never stalls live routing. It serves two
// kinds of request:
//  - history: HistoryRequests from clients, answered with ready-to-send
//    encoded HistoryReply frames;
//  - replay: a durable session that reconnected gets every stored message
//    matching its patterns that it has not settled, re-encoded as
//    redelivered, in seq order.
// It reads only what the writer has made durable, and hands results back
// through a queue and an eventfd that the core loop polls.
//
// Thread-safety: Submit, TakeReplies and the destructor may be called from
// any thread (in practice the core loop); the scan runs on the reader thread.
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "journal/journal_writer.h"
#include "journal/publish_index.h"
#include "protocol/session_id.h"
#include "shared/annotated_mutex.h"
#include "zmq.hpp"
#include "zonecast/wire.pb.h"

namespace zonecast {

// Calls fn for every durable publish record with seq >= from_seq in
// `segments`, oldest first, skipping whole segments that end before it;
// stops when fn returns false. Reads the files on the calling thread.
void ScanJournalPublishes(const std::vector<journal::SegmentInfo>& segments, uint64_t from_seq,
                          const std::function<bool(const journal::PublishRecord&)>& fn);

class HistoryReader {
 public:
  // What a replay needs to know about the durable session.
  struct ReplayRequest {
    SessionId session = 0;
    std::vector<std::pair<std::string, uint64_t>> patterns;  // pattern, since_seq
    uint64_t floor = 0;
    std::vector<uint64_t> settled;  // sorted, above floor
    uint64_t upto_seq = 0;          // last durable seq when the session came back
  };
  struct ReplayItem {
    uint64_t seq = 0;
    std::string topic;
    std::string alert_id;
    v1::Priority priority = v1::P4;
    uint32_t delivery_count = 0;
    zmq::message_t frame;  // encoded Frame{deliver}, redelivered
  };
  struct Reply {
    SessionId session = 0;
    zmq::message_t frame;  // history: encoded Frame{history_reply}
    bool last = true;      // the request's last reply (a history page's done)
    bool replay = false;
    std::vector<ReplayItem> items;  // replay: the next messages
    bool replay_done = false;
    uint64_t upto_seq = 0;
    uint64_t first_unsettled = 0;  // replay_done: lowest seq replayed, 0 if none
  };
  // Returns the segments to read (thread-safe source: the journal writer).
  using SegmentSource = std::function<std::vector<journal::SegmentInfo>()>;

  static constexpr uint32_t kDefaultLimit = 100;
  static constexpr uint32_t kMaxLimit = 10000;
  static constexpr size_t kChunkBytes = 48 << 10;  // keeps replies under the frame limit

  explicit HistoryReader(SegmentSource segments);
  ~HistoryReader();
  HistoryReader(const HistoryReader&) = delete;
  HistoryReader& operator=(const HistoryReader&) = delete;

  // REQUIRES: request.pattern() is a valid pattern.
  void Submit(SessionId session, v1::HistoryRequest request);
  void SubmitReplay(ReplayRequest request);
  // The timeline of one alert, rebuilt from the journal (publish, delivery,
  // ack and escalation records). `deadline_unix_ms` is the response deadline
  // if the alert still waits for one (the loop knows), else 0.
  void SubmitTimeline(SessionId session, v1::TimelineRequest request, int64_t deadline_unix_ms);
  // The same for a caller off the loop (the HTTP endpoint): `done` gets the
  // reply on the reader thread.
  using TimelineCallback = std::function<void(v1::TimelineReply)>;
  void SubmitTimeline(v1::TimelineRequest request, int64_t deadline_unix_ms, TimelineCallback done);
  std::vector<Reply> TakeReplies();
  int reply_fd() const { return event_fd_; }

 private:
  void Run();
  void Serve(SessionId session, const v1::HistoryRequest& request);
  void Replay(const ReplayRequest& request);
  v1::TimelineReply BuildTimeline(const v1::TimelineRequest& request, int64_t deadline_unix_ms);
  void Push(Reply reply);
  // Calls fn for every durable publish record with seq >= from_seq, oldest
  // first, skipping whole segments that end before it; stops when fn
  // returns false.
  void ScanPublishes(uint64_t from_seq,
                     const std::function<bool(const journal::PublishRecord&)>& fn);
  void Emit(SessionId session, v1::Frame& frame, bool last);

  SegmentSource segments_;
  PublishIndex index_;  // the history thread's; kept between scans
  int event_fd_ = -1;
  std::thread thread_;
  AnnotatedMutex mutex_;
  std::deque<std::pair<SessionId, v1::HistoryRequest>> requests_ ABSL_GUARDED_BY(mutex_);
  std::deque<ReplayRequest> replays_ ABSL_GUARDED_BY(mutex_);
  struct TimelineJob {
    SessionId session;
    v1::TimelineRequest request;
    int64_t deadline_unix_ms;
    TimelineCallback done;  // set: call it; unset: reply to the session
  };
  std::deque<TimelineJob> timelines_ ABSL_GUARDED_BY(mutex_);
  std::vector<Reply> replies_ ABSL_GUARDED_BY(mutex_);
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
};

}  // namespace zonecast
