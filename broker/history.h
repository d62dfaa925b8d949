#pragma once
// HistoryReader: serves HistoryRequests from the journal's segment files on
// its own thread, so that reading stored messages never stalls live
// routing. It reads only what the writer has made durable, and hands back
// ready-to-send encoded HistoryReply frames through a queue and an eventfd
// that the core loop polls; the loop only forwards them.
//
// Thread-safety: Submit, TakeReplies and the destructor may be called from
// any thread (in practice the core loop); the scan runs on the reader thread.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "journal_writer.h"
#include "topic_trie.h"
#include "zmq.hpp"
#include "zonecast/wire.pb.h"

namespace zonecast {

class HistoryReader {
 public:
  struct Reply {
    SessionId session = 0;
    zmq::message_t frame;  // encoded Frame{history_reply}
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
  std::vector<Reply> TakeReplies();
  int reply_fd() const { return event_fd_; }

 private:
  void Run();
  void Serve(SessionId session, const v1::HistoryRequest& request);
  void Emit(SessionId session, v1::Frame& frame);

  SegmentSource segments_;
  int event_fd_ = -1;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<SessionId, v1::HistoryRequest>> requests_;  // guarded by mutex_
  std::vector<Reply> replies_;                                     // guarded by mutex_
  bool stopping_ = false;                                          // guarded by mutex_
};

}  // namespace zonecast
