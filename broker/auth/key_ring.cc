#include "auth/key_ring.h"

#include <sodium.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "protocol/topic.h"
#include "shared/curve_keys.h"
#include "shared/proto_json.h"

namespace zonecast {
namespace {

// A token of a topic: a city or zone id.
absl::Status ValidateToken(absl::string_view what, absl::string_view token) {
  if (token.empty() || token.find('.') != absl::string_view::npos || HasWildcard(token) ||
      !ValidateTopic(token).ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", token, "' must be one topic token of [a-z0-9_-]"));
  }
  return absl::OkStatus();
}

absl::Status CheckTokenHash(absl::string_view hash) {
  if (hash.size() != 2 * crypto_hash_sha256_BYTES) {
    return absl::InvalidArgumentError(
        absl::StrCat("http_token_sha256 must be 64 hex digits (printf %s TOKEN | sha256sum), not ",
                     hash.size(), " characters"));
  }
  for (char c : hash) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c)) || absl::ascii_isupper(c)) {
      return absl::InvalidArgumentError("http_token_sha256 must be lowercase hex digits");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckGrant(const v1::KeyGrant& grant) {
  // An operator who works only on the wall signs in with a token, no key.
  if (!grant.public_key().empty() || grant.http_token_sha256().empty()) {
    if (absl::Status status = ValidateCurveKey(grant.public_key()); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("public_key: ", status.message()));
    }
  }
  if (!grant.http_token_sha256().empty()) {
    if (grant.role() != v1::CENTER) {
      return absl::InvalidArgumentError(
          "only a CENTER operator signs in to the wall's console (http_token_sha256)");
    }
    if (absl::Status status = CheckTokenHash(grant.http_token_sha256()); !status.ok()) {
      return status;
    }
  }
  if (absl::Status status = ValidateUnitId(grant.identity()); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("identity: ", status.message()));
  }
  if (grant.role() != v1::CENTER && grant.role() != v1::TERMINAL && grant.role() != v1::PROBE) {
    return absl::InvalidArgumentError("role must be CENTER, TERMINAL or PROBE");
  }
  if (grant.role() == v1::TERMINAL && grant.zones().empty()) {
    return absl::InvalidArgumentError("a terminal needs the zones it serves");
  }
  for (const std::string& zone : grant.zones()) {
    if (absl::Status status = ValidateToken("zone", zone); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> SubscribeGrants(const v1::KeyGrant& grant, absl::string_view city) {
  switch (grant.role()) {
    case v1::CENTER:
      return {">"};
    case v1::PROBE:
      return {"probe.>", "sys.>"};
    case v1::TERMINAL: {
      std::vector<std::string> patterns;
      for (const std::string& zone : grant.zones()) {
        patterns.push_back(absl::StrCat("alert.", city, ".", zone));
      }
      if (grant.escalation()) patterns.push_back(absl::StrCat("escalation.", city));
      patterns.push_back(absl::StrCat("radio.", city, ".*.", grant.identity()));
      return patterns;
    }
    default:
      return {};
  }
}

absl::StatusOr<KeyRing> KeyRing::Load(const std::string& path) {
  v1::KeysFile file;
  if (absl::Status status = ReadJsonFile(path, "keys file", &file); !status.ok()) return status;
  absl::StatusOr<KeyRing> ring = FromFile(file);
  if (!ring.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("keys file ", path, ": ", ring.status().message()));
  }
  return ring;
}

absl::StatusOr<KeyRing> KeyRing::FromFile(const v1::KeysFile& file) {
  if (absl::Status status = ValidateToken("city", file.city()); !status.ok()) return status;
  KeyRing ring;
  for (int i = 0; i < file.grants_size(); ++i) {
    const v1::KeyGrant& grant = file.grants(i);
    const std::string where = absl::StrCat("grants[", i, "] (", grant.identity(), "): ");
    if (absl::Status status = CheckGrant(grant); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(where, status.message()));
    }
    auto identity = std::make_shared<Identity>();
    identity->name = grant.identity();
    identity->role = grant.role();
    identity->patrol_group = grant.patrol_group();
    identity->zones.assign(grant.zones().begin(), grant.zones().end());
    identity->subscribe = SubscribeGrants(grant, file.city());
    identity->public_key = grant.public_key();
    if (!grant.public_key().empty() &&
        !ring.by_key_.emplace(CurveKeyBytes(grant.public_key()), identity).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "public key ", grant.public_key(), " is listed twice"));
    }
    if (!grant.http_token_sha256().empty() &&
        !ring.by_token_hash_.emplace(absl::HexStringToBytes(grant.http_token_sha256()), identity)
             .second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "its http_token_sha256 is another operator's too"));
    }
    if (!ring.by_name_.emplace(grant.identity(), std::move(identity)).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, "identity ", grant.identity(), " is listed twice"));
    }
  }
  return ring;
}

const Identity* KeyRing::FindByKey(absl::string_view key_bytes) const {
  auto it = by_key_.find(key_bytes);
  return it == by_key_.end() ? nullptr : it->second.get();
}

const Identity* KeyRing::FindByToken(absl::string_view token) const {
  if (token.empty() || by_token_hash_.empty()) return nullptr;
  std::string hash(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(hash.data()),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size());
  auto it = by_token_hash_.find(hash);
  return it == by_token_hash_.end() ? nullptr : it->second.get();
}

const Identity* KeyRing::FindByName(absl::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second.get();
}

}  // namespace zonecast
