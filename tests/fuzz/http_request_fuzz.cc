// Fuzz entry point for the bytes an HTTP client controls: ParseHttpRequest
// runs the monitoring server's own parser, limits and target decoding on
// them, under the default limits, under tight ones that the input reaches
// more often, and with POST accepted (as zonecastd's wall console does). Must never crash or hang,
// every refusal must be one the server documents, and whatever is accepted must be safe to hand to
// the handler as it is. DecodeHttpTarget also gets the raw bytes, without the parser's character
// checks in front of it.
#include <cstddef>
#include <cstdint>

#include "http/http_server.h"

namespace {

bool HasNul(const std::string& text) { return text.find('\0') != std::string::npos; }

void CheckAccepted(const zonecast::HttpRequest& request,
                   const zonecast::HttpServer::Options& options) {
  const bool post = request.method == "POST" && options.accept_post;
  if (request.method != "GET" && request.method != "HEAD" && !post) __builtin_trap();
  if (!post && !request.body.empty()) __builtin_trap();
  if (request.body.size() > options.max_body_bytes) __builtin_trap();
  if (request.target.size() > zonecast::kHttpMaxTargetBytes) __builtin_trap();
  if (request.path.empty() || request.path[0] != '/' || HasNul(request.path)) __builtin_trap();
  for (const auto& [key, value] : request.query) {
    if (HasNul(key) || HasNul(value)) __builtin_trap();
  }
}

zonecast::HttpServer::Options TightOptions() {
  zonecast::HttpServer::Options options;
  options.max_header_bytes = 256;
  options.max_body_bytes = 16;
  return options;
}

zonecast::HttpServer::Options PostOptions() {
  zonecast::HttpServer::Options options;
  options.accept_post = true;
  return options;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const zonecast::HttpServer::Options kDefault;
  static const zonecast::HttpServer::Options kTight = TightOptions();
  static const zonecast::HttpServer::Options kPost = PostOptions();
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (const zonecast::HttpServer::Options* options : {&kDefault, &kTight, &kPost}) {
    const zonecast::HttpParseResult result = zonecast::ParseHttpRequest(bytes, *options);
    switch (result.status) {
      case 0:
        CheckAccepted(result.request, *options);
        break;
      case 400:
      case 405:
      case 413:
      case 414:
      case 431:
        if (result.reason.empty()) __builtin_trap();
        break;
      default:
        __builtin_trap();
    }
  }
  zonecast::HttpRequest request;
  if (zonecast::DecodeHttpTarget(bytes, &request).ok()) {
    request.method = "GET";
    CheckAccepted(request, kDefault);
  }
  return 0;
}
