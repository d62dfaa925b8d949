#include "auth/zap_handler.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "shared/curve_keys.h"

namespace zonecast {
namespace {

constexpr char kZapEndpoint[] = "inproc://zeromq.zap.01";
// A ZAP request: version, request id, domain, address, routing id,
// mechanism, then the mechanism's credentials (CURVE: the client's 32-byte
// public key).
constexpr size_t kCurveRequestParts = 7;
constexpr size_t kMaxRequestParts = 16;

}  // namespace

absl::StatusOr<std::unique_ptr<ZapHandler>> ZapHandler::Bind(zmq::context_t& context) {
  try {
    zmq::socket_t socket(context, zmq::socket_type::rep);
    socket.set(zmq::sockopt::linger, 0);
    socket.bind(kZapEndpoint);
    return std::unique_ptr<ZapHandler>(new ZapHandler(std::move(socket)));
  } catch (const zmq::error_t& e) {
    return absl::UnavailableError(absl::StrCat("cannot bind the ZAP handler: ", e.what()));
  }
}

std::optional<ZapHandler::Decision> ZapHandler::AnswerOne(const KeyRing& keys,
                                                          const ConsoleSignIn* console) {
  std::vector<std::string> parts;
  try {
    zmq::message_t part;
    if (!socket_.recv(part, zmq::recv_flags::dontwait)) return std::nullopt;
    parts.push_back(part.to_string());
    // Every part is read, so that the REP socket can answer; only the first
    // few are kept.
    while (part.more()) {
      if (!socket_.recv(part, zmq::recv_flags::none)) break;
      if (parts.size() < kMaxRequestParts) parts.push_back(part.to_string());
    }
  } catch (const zmq::error_t&) {
    return std::nullopt;
  }
  Decision decision;
  const bool curve = parts.size() == kCurveRequestParts && parts[0] == "1.0" &&
                     parts[5] == "CURVE" && parts[6].size() == 32;
  if (parts.size() > 3) decision.address = parts[3];
  const Identity* identity = nullptr;
  if (curve) {
    decision.public_key = CurveKeyText(parts[6]);
    identity = keys.FindByKey(parts[6]);
    if (identity == nullptr) identity = ConsoleSignIn::AdmittedIdentity(console, keys, parts[6]);
    decision.verdict = identity != nullptr ? Verdict::kAccepted : Verdict::kUnknownKey;
    if (identity != nullptr) decision.identity = identity->name;
  }
  // The reply: version, the request's id, status code and text, user id,
  // metadata (none).
  const std::string request_id = parts.size() > 1 ? parts[1] : "";
  const char* code = identity != nullptr ? "200" : (curve ? "400" : "500");
  const char* text = identity != nullptr ? "OK" : (curve ? "unknown key" : "not a CURVE request");
  try {
    socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string(code)), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(std::string(text)), zmq::send_flags::sndmore);
    socket_.send(zmq::buffer(decision.identity), zmq::send_flags::sndmore);
    socket_.send(zmq::str_buffer(""), zmq::send_flags::none);
  } catch (const zmq::error_t&) {
    // The handshake that asked is gone; nothing to answer.
  }
  return decision;
}

}  // namespace zonecast
