#include "journal/journal.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "journal/journal_format.h"
#include "zonecast/journal.pb.h"

namespace zonecast {

Journal::Journal(JournalOptions options, const Clock& clock)
    : options_(std::move(options)),
      clock_(clock),
      journal_dir_(options_.data_dir + "/journal"),
      dedup_(options_.dedup_window) {}

Journal::~Journal() {
  if (writer_ != nullptr) writer_->Stop();
}

absl::Status Journal::Open(const journal::RecoveryVisitor* extra) {
  const int64_t now_ms = absl::ToUnixMillis(clock_.NowWall());
  const int64_t dedup_cutoff = now_ms - absl::ToInt64Milliseconds(options_.dedup_window);
  absl::StatusOr<journal::RecoveryReport> report = journal::RecoverJournal(
      journal_dir_,
      options_.strict_recovery ? journal::RecoveryMode::kStrict : journal::RecoveryMode::kRepair,
      RecoveryVisitorFor(extra, dedup_cutoff));
  if (!report.ok()) return Fail(report.status());
  dedup_.Expire(now_ms);
  // A lost alert id must not answer "duplicate" for a record that is gone:
  // a retry is stored again.
  for (const auto& [first, last] : report->lost_seqs) dedup_.EraseSeqs(first, last);
  last_seq_ = report->last_seq;
  last_durable_seq_ = last_seq_;
  LogRecovered(*report);
  if (absl::Status status = StartWriter(*report); !status.ok()) return Fail(status);
  status_.state = State::kReady;
  status_.report = std::move(report).value();
  return absl::OkStatus();
}

journal::RecoveryVisitor Journal::RecoveryVisitorFor(const journal::RecoveryVisitor* extra,
                                                     int64_t dedup_cutoff) {
  journal::RecoveryVisitor visitor;
  visitor.on_publish = [this, extra, dedup_cutoff](const journal::PublishRecord& record) {
    if (!record.alert_id.empty() && record.unix_ms >= dedup_cutoff) {
      dedup_.Insert(record.alert_id, record.seq, record.unix_ms, record.fingerprint);
    }
    if (extra != nullptr && extra->on_publish) extra->on_publish(record);
  };
  visitor.on_subscription = [this](const v1::JournalSubscription& s) {
    ApplyRecoveredSubscription(s);
  };
  visitor.on_checkpoint = [this, dedup_cutoff](const v1::JournalCheckpoint& checkpoint) {
    LoadRecoveredCheckpoint(checkpoint, dedup_cutoff);
  };
  visitor.on_other = [this, extra](journal::RecordType type, absl::string_view payload) {
    if (extra != nullptr && extra->on_other) extra->on_other(type, payload);
    ApplyRecoveredSessionRecord(type, payload);
  };
  return visitor;
}

void Journal::ApplyRecoveredSubscription(const v1::JournalSubscription& s) {
  if (s.removed()) {
    durable_sessions_.RemovePattern(s.unit(), s.pattern());
  } else {
    durable_sessions_.AddPattern(s.unit(), s.pattern(), s.since_seq(), s.unix_ms());
  }
}

void Journal::LoadRecoveredCheckpoint(const v1::JournalCheckpoint& checkpoint,
                                      int64_t dedup_cutoff) {
  durable_sessions_.LoadFrom(checkpoint, /*merge=*/checkpoint.continuation());
  for (const v1::JournalDedupEntry& entry : checkpoint.dedup()) {
    if (entry.unix_ms() >= dedup_cutoff)
      dedup_.Insert(entry.alert_id(), entry.seq(), entry.unix_ms(), entry.fingerprint());
  }
}

void Journal::ApplyRecoveredSessionRecord(journal::RecordType type, absl::string_view payload) {
  if (type == journal::RecordType::kDelivery) {
    v1::JournalDelivery delivery;
    if (!delivery.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
    if (delivery.kind() == v1::JournalDelivery::DEAD_LETTERED ||
        (delivery.kind() == v1::JournalDelivery::ACK && delivery.level() == v1::RECEIVED)) {
      durable_sessions_.Settle(delivery.unit(), delivery.seq());
    }
    durable_sessions_.Touch(delivery.unit(), delivery.unix_ms());
  } else if (type == journal::RecordType::kSessionExpired) {
    v1::JournalSessionExpired expired;
    if (expired.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      durable_sessions_.Erase(expired.unit());
    }
  }
}

void Journal::LogRecovered(const journal::RecoveryReport& report) const {
  ZC_LOG(INFO) << "journal recovered: " << report.records << " records (" << report.publishes
               << " publishes) in " << report.segments << " segments, last seq " << last_seq_
               << ", " << durable_sessions_.size() << " durable sessions, " << dedup_.size()
               << " alert ids in the dedup window, " << report.torn_tails << " torn tails, "
               << report.damaged_segments << " damaged segments, in "
               << absl::FormatDuration(report.took);
}

absl::Status Journal::StartWriter(const journal::RecoveryReport& report) {
  journal::WriterOptions writer_options;
  writer_options.journal_dir = journal_dir_;
  writer_options.segment_bytes = options_.segment_bytes;
  writer_options.fsync = options_.fsync;
  writer_options.retention_bytes = options_.retention_bytes;
  writer_options.retention_age = options_.retention_age;
  journal::WriterStart start;
  start.segments = report.segments_kept;
  // After damage or loss a new segment starts, with a checkpoint of what
  // survived and a first seq past everything lost, so the finding is not
  // reported again at the next start.
  start.reopen_newest = !report.segments_kept.empty() && report.losses == 0 &&
                        report.damaged_segments == 0 && report.segments_kept.back().first_seq > 0;
  start.next_index = report.next_index;
  start.first_seq = last_seq_ + 1;
  if (!start.reopen_newest) start.checkpoint = BuildCheckpoint();
  segment_bytes_used_ = journal::kSegmentHeaderBytes;
  if (start.reopen_newest) {
    segment_bytes_used_ = report.segments_kept.back().bytes;
  } else {
    for (const std::string& part : start.checkpoint)
      segment_bytes_used_ += journal::FramedSize(part.size());
  }
  absl::StatusOr<std::unique_ptr<journal::Writer>> writer =
      journal::Writer::Start(writer_options, std::move(start), clock_);
  if (!writer.ok()) return writer.status();
  writer_ = std::move(writer).value();
  // A full disk at start: the broker comes up not ready, and the first
  // batch (a probe from the loop, or a publish) starts a new segment.
  if (!writer_->Stats().healthy) need_roll_ = true;
  return absl::OkStatus();
}

void Journal::ProbeIfUnhealthy() {
  if (writer_ == nullptr || !inflight_.empty() || open_batch_ != nullptr) return;
  if (writer_->Stats().healthy) return;
  open_batch_ = std::make_unique<journal::Batch>();
  Flush();
}

absl::Status Journal::Fail(absl::Status status) {
  status_.state = State::kFailed;
  status_.error = std::string(status.message());
  return status;
}

std::vector<std::string> Journal::BuildCheckpoint() const {
  // Far below kMaxRecordBytes, so no checkpoint record is ever refused.
  constexpr size_t kPartBytes = 1 << 20;
  std::vector<v1::JournalCheckpoint> parts(1);
  parts[0].set_last_seq(last_seq_);
  parts[0].set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  durable_sessions_.SaveTo(&parts, kPartBytes);
  dedup_.ForEach([&](const std::string& id, const DedupWindow::Entry& e) {
    // ByteSizeLong walks the message: check it only every 1024 entries.
    if (parts.back().dedup_size() % 1024 == 1023 && parts.back().ByteSizeLong() > kPartBytes) {
      parts.emplace_back();
      parts.back().set_continuation(true);
    }
    v1::JournalDedupEntry* entry = parts.back().add_dedup();
    entry->set_alert_id(id);
    entry->set_seq(e.seq);
    entry->set_unix_ms(e.unix_ms);
    entry->set_fingerprint(e.fingerprint);
  });
  std::vector<std::string> out;
  out.reserve(parts.size());
  for (const v1::JournalCheckpoint& part : parts) out.push_back(part.SerializeAsString());
  return out;
}

void Journal::AppendPublish(const journal::PublishRecord& record) {
  if (open_batch_ == nullptr) open_batch_ = std::make_unique<journal::Batch>();
  std::string payload;
  journal::EncodePublish(record, &payload);
  journal::AppendRecord(&open_batch_->records, journal::RecordType::kPublish, payload);
  ++open_batch_->record_count;
  open_batch_->max_seq = std::max(open_batch_->max_seq, record.seq);
  open_publishes_.publishes.push_back(
      InflightPublish{record.seq, std::string(record.alert_id), record.fingerprint});
}

void Journal::AddSubscription(const std::string& unit, const std::string& pattern, bool removed) {
  const int64_t now_ms = absl::ToUnixMillis(clock_.NowWall());
  if (removed) {
    if (!durable_sessions_.RemovePattern(unit, pattern)) return;
  } else if (!durable_sessions_.AddPattern(unit, pattern, last_seq_, now_ms)) {
    return;  // already durable: nothing new to record
  }
  v1::JournalSubscription record;
  record.set_unit(unit);
  record.set_pattern(pattern);
  record.set_removed(removed);
  record.set_unix_ms(now_ms);
  record.set_since_seq(last_seq_);
  AddRecord(journal::RecordType::kSubscription, record.SerializeAsString());
}

void Journal::AddDelivery(const v1::JournalDelivery& delivery) {
  if (delivery.kind() == v1::JournalDelivery::DEAD_LETTERED ||
      (delivery.kind() == v1::JournalDelivery::ACK && delivery.level() == v1::RECEIVED)) {
    durable_sessions_.Settle(delivery.unit(), delivery.seq());
  }
  AddRecord(journal::RecordType::kDelivery, delivery.SerializeAsString());
}

void Journal::ExpireDurableSession(const std::string& unit) {
  durable_sessions_.Erase(unit);
  v1::JournalSessionExpired record;
  record.set_unit(unit);
  record.set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  AddRecord(journal::RecordType::kSessionExpired, record.SerializeAsString());
}

void Journal::AddRecord(journal::RecordType type, const std::string& payload) {
  if (open_batch_ == nullptr) open_batch_ = std::make_unique<journal::Batch>();
  journal::AppendRecord(&open_batch_->records, type, payload);
  ++open_batch_->record_count;
}

void Journal::Flush() {
  if (open_batch_ == nullptr || writer_ == nullptr) return;
  std::unique_ptr<journal::Batch> batch = std::move(open_batch_);
  batch->id = next_batch_id_++;
  batch->submitted_at = clock_.NowMono();
  if (need_roll_ || (segment_bytes_used_ + batch->records.size() > options_.segment_bytes &&
                     segment_bytes_used_ > 0)) {
    need_roll_ = false;
    batch->roll_before = true;
    batch->roll_first_seq =
        open_publishes_.publishes.empty() ? last_seq_ + 1 : open_publishes_.publishes.front().seq;
    std::vector<std::string> checkpoint = BuildCheckpoint();
    batch->roll_checkpoint = std::move(checkpoint[0]);
    batch->roll_checkpoint_more.assign(std::make_move_iterator(checkpoint.begin() + 1),
                                       std::make_move_iterator(checkpoint.end()));
    segment_bytes_used_ = 0;
  }
  segment_bytes_used_ += batch->records.size();
  open_publishes_.id = batch->id;
  open_publishes_.bytes = batch->records.size();
  inflight_bytes_ += open_publishes_.bytes;
  inflight_.push_back(std::move(open_publishes_));
  open_publishes_ = InflightBatch();
  writer_->Submit(std::move(batch));
}

int Journal::completion_fd() const { return writer_ != nullptr ? writer_->completion_fd() : -1; }

std::vector<std::unique_ptr<journal::Batch>> Journal::TakeCompletedBatches() {
  if (writer_ == nullptr) return {};
  return writer_->TakeCompleted();
}

journal::WriterStats Journal::WriterStats() const {
  return writer_ != nullptr ? writer_->Stats() : journal::WriterStats();
}

std::vector<journal::SegmentInfo> Journal::Segments() const {
  return writer_ != nullptr ? writer_->Segments() : std::vector<journal::SegmentInfo>();
}

}  // namespace zonecast
