#include "journal/sync_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace zonecast::journal {

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status WriteNewFile(const std::string& path, absl::string_view bytes) {
  const int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus(absl::StrCat("create ", path));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) errno = EIO;
      absl::Status status = ErrnoStatus(absl::StrCat("write ", path));
      ::close(fd);
      return status;
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  absl::Status status = synced ? absl::OkStatus() : ErrnoStatus(absl::StrCat("fsync ", path));
  ::close(fd);
  return status;
}

absl::Status ReplaceFile(const std::string& dir, const std::string& path, absl::string_view bytes) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());  // left by a crash between write and rename
  if (absl::Status status = WriteNewFile(tmp, bytes); !status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    absl::Status status = ErrnoStatus(absl::StrCat("rename ", tmp));
    ::unlink(tmp.c_str());
    return status;
  }
  return SyncDir(dir);
}

absl::Status SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(absl::StrCat("open ", dir));
  const bool ok = ::fsync(fd) == 0;
  absl::Status status = ok ? absl::OkStatus() : ErrnoStatus(absl::StrCat("fsync ", dir));
  ::close(fd);
  return status;
}

}  // namespace zonecast::journal
