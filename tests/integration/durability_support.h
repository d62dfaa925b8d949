#pragma once
// Helpers shared by the durability integration tests (durability_test.cc,
// journal_storage_test.cc): an independent reader of the journal's segment
// files, file surgery (copy, truncate, flip bytes), paging through History,
// publishing a window of alerts, and running zonecastd by hand when a test
// expects it to refuse to start.
//
// The segment reader is written from the format in broker/journal_format.h
// on purpose, rather than linking the broker's SegmentScanner: these tests
// check the broker's files with code the broker does not share.
//
// Header-only (inline): the integration test CMake glob builds one binary
// per *_test.cc, and this header is not one.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "support/broker_process.h"
#include "support/test_clients.h"
#include "zonecast/client.h"

extern char** environ;

namespace zonecast::testing::durability {

// Journal format constants (broker/journal_format.h).
inline constexpr size_t kSegmentHeaderBytes = 32;
inline constexpr size_t kRecordHeaderBytes = 9;
inline constexpr uint8_t kPublishRecord = 1;
inline constexpr uint8_t kCheckpointRecord = 3;
inline constexpr char kSegmentMagic[] = "ZCJOURN1";

// CRC-32C (Castagnoli), bitwise, and LevelDB's masking.
inline uint32_t Crc32c(const char* data, size_t n, uint32_t crc = 0) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<uint8_t>(data[i]);
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
  }
  return ~crc;
}
inline uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

inline uint64_t LoadLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// One framed record of a segment as it lies on disk.
struct DiskRecord {
  uint64_t offset = 0;  // of the record header
  uint64_t end = 0;     // just past the payload
  uint8_t type = 0;
  std::string payload;
  // For a publish record: the alert id "<prefix><digits digits>" found in
  // its payload, or empty. The test ids are fixed-width, so no id is a
  // prefix of another, and the search does not depend on the layout of the
  // publish payload (which the broker may extend).
  std::string FindAlertId(const std::string& prefix, size_t digits) const {
    if (type != kPublishRecord) return "";
    const size_t at = payload.find(prefix);
    if (at == std::string::npos || at + prefix.size() + digits > payload.size()) return "";
    return payload.substr(at, prefix.size() + digits);
  }
  // For a publish record: its topic, from the layout in
  // broker/journal/journal_format.h (seq, time, priority whose high bit
  // says a fingerprint follows, alert id, topic); empty if it does not fit.
  std::string Topic() const {
    if (type != kPublishRecord || payload.size() < 19) return "";
    size_t pos = 17 + ((static_cast<uint8_t>(payload[16]) & 0x80) != 0 ? 4 : 0);
    if (payload.size() < pos + 2) return "";
    pos += 2 + LoadLe(payload.data() + pos, 2);
    if (payload.size() < pos + 2) return "";
    const size_t topic_len = LoadLe(payload.data() + pos, 2);
    pos += 2;
    if (payload.size() < pos + topic_len) return "";
    return payload.substr(pos, topic_len);
  }
};

struct DiskSegment {
  std::string path;
  uint64_t size = 0;
  bool header_ok = false;
  uint64_t index = 0;
  uint64_t first_seq = 0;
  std::vector<DiskRecord> records;  // the good records, in file order
  uint64_t good_bytes = 0;          // end of the last good record
  std::string problem;              // empty when the file ends cleanly

  bool clean() const { return header_ok && problem.empty() && good_bytes == size; }
  // Bytes of the checkpoint records that open the segment.
  uint64_t checkpoint_bytes_total() const {
    uint64_t bytes = 0;
    for (const DiskRecord& r : records) {
      if (r.type != kCheckpointRecord) break;
      bytes += r.end - r.offset;
    }
    return bytes;
  }
  std::vector<const DiskRecord*> publishes() const {
    std::vector<const DiskRecord*> out;
    for (const DiskRecord& r : records) {
      if (r.type == kPublishRecord) out.push_back(&r);
    }
    return out;
  }
  // The publishes on alert topics: without the notices the broker adds on
  // escalation.<city> (an alert no unit was online for escalates at once).
  std::vector<const DiskRecord*> alerts() const {
    std::vector<const DiskRecord*> out;
    for (const DiskRecord& r : records) {
      if (r.type == kPublishRecord && r.Topic().rfind("alert.", 0) == 0) out.push_back(&r);
    }
    return out;
  }
  // Offsets at which a cut leaves only whole records: the header's end and
  // every record's end.
  std::vector<uint64_t> Boundaries() const {
    std::vector<uint64_t> out = {kSegmentHeaderBytes};
    for (const DiskRecord& r : records) out.push_back(r.end);
    return out;
  }
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline bool WriteWholeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

// Scans `bytes` (a segment file's contents) from the start, stopping at the
// first record that does not check.
inline DiskSegment ScanSegmentBytes(const std::string& path, const std::string& bytes) {
  DiskSegment segment;
  segment.path = path;
  segment.size = bytes.size();
  if (bytes.size() < kSegmentHeaderBytes) {
    segment.problem = "short segment header";
    return segment;
  }
  const char* h = bytes.data();
  uint32_t header_crc = Crc32c(h, 12);
  header_crc = Crc32c(h + 16, kSegmentHeaderBytes - 16, header_crc);
  if (std::string(h, 8) != kSegmentMagic || LoadLe(h + 12, 4) != MaskCrc(header_crc)) {
    segment.problem = "bad segment header";
    return segment;
  }
  segment.header_ok = true;
  segment.index = LoadLe(h + 16, 8);
  segment.first_seq = LoadLe(h + 24, 8);
  uint64_t at = kSegmentHeaderBytes;
  segment.good_bytes = at;
  while (at < bytes.size()) {
    if (bytes.size() - at < kRecordHeaderBytes) {
      segment.problem = "short record header";
      break;
    }
    const char* p = bytes.data() + at;
    const uint64_t length = LoadLe(p + 4, 4);
    if (length > bytes.size() - at - kRecordHeaderBytes) {
      segment.problem = "record runs past the end";
      break;
    }
    if (LoadLe(p, 4) != MaskCrc(Crc32c(p + 4, 5 + length))) {
      segment.problem = "checksum mismatch";
      break;
    }
    DiskRecord record;
    record.offset = at;
    record.end = at + kRecordHeaderBytes + length;
    record.type = static_cast<uint8_t>(p[8]);
    record.payload.assign(p + kRecordHeaderBytes, length);
    segment.records.push_back(std::move(record));
    at = segment.records.back().end;
    segment.good_bytes = at;
  }
  return segment;
}

inline DiskSegment ScanSegmentFile(const std::string& path) {
  return ScanSegmentBytes(path, ReadWholeFile(path));
}

inline std::string JournalDir(const std::string& data_dir) { return data_dir + "/journal"; }

// Segment files (<16 digits>.zcj) of a data dir, oldest first.
inline std::vector<std::string> SegmentPaths(const std::string& data_dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(JournalDir(data_dir), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() == 20 && name.ends_with(".zcj") &&
        std::all_of(name.begin(), name.begin() + 16, [](char c) { return c >= '0' && c <= '9'; })) {
      out.push_back(entry.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Names in the journal dir that contain `part` (e.g. ".damaged-").
inline std::vector<std::string> JournalFilesContaining(const std::string& data_dir,
                                                       const std::string& part) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(JournalDir(data_dir), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find(part) != std::string::npos) out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline uint64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<uint64_t>(size);
}

// Copies a data dir (recursively) to a fresh directory; returns its path.
inline std::string CopyDataDir(const std::string& from, const std::string& prefix) {
  const std::string to = MakeTempDir(prefix) + "/data";
  std::filesystem::copy(from, to, std::filesystem::copy_options::recursive);
  return to;
}

// Removes a directory tree when it goes out of scope.
class ScopedDir {
 public:
  explicit ScopedDir(std::string path) : path_(std::move(path)) {}
  ~ScopedDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  ScopedDir(const ScopedDir&) = delete;
  ScopedDir& operator=(const ScopedDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Every stored message matching `pattern`, paging with since_seq/next_seq.
inline absl::StatusOr<std::vector<Message>> FullHistory(Client& client, const std::string& pattern,
                                                        uint64_t since_seq = 0,
                                                        uint32_t page_limit = 10000) {
  std::vector<Message> all;
  for (int page = 0; page < 1000; ++page) {
    HistoryQuery query;
    query.pattern = pattern;
    query.since_seq = since_seq;
    query.limit = page_limit;
    absl::StatusOr<HistoryPage> chunk = client.History(query);
    if (!chunk.ok()) return chunk.status();
    for (Message& m : chunk->messages) all.push_back(std::move(m));
    const uint64_t next_seq = chunk->next_seq;
    if (next_seq == 0) return all;
    if (next_seq <= since_seq) {
      return absl::InternalError(
          absl::StrCat("history next_seq ", next_seq, " does not move past since_seq ", since_seq));
    }
    since_seq = next_seq;
  }
  return absl::InternalError("history paging did not end within 1000 pages");
}

// Outcome of PublishWindow.
struct PublishOutcome {
  std::map<std::string, uint64_t> acked;  // alert id -> seq of its PubAck
  std::vector<std::string> errors;        // "<alert id>: <status>"
  absl::Status status;                    // the first transport-level failure

  // For failure messages: the status, how many errors, and the first one
  // (shortened).
  std::string Summary() const {
    std::string first = errors.empty() ? "" : errors.front().substr(0, 300);
    return absl::StrCat("status ", status.ToString(), "; ", acked.size(), " acked, ", errors.size(),
                        " errors", errors.empty() ? "" : ", first: ", first);
  }
};

// Publishes one alert per id on `topic`, keeping up to `window` PubAcks
// outstanding, and waits (bounded by `timeout`) until every one is answered.
inline PublishOutcome PublishWindow(Client& client, const std::string& topic,
                                    const std::vector<std::string>& ids, size_t body_bytes,
                                    size_t window = 32,
                                    absl::Duration timeout = absl::Seconds(30)) {
  // Shared with the callbacks: after an early return, an answer still due
  // runs its callback inside a later call of the client.
  struct Window {
    PublishOutcome out;
    size_t outstanding = 0;
  };
  auto state = std::make_shared<Window>();
  size_t next = 0;
  const absl::Time deadline = absl::Now() + timeout;
  while (next < ids.size() || state->outstanding > 0) {
    if (absl::Now() >= deadline) {
      state->out.status = absl::DeadlineExceededError(
          absl::StrCat(state->outstanding, " publishes unanswered, ", ids.size() - next,
                       " not sent, after ", absl::FormatDuration(timeout)));
      return state->out;
    }
    while (next < ids.size() && state->outstanding < window) {
      const std::string id = ids[next];
      // Counted before the send: the answer may come inside PublishAsync.
      ++state->outstanding;
      absl::Status sent = PublishAlertAsync(
          client, topic, MakeAlert(id, v1::P2, body_bytes),
          [state, id](absl::StatusOr<PublishResult> result) {
            --state->outstanding;
            if (result.ok()) {
              state->out.acked[id] = result->seq();
            } else {
              state->out.errors.push_back(absl::StrCat(id, ": ", result.status().ToString()));
            }
          });
      if (!sent.ok()) {
        --state->outstanding;  // refused at once: its callback never runs
        state->out.status = sent;
        return state->out;
      }
      ++next;
    }
    // The next answer, or a while without one; the deadline above bounds it.
    (void)AwaitOnePubAck(client, std::min(absl::Milliseconds(100), deadline - absl::Now()));
  }
  return state->out;
}

// Fixed-width alert ids "<prefix>00000" ... (kIdDigits digits).
inline constexpr size_t kIdDigits = 5;
inline std::string AlertId(const std::string& prefix, size_t n) {
  std::string digits = std::to_string(n);
  return prefix + std::string(kIdDigits - std::min(kIdDigits, digits.size()), '0') + digits;
}
inline std::vector<std::string> AlertIdRange(const std::string& prefix, size_t first,
                                             size_t count) {
  std::vector<std::string> ids;
  for (size_t i = first; i < first + count; ++i) ids.push_back(AlertId(prefix, i));
  return ids;
}

// The zonecastd binary a running broker executes (BrokerProcess keeps its
// path private; /proc knows it).
inline std::string ExecutableOf(pid_t pid) {
  std::error_code ec;
  const auto path = std::filesystem::read_symlink(absl::StrCat("/proc/", pid, "/exe"), ec);
  return ec ? std::string() : path.string();
}

// The outcome of TryStartBroker.
struct TryStartResult {
  bool started = false;  // it reported its endpoint (then it was stopped again)
  int exit_code = -1;    // when it exited by itself: its code, or -signal
  bool timed_out = false;
  std::string log;  // its stderr
};

// Runs `zonecastd` on `data_dir` with `extra_args` and waits (bounded) until
// it either reports its endpoint or exits; a started broker is stopped
// again with SIGTERM. For starts that may be refused: BrokerProcess::Start
// would wait its whole ready timeout for a process that has already exited.
inline TryStartResult TryStartBroker(const std::string& zonecastd, const std::string& data_dir,
                                     const std::vector<std::string>& extra_args,
                                     absl::Duration timeout = absl::Seconds(10)) {
  TryStartResult result;
  const std::string dir = MakeTempDir("zonecastd-try");
  const std::string err = dir + "/stderr";
  const std::string ready = dir + "/ready";
  std::vector<std::string> argv = {zonecastd, "--listen=tcp://127.0.0.1:*", "--http=127.0.0.1:0",
                                   "--data_dir=" + data_dir, "--ready_file=" + ready};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  absl::StatusOr<pid_t> spawned = zonecast::testing::Spawn(argv, "/dev/null", err);
  if (!spawned.ok()) {
    result.log = std::string(spawned.status().message());
    return result;
  }
  const pid_t pid = *spawned;
  int status = 0;
  bool exited = false;
  WaitUntil(
      [&] {
        exited = waitpid(pid, &status, WNOHANG) == pid;
        result.started = !exited && ReadWholeFile(ready).find("zmq=") != std::string::npos;
        return exited || result.started;
      },
      timeout);
  if (!exited) {
    result.timed_out = !result.started;
    kill(pid, result.started ? SIGTERM : SIGKILL);
    if (!WaitUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; }, absl::Seconds(10))) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
    }
  } else if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = -WTERMSIG(status);
  }
  result.log = ReadWholeFile(err);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return result;
}

// Fixture base: brokers and temp dirs owned by the test, logs printed on
// failure, everything killed and removed at the end.
class DurabilityFixture : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure()) {
      for (const auto& broker : brokers_) {
        const std::string log = broker->Log();
        std::cerr << "---- zonecastd log (last 3000 bytes):\n"
                  << (log.size() > 3000 ? log.substr(log.size() - 3000) : log) << "\n";
      }
    }
    brokers_.clear();  // kills what still runs
    std::error_code ec;
    for (const std::string& dir : cleanup_) std::filesystem::remove_all(dir, ec);
  }

  // A fresh data dir, removed after the test.
  std::string NewDataDir(const std::string& prefix) {
    const std::string dir = MakeTempDir(prefix);
    cleanup_.push_back(dir);
    return dir + "/data";
  }
  // A copy of `data_dir`, removed after the test.
  std::string CopyOf(const std::string& data_dir, const std::string& prefix) {
    const std::string copy = CopyDataDir(data_dir, prefix);
    cleanup_.push_back(std::filesystem::path(copy).parent_path().string());
    return copy;
  }

  // Starts zonecastd on `data_dir`; nullptr (with a failure) if it does not.
  BrokerProcess* Start(const std::string& data_dir, std::vector<std::string> args = {}) {
    auto broker = BrokerProcess::Start(std::move(args), data_dir);
    EXPECT_TRUE(broker.ok()) << broker.status();
    if (!broker.ok()) return nullptr;
    brokers_.push_back(*std::move(broker));
    return brokers_.back().get();
  }

  // A center client. Its requests may wait up to 20 s: History over a big
  // journal on a loaded CI machine can take longer than the usual 5 s.
  static std::unique_ptr<Client> Center(const BrokerProcess& broker, const std::string& unit) {
    ClientOptions options = TestClientOptions(broker.endpoint(), v1::CENTER, unit);
    options.request_timeout = absl::Seconds(20);
    auto client = Client::Connect(options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }

  static void TerminateCleanly(BrokerProcess& broker) {
    absl::StatusOr<int> code = broker.Terminate(absl::Seconds(10));
    ASSERT_TRUE(code.ok()) << code.status();
    ASSERT_EQ(*code, 0) << broker.Log();
  }

  std::vector<std::unique_ptr<BrokerProcess>> brokers_;
  std::vector<std::string> cleanup_;
};

// A small tmpfs mounted for one test (root only), unmounted when the test
// ends, even on failure.
class Tmpfs {
 public:
  // Mounts a tmpfs of `size` (mount(8) syntax, e.g. "2m") on a fresh
  // directory. On failure, error() says why.
  explicit Tmpfs(const std::string& size) {
    dir_ = ::zonecast::testing::MakeTempDir("zonecast-tmpfs");
    const std::string command =
        absl::StrCat("mount -t tmpfs -o size=", size, " tmpfs '", dir_, "' 2>&1");
    if (std::system(command.c_str()) != 0) {
      error_ = absl::StrCat("`", command, "` failed");
    } else {
      mounted_ = true;
    }
  }
  ~Tmpfs() { Unmount(); }
  Tmpfs(const Tmpfs&) = delete;
  Tmpfs& operator=(const Tmpfs&) = delete;

  // REQUIRES: nothing has files open on it any more (stop brokers first).
  void Unmount() {
    if (mounted_) {
      // A lazy unmount as the fallback, so that a stuck test cannot leave
      // the mount behind.
      if (std::system(absl::StrCat("umount '", dir_, "'").c_str()) != 0) {
        (void)std::system(absl::StrCat("umount -l '", dir_, "'").c_str());
      }
      mounted_ = false;
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }

  bool mounted() const { return mounted_; }
  const std::string& dir() const { return dir_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  std::string error_;
  bool mounted_ = false;
};

// Fills the file system holding `path` with a file at `path` until a write
// fails with ENOSPC. Returns the bytes written, or -errno of another error.
inline int64_t FillUntilFull(const std::string& path) {
  FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return -errno;
  std::setvbuf(file, nullptr, _IONBF, 0);
  const std::string block(64 << 10, 'f');
  int64_t written = 0;
  // Large writes first, then smaller ones to use the last free bytes.
  for (size_t size = block.size(); size >= 1; size /= 2) {
    while (std::fwrite(block.data(), 1, size, file) == size) written += size;
    if (errno != ENOSPC) {
      const int error = errno;
      std::fclose(file);
      return -error;
    }
    std::clearerr(file);
  }
  std::fclose(file);
  return written;
}

}  // namespace zonecast::testing::durability
