#include "journal/journal_writer.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/check.h"
#include "common/log.h"

namespace zonecast::journal {
namespace {

absl::Status Errno(absl::string_view what, int error) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(error)));
}

// Writes all of iov, resuming after short writes. Sets errno on failure.
bool WriteAll(int fd, std::vector<iovec>& iov) {
  size_t first = 0;
  while (first < iov.size()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size() - first, IOV_MAX));
    ssize_t n = ::writev(fd, iov.data() + first, count);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) {
      errno = EIO;
      return false;
    }
    auto done = static_cast<size_t>(n);
    while (first < iov.size() && done >= iov[first].iov_len) {
      done -= iov[first].iov_len;
      ++first;
    }
    if (first < iov.size() && done > 0) {
      iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + done;
      iov[first].iov_len -= done;
    }
  }
  return true;
}

}  // namespace

Writer::Writer(WriterOptions options, const Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

absl::StatusOr<std::unique_ptr<Writer>> Writer::Start(WriterOptions options, WriterStart start,
                                                      const Clock& clock) {
  std::unique_ptr<Writer> writer(new Writer(std::move(options), clock));
  writer->event_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (writer->event_fd_ < 0) return Errno("eventfd", errno);
  writer->dir_fd_ =
      ::open(writer->options_.journal_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (writer->dir_fd_ < 0) return Errno(absl::StrCat("open ", writer->options_.journal_dir), errno);
  if (absl::Status status = writer->high_water_.Open(writer->options_.journal_dir); !status.ok()) {
    // Without it a cut tail goes unnoticed, but nothing stored is at risk.
    ZC_LOG(ERROR) << "journal: " << status.message();
  }
  const bool reopen = start.reopen_newest && !start.segments.empty();
  const SegmentInfo newest = reopen ? start.segments.back() : SegmentInfo();
  writer->next_index_ = start.next_index;
  for (const SegmentInfo& segment : start.segments) {
    writer->next_index_ = std::max(writer->next_index_, segment.index + 1);
  }
  {
    // No other thread yet; the lock keeps the analysis (and any reader) honest.
    AnnotatedLock lock(&writer->mutex_);
    writer->segments_ = std::move(start.segments);
  }
  absl::Status status;
  if (reopen) {
    status = writer->ReopenSegment(newest);
  } else {
    const std::string first = start.checkpoint.empty() ? std::string() : start.checkpoint[0];
    const std::vector<std::string> more(
        start.checkpoint.empty() ? start.checkpoint.end() : start.checkpoint.begin() + 1,
        start.checkpoint.end());
    status = writer->OpenSegment(start.next_index, start.first_seq, first, more);
  }
  if (status.ok()) status = writer->WriteManifestOfSealed();
  if (!status.ok()) writer->MarkFailed(status);
  writer->thread_ = std::thread([w = writer.get()] { w->Run(); });
  return writer;
}

Writer::~Writer() {
  Stop();
  if (event_fd_ >= 0) ::close(event_fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
}

void Writer::Submit(std::unique_ptr<Batch> batch) {
  {
    AnnotatedLock lock(&mutex_);
    queue_.push_back(std::move(batch));
  }
  mutex_.Notify();
}

std::vector<std::unique_ptr<Batch>> Writer::TakeCompleted() {
  uint64_t counter = 0;
  // Reset the eventfd before taking, so a completion racing with us wakes
  // the loop again rather than being lost.
  ssize_t ignored = ::read(event_fd_, &counter, sizeof(counter));
  (void)ignored;
  AnnotatedLock lock(&mutex_);
  std::vector<std::unique_ptr<Batch>> out;
  out.swap(completed_);
  return out;
}

std::vector<SegmentInfo> Writer::Segments() const {
  AnnotatedLock lock(&mutex_);
  return segments_;
}

WriterStats Writer::Stats() const {
  AnnotatedLock lock(&mutex_);
  WriterStats stats = stats_;
  stats.segment_count = segments_.size();
  stats.total_bytes = 0;
  for (const SegmentInfo& s : segments_) stats.total_bytes += s.bytes;
  return stats;
}

void Writer::Stop() {
  {
    AnnotatedLock lock(&mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  mutex_.Notify();
  if (thread_.joinable()) thread_.join();
  SealActive();
}

void Writer::Run() {
  while (true) {
    std::vector<std::unique_ptr<Batch>> group;
    {
      AnnotatedLock lock(&mutex_);
      // A second's wait at most: retention runs even when nothing is written.
      if (!stopping_ && queue_.empty()) mutex_.WaitFor(absl::Seconds(1));
      while (!queue_.empty()) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (group.empty() && stopping_) return;
    }
    if (!group.empty()) WriteGroup(group);
    if (clock_.NowWall() - last_retention_ > absl::Minutes(1)) ApplyRetention();
  }
}

void Writer::WriteGroup(std::vector<std::unique_ptr<Batch>>& group) {
  // Split the group at batches that start a new segment; each run is one
  // write and one fdatasync.
  size_t begin = 0;
  while (begin < group.size()) {
    size_t end = begin + 1;
    while (end < group.size() && !group[end]->roll_before) ++end;
    absl::Status status;
    Batch& first = *group[begin];
    if (first.roll_before) {
      SealActive();
      // The sealed segment's size goes to the manifest before anything
      // follows it, so a later cut of it is noticed.
      status = WriteManifestOfSealed();
      if (status.ok()) {
        status = OpenSegment(NextIndex(), first.roll_first_seq, first.roll_checkpoint,
                             first.roll_checkpoint_more);
      }
      if (!status.ok()) MarkFailed(status);
      if (status.ok()) ApplyRetention();
    } else if (must_roll_) {
      // The active segment is unusable; only the loop can provide a fresh
      // checkpoint for the next one (an old one would lose what came after
      // it), so fail until a batch asks for the roll.
      AnnotatedLock lock(&mutex_);
      status =
          absl::UnavailableError(absl::StrCat("journal needs a new segment: ", stats_.last_error));
    }
    if (status.ok()) status = Append(group, begin, end);
    const MonoNanos now = clock_.NowMono();
    for (size_t i = begin; i < end; ++i) {
      group[i]->status = status;
      group[i]->durable_at = now;
    }
    begin = end;
  }
  {
    AnnotatedLock lock(&mutex_);
    for (auto& batch : group) {
      ++stats_.batches;
      if (batch->status.ok()) {
        stats_.records += batch->record_count;
        stats_.bytes += batch->records.size();
      }
      completed_.push_back(std::move(batch));
    }
  }
  const uint64_t one = 1;
  ssize_t ignored = ::write(event_fd_, &one, sizeof(one));
  (void)ignored;
}

absl::Status Writer::Append(const std::vector<std::unique_ptr<Batch>>& group, size_t begin,
                            size_t end) {
  if (active_fd_ < 0) return absl::UnavailableError("no active journal segment");
  std::vector<iovec> iov;
  size_t bytes = 0;
  for (size_t i = begin; i < end; ++i) {
    std::string& records = group[i]->records;
    if (records.empty()) continue;
    iov.push_back(iovec{records.data(), records.size()});
    bytes += records.size();
  }
  if (bytes == 0) {
    bool healthy = false;
    {
      AnnotatedLock lock(&mutex_);
      healthy = stats_.healthy;
    }
    return healthy ? absl::OkStatus() : Probe();
  }
  uint64_t max_seq = 0;
  for (size_t i = begin; i < end; ++i) max_seq = std::max(max_seq, group[i]->max_seq);
  absl::Status status;
  if (!WriteAll(active_fd_, iov)) {
    status = Errno("journal write", errno);
  } else if (options_.fsync && ::fdatasync(active_fd_) != 0) {
    status = Errno("journal fdatasync", errno);
  }
  if (!status.ok()) {
    MarkFailed(status);
    // Cut away whatever part of the group reached the file: none of it is
    // acknowledged, and a later good write must not follow garbage.
    if (::ftruncate(active_fd_, static_cast<off_t>(active_size_)) != 0 ||
        ::lseek(active_fd_, static_cast<off_t>(active_size_), SEEK_SET) < 0) {
      ZC_LOG(ERROR) << "journal: cannot cut segment back to " << active_size_
                    << " bytes: " << std::strerror(errno) << "; next write starts a new segment";
      must_roll_ = true;
    }
    return status;
  }
  AnnotatedLock lock(&mutex_);
  if (options_.fsync) ++stats_.fsyncs;
  MarkWritable("");
  active_size_ += bytes;
  if (!segments_.empty()) {
    segments_.back().bytes = active_size_;
    segments_.back().last_write = clock_.NowWall();
    segments_.back().last_seq = std::max(segments_.back().last_seq, max_seq);
  }
  if (max_seq > 0) {
    // After the fdatasync above, so the mark never runs ahead of the disk.
    if (absl::Status marked = high_water_.Store(max_seq); !marked.ok() && !high_water_failed_) {
      ZC_LOG(ERROR) << "journal: " << marked.message();
      high_water_failed_ = true;
    }
  }
  return absl::OkStatus();
}

absl::Status Writer::OpenSegment(uint64_t index, uint64_t first_seq, const std::string& checkpoint,
                                 const std::vector<std::string>& more_checkpoints) {
  const std::string path = absl::StrCat(options_.journal_dir, "/", SegmentFileName(index));
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) {
    const int error = errno;
    must_roll_ = true;
    // Someone else's file: the next roll tries the next index.
    if (error == EEXIST) next_index_ = index + 1;
    return Errno(absl::StrCat("create journal segment ", path), error);
  }
  std::string head = EncodeSegmentHeader(SegmentHeader{index, first_seq});
  AppendRecord(&head, RecordType::kCheckpoint, checkpoint);
  for (const std::string& more : more_checkpoints)
    AppendRecord(&head, RecordType::kCheckpoint, more);
  std::vector<iovec> iov = {iovec{head.data(), head.size()}};
  const bool ok = WriteAll(fd, iov) && ::fdatasync(fd) == 0 && ::fsync(dir_fd_) == 0;
  if (!ok) {
    const int error = errno;
    ::close(fd);
    ::unlink(path.c_str());
    must_roll_ = true;
    return Errno(absl::StrCat("start journal segment ", path), error);
  }
  active_fd_ = fd;
  active_index_ = index;
  active_size_ = head.size();
  next_index_ = index + 1;
  must_roll_ = false;
  AnnotatedLock lock(&mutex_);
  ++stats_.segments_created;
  segments_.push_back(SegmentInfo{index, path, first_seq, active_size_, clock_.NowWall(),
                                  first_seq > 0 ? first_seq - 1 : 0});
  MarkWritable(absl::StrCat(": started ", path));
  return absl::OkStatus();
}

absl::Status Writer::ReopenSegment(const SegmentInfo& segment) {
  const int fd = ::open(segment.path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    must_roll_ = true;
    return Errno(absl::StrCat("reopen journal segment ", segment.path), errno);
  }
  // Recovery cut the file to its good bytes; append right after them.
  if (::lseek(fd, static_cast<off_t>(segment.bytes), SEEK_SET) < 0) {
    const int error = errno;
    ::close(fd);
    must_roll_ = true;
    return Errno(absl::StrCat("seek in journal segment ", segment.path), error);
  }
  active_fd_ = fd;
  active_index_ = segment.index;
  active_size_ = segment.bytes;
  must_roll_ = false;
  return absl::OkStatus();
}

absl::Status Writer::WriteManifestOfSealed() {
  v1::JournalManifest manifest;
  {
    AnnotatedLock lock(&mutex_);
    for (const SegmentInfo& segment : segments_) {
      if (active_fd_ >= 0 && segment.index == active_index_) continue;
      v1::JournalManifest::Sealed* sealed = manifest.add_sealed();
      sealed->set_index(segment.index);
      sealed->set_bytes(segment.bytes);
      sealed->set_last_seq(segment.last_seq);
    }
  }
  return WriteManifest(options_.journal_dir, manifest);
}

void Writer::MarkWritable(absl::string_view detail) {
  if (!stats_.healthy) ZC_LOG(INFO) << "journal writable again" << detail;
  stats_.healthy = true;
}

void Writer::MarkFailed(const absl::Status& status) {
  AnnotatedLock lock(&mutex_);
  ++stats_.failures;
  stats_.last_error = std::string(status.message());
  if (stats_.healthy) ZC_LOG(ERROR) << "journal unavailable: " << status.message();
  stats_.healthy = false;
}

absl::Status Writer::Probe() {
  if (active_fd_ < 0) return absl::UnavailableError("no active journal segment");
  absl::Status status = WriteManifestOfSealed();
  if (!status.ok()) {
    MarkFailed(status);
    return status;
  }
  AnnotatedLock lock(&mutex_);
  MarkWritable("");
  return absl::OkStatus();
}

void Writer::SealActive() {
  if (active_fd_ < 0) return;
  if (options_.fsync && ::fdatasync(active_fd_) != 0) {
    ZC_LOG(ERROR) << "journal: fdatasync at seal failed: " << std::strerror(errno);
  }
  ::close(active_fd_);
  active_fd_ = -1;
}

void Writer::ApplyRetention() {
  last_retention_ = clock_.NowWall();
  std::vector<std::string> doomed;
  {
    AnnotatedLock lock(&mutex_);
    uint64_t total = 0;
    for (const SegmentInfo& s : segments_) total += s.bytes;
    const absl::Time cutoff = clock_.NowWall() - options_.retention_age;
    // Never the active segment (the last one).
    while (segments_.size() > 1) {
      const SegmentInfo& oldest = segments_.front();
      if (total <= options_.retention_bytes && oldest.last_write >= cutoff) break;
      total -= oldest.bytes;
      doomed.push_back(oldest.path);
      segments_.erase(segments_.begin());
      ++stats_.segments_deleted;
    }
  }
  for (const std::string& path : doomed) {
    if (::unlink(path.c_str()) != 0) {
      ZC_LOG(WARNING) << "journal retention: cannot delete " << path << ": "
                      << std::strerror(errno);
    } else {
      ZC_LOG(INFO) << "journal retention: deleted " << path;
    }
  }
}

}  // namespace zonecast::journal
