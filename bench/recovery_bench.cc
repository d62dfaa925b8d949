// recovery_bench: how fast zonecastd's journal recovery scans records.
//
// Writes --records publish records (alerts of --body_bytes, realistic
// framing: the same encoded Deliver frames the broker stores) into segment
// files of --segment_bytes in a fresh directory, then runs the broker's own
// RecoverJournal over them --runs times and reports records/s. The first run
// after writing finds the files in the page cache; pass --drop_caches (root)
// to also time a cold read.
//
//   ./build-release/bench/recovery_bench --records 1000000
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/clock.h"
#include "journal/journal.h"
#include "journal/journal_format.h"
#include "journal/journal_recovery.h"
#include "protocol/frame_codec.h"
#include "zonecast/wire.pb.h"

ABSL_FLAG(int64_t, records, 1000000, "Publish records to write and recover");
ABSL_FLAG(int32_t, body_bytes, 256, "Alert body size");
ABSL_FLAG(uint64_t, segment_bytes, 64ull << 20, "Segment size");
ABSL_FLAG(int32_t, runs, 3, "Recovery runs to time");
ABSL_FLAG(bool, drop_caches, false, "Drop the page cache before the first run (needs root)");
ABSL_FLAG(std::string, dir, "", "Where to write (default: a fresh temp dir, removed after)");

namespace zj = zonecast::journal;

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("recovery_bench [--records N] [--body_bytes B] [--runs R]");
  absl::ParseCommandLine(argc, argv);
  std::string dir = absl::GetFlag(FLAGS_dir);
  const bool temp = dir.empty();
  if (temp) {
    char pattern[] = "/var/tmp/zonecast-recovery-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return 1;
    dir = pattern;
  }
  const std::string journal_dir = dir + "/journal";
  std::filesystem::create_directories(journal_dir);
  const int64_t records = absl::GetFlag(FLAGS_records);
  const uint64_t segment_bytes = absl::GetFlag(FLAGS_segment_bytes);

  // One Deliver frame as the broker would store it; only seq and id change.
  zonecast::v1::Frame frame;
  zonecast::v1::Deliver* deliver = frame.mutable_deliver();
  deliver->set_topic("alert.jincheng.z03");
  deliver->set_priority(zonecast::v1::P2);
  deliver->set_delivery_count(1);
  deliver->set_publisher("center-1");
  deliver->set_broker_unix_ms(absl::ToUnixMillis(absl::Now()));
  zonecast::v1::Alert* alert = deliver->mutable_event()->mutable_alert();
  alert->set_topic("alert.jincheng.z03");
  alert->set_priority(zonecast::v1::P2);
  alert->set_title("bench");
  alert->set_body(std::string(static_cast<size_t>(absl::GetFlag(FLAGS_body_bytes)), 'x'));

  const absl::Time write_start = absl::Now();
  uint64_t index = 0;
  std::string segment;
  uint64_t total_bytes = 0;
  auto flush = [&] {
    if (segment.empty()) return;
    std::ofstream out(absl::StrCat(journal_dir, "/", zj::SegmentFileName(index)), std::ios::binary);
    out.write(segment.data(), static_cast<std::streamsize>(segment.size()));
    total_bytes += segment.size();
    segment.clear();
  };
  std::string payload;
  for (int64_t i = 0; i < records; ++i) {
    if (segment.empty()) {
      ++index;
      segment = zj::EncodeSegmentHeader(zj::SegmentHeader{index, static_cast<uint64_t>(i + 1)});
    }
    const std::string id = absl::StrCat("b-", i);
    deliver->set_seq(static_cast<uint64_t>(i + 1));
    alert->set_alert_id(id);
    const std::string bytes = frame.SerializeAsString();
    payload.clear();
    zj::EncodePublish(zj::PublishRecord{static_cast<uint64_t>(i + 1), deliver->broker_unix_ms(), id,
                                        deliver->topic(), bytes, zonecast::v1::P2},
                      &payload);
    zj::AppendRecord(&segment, zj::RecordType::kPublish, payload);
    if (segment.size() >= segment_bytes) flush();
  }
  flush();
  std::printf("wrote %lld records, %.1f MiB in %llu segments in %.2f s\n",
              static_cast<long long>(records), static_cast<double>(total_bytes) / (1 << 20),
              static_cast<unsigned long long>(index),
              absl::ToDoubleSeconds(absl::Now() - write_start));

  zj::RecoveryVisitor visitor;
  uint64_t seen = 0;
  visitor.on_publish = [&](const zj::PublishRecord& r) { seen += r.seq != 0; };
  for (int run = 0; run < absl::GetFlag(FLAGS_runs); ++run) {
    if (run == 0 && absl::GetFlag(FLAGS_drop_caches)) {
      sync();
      std::ofstream("/proc/sys/vm/drop_caches") << "3\n";
    }
    seen = 0;
    auto report = zj::RecoverJournal(journal_dir, zj::RecoveryMode::kStrict, visitor);
    if (!report.ok()) {
      std::cerr << "recovery failed: " << report.status() << "\n";
      return 1;
    }
    const double seconds = absl::ToDoubleSeconds(report->took);
    std::printf("run %d%s: %llu records in %.3f s = %.2f M records/s (%.0f MiB/s)\n", run + 1,
                run == 0 && absl::GetFlag(FLAGS_drop_caches) ? " (cold cache)" : "",
                static_cast<unsigned long long>(seen), seconds,
                static_cast<double>(seen) / seconds / 1e6,
                static_cast<double>(total_bytes) / (1 << 20) / seconds);
  }
  // The broker's whole start-up recovery: the scan plus rebuilding the
  // dedup window (every alert id here is recent, so all 1M go in) and
  // starting the writer.
  for (int run = 0; run < absl::GetFlag(FLAGS_runs); ++run) {
    zonecast::JournalOptions options;
    options.data_dir = dir;
    options.fsync = false;
    zonecast::Journal journal(options, zonecast::Clock::Real());
    const absl::Time start = absl::Now();
    if (absl::Status status = journal.Open(); !status.ok()) {
      std::cerr << "Journal::Open failed: " << status << "\n";
      return 1;
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::printf(
        "broker start-up recovery run %d: %llu records, %zu alert ids in the dedup "
        "window, in %.3f s = %.2f M records/s\n",
        run + 1, static_cast<unsigned long long>(journal.status().report.records),
        journal.dedup_size(), seconds,
        static_cast<double>(journal.status().report.records) / seconds / 1e6);
  }
  if (temp) std::filesystem::remove_all(dir);
  return 0;
}
