#include "shared/curve_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/util/json_util.h"
#include "shared/proto_json.h"
#include "zmq.h"
#include "zonecast/config.pb.h"

namespace zonecast {
namespace {

constexpr size_t kKeyBytes = 32;
constexpr size_t kKeyChars = 40;
// ZeroMQ's Z85 (RFC 32) characters.
constexpr absl::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
// A key file is a few hundred bytes; anything much bigger is not one.
constexpr size_t kMaxKeyFileBytes = 64 * 1024;

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  const int error = errno;
  std::string text = absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(error));
  if (error == EEXIST) return absl::AlreadyExistsError(text);
  if (error == ENOENT) return absl::NotFoundError(text);
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(text);
  return absl::UnavailableError(text);
}

// Creates `path` (it must not exist) with `mode` and writes `text`.
absl::Status WriteNewFile(const std::string& path, const std::string& text, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return ErrnoError("create", path);
  // The umask may only have narrowed the mode; make it exactly `mode`.
  bool ok = ::fchmod(fd, mode) == 0;
  size_t done = 0;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  absl::Status status = ok ? absl::OkStatus() : ErrnoError("write", path);
  ::close(fd);
  if (!status.ok()) ::unlink(path.c_str());
  return status;
}

// Reads a key file; with `secret`, refuses one that group or others may read.
absl::StatusOr<v1::CurveKeyPair> ReadKeyFile(const std::string& path, bool secret) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open key file", path);
  struct stat info {};
  std::string text;
  absl::Status status;
  if (::fstat(fd, &info) != 0) {
    status = ErrnoError("stat key file", path);
  } else if (secret && (info.st_mode & 077) != 0) {
    status = absl::PermissionDeniedError(
        absl::StrCat("secret key file ", path, " may be read by others (mode ",
                     absl::StrFormat("%04o", info.st_mode & 07777), "); chmod 600 it"));
  } else if (!S_ISREG(info.st_mode) || static_cast<size_t>(info.st_size) > kMaxKeyFileBytes) {
    status = absl::InvalidArgumentError(absl::StrCat(path, " is not a key file"));
  } else {
    char chunk[4096];
    ssize_t n;
    while ((n = ::read(fd, chunk, sizeof chunk)) > 0 && text.size() <= kMaxKeyFileBytes) {
      text.append(chunk, static_cast<size_t>(n));
    }
    if (n < 0) status = ErrnoError("read key file", path);
  }
  ::close(fd);
  if (!status.ok()) return status;
  v1::CurveKeyPair keys;
  if (auto parsed = google::protobuf::util::JsonStringToMessage(text, &keys); !parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a key file: ", std::string(parsed.message())));
  }
  if (absl::Status valid = ValidateCurveKey(keys.public_key()); !valid.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": public_key: ", valid.message()));
  }
  if (secret) {
    if (absl::Status valid = ValidateCurveKey(keys.secret_key()); !valid.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": secret_key: ", valid.message()));
    }
  }
  return keys;
}

}  // namespace

absl::Status ValidateCurveKey(absl::string_view key) {
  if (key.size() != kKeyChars) {
    return absl::InvalidArgumentError(
        absl::StrCat("a CURVE key is ", kKeyChars, " characters of Z85, not ", key.size()));
  }
  // Checked here, not left to zmq_z85_decode: it reads a C string, so a NUL
  // inside would end the key early and leave the rest undecoded.
  for (char c : key) {
    if (kZ85Alphabet.find(c) == absl::string_view::npos) {
      return absl::InvalidArgumentError("a CURVE key is Z85 text; this one has other characters");
    }
  }
  uint8_t bytes[kKeyBytes];
  const std::string text(key);
  if (zmq_z85_decode(bytes, text.c_str()) == nullptr) {
    return absl::InvalidArgumentError("a CURVE key is Z85 text; this one does not decode");
  }
  return absl::OkStatus();
}

std::string CurveKeyBytes(absl::string_view key) {
  if (!ValidateCurveKey(key).ok()) return "";
  uint8_t bytes[kKeyBytes];
  const std::string text(key);
  (void)zmq_z85_decode(bytes, text.c_str());
  return std::string(reinterpret_cast<const char*>(bytes), kKeyBytes);
}

std::string CurveKeyText(absl::string_view bytes) {
  if (bytes.size() != kKeyBytes) return "";
  char text[kKeyChars + 1];
  if (zmq_z85_encode(text, reinterpret_cast<const uint8_t*>(bytes.data()), kKeyBytes) == nullptr) {
    return "";
  }
  return std::string(text, kKeyChars);
}

absl::StatusOr<CurveKeys> GenerateCurveKeys() {
  char public_key[kKeyChars + 1];
  char secret_key[kKeyChars + 1];
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    return absl::UnimplementedError(
        absl::StrCat("libzmq cannot make CURVE keys: ", zmq_strerror(zmq_errno())));
  }
  return CurveKeys{std::string(public_key, kKeyChars), std::string(secret_key, kKeyChars)};
}

absl::Status WriteCurveKeyFiles(const CurveKeys& keys, const std::string& secret_path,
                                const std::string& public_path) {
  if (::access(public_path.c_str(), F_OK) == 0) {
    return absl::AlreadyExistsError(absl::StrCat(public_path, " exists; keys are not overwritten"));
  }
  v1::CurveKeyPair pair;
  pair.set_public_key(keys.public_key);
  pair.set_secret_key(keys.secret_key);
  JsonOptions pretty;
  pretty.pretty = true;
  if (absl::Status status = WriteNewFile(secret_path, ProtoToJson(pair, pretty) + "\n", 0600);
      !status.ok()) {
    if (absl::IsAlreadyExists(status)) {
      return absl::AlreadyExistsError(
          absl::StrCat(secret_path, " exists; keys are not overwritten"));
    }
    return status;
  }
  pair.clear_secret_key();
  pretty.all_fields = false;
  if (absl::Status status = WriteNewFile(public_path, ProtoToJson(pair, pretty) + "\n", 0644);
      !status.ok()) {
    ::unlink(secret_path.c_str());  // half a pair is of no use
    return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<CurveKeys> ReadSecretKeyFile(const std::string& path) {
  absl::StatusOr<v1::CurveKeyPair> keys = ReadKeyFile(path, /*secret=*/true);
  if (!keys.ok()) return keys.status();
  return CurveKeys{keys->public_key(), keys->secret_key()};
}

absl::StatusOr<std::string> ReadPublicKeyFile(const std::string& path) {
  absl::StatusOr<v1::CurveKeyPair> keys = ReadKeyFile(path, /*secret=*/false);
  if (!keys.ok()) return keys.status();
  return keys->public_key();
}

}  // namespace zonecast
