#pragma once
// ZapHandler: the ZeroMQ Authentication Protocol (ZAP, RFC 27) endpoint of
// the broker's context. libzmq asks it about every CURVE handshake on the
// broker's socket, once the client has proven it holds the secret key of
// the public key it presents; the handler accepts a key bound to an
// identity in the KeyRing and refuses every other. The identity's name
// becomes the connection's "User-Id", which libzmq attaches to every
// message read from that connection.
//
// The work per handshake is bounded: one hash lookup, one reply. libzmq
// does the CURVE cryptography before the question reaches the handler.
//
// Core loop thread only (the loop polls socket()).
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "auth/console_sign_in.h"
#include "auth/key_ring.h"
#include "zmq.hpp"

namespace zonecast {

class ZapHandler {
 public:
  enum class Verdict {
    kAccepted,
    kUnknownKey,  // a CURVE client whose key is in no grant
    kMalformed,   // not a ZAP 1.0 CURVE request
  };
  struct Decision {
    Verdict verdict = Verdict::kMalformed;
    std::string identity;    // kAccepted: the identity's name
    std::string address;     // the peer's IP address, for logs and the audit
    std::string public_key;  // Z85, when the request carried one
  };

  // Binds the handler in `context` (before any CURVE socket of that context
  // binds). Unavailable if the ZAP endpoint is taken.
  static absl::StatusOr<std::unique_ptr<ZapHandler>> Bind(zmq::context_t& context);

  zmq::socket_t& socket() { return socket_; }

  // Answers the next waiting request against `keys`, and the keys the
  // wall's console admitted for its operators (`console`, may be null);
  // nullopt when none waits.
  std::optional<Decision> AnswerOne(const KeyRing& keys, const ConsoleSignIn* console = nullptr);

 private:
  explicit ZapHandler(zmq::socket_t socket) : socket_(std::move(socket)) {}
  zmq::socket_t socket_;
};

}  // namespace zonecast
