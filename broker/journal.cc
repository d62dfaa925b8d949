#include "journal.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "journal_format.h"
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

absl::Status Journal::Open() {
  const int64_t now_ms = absl::ToUnixMillis(clock_.NowWall());
  const int64_t dedup_cutoff = now_ms - absl::ToInt64Milliseconds(options_.dedup_window);
  journal::RecoveryVisitor visitor;
  visitor.on_publish = [&](const journal::PublishRecord& record) {
    if (!record.alert_id.empty() && record.unix_ms >= dedup_cutoff) {
      dedup_.Insert(record.alert_id, record.seq, record.unix_ms);
    }
  };
  visitor.on_subscription = [&](const v1::JournalSubscription& s) {
    if (s.removed()) {
      units_.RemovePattern(s.unit(), s.pattern());
    } else {
      units_.AddPattern(s.unit(), s.pattern(), s.since_seq(), s.unix_ms());
    }
  };
  visitor.on_checkpoint = [&](const v1::JournalCheckpoint& checkpoint) {
    units_.LoadFrom(checkpoint);
    for (const v1::JournalDedupEntry& entry : checkpoint.dedup()) {
      if (entry.unix_ms() >= dedup_cutoff)
        dedup_.Insert(entry.alert_id(), entry.seq(), entry.unix_ms());
    }
  };
  visitor.on_other = [&](journal::RecordType type, absl::string_view payload) {
    if (type == journal::RecordType::kDelivery) {
      v1::JournalDelivery delivery;
      if (!delivery.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) return;
      if (delivery.kind() == v1::JournalDelivery::DEAD_LETTERED ||
          (delivery.kind() == v1::JournalDelivery::ACK && delivery.level() == v1::RECEIVED)) {
        units_.Settle(delivery.unit(), delivery.seq());
      }
      units_.Touch(delivery.unit(), delivery.unix_ms());
    } else if (type == journal::RecordType::kSessionExpired) {
      v1::JournalSessionExpired expired;
      if (expired.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
        units_.Erase(expired.unit());
      }
    }
  };
  absl::StatusOr<journal::RecoveryReport> report = journal::RecoverJournal(
      journal_dir_,
      options_.strict_recovery ? journal::RecoveryMode::kStrict : journal::RecoveryMode::kRepair,
      visitor);
  if (!report.ok()) {
    status_.state = "failed";
    status_.error = std::string(report.status().message());
    return report.status();
  }
  dedup_.Expire(now_ms);
  last_seq_ = report->last_seq;
  last_durable_seq_ = last_seq_;
  ZC_LOG(INFO) << "journal recovered: " << report->records << " records (" << report->publishes
               << " publishes) in " << report->segments << " segments, last seq " << last_seq_
               << ", " << units_.size() << " durable sessions, " << dedup_.size()
               << " alert ids in the dedup window, " << report->torn_tails << " torn tails, "
               << report->damaged_segments << " damaged segments, in "
               << absl::FormatDuration(report->took);
  journal::WriterOptions writer_options;
  writer_options.journal_dir = journal_dir_;
  writer_options.segment_bytes = options_.segment_bytes;
  writer_options.fsync = options_.fsync;
  writer_options.retention_bytes = options_.retention_bytes;
  writer_options.retention_age = options_.retention_age;
  const std::string checkpoint = BuildCheckpoint();
  absl::StatusOr<std::unique_ptr<journal::JournalWriter>> writer = journal::JournalWriter::Start(
      writer_options, report->segments_kept, report->next_index, last_seq_ + 1, checkpoint, clock_);
  if (!writer.ok()) {
    status_.state = "failed";
    status_.error = std::string(writer.status().message());
    return writer.status();
  }
  writer_ = std::move(writer).value();
  segment_bytes_used_ = journal::kSegmentHeaderBytes + journal::FramedSize(checkpoint.size());
  status_.state = "ready";
  status_.report = std::move(report).value();
  return absl::OkStatus();
}

std::string Journal::BuildCheckpoint() const {
  v1::JournalCheckpoint checkpoint;
  checkpoint.set_last_seq(last_seq_);
  checkpoint.set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  units_.SaveTo(&checkpoint);
  dedup_.ForEach([&](const std::string& id, const DedupWindow::Entry& e) {
    v1::JournalDedupEntry* entry = checkpoint.add_dedup();
    entry->set_alert_id(id);
    entry->set_seq(e.seq);
    entry->set_unix_ms(e.unix_ms);
  });
  return checkpoint.SerializeAsString();
}

bool Journal::AttachToInflight(absl::string_view alert_id, SessionId session, uint64_t request_id) {
  auto it = inflight_alerts_.find(alert_id);
  if (it == inflight_alerts_.end()) return false;
  it->second.emplace_back(session, request_id);
  return true;
}

void Journal::AddPublish(PendingPublish&& publish, int64_t unix_ms) {
  if (open_batch_ == nullptr) open_batch_ = std::make_unique<journal::JournalBatch>();
  std::string payload;
  journal::EncodePublish(
      journal::PublishRecord{
          publish.seq, unix_ms, publish.alert_id, publish.topic,
          absl::string_view(static_cast<const char*>(publish.frame.data()), publish.frame.size())},
      &payload);
  journal::AppendRecord(&open_batch_->records, journal::RecordType::kPublish, payload);
  ++open_batch_->record_count;
  open_batch_->max_seq = std::max(open_batch_->max_seq, publish.seq);
  if (!publish.alert_id.empty()) inflight_alerts_.try_emplace(publish.alert_id);
  open_publishes_.publishes.push_back(std::move(publish));
}

void Journal::AddSubscription(const std::string& unit, const std::string& pattern, bool removed) {
  const int64_t now_ms = absl::ToUnixMillis(clock_.NowWall());
  if (removed) {
    if (!units_.RemovePattern(unit, pattern)) return;
  } else if (!units_.AddPattern(unit, pattern, last_seq_, now_ms)) {
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
    units_.Settle(delivery.unit(), delivery.seq());
  }
  AddRecord(journal::RecordType::kDelivery, delivery.SerializeAsString());
}

void Journal::ExpireUnit(const std::string& unit) {
  units_.Erase(unit);
  v1::JournalSessionExpired record;
  record.set_unit(unit);
  record.set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  AddRecord(journal::RecordType::kSessionExpired, record.SerializeAsString());
}

void Journal::AddRecord(journal::RecordType type, const std::string& payload) {
  if (open_batch_ == nullptr) open_batch_ = std::make_unique<journal::JournalBatch>();
  journal::AppendRecord(&open_batch_->records, type, payload);
  ++open_batch_->record_count;
}

void Journal::Flush() {
  if (open_batch_ == nullptr || writer_ == nullptr) return;
  std::unique_ptr<journal::JournalBatch> batch = std::move(open_batch_);
  batch->id = next_batch_id_++;
  batch->submitted_at = clock_.NowMono();
  if (segment_bytes_used_ + batch->records.size() > options_.segment_bytes &&
      segment_bytes_used_ > journal::kSegmentHeaderBytes) {
    batch->roll_before = true;
    batch->roll_first_seq =
        open_publishes_.publishes.empty() ? last_seq_ + 1 : open_publishes_.publishes.front().seq;
    batch->roll_checkpoint = BuildCheckpoint();
    segment_bytes_used_ =
        journal::kSegmentHeaderBytes + journal::FramedSize(batch->roll_checkpoint.size());
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

std::vector<std::unique_ptr<journal::JournalBatch>> Journal::TakeCompletedBatches() {
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
