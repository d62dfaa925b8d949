#pragma once
// A minimal synchronous HTTP/1.1 GET (and POST) for the CLI's monitoring commands
// (`zonecast probe --http`, `zonecast stats`): plain http only, one request
// per connection, the whole exchange bounded by one timeout. Built on
// Boost.Beast; each call owns its own io_context, so calls on different
// threads are independent.
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace zonecast::cli {

// A parsed http URL.
struct HttpUrl {
  std::string host;    // name or address, without IPv6 brackets
  uint16_t port = 80;  // 80 when the URL names none
  std::string target;  // path and query, always starting with '/'

  // "HOST:PORT" ("[::1]:PORT" for IPv6), for the Host header and messages.
  std::string Authority() const;
};

// Parses `http://HOST[:PORT][/path]` or `HOST[:PORT][/path]` (the scheme is
// optional; IPv6 literals in brackets). A missing path is "/"; a #fragment
// is dropped. InvalidArgument for anything else: another scheme (https is
// not supported), user info, an empty host, a bad port.
absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url);

// `base` (a URL as ParseHttpUrl takes it, possibly with a path prefix)
// followed by `path` (starting with '/'), without doubling the slash:
// ("http://h:1/", "/readyz") -> "http://h:1/readyz".
std::string JoinUrlPath(absl::string_view base, absl::string_view path);

struct HttpGetResult {
  int status = 0;            // e.g. 200, 503
  std::string content_type;  // the Content-Type header, empty if none
  std::string body;
};

// Sends `GET <target>` to the URL's host and reads the whole response.
// Every HTTP status is a successful result (the caller judges 503); errors
// are for not getting one:
//   InvalidArgument    the URL does not parse (ParseHttpUrl);
//   Unavailable        the name does not resolve, the connection is refused
//                      or reset, or the answer is not HTTP (or over 16 MiB);
//   DeadlineExceeded   no complete answer within `timeout`, which bounds the
//                      whole call: resolve, connect, send and receive.
// Messages name the URL's HOST:PORT. A `bearer_token` goes out as
// "Authorization: Bearer <token>".
absl::StatusOr<HttpGetResult> HttpGet(absl::string_view url, absl::Duration timeout,
                                      const std::string& bearer_token = "");

// As HttpGet, but `POST <target>` with `json_body` (Content-Type:
// application/json).
absl::StatusOr<HttpGetResult> HttpPost(absl::string_view url, const std::string& json_body,
                                       absl::Duration timeout,
                                       const std::string& bearer_token = "");

}  // namespace zonecast::cli
