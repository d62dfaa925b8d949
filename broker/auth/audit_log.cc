#include "auth/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "shared/proto_json.h"

namespace zonecast {
namespace {

int OpenForAppend(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

}  // namespace

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(Options options, const Clock& clock) {
  const int fd = OpenForAppend(options.path);
  if (fd < 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot open audit log ", options.path, ": ", std::strerror(errno)));
  }
  struct stat info {};
  const uint64_t size = ::fstat(fd, &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(options), clock, fd, size));
}

AuditLog::~AuditLog() {
  if (fd_ >= 0) ::close(fd_);
}

bool AuditLog::Record(v1::AuditEvent event) {
  event.set_unix_ms(absl::ToUnixMillis(clock_.NowWall()));
  // The fields of v1::AuditEvent in order, the empty ones left out, the
  // time as a JSON number. Written by hand rather than by walking protobuf's
  // JSON image: the log runs on every connect, and this is one string.
  std::string line = absl::StrCat("{\"unix_ms\":", event.unix_ms());
  const std::pair<absl::string_view, const std::string*> fields[] = {
      {"event", &event.event()},
      {"identity", &event.identity()},
      {"role", &event.role()},
      {"address", &event.address()},
      {"public_key", &event.public_key()},
      {"detail", &event.detail()}};
  for (const auto& [name, value] : fields) {
    if (!value->empty()) absl::StrAppend(&line, ",\"", name, "\":", JsonString(*value));
  }
  line += "}\n";
  if (size_ > 0 && size_ + line.size() > options_.max_bytes && !Rotate()) return false;
  if (fd_ < 0) return false;
  size_t done = 0;
  while (done < line.size()) {
    const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  size_ += line.size();
  return true;
}

bool AuditLog::Rotate() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  // PATH.keep goes; PATH.(n-1) -> PATH.n ... PATH -> PATH.1.
  for (int n = options_.keep; n >= 1; --n) {
    const std::string from = n == 1 ? options_.path : absl::StrCat(options_.path, ".", n - 1);
    const std::string to = absl::StrCat(options_.path, ".", n);
    (void)std::rename(from.c_str(), to.c_str());  // a missing one is fine
  }
  if (options_.keep < 1) (void)::unlink(options_.path.c_str());
  fd_ = OpenForAppend(options_.path);
  size_ = 0;
  return fd_ >= 0;
}

}  // namespace zonecast
