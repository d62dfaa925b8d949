#pragma once
// KeyRing: the keys file (--keys_file, JSON read by protobuf's JSON parser
// into v1::KeysFile), checked: which CURVE public keys may connect, and the
// identity each is bound to. The broker believes the identity, never what a
// client says about itself in Hello.
//
// What an identity may subscribe to (and read from history) follows from
// its role:
//
//   center     everything (">")
//   terminal   alert.<city>.<zone> of each of its zones; escalation.<city>
//              when granted; radio.<city>.*.<unit>, its own unit's topics
//   probe      probe.> and sys.>
//
// A center operator may also hold a token for the wall's console (its
// SHA-256 in the grant); the HTTP thread finds the operator by it.
//
// Immutable after Load; a reload builds a new KeyRing.
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "zonecast/config.pb.h"
#include "zonecast/domain.pb.h"

namespace zonecast {

struct Identity {
  std::string name;  // unit id, operator or probe name: the session's unit id
  v1::Role role = v1::ROLE_UNSPECIFIED;
  std::string patrol_group;
  std::vector<std::string> zones;      // zone ids, terminals
  std::vector<std::string> subscribe;  // patterns it may subscribe to
  std::string public_key;              // Z85, for logs
};

class KeyRing {
 public:
  KeyRing() = default;  // no keys: nobody may connect

  // Reads and checks a keys file. InvalidArgument naming the file and the
  // problem (bad JSON, a key that is not Z85, a key or identity listed twice,
  // a missing role, a terminal without zones, a zone that is not a topic
  // token); NotFound if it cannot be read.
  static absl::StatusOr<KeyRing> Load(const std::string& path);
  static absl::StatusOr<KeyRing> FromFile(const v1::KeysFile& file);

  // The identity bound to a client's public key (32 bytes, as ZAP gives
  // it), or nullptr.
  const Identity* FindByKey(absl::string_view key_bytes) const;
  // The identity with this name, or nullptr.
  const Identity* FindByName(absl::string_view name) const;
  // The center operator whose wall token (http_token_sha256) this is, or
  // nullptr. Only the token's hash is kept and compared.
  const Identity* FindByToken(absl::string_view token) const;
  size_t size() const { return by_name_.size(); }

 private:
  absl::flat_hash_map<std::string, std::shared_ptr<const Identity>> by_key_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Identity>> by_name_;
  absl::flat_hash_map<std::string, std::shared_ptr<const Identity>> by_token_hash_;  // raw SHA-256
};

// The patterns an identity of `grant`'s role may subscribe to, in `city`.
std::vector<std::string> SubscribeGrants(const v1::KeyGrant& grant, absl::string_view city);

}  // namespace zonecast
