#pragma once
// CURVE key pairs (libzmq's CurveZMQ, keys as 40-character Z85 text) and the
// files that hold them. `zonecast keygen` writes a pair; the broker reads its
// own secret key file; clients read theirs and the broker's public key file.
//
// A key file is JSON (v1::CurveKeyPair): the secret key file holds both keys
// and is written with mode 0600 and refused when group or others may read
// it; the public key file holds only the public key and may be copied
// anywhere.
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace zonecast {

struct CurveKeys {
  std::string public_key;  // Z85
  std::string secret_key;  // Z85; empty when read from a public key file
};

// InvalidArgument unless `key` is 40 characters of Z85 (32 bytes).
absl::Status ValidateCurveKey(absl::string_view key);
// The 32 bytes of a valid Z85 key (as ZAP hands keys over).
std::string CurveKeyBytes(absl::string_view key);
// Z85 text of 32 key bytes.
std::string CurveKeyText(absl::string_view bytes);

// A fresh pair from libzmq (libsodium's random source).
absl::StatusOr<CurveKeys> GenerateCurveKeys();

// Writes `keys` to `secret_path` (both keys, mode 0600) and its public key
// to `public_path`. AlreadyExists if either file exists (keys are not
// overwritten by accident); other errors name the file.
absl::Status WriteCurveKeyFiles(const CurveKeys& keys, const std::string& secret_path,
                                const std::string& public_path);

// Reads a secret key file. PermissionDenied when group or others may read
// it (the way ssh refuses such a key); InvalidArgument for a file that is
// not a key file, naming it.
absl::StatusOr<CurveKeys> ReadSecretKeyFile(const std::string& path);
// Reads the public key of a public (or secret) key file.
absl::StatusOr<std::string> ReadPublicKeyFile(const std::string& path);

}  // namespace zonecast
