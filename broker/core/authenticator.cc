#include "core/authenticator.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "routing/access_policy.h"
#include "shared/curve_keys.h"
#include "shared/wire_status.h"

namespace zonecast {
namespace {

// Handshakes answered per loop turn at most.
constexpr int kHandshakesPerTurn = 64;

}  // namespace

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Start(const BrokerOptions& options,
                                                                    zmq::context_t& context,
                                                                    const Clock& clock,
                                                                    ConsoleSignIn* console) {
  absl::StatusOr<KeyRing> keys = KeyRing::Load(options.keys_file);
  if (!keys.ok()) return keys.status();
  absl::StatusOr<CurveKeys> own = ReadSecretKeyFile(options.key_file);
  if (!own.ok()) return own.status();
  absl::StatusOr<std::unique_ptr<ZapHandler>> zap = ZapHandler::Bind(context);
  if (!zap.ok()) return zap.status();
  std::unique_ptr<Authenticator> auth(
      new Authenticator(*std::move(keys), *std::move(zap), clock, console));
  auth->secret_key_ = own->secret_key;
  auth->public_key_ = own->public_key;
  return auth;
}

bool Authenticator::MayLogRefusal() {
  const MonoNanos now = clock_.NowMono();
  if (now - log_window_start_ >= 60'000'000'000) {
    log_window_start_ = now;
    refusals_logged_ = 0;
  }
  return refusals_logged_++ < kRefusalLogsPerMinute;
}

std::vector<ZapHandler::Decision> Authenticator::AnswerHandshakes(BrokerCounters& counters) {
  std::vector<ZapHandler::Decision> refused;
  for (int i = 0; i < kHandshakesPerTurn; ++i) {
    std::optional<ZapHandler::Decision> decision = zap_->AnswerOne(*keys_, console_);
    if (!decision) break;
    switch (decision->verdict) {
      case ZapHandler::Verdict::kAccepted:
        ++counters.auth_accepted;
        ZC_LOG(DEBUG) << "key of " << decision->identity << " accepted from " << decision->address;
        break;
      case ZapHandler::Verdict::kUnknownKey:
        ++counters.auth_refused_unknown_key;
        if (MayLogRefusal()) {
          ZC_LOG(WARNING) << "refused a client from " << decision->address
                          << ": its key is in no grant of the keys file (" << decision->public_key
                          << ")";
        }
        refused.push_back(*std::move(decision));
        break;
      case ZapHandler::Verdict::kMalformed:
        ++counters.auth_refused_malformed;
        if (MayLogRefusal()) {
          ZC_LOG(WARNING) << "refused a malformed authentication request from "
                          << decision->address;
        }
        break;
    }
  }
  return refused;
}

absl::StatusOr<const Identity*> Authenticator::BindHello(const zmq::message_t& message,
                                                         v1::Hello& hello) {
  const absl::string_view name = PeerIdentity(message);
  const Identity* identity = keys_->FindByName(name);
  if (identity == nullptr) {
    return ProtocolError(v1::IDENTITY_MISMATCH, absl::StrCat("the key of this connection (", name,
                                                             ") is no longer in the keys file"));
  }
  if (hello.role() != v1::ROLE_UNSPECIFIED && hello.role() != identity->role) {
    return ProtocolError(v1::IDENTITY_MISMATCH,
                         absl::StrCat("this key is bound to ", RoleName(identity->role), " ",
                                      identity->name, ", not to a ", RoleName(hello.role())));
  }
  if (!hello.unit_id().empty() && hello.unit_id() != identity->name) {
    return ProtocolError(
        v1::IDENTITY_MISMATCH,
        absl::StrCat("this key is bound to ", identity->name, ", not to ", hello.unit_id()));
  }
  hello.set_role(identity->role);
  hello.set_unit_id(identity->name);
  hello.set_patrol_group(identity->patrol_group);
  return identity;
}

absl::Status Authenticator::Reload(const std::string& keys_file) {
  absl::StatusOr<KeyRing> keys = KeyRing::Load(keys_file);
  if (!keys.ok()) return keys.status();
  keys_ = std::make_shared<const KeyRing>(*std::move(keys));
  if (console_ != nullptr) console_->SetKeys(keys_);
  return absl::OkStatus();
}

absl::string_view Authenticator::PeerIdentity(const zmq::message_t& message) {
  const char* user = zmq_msg_gets(message.handle(), "User-Id");
  return user == nullptr ? absl::string_view() : absl::string_view(user);
}

bool Authenticator::SameIdentity(const zmq::message_t& message, const Session& session) {
  return PeerIdentity(message) == session.unit_id();
}

}  // namespace zonecast
