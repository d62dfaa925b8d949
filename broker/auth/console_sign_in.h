#pragma once
// ConsoleSignIn: who may act on the wall's console. Shared by the HTTP
// thread, which signs an operator in by the token the page sends, and the
// core loop, which lets the console's connections in over ZAP.
//
// The console acts as a client of the broker's own endpoint, so an action
// takes the path a CLI command takes. With a keys file each action connects
// with a key pair made for it: the console admits the public key for the
// signed-in operator before it connects and retires it after, and the ZAP
// handler accepts an admitted key as that operator while the keys in force
// still name them a center. The action is then that operator's session:
// the same access policy, audit log and timeline as their CLI.
//
// Thread-safety: every method may be called from any thread.
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "auth/key_ring.h"
#include "shared/annotated_mutex.h"

namespace zonecast {

class ConsoleSignIn {
 public:
  // Keys admitted at once, at most: one per action in flight.
  static constexpr size_t kMaxAdmittedKeys = 64;

  // Before the broker starts: it runs with a keys file, so operators are
  // known only from the keys (and not before the loop loaded them).
  void ExpectKeys() { expects_keys_ = true; }
  bool expects_keys() const { return expects_keys_; }
  // The keys in force, set by the loop at start and on every reload. Never
  // set without a keys file.
  void SetKeys(std::shared_ptr<const KeyRing> keys);
  bool has_keys() const;
  // The center operator whose wall token this is, in the keys in force.
  std::optional<std::string> OperatorOf(absl::string_view token) const;

  // A key pair's public key (32 bytes) the console connects with on behalf
  // of `operator_name`. False if kMaxAdmittedKeys are admitted already.
  bool AdmitKey(std::string key_bytes, std::string operator_name);
  void RetireKey(absl::string_view key_bytes);
  // The center identity an admitted key connects as, or nullptr: unknown
  // key, or an operator the keys in force no longer name a center.
  // `keys` is the ring the caller checks against (the loop's own).
  static const Identity* AdmittedIdentity(const ConsoleSignIn* sign_in, const KeyRing& keys,
                                          absl::string_view key_bytes);

 private:
  std::optional<std::string> AdmittedAs(absl::string_view key_bytes) const;

  std::atomic<bool> expects_keys_{false};
  mutable AnnotatedMutex mutex_;
  std::shared_ptr<const KeyRing> keys_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_map<std::string, std::string> admitted_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace zonecast
