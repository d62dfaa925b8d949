#include "auth/console_sign_in.h"

namespace zonecast {

void ConsoleSignIn::SetKeys(std::shared_ptr<const KeyRing> keys) {
  AnnotatedLock lock(&mutex_);
  keys_ = std::move(keys);
}

bool ConsoleSignIn::has_keys() const {
  AnnotatedLock lock(&mutex_);
  return keys_ != nullptr;
}

std::optional<std::string> ConsoleSignIn::OperatorOf(absl::string_view token) const {
  std::shared_ptr<const KeyRing> keys;
  {
    AnnotatedLock lock(&mutex_);
    keys = keys_;
  }
  // Hashed outside the lock: the loop's ZAP answers take it too.
  const Identity* identity = keys != nullptr ? keys->FindByToken(token) : nullptr;
  if (identity == nullptr) return std::nullopt;
  return identity->name;
}

bool ConsoleSignIn::AdmitKey(std::string key_bytes, std::string operator_name) {
  AnnotatedLock lock(&mutex_);
  if (admitted_.size() >= kMaxAdmittedKeys) return false;
  admitted_.insert_or_assign(std::move(key_bytes), std::move(operator_name));
  return true;
}

void ConsoleSignIn::RetireKey(absl::string_view key_bytes) {
  AnnotatedLock lock(&mutex_);
  admitted_.erase(key_bytes);
}

std::optional<std::string> ConsoleSignIn::AdmittedAs(absl::string_view key_bytes) const {
  AnnotatedLock lock(&mutex_);
  auto it = admitted_.find(key_bytes);
  if (it == admitted_.end()) return std::nullopt;
  return it->second;
}

const Identity* ConsoleSignIn::AdmittedIdentity(const ConsoleSignIn* sign_in, const KeyRing& keys,
                                                absl::string_view key_bytes) {
  if (sign_in == nullptr) return nullptr;
  std::optional<std::string> name = sign_in->AdmittedAs(key_bytes);
  if (!name.has_value()) return nullptr;
  const Identity* identity = keys.FindByName(*name);
  return identity != nullptr && identity->role == v1::CENTER ? identity : nullptr;
}

}  // namespace zonecast
