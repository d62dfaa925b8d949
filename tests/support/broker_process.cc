#include "support/broker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

extern char** environ;

namespace zonecast::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv, const std::string& out_path,
                            const std::string& err_path, const std::string& in_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return absl::InternalError(absl::StrCat("posix_spawn ", argv[0], ": ", rc));
  return pid;
}

namespace {

// Reaps `pid` within `timeout`: the exit code, or -signal.
absl::StatusOr<int> Reap(pid_t pid, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return -WTERMSIG(status);
      return -1;
    }
    if (r < 0) return absl::InternalError("waitpid failed");
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("process did not exit");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

std::string MakeTempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(base != nullptr ? base : "/tmp", "/", prefix, "-XXXXXX");
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  const char* dir = mkdtemp(buffer.data());
  return dir != nullptr ? std::string(dir) : std::string();
}

bool WaitUntil(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!done()) {
    if (absl::Now() >= deadline) return done();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

absl::StatusOr<std::unique_ptr<BrokerProcess>> BrokerProcess::Start(
    std::vector<std::string> extra_args, std::string data_dir) {
  std::unique_ptr<BrokerProcess> broker(new BrokerProcess());
  broker->dir_ = MakeTempDir("zonecastd-test");
  if (broker->dir_.empty()) return absl::InternalError("mkdtemp failed");
  broker->data_dir_ = data_dir.empty() ? broker->dir_ + "/data" : data_dir;
  broker->log_path_ = broker->dir_ + "/zonecastd.log";
  const std::string ready = broker->dir_ + "/ready";
  std::vector<std::string> argv = {ZONECASTD_PATH, "--listen=tcp://127.0.0.1:*",
                                   "--data_dir=" + broker->data_dir_, "--ready_file=" + ready,
                                   "--http=127.0.0.1:0"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  absl::StatusOr<pid_t> pid = Spawn(argv, broker->dir_ + "/stdout", broker->log_path_);
  if (!pid.ok()) return pid.status();
  broker->pid_ = *pid;
  bool exited = false;
  const bool up = WaitUntil(
      [&] {
        // A broker that refused to start (bad flags, strict recovery) has
        // exited: stop waiting at once.
        int status = 0;
        if (waitpid(broker->pid_, &status, WNOHANG) == broker->pid_) {
          exited = true;
          broker->pid_ = -1;
          return true;
        }
        const std::string text = ReadFile(ready);
        // The value of the line "key=value", or empty.
        auto value = [&text](absl::string_view key) {
          for (absl::string_view line : absl::StrSplit(text, '\n')) {
            if (absl::ConsumePrefix(&line, key) && absl::ConsumePrefix(&line, "=")) {
              return std::string(line);
            }
          }
          return std::string();
        };
        broker->endpoint_ = value("zmq");
        if (broker->endpoint_.empty()) return false;
        broker->http_endpoint_ = value("http");
        broker->dispatch_endpoint_ = value("dispatch");
        return true;
      },
      absl::Seconds(10));
  if (!up || exited) {
    const std::string log = broker->Log();
    broker->Kill();
    return absl::UnavailableError(absl::StrCat("zonecastd did not start; log:\n", log));
  }
  return broker;
}

BrokerProcess::~BrokerProcess() {
  if (pid_ > 0) Kill();
}

absl::StatusOr<int> BrokerProcess::Wait(absl::Duration timeout) {
  absl::StatusOr<int> code = Reap(pid_, timeout);
  if (code.ok()) pid_ = -1;
  return code;
}

absl::StatusOr<int> BrokerProcess::Terminate(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("not running");
  kill(pid_, SIGTERM);
  return Wait(timeout);
}

void BrokerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  (void)Wait(absl::Seconds(10)).ok();
}

std::string BrokerProcess::Log() const { return ReadFile(log_path_); }

absl::StatusOr<pid_t> SpawnCli(const std::vector<std::string>& args, const std::string& out_path,
                               const std::string& err_path, const std::string& in_path) {
  std::vector<std::string> argv = {ZONECAST_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  return Spawn(argv, out_path, err_path, in_path);
}

CliResult RunCli(const std::vector<std::string>& args, absl::Duration timeout) {
  CliResult result;
  const std::string dir = MakeTempDir("zonecast-cli");
  std::vector<std::string> argv = {ZONECAST_CLI_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<pid_t> pid = Spawn(argv, dir + "/out", dir + "/err");
  if (!pid.ok()) return result;
  absl::StatusOr<int> code = Reap(*pid, timeout);
  if (!code.ok()) {
    kill(*pid, SIGKILL);
    code = Reap(*pid, absl::Seconds(5));
  }
  result.exit_code = code.ok() ? *code : -1;
  result.out = ReadFile(dir + "/out");
  result.err = ReadFile(dir + "/err");
  return result;
}

}  // namespace zonecast::testing
