#include "journal/journal_manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "common/crc32c.h"
#include "journal/journal_format.h"
#include "journal/sync_file.h"

namespace zonecast::journal {
namespace {

constexpr char kHighWaterMagic[4] = {'Z', 'C', 'H', 'W'};
constexpr size_t kHighWaterBytes = 16;

// NotFound if `path` does not exist.
absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat(path, " does not exist"));
    return ErrnoStatus(absl::StrCat("open ", path));
  }
  std::string bytes;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      absl::Status status = ErrnoStatus(absl::StrCat("read ", path));
      ::close(fd);
      return status;
    }
    if (n == 0) break;
    bytes.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return bytes;
}

std::string EncodeHighWater(uint64_t seq) {
  std::string out(kHighWaterMagic, sizeof(kHighWaterMagic));
  std::string body;
  PutFixed64(&body, seq);
  PutFixed32(&out, crc32c::Mask(crc32c::Value(body.data(), body.size())));
  out += body;
  return out;
}

}  // namespace

absl::StatusOr<v1::JournalManifest> ReadManifest(const std::string& journal_dir) {
  const std::string path = absl::StrCat(journal_dir, "/", kManifestFileName);
  absl::StatusOr<std::string> bytes = ReadWholeFile(path);
  if (!bytes.ok()) return bytes.status();
  v1::JournalManifest manifest;
  if (bytes->size() < 4 ||
      GetFixed32(bytes->data()) !=
          crc32c::Mask(crc32c::Value(bytes->data() + 4, bytes->size() - 4)) ||
      !manifest.ParseFromArray(bytes->data() + 4, static_cast<int>(bytes->size() - 4))) {
    return absl::DataLossError(absl::StrCat(path, " is damaged (bad checksum or contents)"));
  }
  return manifest;
}

absl::Status WriteManifest(const std::string& journal_dir, const v1::JournalManifest& manifest) {
  const std::string body = manifest.SerializeAsString();
  std::string bytes;
  PutFixed32(&bytes, crc32c::Mask(crc32c::Value(body.data(), body.size())));
  bytes += body;
  return ReplaceFile(journal_dir, absl::StrCat(journal_dir, "/", kManifestFileName), bytes);
}

absl::StatusOr<uint64_t> ReadHighWater(const std::string& journal_dir) {
  const std::string path = absl::StrCat(journal_dir, "/", kHighWaterFileName);
  absl::StatusOr<std::string> bytes = ReadWholeFile(path);
  if (absl::IsNotFound(bytes.status())) return 0;
  if (!bytes.ok()) return bytes.status();
  if (bytes->size() != kHighWaterBytes ||
      bytes->compare(0, sizeof(kHighWaterMagic), kHighWaterMagic, sizeof(kHighWaterMagic)) != 0 ||
      GetFixed32(bytes->data() + 4) != crc32c::Mask(crc32c::Value(bytes->data() + 8, 8))) {
    return absl::DataLossError(absl::StrCat(path, " is damaged (bad size, magic or checksum)"));
  }
  return GetFixed64(bytes->data() + 8);
}

HighWaterFile::~HighWaterFile() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status HighWaterFile::Open(const std::string& journal_dir) {
  path_ = absl::StrCat(journal_dir, "/", kHighWaterFileName);
  fd_ = ::open(path_.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
  if (fd_ < 0) return ErrnoStatus(absl::StrCat("open ", path_));
  return absl::OkStatus();
}

absl::Status HighWaterFile::Store(uint64_t seq) {
  if (fd_ < 0) return absl::FailedPreconditionError("high-water file not open");
  const std::string bytes = EncodeHighWater(seq);
  // One page, one write at offset 0: the file is never seen half-updated
  // after a process crash.
  const ssize_t n = ::pwrite(fd_, bytes.data(), bytes.size(), 0);
  if (n != static_cast<ssize_t>(bytes.size())) {
    if (n >= 0) errno = EIO;
    return ErrnoStatus(absl::StrCat("write ", path_));
  }
  return absl::OkStatus();
}

}  // namespace zonecast::journal
