// Durability of the journal against the real zonecastd:
// kill -9 in the middle of a publish stream (every PubAck'd alert is stored
// once and reaches a returning durable terminal), torn tails cut at many
// offsets, a segment torn while it was being created, damage in the middle
// of a segment (repair sets it aside, strict refuses), a dedup checkpoint
// past the record size limit, the alert-id dedup window surviving a crash,
// and `zonecast history`. The promise under test is ARCHITECTURE.md "Delivery
// contract" 1-3: a PubAck means the record is on disk, an alert id is
// stored once, and durable sessions get what was stored.
//
// The crash loop runs ZONECAST_CRASH_ITERATIONS times (default 3, as in CI);
// run it locally with more, e.g.
//   ZONECAST_CRASH_ITERATIONS=20 ./tests/durability_test --gtest_filter='*CrashLoop*'
// Its kill moments come from a fixed seed (ZONECAST_CRASH_SEED overrides it
// to explore other moments; the seed is printed).
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "integration/durability_support.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

namespace {

namespace v1 = zonecast::v1;
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using zonecast::Client;
using zonecast::IsGoodbye;
using zonecast::IsSessionLost;
using zonecast::Message;
using zonecast::PublishResult;
using zonecast::testing::AwaitOnePubAck;
using zonecast::testing::BrokerProcess;
using zonecast::testing::ConnectClient;
using zonecast::testing::Counter;
using zonecast::testing::Describe;
using zonecast::testing::Gauge;
using zonecast::testing::MakeAlert;
using zonecast::testing::MakeTempDir;
using zonecast::testing::PublishAlertAsync;
using zonecast::testing::TakeStrayError;
using zonecast::testing::TestClientOptions;
using zonecast::testing::WaitUntil;
using zonecast::testing::durability::AlertIdRange;
using zonecast::testing::durability::CopyDataDir;
using zonecast::testing::durability::DiskSegment;
using zonecast::testing::durability::ExecutableOf;
using zonecast::testing::durability::FileSize;
using zonecast::testing::durability::FullHistory;
using zonecast::testing::durability::JournalFilesContaining;
using zonecast::testing::durability::kIdDigits;
using zonecast::testing::durability::kRecordHeaderBytes;
using zonecast::testing::durability::kSegmentHeaderBytes;
using zonecast::testing::durability::PublishOutcome;
using zonecast::testing::durability::PublishWindow;
using zonecast::testing::durability::ReadWholeFile;
using zonecast::testing::durability::ScanSegmentFile;
using zonecast::testing::durability::SegmentPaths;
using zonecast::testing::durability::TryStartBroker;
using zonecast::testing::durability::TryStartResult;
using zonecast::testing::durability::WriteWholeFile;

constexpr char kTopic[] = "alert.jincheng.z05";
constexpr char kTerminal[] = "jc-z05-v01";

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  uint64_t value = 0;
  return text != nullptr && absl::SimpleAtoi(text, &value) ? value : fallback;
}

using DurabilityTest = zonecast::testing::durability::DurabilityFixture;

// What one publisher run during a crash iteration saw.
struct CrashRun {
  std::map<std::string, uint64_t> acked;  // alert id -> PubAck seq
  std::vector<std::string> problems;      // errors, duplicate PubAcks, answers for no publish
  uint64_t sent = 0;
};

// Publishes alerts "<prefix><n>" with a window of async publishes until
// `stop`, recording every PubAck; then drains the PubAcks already on the
// wire for a moment (they were sent before the broker died, so they count).
void PublishUntilStopped(const std::string& endpoint, const std::string& unit,
                         const std::string& prefix, size_t window, std::atomic<bool>& stop,
                         std::atomic<size_t>& acked_count, CrashRun& run) {
  zonecast::ClientOptions options = TestClientOptions(endpoint, v1::CENTER, unit);
  // Bounds a send into the dead broker, and ~Client's Goodbye after the kill.
  options.request_timeout = absl::Milliseconds(250);
  auto client = Client::Connect(options);
  if (!client.ok()) {
    run.problems.push_back(absl::StrCat("connect: ", client.status().ToString()));
    return;
  }
  // Alert ids sent and not answered yet. The callbacks run on this thread,
  // inside the client's calls below.
  std::set<std::string> outstanding;
  uint64_t n = 0;
  auto take = [&](const std::string& id, const absl::StatusOr<PublishResult>& result) {
    if (outstanding.erase(id) == 0) {
      run.problems.push_back(
          absl::StrCat("unexpected answer for ", id, ": ",
                       result.ok() ? Describe(*result) : result.status().ToString()));
      return;
    }
    if (result.ok()) {
      if (result->alert_id() != id || result->duplicate() || result->seq() == 0) {
        run.problems.push_back(absl::StrCat("PubAck for ", id, ": ", Describe(*result)));
      }
      run.acked[id] = result->seq();
      ++acked_count;
    } else {
      run.problems.push_back(absl::StrCat(id, ": ", result.status().ToString()));
    }
  };
  // An Error the broker sent outside any publish is a problem too (a
  // Goodbye or a lost session is not). False when the client can do no more.
  auto note = [&](const absl::Status& status) {
    if (status.ok() || absl::IsDeadlineExceeded(status) || IsGoodbye(status) ||
        IsSessionLost(status)) {
      return true;
    }
    run.problems.push_back(absl::StrCat("unexpected ", status.ToString()));
    return false;
  };
  while (!stop) {
    while (outstanding.size() < window && !stop && (*client)->connected()) {
      const std::string id = absl::StrCat(prefix, n++);
      // Recorded before the send: the answer may come inside PublishAsync.
      outstanding.insert(id);
      absl::Status sent = PublishAlertAsync(
          **client, kTopic, MakeAlert(id, v1::P1, 64),
          [&take, id](absl::StatusOr<PublishResult> result) { take(id, result); });
      if (!sent.ok()) {
        outstanding.erase(id);  // refused at once: its callback never runs
        break;
      }
      ++run.sent;
    }
    // The next answer, or 20 ms without one.
    const absl::Status waited = outstanding.empty()
                                    ? (*client)->Next(absl::Milliseconds(20)).status()
                                    : AwaitOnePubAck(**client, absl::Milliseconds(20));
    if (!note(waited) || !note(TakeStrayError(**client))) break;
  }
  // The broker is dead now; PubAcks it sent before dying may still be in
  // our socket: take them while they keep coming.
  while (!outstanding.empty()) {
    const size_t before = outstanding.size();
    (void)(*client)->AwaitPubAcks(0, absl::Milliseconds(50));
    if (outstanding.size() == before) break;
  }
  note(TakeStrayError(**client));
}

// Checks History against everything acknowledged so far: each acked alert
// id is there exactly once with its PubAck's seq, no alert id is stored
// twice, and seqs strictly increase. Returns how many alerts are stored.
size_t ExpectHistoryHoldsAcked(Client& client, const std::map<std::string, uint64_t>& acked) {
  absl::StatusOr<std::vector<Message>> history = FullHistory(client, "alert.>");
  EXPECT_TRUE(history.ok()) << history.status();
  if (!history.ok()) return 0;
  std::map<std::string, std::vector<uint64_t>> stored;  // alert id -> seqs
  uint64_t previous = 0;
  size_t not_increasing = 0;
  for (const Message& d : *history) {
    if (d.seq() <= previous) ++not_increasing;
    previous = d.seq();
    stored[d.event().alert().alert_id()].push_back(d.seq());
  }
  EXPECT_EQ(not_increasing, 0u) << "history seqs must strictly increase";
  std::vector<std::string> twice;
  for (const auto& [id, seqs] : stored) {
    if (seqs.size() != 1) twice.push_back(absl::StrCat(id, " x", seqs.size()));
  }
  EXPECT_TRUE(twice.empty()) << twice.size() << " alert ids stored more than once, e.g. "
                             << absl::StrJoin(twice.begin(),
                                              twice.begin() + std::min<size_t>(10, twice.size()),
                                              ", ");
  std::vector<std::string> missing;
  std::vector<std::string> wrong_seq;
  for (const auto& [id, seq] : acked) {
    auto it = stored.find(id);
    if (it == stored.end()) {
      missing.push_back(absl::StrCat(id, "@", seq));
    } else if (it->second.front() != seq) {
      wrong_seq.push_back(absl::StrCat(id, " acked ", seq, " stored ", it->second.front()));
    }
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " of " << acked.size()
                               << " acknowledged alerts are missing, e.g. "
                               << absl::StrJoin(
                                      missing.begin(),
                                      missing.begin() + std::min<size_t>(10, missing.size()), ", ");
  EXPECT_TRUE(wrong_seq.empty()) << wrong_seq.size() << " alerts stored under another seq, e.g. "
                                 << absl::StrJoin(
                                        wrong_seq.begin(),
                                        wrong_seq.begin() + std::min<size_t>(10, wrong_seq.size()),
                                        ", ");
  return history->size();
}

TEST_F(DurabilityTest, CrashLoopKeepsEveryAckedAlert) {
  const uint64_t iterations = std::max<uint64_t>(1, EnvOr("ZONECAST_CRASH_ITERATIONS", 3));
  const uint64_t seed = EnvOr("ZONECAST_CRASH_SEED", 20260603);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> delay_ms(50, 300);
  const std::string data_dir = NewDataDir("crash-loop");
  std::map<std::string, uint64_t> acked_all;
  uint64_t torn_tails_seen = 0;
  uint64_t sent_total = 0;

  for (uint64_t i = 0; i <= iterations; ++i) {
    SCOPED_TRACE(absl::StrCat("iteration ", i, " of ", iterations, ", seed ", seed));
    BrokerProcess* broker = Start(data_dir);
    ASSERT_NE(broker, nullptr);
    {
      // After each restart: everything acknowledged before every crash so
      // far is stored, once.
      std::unique_ptr<Client> reader = Center(*broker, absl::StrCat("reader-", i));
      ASSERT_NE(reader, nullptr);
      absl::StatusOr<v1::StatsSnapshot> stats = reader->Stats();
      ASSERT_TRUE(stats.ok()) << stats.status();
      EXPECT_EQ(Gauge(*stats, "recovery_damaged_segments"), 0);
      torn_tails_seen += Gauge(*stats, "recovery_torn_tails") > 0 ? 1 : 0;
      ExpectHistoryHoldsAcked(*reader, acked_all);
      if (HasFailure()) return;
    }
    if (i == 0) {
      // A patrol terminal of the zone subscribes once and goes offline: a
      // durable session, which must get every acknowledged alert when it
      // comes back after all the crashes.
      auto terminal = ConnectClient(broker->endpoint(), v1::TERMINAL, kTerminal);
      ASSERT_TRUE(terminal.ok()) << terminal.status();
      ASSERT_TRUE((*terminal)->Subscribe({kTopic}).ok());
    }
    if (i == iterations) break;  // the last start only verifies

    std::atomic<bool> stop{false};
    std::atomic<size_t> acked_count{0};
    CrashRun run;
    std::thread publisher(PublishUntilStopped, broker->endpoint(), absl::StrCat("center-", i),
                          absl::StrCat("crash-", i, "-"), 64, std::ref(stop), std::ref(acked_count),
                          std::ref(run));
    // The experiment, not synchronisation: let the stream run a random
    // while after its first PubAck, then kill -9 in the middle of it.
    const bool streaming = WaitUntil([&] { return acked_count > 0; }, absl::Seconds(10));
    const int delay = delay_ms(rng);
    if (streaming) std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    broker->Kill();
    stop = true;
    publisher.join();
    run.problems.resize(std::min<size_t>(run.problems.size(), 20));  // enough to see why
    ASSERT_TRUE(streaming) << "no PubAck within 10 s; " << absl::StrJoin(run.problems, "; ");
    EXPECT_TRUE(run.problems.empty()) << absl::StrJoin(run.problems, "\n");
    // Usually the window is full when the kill lands; on a busy machine
    // the broker may have answered everything sent so far. Not a failure.
    std::cout << "[ crash ] iteration " << i << ": killed after " << delay << " ms, " << run.sent
              << " sent, " << run.acked.size() << " acked\n";
    sent_total += run.sent;
    for (const auto& [id, seq] : run.acked) acked_all[id] = seq;
  }
  // The terminal comes back: every acknowledged alert reaches it.
  BrokerProcess* broker = brokers_.back().get();
  auto terminal = ConnectClient(broker->endpoint(), v1::TERMINAL, kTerminal);
  ASSERT_TRUE(terminal.ok()) << terminal.status();
  std::set<std::string> delivered;
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  size_t missing = acked_all.size();
  while (missing > 0 && absl::Now() < deadline) {
    std::optional<Message> d = zonecast::testing::NextDeliver(**terminal, absl::Seconds(5));
    if (!d.has_value()) break;
    const std::string& id = d->event().alert().alert_id();
    if (acked_all.contains(id) && delivered.insert(id).second) --missing;
  }
  EXPECT_EQ(missing, 0u) << "of " << acked_all.size()
                         << " acknowledged alerts, the returning terminal did not get " << missing;
  std::cout
      << "[ crash ] " << iterations << " kills (seed " << seed << "): " << acked_all.size()
      << " acked of " << sent_total
      << " sent, all present once and delivered to the returning terminal; torn tails seen after "
      << torn_tails_seen << " restarts\n";
}

// Cuts the newest segment at many offsets, as a crash in the middle of a
// write would; recovery keeps every record that lies wholly before the cut,
// counts one torn tail when the cut splits a record, and cuts the file back
// to the last whole record.
TEST_F(DurabilityTest, TornTailAtManyOffsetsRecovers) {
  constexpr size_t kAlerts = 200;
  const std::string data_dir = NewDataDir("torn");
  {
    BrokerProcess* broker = Start(data_dir);
    ASSERT_NE(broker, nullptr);
    std::unique_ptr<Client> center = Center(*broker, "center-torn");
    ASSERT_NE(center, nullptr);
    PublishOutcome out = PublishWindow(*center, kTopic, AlertIdRange("torn-", 0, kAlerts), 100);
    ASSERT_TRUE(out.status.ok()) << out.status;
    ASSERT_EQ(out.acked.size(), kAlerts) << out.Summary();
    center.reset();
    TerminateCleanly(*broker);
  }
  const std::vector<std::string> segments = SegmentPaths(data_dir);
  ASSERT_FALSE(segments.empty());
  const std::string newest = segments.back();
  const DiskSegment original = ScanSegmentFile(newest);
  ASSERT_TRUE(original.clean()) << newest << ": " << original.problem;
  ASSERT_EQ(original.alerts().size(), kAlerts) << "expected every alert in one segment";
  std::vector<std::string> on_disk;
  for (const auto* record : original.alerts()) {
    on_disk.push_back(record->FindAlertId("torn-", kIdDigits));
  }
  ASSERT_EQ(on_disk, AlertIdRange("torn-", 0, kAlerts)) << "records in publish order";
  const std::vector<uint64_t> boundaries = original.Boundaries();

  std::mt19937_64 rng(4242);
  std::set<uint64_t> offsets;
  std::uniform_int_distribution<uint64_t> anywhere(kSegmentHeaderBytes, original.size - 1);
  while (offsets.size() < 12) offsets.insert(anywhere(rng));
  // A few cuts exactly on record boundaries, and cuts inside a record
  // header and inside the segment's opening checkpoint record.
  std::uniform_int_distribution<size_t> boundary(1, boundaries.size() - 2);
  for (int k = 0; k < 3; ++k) offsets.insert(boundaries[boundary(rng)]);
  offsets.insert(original.records[40].offset + 4);
  offsets.insert(kSegmentHeaderBytes + 5);

  int run = 0;
  for (const uint64_t cut : offsets) {
    // Every other run in strict mode: a torn tail is the normal outcome of
    // a crash, not damage, so strict recovery must accept it too.
    const bool strict = run++ % 2 == 1;
    SCOPED_TRACE(absl::StrCat("cut at ", cut, " of ", original.size, strict ? " (strict)" : ""));
    const std::string copy = CopyOf(data_dir, "torn-copy");
    const std::string cut_path = copy + "/journal/" + fs::path(newest).filename().string();
    fs::resize_file(cut_path, cut);
    // A crash tears only a write that was never synced, so never below the
    // high-water mark of what was; this cut goes lower (to reach the
    // boundaries of acknowledged records), and the mark would rightly call
    // it a loss (journal_loss_test). Without it, recovery judges the cut by
    // the records alone, as after a crash.
    fs::remove(copy + "/journal/HIGH_WATER");
    const bool on_boundary =
        std::find(boundaries.begin(), boundaries.end(), cut) != boundaries.end();
    uint64_t kept_end = 0;  // the last boundary at or before the cut
    for (uint64_t b : boundaries) {
      if (b <= cut) kept_end = b;
    }
    std::vector<std::string> expected;
    for (const auto* record : original.alerts()) {
      if (record->end <= cut) expected.push_back(record->FindAlertId("torn-", kIdDigits));
    }

    BrokerProcess* broker = Start(
        copy, strict ? std::vector<std::string>{"--recovery=strict"} : std::vector<std::string>{});
    ASSERT_NE(broker, nullptr);
    std::unique_ptr<Client> reader = Center(*broker, "reader-torn");
    ASSERT_NE(reader, nullptr);
    absl::StatusOr<v1::StatsSnapshot> stats = reader->Stats();
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(Gauge(*stats, "recovery_torn_tails"), on_boundary ? 0 : 1);
    EXPECT_EQ(Gauge(*stats, "recovery_torn_bytes"), static_cast<int64_t>(cut - kept_end));
    EXPECT_EQ(Gauge(*stats, "recovery_damaged_segments"), 0);
    absl::StatusOr<std::vector<Message>> history = FullHistory(*reader, "alert.>");
    ASSERT_TRUE(history.ok()) << history.status();
    std::vector<std::string> got;
    for (const Message& d : *history) got.push_back(d.event().alert().alert_id());
    EXPECT_EQ(got, expected);
    EXPECT_EQ(FileSize(cut_path), kept_end) << "the torn bytes are cut off the file";
    EXPECT_TRUE(JournalFilesContaining(copy, ".damaged").empty());
    reader.reset();
    TerminateCleanly(*broker);
    if (HasFailure()) return;
  }
}

// A crash while a segment is being created (at start or at a roll) can
// leave the newest segment shorter than its header. Nothing in it was ever
// acknowledged (records follow only a synced header), so this is a torn
// tail of the newest segment, not damage, and strict recovery must start.
TEST_F(DurabilityTest, CrashWhileCreatingSegmentIsNotDamage) {
  const std::string data_dir = NewDataDir("torn-header");
  std::string zonecastd;
  {
    BrokerProcess* broker = Start(data_dir);
    ASSERT_NE(broker, nullptr);
    zonecastd = ExecutableOf(broker->pid());
    std::unique_ptr<Client> center = Center(*broker, "center-header");
    ASSERT_NE(center, nullptr);
    PublishOutcome out = PublishWindow(*center, kTopic, AlertIdRange("hdr-", 0, 20), 100);
    ASSERT_EQ(out.acked.size(), 20u) << out.Summary();
    center.reset();
    TerminateCleanly(*broker);
  }
  ASSERT_FALSE(zonecastd.empty());
  const std::vector<std::string> segments = SegmentPaths(data_dir);
  ASSERT_FALSE(segments.empty());
  const std::string header = ReadWholeFile(segments.back()).substr(0, kSegmentHeaderBytes);
  uint64_t index = 0;
  ASSERT_TRUE(absl::SimpleAtoi(fs::path(segments.back()).stem().string(), &index));
  char name[32];
  std::snprintf(name, sizeof(name), "%016llu.zcj", static_cast<unsigned long long>(index + 1));
  // The next segment as a crash inside its creation leaves it: created but
  // empty, or with part of its header.
  for (const size_t length : {size_t{0}, size_t{20}}) {
    SCOPED_TRACE(absl::StrCat("newest segment of ", length, " bytes"));
    const std::string strict_copy = CopyOf(data_dir, "torn-header-strict");
    ASSERT_TRUE(WriteWholeFile(strict_copy + "/journal/" + name, header.substr(0, length)));
    const TryStartResult strict = TryStartBroker(zonecastd, strict_copy, {"--recovery=strict"});
    EXPECT_TRUE(strict.started) << "strict recovery refused a segment torn at its creation (exit "
                                << strict.exit_code << "):\n"
                                << strict.log;

    const std::string copy = CopyOf(data_dir, "torn-header-repair");
    ASSERT_TRUE(WriteWholeFile(copy + "/journal/" + name, header.substr(0, length)));
    BrokerProcess* broker = Start(copy);
    ASSERT_NE(broker, nullptr);
    std::unique_ptr<Client> reader = Center(*broker, "reader-header");
    ASSERT_NE(reader, nullptr);
    absl::StatusOr<v1::StatsSnapshot> stats = reader->Stats();
    ASSERT_TRUE(stats.ok()) << stats.status();
    EXPECT_EQ(Gauge(*stats, "recovery_damaged_segments"), 0)
        << "a segment torn at creation is reported as damage";
    EXPECT_TRUE(JournalFilesContaining(copy, ".damaged").empty());
    absl::StatusOr<std::vector<Message>> history = FullHistory(*reader, "alert.>");
    ASSERT_TRUE(history.ok()) << history.status();
    EXPECT_EQ(history->size(), 20u);
    reader.reset();
    TerminateCleanly(*broker);
  }
}

// Damage in the middle of a segment (a bad record with good ones after it):
// repair mode starts, sets the file aside as *.damaged-*, keeps the good
// prefix, says where, never claims the records after the damage and never
// reuses their seqs; strict mode refuses to start and changes nothing.
TEST_F(DurabilityTest, CorruptionIsSetAsideAndStrictRefuses) {
  constexpr size_t kAlerts = 200;
  const std::string data_dir = NewDataDir("damage");
  std::string zonecastd;
  std::map<std::string, uint64_t> acked;
  {
    BrokerProcess* broker = Start(data_dir);
    ASSERT_NE(broker, nullptr);
    zonecastd = ExecutableOf(broker->pid());
    std::unique_ptr<Client> center = Center(*broker, "center-damage");
    ASSERT_NE(center, nullptr);
    PublishOutcome out = PublishWindow(*center, kTopic, AlertIdRange("dmg-", 0, kAlerts), 100);
    ASSERT_EQ(out.acked.size(), kAlerts) << out.Summary();
    acked = out.acked;
    center.reset();
    TerminateCleanly(*broker);
  }
  ASSERT_FALSE(zonecastd.empty());
  const std::vector<std::string> segments = SegmentPaths(data_dir);
  ASSERT_FALSE(segments.empty());
  const std::string segment = segments.back();
  const DiskSegment original = ScanSegmentFile(segment);
  ASSERT_TRUE(original.clean()) << original.problem;
  const std::vector<const zonecast::testing::durability::DiskRecord*> publishes = original.alerts();
  ASSERT_EQ(publishes.size(), kAlerts);
  const auto& victim = *publishes[kAlerts / 2];
  uint64_t max_seq = 0;
  for (const auto& [id, seq] : acked) max_seq = std::max(max_seq, seq);

  // Bit rot inside the victim's payload.
  std::string bytes = ReadWholeFile(segment);
  const uint64_t middle = victim.offset + kRecordHeaderBytes + (victim.end - victim.offset) / 2;
  for (uint64_t k = 0; k < 3; ++k) bytes[middle + k] = static_cast<char>(bytes[middle + k] ^ 0x5a);
  ASSERT_TRUE(WriteWholeFile(segment, bytes));
  const std::string strict_copy = CopyOf(data_dir, "damage-strict");

  // Repair.
  BrokerProcess* broker = Start(data_dir);
  ASSERT_NE(broker, nullptr);
  const std::vector<std::string> aside = JournalFilesContaining(data_dir, ".damaged-");
  ASSERT_EQ(aside.size(), 1u);
  EXPECT_THAT(aside[0], HasSubstr(fs::path(segment).filename().string()));
  EXPECT_EQ(ReadWholeFile(aside[0]), bytes) << "the damaged file is kept as it was";
  EXPECT_EQ(FileSize(segment), victim.offset) << "the good prefix stays under the old name";
  EXPECT_THAT(broker->Log(), HasSubstr(segment));
  EXPECT_THAT(broker->Log(), HasSubstr(absl::StrCat("offset ", victim.offset)));
  std::unique_ptr<Client> center = Center(*broker, "center-after-damage");
  ASSERT_NE(center, nullptr);
  absl::StatusOr<v1::StatsSnapshot> stats = center->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Gauge(*stats, "recovery_damaged_segments"), 1);
  EXPECT_EQ(Gauge(*stats, "recovery_torn_tails"), 0);
  EXPECT_GE(Gauge(*stats, "last_seq"), static_cast<int64_t>(max_seq))
      << "seqs beyond the damage must not be reused";
  absl::StatusOr<std::vector<Message>> history = FullHistory(*center, "alert.>");
  ASSERT_TRUE(history.ok()) << history.status();
  std::vector<std::string> got;
  for (const Message& d : *history) got.push_back(d.event().alert().alert_id());
  std::vector<std::string> before;
  for (size_t k = 0; k < kAlerts / 2; ++k)
    before.push_back(publishes[k]->FindAlertId("dmg-", kIdDigits));
  EXPECT_EQ(got, before) << "exactly the records before the damage";
  // A new publish gets a seq above everything ever written.
  absl::StatusOr<PublishResult> next = center->PublishAlert(kTopic, MakeAlert("dmg-after", v1::P2));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_GT(next->seq(), max_seq);
  center.reset();
  TerminateCleanly(*broker);

  // Strict: refuses within a bounded time, says why, touches nothing.
  const TryStartResult strict =
      TryStartBroker(zonecastd, strict_copy, {"--recovery=strict"}, absl::Seconds(10));
  EXPECT_FALSE(strict.started) << "strict recovery started on a damaged journal";
  EXPECT_FALSE(strict.timed_out) << "strict zonecastd neither started nor exited within 10 s";
  EXPECT_NE(strict.exit_code, 0) << strict.log;
  EXPECT_THAT(strict.log, HasSubstr("damaged"));
  EXPECT_THAT(strict.log, HasSubstr(absl::StrCat("offset ", victim.offset)));
  EXPECT_TRUE(JournalFilesContaining(strict_copy, ".damaged").empty());
  EXPECT_EQ(ReadWholeFile(strict_copy + "/journal/" + fs::path(segment).filename().string()), bytes)
      << "strict recovery must not change the files";
}

// The checkpoint that opens every new segment carries the whole dedup
// window. With enough alert ids inside --dedup_window it grows past the
// largest record a scan accepts (16 MiB). The segment it opens must stay
// readable: every alert acknowledged into it has to survive a clean restart.
TEST_F(DurabilityTest, LargeDedupCheckpointKeepsAckedAlerts) {
  const std::string data_dir = NewDataDir("big-checkpoint");
  BrokerProcess* broker = Start(data_dir);
  ASSERT_NE(broker, nullptr);
  std::unique_ptr<Client> center = Center(*broker, "center-big-checkpoint");
  ASSERT_NE(center, nullptr);
  // Alert ids of 125 bytes (the broker takes up to 128): about 120,000 of
  // them fill a 16 MiB checkpoint, and about 140,000 alerts fill the
  // default 64 MiB segment, so the first roll writes a checkpoint over the
  // limit.
  const std::string prefix = std::string(119, 'k') + "-";
  std::map<std::string, uint64_t> acked;
  size_t published = 0;
  while (SegmentPaths(data_dir).size() < 2 && published < 400000) {
    PublishOutcome out = PublishWindow(*center, kTopic, AlertIdRange(prefix, published, 5000), 0,
                                       64, absl::Seconds(60));
    ASSERT_EQ(out.acked.size(), 5000u) << out.Summary();
    acked.insert(out.acked.begin(), out.acked.end());
    published += 5000;
  }
  ASSERT_GE(SegmentPaths(data_dir).size(), 2u) << "the journal never rolled";
  // Alerts acknowledged into the segment that the big checkpoint opened.
  PublishOutcome into_new = PublishWindow(*center, kTopic, AlertIdRange(prefix, published, 500), 0,
                                          64, absl::Seconds(60));
  ASSERT_EQ(into_new.acked.size(), 500u) << into_new.Summary();
  acked.insert(into_new.acked.begin(), into_new.acked.end());
  center.reset();
  TerminateCleanly(*broker);

  broker = Start(data_dir);
  ASSERT_NE(broker, nullptr);
  std::unique_ptr<Client> reader = Center(*broker, "reader-big-checkpoint");
  ASSERT_NE(reader, nullptr);
  absl::StatusOr<v1::StatsSnapshot> stats = reader->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Gauge(*stats, "recovery_torn_tails"), 0)
      << "a clean stop leaves no torn tail; recovery cut " << Gauge(*stats, "recovery_torn_bytes")
      << " bytes";
  EXPECT_EQ(Gauge(*stats, "recovery_damaged_segments"), 0);
  EXPECT_GE(Gauge(*stats, "last_seq"), static_cast<int64_t>(acked.size()))
      << "seqs already acknowledged would be handed out again";
  // Only the newest segment is in question; read History from its first seq.
  uint64_t since = UINT64_MAX;
  for (const auto& [id, seq] : into_new.acked) since = std::min(since, seq);
  absl::StatusOr<std::vector<Message>> history = FullHistory(*reader, "alert.>", since);
  ASSERT_TRUE(history.ok()) << history.status();
  std::set<std::string> stored;
  for (const Message& d : *history) stored.insert(d.event().alert().alert_id());
  size_t missing = 0;
  for (const auto& [id, seq] : into_new.acked) missing += stored.contains(id) ? 0 : 1;
  EXPECT_EQ(missing, 0u) << "of the last " << into_new.acked.size()
                         << " acknowledged alerts (after " << published << "), " << missing
                         << " are gone after a clean restart";
}

TEST_F(DurabilityTest, DedupAcrossRestart) {
  const std::string data_dir = NewDataDir("dedup");
  uint64_t original_seq = 0;
  {
    BrokerProcess* broker = Start(data_dir);
    ASSERT_NE(broker, nullptr);
    std::unique_ptr<Client> center = Center(*broker, "center-dedup");
    ASSERT_NE(center, nullptr);
    // Some other alerts around it, so that the seq is not trivially 1.
    ASSERT_TRUE(center->PublishAlert(kTopic, MakeAlert("dedup-before", v1::P2)).ok());
    absl::StatusOr<PublishResult> first =
        center->PublishAlert(kTopic, MakeAlert("lanhua-bridge-1", v1::P1));
    ASSERT_TRUE(first.ok()) << first.status();
    EXPECT_FALSE(first->duplicate());
    original_seq = first->seq();
    ASSERT_TRUE(center->PublishAlert(kTopic, MakeAlert("dedup-after", v1::P2)).ok());
    center.reset();
    broker->Kill();
  }
  BrokerProcess* broker = Start(data_dir);
  ASSERT_NE(broker, nullptr);
  std::unique_ptr<Client> center = Center(*broker, "center-dedup-2");
  ASSERT_NE(center, nullptr);
  absl::StatusOr<PublishResult> again =
      center->PublishAlert(kTopic, MakeAlert("lanhua-bridge-1", v1::P1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate());
  EXPECT_EQ(again->seq(), original_seq);
  EXPECT_EQ(again->alert_id(), "lanhua-bridge-1");
  absl::StatusOr<std::vector<Message>> history = FullHistory(*center, "alert.>");
  ASSERT_TRUE(history.ok()) << history.status();
  std::vector<uint64_t> seqs;
  for (const Message& d : *history) {
    if (d.event().alert().alert_id() == "lanhua-bridge-1") seqs.push_back(d.seq());
  }
  EXPECT_EQ(seqs, std::vector<uint64_t>{original_seq});
  EXPECT_EQ(history->size(), 3u);
  absl::StatusOr<v1::StatsSnapshot> stats = center->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(Counter(*stats, "duplicates"), 1u);
}

// `zonecast history` reads the journal through the broker: JSON lines with
// seq and alert_id, from --since-seq, at most --limit, exit 0; a malformed
// --since is a usage error (exit 2).
TEST_F(DurabilityTest, HistoryCli) {
  const std::string data_dir = NewDataDir("history-cli");
  BrokerProcess* broker = Start(data_dir);
  ASSERT_NE(broker, nullptr);
  std::unique_ptr<Client> center = Center(*broker, "center-cli");
  ASSERT_NE(center, nullptr);
  PublishOutcome out = PublishWindow(*center, kTopic, AlertIdRange("cli-", 0, 10), 20);
  ASSERT_EQ(out.acked.size(), 10u) << out.Summary();
  // Also a stored message that the pattern must leave out.
  ASSERT_TRUE(center->PublishAlert("alert.jincheng.z06", MakeAlert("cli-other-zone", v1::P2)).ok());
  std::vector<std::pair<uint64_t, std::string>> by_seq;  // in seq order
  for (const auto& [id, seq] : out.acked) by_seq.emplace_back(seq, id);
  std::sort(by_seq.begin(), by_seq.end());

  const uint64_t since = by_seq[3].first;
  const zonecast::testing::CliResult r =
      zonecast::testing::RunCli({"history", "--broker", broker->endpoint(), "--topic", kTopic,
                                 "--json", "--since-seq", absl::StrCat(since), "--limit", "4"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::vector<std::pair<uint64_t, std::string>> printed;
  for (absl::string_view line : absl::StrSplit(r.out, '\n', absl::SkipWhitespace())) {
    google::protobuf::Struct object;
    ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(std::string(line), &object).ok())
        << "not a JSON object: " << line;
    const auto& fields = object.fields();
    ASSERT_TRUE(fields.contains("seq") && fields.contains("alert_id")) << line;
    printed.emplace_back(static_cast<uint64_t>(fields.at("seq").number_value()),
                         fields.at("alert_id").string_value());
  }
  const std::vector<std::pair<uint64_t, std::string>> expected(by_seq.begin() + 3,
                                                               by_seq.begin() + 7);
  EXPECT_EQ(printed, expected) << r.out;
  EXPECT_THAT(r.err, HasSubstr(absl::StrCat("--since-seq ", by_seq[7].first)))
      << "the CLI says where to continue";

  // Past the end: nothing, still exit 0.
  const zonecast::testing::CliResult none =
      zonecast::testing::RunCli({"history", "--broker", broker->endpoint(), "--topic", "alert.>",
                                 "--json", "--since-seq", absl::StrCat(by_seq.back().first + 100)});
  EXPECT_EQ(none.exit_code, 0) << none.err;
  EXPECT_EQ(none.out, "");

  const zonecast::testing::CliResult bad = zonecast::testing::RunCli(
      {"history", "--broker", broker->endpoint(), "--topic", "alert.>", "--since", "yesterday"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err << bad.out;
  EXPECT_THAT(bad.err, HasSubstr("--since"));
}

}  // namespace
