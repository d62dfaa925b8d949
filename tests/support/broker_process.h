#pragma once
// BrokerProcess: a real zonecastd child process for integration tests, bound
// to an ephemeral loopback port, with its own temporary data directory and
// log file. The destructor kills it if the test did not stop it.
#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace zonecast::testing {

class BrokerProcess {
 public:
  // Starts zonecastd (path from the ZONECASTD_PATH compile definition) with
  // --listen tcp://127.0.0.1:* --data_dir <tmp>/data --ready_file ... plus
  // `extra_args`, and waits (bounded) for it to report its endpoint.
  // `data_dir`, when not empty, is used instead of a fresh one (restarts).
  static absl::StatusOr<std::unique_ptr<BrokerProcess>> Start(
      std::vector<std::string> extra_args = {}, std::string data_dir = "");

  ~BrokerProcess();
  BrokerProcess(const BrokerProcess&) = delete;
  BrokerProcess& operator=(const BrokerProcess&) = delete;

  const std::string& endpoint() const { return endpoint_; }
  // The consoles' endpoint (--dispatch_listen), empty without one.
  const std::string& dispatch_endpoint() const { return dispatch_endpoint_; }
  // HOST:PORT of the monitoring HTTP endpoint (from the ready file's http=).
  const std::string& http_endpoint() const { return http_endpoint_; }
  const std::string& data_dir() const { return data_dir_; }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and waits up to `timeout`. Returns the exit code, or
  // -signal if it died of a signal; DeadlineExceeded if it did not exit.
  absl::StatusOr<int> Terminate(absl::Duration timeout = absl::Seconds(10));
  // SIGKILL and reap.
  void Kill();
  bool running() const { return pid_ > 0; }

  // What the broker wrote to stderr so far.
  std::string Log() const;

 private:
  BrokerProcess() = default;
  absl::StatusOr<int> Wait(absl::Duration timeout);

  pid_t pid_ = -1;
  std::string dir_;
  std::string data_dir_;
  std::string log_path_;
  std::string endpoint_;
  std::string dispatch_endpoint_;
  std::string http_endpoint_;
};

// Starts argv[0] with argv, stdin from `in_path`, stdout and stderr to the
// given files (created or truncated). Returns its pid; the caller reaps it.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& out_path,
                            const std::string& err_path, const std::string& in_path = "/dev/null");

// A fresh private directory under $TMPDIR (or /tmp).
std::string MakeTempDir(const std::string& prefix);

// Polls `done` every millisecond or so until it returns true or `timeout`
// passes. Returns the last value of done().
bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout = absl::Seconds(10));

// Runs the zonecast CLI (ZONECAST_CLI_PATH) with `args`; collects stdout and
// the exit code. Bounded by `timeout` (killed after it, exit code -9).
struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CliResult RunCli(const std::vector<std::string>& args, absl::Duration timeout = absl::Seconds(20));
// Starts the zonecast CLI with `args` in the background, like Spawn; for a
// test that watches its output while it runs.
absl::StatusOr<pid_t> SpawnCli(const std::vector<std::string>& args, const std::string& out_path,
                               const std::string& err_path,
                               const std::string& in_path = "/dev/null");

}  // namespace zonecast::testing
