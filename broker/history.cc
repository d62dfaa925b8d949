#include "history.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "common/log.h"
#include "frame_codec.h"
#include "journal_reader.h"
#include "topic.h"

namespace zonecast {
namespace {

// Reads the first `bytes` bytes of `path` (the durable part). Empty if the
// file vanished (retention) or cannot be read.
std::string ReadPrefix(const std::string& path, uint64_t bytes) {
  std::string data;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return data;
  data.resize(bytes);
  size_t done = 0;
  while (done < bytes) {
    const ssize_t n = ::pread(fd, data.data() + done, bytes - done, static_cast<off_t>(done));
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  data.resize(done);
  return data;
}

}  // namespace

HistoryReader::HistoryReader(SegmentSource segments) : segments_(std::move(segments)) {
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] { Run(); });
}

HistoryReader::~HistoryReader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  if (event_fd_ >= 0) ::close(event_fd_);
}

void HistoryReader::SubmitReplay(ReplayRequest request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    replays_.push_back(std::move(request));
  }
  wake_.notify_one();
}

void HistoryReader::Submit(SessionId session, v1::HistoryRequest request) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requests_.emplace_back(session, std::move(request));
  }
  wake_.notify_one();
}

std::vector<HistoryReader::Reply> HistoryReader::TakeReplies() {
  uint64_t counter = 0;
  ssize_t ignored = ::read(event_fd_, &counter, sizeof(counter));
  (void)ignored;
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Reply> out;
  out.swap(replies_);
  return out;
}

void HistoryReader::Run() {
  while (true) {
    std::optional<std::pair<SessionId, v1::HistoryRequest>> history;
    std::optional<ReplayRequest> replay;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !requests_.empty() || !replays_.empty(); });
      if (stopping_) return;
      // Replays first: a terminal coming back may be missing an alert.
      if (!replays_.empty()) {
        replay = std::move(replays_.front());
        replays_.pop_front();
      } else {
        history = std::move(requests_.front());
        requests_.pop_front();
      }
    }
    if (replay) Replay(*replay);
    if (history) Serve(history->first, history->second);
  }
}

void HistoryReader::Push(Reply reply) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    replies_.push_back(std::move(reply));
  }
  const uint64_t one = 1;
  ssize_t ignored = ::write(event_fd_, &one, sizeof(one));
  (void)ignored;
}

void HistoryReader::Emit(SessionId session, v1::Frame& frame) {
  Reply reply;
  reply.session = session;
  reply.frame = EncodeFrame(frame);
  Push(std::move(reply));
  frame.mutable_history_reply()->clear_messages();
}

void HistoryReader::Replay(const ReplayRequest& request) {
  uint64_t lowest_since = UINT64_MAX;
  for (const auto& [pattern, since] : request.patterns)
    lowest_since = std::min(lowest_since, since);
  const uint64_t start = std::max(request.floor, lowest_since) + 1;
  Reply chunk;
  chunk.session = request.session;
  chunk.replay = true;
  uint64_t first_unsettled = 0;
  size_t chunk_bytes = 0;
  const std::vector<journal::SegmentInfo> segments = segments_();
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i + 1 < segments.size() && segments[i + 1].first_seq != 0 &&
        segments[i + 1].first_seq <= start) {
      continue;
    }
    if (segments[i].first_seq > request.upto_seq) break;
    const std::string data = ReadPrefix(segments[i].path, segments[i].bytes);
    journal::SegmentScanner scanner(data);
    journal::ScannedRecord record;
    while (scanner.Next(&record)) {
      if (record.type != journal::RecordType::kPublish) continue;
      journal::PublishRecord publish;
      if (!journal::DecodePublish(record.payload, &publish)) continue;
      if (publish.seq < start || publish.seq > request.upto_seq) continue;
      if (std::binary_search(request.settled.begin(), request.settled.end(), publish.seq)) continue;
      bool wanted = false;
      for (const auto& [pattern, since] : request.patterns) {
        if (publish.seq > since && PatternMatches(pattern, publish.topic)) {
          wanted = true;
          break;
        }
      }
      if (!wanted) continue;
      v1::Frame stored;
      if (!stored.ParseFromArray(publish.frame.data(), static_cast<int>(publish.frame.size())) ||
          !stored.has_deliver()) {
        continue;
      }
      v1::Deliver* deliver = stored.mutable_deliver();
      deliver->set_redelivered(true);
      deliver->set_delivery_count(deliver->delivery_count() + 1);
      ReplayItem item;
      item.seq = publish.seq;
      item.topic = std::string(publish.topic);
      item.alert_id = std::string(publish.alert_id);
      item.priority = deliver->priority();
      item.delivery_count = deliver->delivery_count();
      item.frame = EncodeFrame(stored);
      chunk_bytes += item.frame.size();
      if (first_unsettled == 0) first_unsettled = publish.seq;
      chunk.items.push_back(std::move(item));
      if (chunk_bytes >= kChunkBytes * 4) {
        Reply next;
        next.session = request.session;
        next.replay = true;
        std::swap(next, chunk);
        Push(std::move(next));
        chunk_bytes = 0;
      }
    }
  }
  chunk.replay_done = true;
  chunk.upto_seq = request.upto_seq;
  chunk.first_unsettled = first_unsettled;
  Push(std::move(chunk));
}

void HistoryReader::Serve(SessionId session, const v1::HistoryRequest& request) {
  const uint32_t limit =
      request.limit() == 0 ? kDefaultLimit : std::min<uint32_t>(request.limit(), kMaxLimit);
  v1::Frame frame;
  v1::HistoryReply* reply = frame.mutable_history_reply();
  reply->set_request_id(request.request_id());
  size_t chunk_bytes = 0;
  uint32_t count = 0;
  const std::vector<journal::SegmentInfo> segments = segments_();
  for (size_t i = 0; i < segments.size() && count <= limit; ++i) {
    // Skip a segment when the next one starts at or below the wanted seq.
    if (i + 1 < segments.size() && segments[i + 1].first_seq != 0 &&
        segments[i + 1].first_seq <= request.since_seq()) {
      continue;
    }
    const std::string data = ReadPrefix(segments[i].path, segments[i].bytes);
    journal::SegmentScanner scanner(data);
    journal::ScannedRecord record;
    while (scanner.Next(&record)) {
      if (record.type != journal::RecordType::kPublish) continue;
      journal::PublishRecord publish;
      if (!journal::DecodePublish(record.payload, &publish)) continue;
      if (publish.seq < request.since_seq() || publish.unix_ms < request.since_unix_ms()) continue;
      if (!PatternMatches(request.pattern(), publish.topic)) continue;
      if (count == limit) {
        reply->set_next_seq(publish.seq);
        ++count;  // marks "more"
        break;
      }
      v1::Frame stored;
      if (!stored.ParseFromArray(publish.frame.data(), static_cast<int>(publish.frame.size())) ||
          !stored.has_deliver()) {
        continue;
      }
      *reply->add_messages() = std::move(*stored.mutable_deliver());
      ++count;
      chunk_bytes += publish.frame.size();
      if (chunk_bytes >= kChunkBytes) {
        Emit(session, frame);
        chunk_bytes = 0;
      }
    }
  }
  reply->set_done(true);
  Emit(session, frame);
}

}  // namespace zonecast
