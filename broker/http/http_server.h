#pragma once
// HttpServer: a small HTTP/1.1 server for the broker's monitoring endpoints,
// on Boost.Beast. It serves GET and HEAD (and POST, with a small body, when
// Options::accept_post is set), answers every request itself when the
// request is malformed or over a limit, and hands the rest to one
// synchronous handler.
//
// Threads: the server runs one io_context (all connections, no locks) on a
// thread of its own. The handler is called there, one request at a time, so
// it must not block for long: it should read an immutable snapshot the core
// loop publishes. endpoint() and counters() may be called from
// any thread; the owner destroys the server from any thread but its own.
//
// A handler may answer with a stream (HttpStream) for a response that goes
// on, such as server-sent events; see HttpResponse::stream. One whose
// answer another thread works out answers with an HttpDeferred, which the
// server polls without holding its other connections.
//
// What the server answers itself (never calling the handler):
//   400 Bad Request          malformed request line, header, chunking or
//                            percent-escape (counted in `malformed`)
//   405 Method Not Allowed   a method other than GET and HEAD, and POST when
//                            accepted (Allow: GET, HEAD[, POST])
//   413 Content Too Large    a body over Options::max_body_bytes
//   414 URI Too Long         a target over kHttpMaxTargetBytes
//   431 Header Too Large     a header over Options::max_header_bytes
//   500 Internal Error       the handler threw, or returned a status outside
//                            200..599, 204, 304 or a malformed header
// After 400, 413 and 431 the server answers with Connection: close and
// closes, since it cannot tell where the next request would start; after
// 405 and 414 the request was read whole and the connection stays usable.
// Every response carries Content-Type, Content-Length, Server: zonecastd and
// Cache-Control: no-store. A connection that idles past idle_timeout between
// requests, or whose request does not arrive whole within request_timeout,
// is closed without an answer and counted in `timeouts`.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace zonecast {

// Longer request targets get 414.
inline constexpr size_t kHttpMaxTargetBytes = 2048;

struct HttpRequest {
  std::string method;  // "GET", "HEAD" or (accept_post) "POST" when a handler sees it
  std::string target;  // raw request target, e.g. "/v1/alerts?state=open"
  std::string path;    // percent-decoded path without the query, e.g. "/v1/alerts/A-1"
  absl::flat_hash_map<std::string, std::string> query;  // percent-decoded, '+' as space;
                                                        // the last of a repeated key wins
  std::string authorization;                            // the Authorization header, as sent
  std::string body;  // a POST's body (at most Options::max_body_bytes); empty otherwise
};

// A response that goes on for as long as the client stays (e.g. a stream of
// server-sent events). The server sends the response's header, then what
// Read() gives, asking again every Options::stream_poll while it gives
// nothing; it ends when the client leaves, a write takes longer than
// request_timeout (a viewer that stopped reading), or the server stops.
// What is unsent is never more than one Read(): a slow client holds no
// growing buffer.
class HttpStream {
 public:
  virtual ~HttpStream() = default;
  // The next bytes to send, empty when there is nothing new. Called on the
  // server's thread only; must not block.
  virtual std::string Read() = 0;
};

struct HttpResponse;

// A response the handler cannot give at once because another thread works
// on it (the wall console's action waits for the broker's PubAck). The
// server asks Poll() every Options::deferred_poll until it gives the
// response, and serves its other connections meanwhile; this connection
// reads no further request until then. The producer bounds how long that
// takes.
class HttpDeferred {
 public:
  virtual ~HttpDeferred() = default;
  // The response once it is ready, else nullopt. Called on the server's
  // thread only; must not block. The response may not itself be deferred
  // or a stream.
  virtual std::optional<HttpResponse> Poll() = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  // Extra headers, in order. Content-Type, Content-Length, Transfer-Encoding,
  // Connection, Server and Cache-Control are the server's: its values win.
  std::vector<std::pair<std::string, std::string>> headers;
  // Set (with status 200): the body is this stream's, sent until the
  // connection ends, with no Content-Length and Connection: close.
  std::shared_ptr<HttpStream> stream;
  // Set: the response is this one's, when ready (the rest is ignored).
  std::shared_ptr<HttpDeferred> deferred;
};

// Called on the server's thread, one request at a time. May throw: the
// client then gets 500 and the connection stays usable.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  struct Options {
    // HOST:PORT. HOST is an IPv4 literal, a bracketed IPv6 literal
    // ("[::1]:7480") or "localhost" (127.0.0.1); port 0 picks a free one.
    std::string listen = "127.0.0.1:7480";
    // Connections past this many are accepted and closed at once (counted
    // in connections_rejected), so the listen backlog never fills up.
    size_t max_connections = 64;
    absl::Duration idle_timeout = absl::Seconds(30);  // keep-alive connection with no request
    // A request must arrive whole within this once its first byte did
    // (slowloris), and a response must leave within it.
    absl::Duration request_timeout = absl::Seconds(5);
    size_t max_header_bytes = 8192;  // request line + fields; larger -> 431
    size_t max_body_bytes = 4096;  // larger -> 413; a body that fits is read (ignored but for POST)
    // POST reaches the handler (with its body); off, it is answered 405.
    bool accept_post = false;
    // Streams open at once, at most; a handler's stream beyond that is
    // answered 503 (counted in streams_rejected).
    size_t max_streams = 16;
    // How often an open stream is asked for more while it has nothing.
    absl::Duration stream_poll = absl::Milliseconds(100);
    // How often a deferred response is asked whether it is ready.
    absl::Duration deferred_poll = absl::Milliseconds(5);
  };

  // Monotonic counts since Start, except open_connections (a gauge).
  struct Counters {
    std::atomic<uint64_t> connections{0};           // accepted and served
    std::atomic<uint64_t> connections_rejected{0};  // accepted past max_connections, closed
    std::atomic<uint64_t> open_connections{0};      // served connections open now
    std::atomic<uint64_t> requests{0};              // requests answered, whatever the status
    std::atomic<uint64_t> responses_2xx{0};
    std::atomic<uint64_t> responses_3xx{0};
    std::atomic<uint64_t> responses_4xx{0};
    std::atomic<uint64_t> responses_5xx{0};
    std::atomic<uint64_t> malformed{0};         // answered 400 and closed
    std::atomic<uint64_t> timeouts{0};          // closed for idle, request or write timeout
    std::atomic<uint64_t> handler_errors{0};    // handler threw or returned a bad response
    std::atomic<uint64_t> accept_errors{0};     // accept failed (e.g. out of fds), retried
    std::atomic<uint64_t> streams{0};           // streams started
    std::atomic<uint64_t> open_streams{0};      // streams open now (a gauge)
    std::atomic<uint64_t> streams_rejected{0};  // answered 503: max_streams were open
  };

  // Binds and listens on options.listen synchronously, then serves on a
  // thread of its own until destroyed.
  //   InvalidArgument: a bad HOST:PORT, a null handler, or a zero
  //                    max_connections, max_header_bytes or timeout.
  //   Unavailable:     the address cannot be bound (in use, not local, no
  //                    permission); the message names the address.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(Options options, HttpHandler handler);

  // Stops accepting, closes every connection (cutting any response in
  // flight) and joins the thread. Waits for a handler call in progress.
  // REQUIRES: not called from the handler (it would join its own thread).
  ~HttpServer();

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound address, e.g. "127.0.0.1:41234" or "[::1]:41234".
  std::string endpoint() const { return endpoint_; }
  const Counters& counters() const { return counters_; }

 private:
  class Connection;
  struct Loop;  // Boost.Asio state, kept out of this header

  HttpServer(Options options, HttpHandler handler);
  void Accept();
  void Run();

  const Options options_;
  const HttpHandler handler_;
  Counters counters_;
  std::string endpoint_;
  size_t open_connections_ = 0;  // loop thread only; counters_ mirrors it
  size_t open_streams_ = 0;      // loop thread only; counters_ mirrors it
  // Reset first, by the destructor: connections still inside it refer to
  // the members above.
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
};

// What reading one request gives: a request for the handler (`status` 0), or
// the status the server answers with itself and why.
struct HttpParseResult {
  int status = 0;           // 0, or 400, 405, 413, 414 or 431
  std::string reason;       // for a non-zero status: one line, the body of the answer
  HttpRequest request;      // filled as far as parsing got
  bool keep_alive = false;  // the connection stays open after the answer
};

// Reads the request at the front of `bytes` with the server's parser, limits
// and checks, as if `bytes` were everything the client sent before closing
// its side; an incomplete request is therefore a 400 here. Bytes after the
// request (a pipelined one) are ignored. Exposed for tests and the fuzzer.
HttpParseResult ParseHttpRequest(absl::string_view bytes, const HttpServer::Options& options);

// Splits an origin-form target ("/path?query") into `request->path` and
// `request->query`, percent-decoding both ('+' is a space in the query only).
//   InvalidArgument: the target does not start with '/', or has a bad
//                    %-escape, a %00, a space or a control character.
absl::Status DecodeHttpTarget(absl::string_view target, HttpRequest* request);

}  // namespace zonecast
