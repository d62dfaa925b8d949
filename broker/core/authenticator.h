#pragma once
// Authenticator: the broker's side of CURVE (with --keys_file). It answers
// libzmq's questions about client keys (ZAP), binds each session to the
// identity its key is bound to, and checks that every later frame comes
// over a connection of that identity.
//
// Without a keys file there is no Authenticator: clients are who their
// Hello says, and the broker listens on loopback only (or --insecure).
//
// Core loop thread only.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/console_sign_in.h"
#include "auth/key_ring.h"
#include "auth/zap_handler.h"
#include "common/clock.h"
#include "core/options.h"
#include "monitoring/broker_counters.h"
#include "routing/session.h"
#include "zmq.hpp"
#include "zonecast/wire.pb.h"

namespace zonecast {

class Authenticator {
 public:
  // Reads the keys file and the broker's secret key file and binds the ZAP
  // handler in `context`, before the broker's socket binds. Errors name the
  // file and the problem. `console` (may be null) is told the keys in force
  // and lends the keys it admitted for the wall's operators.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Start(const BrokerOptions& options,
                                                              zmq::context_t& context,
                                                              const Clock& clock,
                                                              ConsoleSignIn* console = nullptr);

  // The broker's secret key, for its socket.
  const std::string& secret_key() const { return secret_key_; }
  const std::string& public_key() const { return public_key_; }
  size_t keys() const { return keys_->size(); }
  // For the loop's poll.
  zmq::socket_t& zap_socket() { return zap_->socket(); }

  // Answers the handshakes waiting for a verdict (a bounded number per
  // call, so a flood of unknown keys cannot starve the loop). Returns the
  // keys it refused, for the audit log.
  std::vector<ZapHandler::Decision> AnswerHandshakes(BrokerCounters& counters);

  // Makes `hello` (read from `message`) that of the identity the connection
  // authenticated as: its role, unit id and patrol group. IDENTITY_MISMATCH
  // if the Hello names another role or unit id, or the identity is no
  // longer in the keys file.
  absl::StatusOr<const Identity*> BindHello(const zmq::message_t& message, v1::Hello& hello);

  // Reads the keys file again. On an error (logged by the caller) the keys
  // in force stay.
  absl::Status Reload(const std::string& keys_file);
  // The identity of `name` in the keys in force, or nullptr.
  const Identity* Find(absl::string_view name) const { return keys_->FindByName(name); }

  // True if `message` came over a connection of the session's identity.
  static bool SameIdentity(const zmq::message_t& message, const Session& session);
  // The identity libzmq attached to a message (the ZAP handler's user id),
  // or "" for a connection without one.
  static absl::string_view PeerIdentity(const zmq::message_t& message);

 private:
  Authenticator(KeyRing keys, std::unique_ptr<ZapHandler> zap, const Clock& clock,
                ConsoleSignIn* console)
      : keys_(std::make_shared<const KeyRing>(std::move(keys))),
        zap_(std::move(zap)),
        clock_(clock),
        console_(console) {
    if (console_ != nullptr) console_->SetKeys(keys_);
  }

  // Refusals are logged, but at most kRefusalLogsPerMinute a minute: a
  // device with a revoked key retries every few seconds.
  static constexpr int kRefusalLogsPerMinute = 20;
  bool MayLogRefusal();

  std::shared_ptr<const KeyRing> keys_;  // shared with the console's sign-in
  std::unique_ptr<ZapHandler> zap_;
  const Clock& clock_;
  ConsoleSignIn* console_;
  std::string secret_key_;
  std::string public_key_;
  MonoNanos log_window_start_ = 0;
  int refusals_logged_ = 0;
};

}  // namespace zonecast
