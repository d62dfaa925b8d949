#include "journal/history.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "journal/journal_reader.h"
#include "protocol/alert_updates.h"
#include "protocol/frame_codec.h"
#include "protocol/topic.h"
#include "zonecast/journal.pb.h"

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

// What an alert's delivery and escalation records say about where it stands.
struct TimelineProgress {
  bool accepted = false;
  bool resolved = false;
  bool escalated = false;
  bool cancelled = false;
  bool closed = false;
};

const char* TimelineStateName(const TimelineProgress& progress) {
  return progress.cancelled   ? "cancelled"
         : progress.closed    ? "closed"
         : progress.resolved  ? "resolved"
         : progress.accepted  ? "accepted"
         : progress.escalated ? "escalated"
                              : "open";
}

v1::TimelineEntry* AddTimelineEntry(v1::AlertTimeline* timeline, int64_t unix_ms,
                                    v1::TimelineEntry::Kind kind) {
  v1::TimelineEntry* entry = timeline->add_entries();
  entry->set_unix_ms(unix_ms);
  entry->set_kind(kind);
  return entry;
}

v1::TimelineEntry::Kind TimelineKindOf(v1::AlertUpdate::Kind kind) {
  switch (kind) {
    case v1::AlertUpdate::CANCELLED:
      return v1::TimelineEntry::CANCELLED;
    case v1::AlertUpdate::CLOSED:
      return v1::TimelineEntry::CLOSED;
    case v1::AlertUpdate::AMENDED:
      return v1::TimelineEntry::AMENDED;
    case v1::AlertUpdate::ASSIGNED:
      return v1::TimelineEntry::ASSIGNED;
    default:
      return v1::TimelineEntry::TAKEN;
  }
}

// A publish record of alert `id`: the first original publish makes the
// alert found and the PUBLISHED entry; any other is a re-routing (ESCALATED)
// or one of its updates (TAKEN, AMENDED, ASSIGNED, CANCELLED, CLOSED).
void AddPublishToTimeline(absl::string_view payload, const std::string& id,
                          v1::TimelineReply* reply, TimelineProgress* progress) {
  journal::PublishRecord publish;
  if (!journal::DecodePublish(payload, &publish) || !IsKeyOfAlert(publish.alert_id, id)) return;
  v1::Frame stored;
  if (!stored.ParseFromArray(publish.frame.data(), static_cast<int>(publish.frame.size()))) {
    return;
  }
  v1::AlertTimeline* timeline = reply->mutable_timeline();
  const v1::Deliver& deliver = stored.deliver();
  if (deliver.event().has_alert_update()) {
    // Once, for the alert's own topic (the copies to the zones it was
    // escalated to are the same update).
    if (reply->found() && deliver.topic() != timeline->alert().topic()) return;
    const v1::AlertUpdate& update = deliver.event().alert_update();
    v1::TimelineEntry* entry =
        AddTimelineEntry(timeline, publish.unix_ms, TimelineKindOf(update.kind()));
    entry->set_seq(publish.seq);
    switch (update.kind()) {
      case v1::AlertUpdate::TAKEN:
        entry->set_unit(update.unit());
        if (update.units_needed() > 1) {
          entry->set_text(
              absl::StrCat(update.units_taken(), " of ", update.units_needed(), " units needed"));
        }
        break;
      case v1::AlertUpdate::ASSIGNED:
        entry->set_unit(update.unit());
        entry->set_text(
            absl::StrCat("by ", update.by(), update.reason().empty() ? "" : ": ", update.reason()));
        break;
      case v1::AlertUpdate::AMENDED:
        entry->set_unit(update.by());
        entry->set_text(DescribeAmendment(update));
        // The timeline shows the alert as it stands now.
        ApplyAmendment(update, timeline->mutable_alert());
        break;
      default:
        entry->set_unit(update.by());
        entry->set_text(update.reason());
        break;
    }
    progress->cancelled |= update.kind() == v1::AlertUpdate::CANCELLED;
    progress->closed |= update.kind() == v1::AlertUpdate::CLOSED;
    return;
  }
  if (publish.alert_id != id) return;
  const v1::Alert& alert = deliver.event().alert();
  std::string city;
  std::string zone;
  CityAndZone(deliver.topic(), &city, &zone);
  if (!reply->found() && !IsCopyOfAlert(alert)) {
    reply->set_found(true);
    *timeline->mutable_alert() = alert;
    timeline->set_seq(publish.seq);
    timeline->set_publisher(deliver.publisher());
    v1::TimelineEntry* entry =
        AddTimelineEntry(timeline, publish.unix_ms, v1::TimelineEntry::PUBLISHED);
    entry->set_unit(deliver.publisher());
    entry->set_seq(publish.seq);
    entry->set_zone(zone);
  } else {
    v1::TimelineEntry* entry =
        AddTimelineEntry(timeline, publish.unix_ms, v1::TimelineEntry::ESCALATED);
    entry->set_seq(publish.seq);
    entry->set_zone(zone);
    entry->set_text(absl::StrCat("re-routed to ", deliver.topic()));
  }
}

// A delivery record of alert `id` (delivered, ack or dead-lettered).
void AddDeliveryToTimeline(absl::string_view payload, const std::string& id,
                           v1::AlertTimeline* timeline, TimelineProgress* progress) {
  v1::JournalDelivery delivery;
  if (!delivery.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
      delivery.alert_id() != id) {
    return;
  }
  v1::TimelineEntry* entry = nullptr;
  switch (delivery.kind()) {
    case v1::JournalDelivery::DELIVERED:
      entry = AddTimelineEntry(timeline, delivery.unix_ms(),
                               delivery.delivery_count() > 1 ? v1::TimelineEntry::REDELIVERED
                                                             : v1::TimelineEntry::DELIVERED);
      break;
    case v1::JournalDelivery::ACK:
      entry = AddTimelineEntry(timeline, delivery.unix_ms(), v1::TimelineEntry::ACK);
      entry->set_level(delivery.level());
      progress->accepted |= delivery.level() == v1::ACCEPTED || delivery.level() == v1::EN_ROUTE ||
                            delivery.level() == v1::ON_SCENE;
      progress->resolved |= delivery.level() == v1::RESOLVED;
      break;
    case v1::JournalDelivery::DEAD_LETTERED:
      entry = AddTimelineEntry(timeline, delivery.unix_ms(), v1::TimelineEntry::DEAD_LETTERED);
      break;
    default:
      return;
  }
  entry->set_unit(delivery.unit());
  entry->set_seq(delivery.seq());
  entry->set_delivery_count(delivery.delivery_count());
  entry->set_text(delivery.text());
  entry->set_zone(delivery.zone());
}

// An escalation record of alert `id`.
void AddEscalationToTimeline(absl::string_view payload, const std::string& id,
                             v1::AlertTimeline* timeline, TimelineProgress* progress) {
  v1::JournalEscalation escalation;
  if (!escalation.ParseFromArray(payload.data(), static_cast<int>(payload.size())) ||
      escalation.alert_id() != id) {
    return;
  }
  progress->escalated = true;
  v1::TimelineEntry* entry =
      AddTimelineEntry(timeline, escalation.unix_ms(), v1::TimelineEntry::ESCALATED);
  entry->set_seq(escalation.seq());
  entry->set_zone(escalation.zone());
  entry->set_text(escalation.level() > 0
                      ? absl::StrCat(escalation.reason(), ", level ", escalation.level())
                      : escalation.reason());
}

}  // namespace

HistoryReader::HistoryReader(SegmentSource segments) : segments_(std::move(segments)) {
  event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  thread_ = std::thread([this] { Run(); });
}

HistoryReader::~HistoryReader() {
  {
    AnnotatedLock lock(&mutex_);
    stopping_ = true;
  }
  mutex_.Notify();
  if (thread_.joinable()) thread_.join();
  if (event_fd_ >= 0) ::close(event_fd_);
}

void HistoryReader::SubmitReplay(ReplayRequest request) {
  {
    AnnotatedLock lock(&mutex_);
    replays_.push_back(std::move(request));
  }
  mutex_.Notify();
}

void HistoryReader::SubmitTimeline(SessionId session, v1::TimelineRequest request,
                                   int64_t deadline_unix_ms) {
  {
    AnnotatedLock lock(&mutex_);
    timelines_.push_back(TimelineJob{session, std::move(request), deadline_unix_ms, nullptr});
  }
  mutex_.Notify();
}

void HistoryReader::SubmitTimeline(v1::TimelineRequest request, int64_t deadline_unix_ms,
                                   TimelineCallback done) {
  {
    AnnotatedLock lock(&mutex_);
    timelines_.push_back(TimelineJob{0, std::move(request), deadline_unix_ms, std::move(done)});
  }
  mutex_.Notify();
}

void HistoryReader::Submit(SessionId session, v1::HistoryRequest request) {
  {
    AnnotatedLock lock(&mutex_);
    requests_.emplace_back(session, std::move(request));
  }
  mutex_.Notify();
}

std::vector<HistoryReader::Reply> HistoryReader::TakeReplies() {
  uint64_t counter = 0;
  ssize_t ignored = ::read(event_fd_, &counter, sizeof(counter));
  (void)ignored;
  AnnotatedLock lock(&mutex_);
  std::vector<Reply> out;
  out.swap(replies_);
  return out;
}

void HistoryReader::Run() {
  while (true) {
    std::optional<std::pair<SessionId, v1::HistoryRequest>> history;
    std::optional<ReplayRequest> replay;
    std::optional<TimelineJob> timeline;
    {
      AnnotatedLock lock(&mutex_);
      auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return stopping_ || !requests_.empty() || !replays_.empty() || !timelines_.empty();
      };
      while (!has_work()) mutex_.Wait();
      if (stopping_) return;
      // Replays first: a terminal coming back may be missing an alert.
      if (!replays_.empty()) {
        replay = std::move(replays_.front());
        replays_.pop_front();
      } else if (!timelines_.empty()) {
        timeline = std::move(timelines_.front());
        timelines_.pop_front();
      } else {
        history = std::move(requests_.front());
        requests_.pop_front();
      }
    }
    if (replay) Replay(*replay);
    if (timeline) {
      v1::TimelineReply reply = BuildTimeline(timeline->request, timeline->deadline_unix_ms);
      if (timeline->done) {
        timeline->done(std::move(reply));
      } else {
        v1::Frame frame;
        *frame.mutable_timeline_reply() = std::move(reply);
        Reply out;
        out.session = timeline->session;
        out.frame = EncodeFrame(frame);
        Push(std::move(out));
      }
    }
    if (history) Serve(history->first, history->second);
  }
}

void HistoryReader::Push(Reply reply) {
  {
    AnnotatedLock lock(&mutex_);
    replies_.push_back(std::move(reply));
  }
  const uint64_t one = 1;
  ssize_t ignored = ::write(event_fd_, &one, sizeof(one));
  (void)ignored;
}

void HistoryReader::Emit(SessionId session, v1::Frame& frame, bool last) {
  Reply reply;
  reply.session = session;
  reply.last = last;
  reply.frame = EncodeFrame(frame);
  Push(std::move(reply));
  frame.mutable_history_reply()->clear_messages();
}

v1::TimelineReply HistoryReader::BuildTimeline(const v1::TimelineRequest& request,
                                               int64_t deadline_unix_ms) {
  const std::string& id = request.alert_id();
  v1::TimelineReply reply;
  reply.set_request_id(request.request_id());
  v1::AlertTimeline* timeline = reply.mutable_timeline();
  TimelineProgress progress;
  for (const journal::SegmentInfo& segment : segments_()) {
    const std::string data = ReadPrefix(segment.path, segment.bytes);
    journal::SegmentScanner scanner(data);
    journal::ScannedRecord record;
    while (scanner.Next(&record)) {
      // Cheap filter before any parsing: the id must appear in the payload.
      if (id.empty() || record.payload.find(id) == absl::string_view::npos) continue;
      if (record.type == journal::RecordType::kPublish) {
        AddPublishToTimeline(record.payload, id, &reply, &progress);
      } else if (record.type == journal::RecordType::kDelivery) {
        AddDeliveryToTimeline(record.payload, id, timeline, &progress);
      } else if (record.type == journal::RecordType::kEscalation) {
        AddEscalationToTimeline(record.payload, id, timeline, &progress);
      }
    }
  }
  timeline->set_state(TimelineStateName(progress));
  timeline->set_deadline_unix_ms(deadline_unix_ms);
  return reply;
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
  ScanPublishes(start, [&](const journal::PublishRecord& publish) {
    if (publish.seq > request.upto_seq) return false;
    if (std::binary_search(request.settled.begin(), request.settled.end(), publish.seq)) {
      return true;
    }
    bool wanted = false;
    for (const auto& [pattern, since] : request.patterns) {
      if (publish.seq > since && PatternMatches(pattern, publish.topic)) {
        wanted = true;
        break;
      }
    }
    if (!wanted) return true;
    v1::Frame stored;
    if (!stored.ParseFromArray(publish.frame.data(), static_cast<int>(publish.frame.size())) ||
        !stored.has_deliver()) {
      return true;
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
    return true;
  });
  chunk.replay_done = true;
  chunk.upto_seq = request.upto_seq;
  chunk.first_unsettled = first_unsettled;
  Push(std::move(chunk));
}

void HistoryReader::ScanPublishes(uint64_t from_seq,
                                  const std::function<bool(const journal::PublishRecord&)>& fn) {
  index_.Scan(segments_(), from_seq, fn);
}

void ScanJournalPublishes(const std::vector<journal::SegmentInfo>& segments, uint64_t from_seq,
                          const std::function<bool(const journal::PublishRecord&)>& fn) {
  for (size_t i = 0; i < segments.size(); ++i) {
    if (journal::SegmentEndsBefore(segments, i, from_seq)) continue;
    const std::string data = ReadPrefix(segments[i].path, segments[i].bytes);
    journal::SegmentScanner scanner(data);
    journal::ScannedRecord record;
    while (scanner.Next(&record)) {
      if (record.type != journal::RecordType::kPublish) continue;
      journal::PublishRecord publish;
      if (!journal::DecodePublish(record.payload, &publish) || publish.seq < from_seq) continue;
      if (!fn(publish)) return;
    }
  }
}

void HistoryReader::Serve(SessionId session, const v1::HistoryRequest& request) {
  const uint32_t limit =
      request.limit() == 0 ? kDefaultLimit : std::min<uint32_t>(request.limit(), kMaxLimit);
  v1::Frame frame;
  v1::HistoryReply* reply = frame.mutable_history_reply();
  reply->set_request_id(request.request_id());
  size_t chunk_bytes = 0;
  uint32_t count = 0;
  ScanPublishes(request.since_seq(), [&](const journal::PublishRecord& publish) {
    if (publish.unix_ms < request.since_unix_ms()) return true;
    if (!PatternMatches(request.pattern(), publish.topic)) return true;
    if (count == limit) {
      reply->set_next_seq(publish.seq);
      return false;
    }
    v1::Frame stored;
    if (!stored.ParseFromArray(publish.frame.data(), static_cast<int>(publish.frame.size())) ||
        !stored.has_deliver()) {
      return true;
    }
    *reply->add_messages() = std::move(*stored.mutable_deliver());
    ++count;
    chunk_bytes += publish.frame.size();
    if (chunk_bytes >= kChunkBytes) {
      Emit(session, frame, /*last=*/false);
      chunk_bytes = 0;
    }
    return true;
  });
  reply->set_done(true);
  Emit(session, frame, /*last=*/true);
}

}  // namespace zonecast
