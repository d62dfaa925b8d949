#include "http/http_server.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "common/log.h"
#include "common/status_macros.h"

namespace zonecast {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using RequestParser = http::request_parser<http::string_body>;

// Room in the read buffer beyond the header and body limits, for chunk-size
// lines and trailers, which Beast does not bound by itself. A request that
// needs more than this is refused (413/431) rather than buffered.
constexpr size_t kBufferSlackBytes = 4096;
constexpr size_t kFirstReadBytes = 1024;
// After a refusal the server stops sending and reads what the client still
// sends for a while before closing: closing with unread bytes would reset
// the connection and could destroy the refusal before the client reads it.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerMaxBytes = size_t{64} * 1024;
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

size_t BufferLimit(const HttpServer::Options& options) {
  constexpr size_t kCap = std::numeric_limits<size_t>::max() / 4;  // the sum must not wrap
  return std::min(options.max_header_bytes, kCap) + std::min(options.max_body_bytes, kCap) +
         kBufferSlackBytes;
}

void ConfigureParser(const HttpServer::Options& options, RequestParser& parser) {
  parser.header_limit(static_cast<uint32_t>(
      std::min<size_t>(options.max_header_bytes, std::numeric_limits<uint32_t>::max())));
  parser.body_limit(options.max_body_bytes);
  parser.eager(true);
}

// Fills method and target from what the parser saw, for a refusal.
HttpParseResult Refusal(const RequestParser& parser, int status, std::string reason) {
  HttpParseResult result;
  result.status = status;
  result.reason = std::move(reason);
  result.request.method = std::string(parser.get().method_string());
  result.request.target = std::string(parser.get().target());
  return result;
}

// Maps a read that failed on the request's bytes to the server's answer.
// Connection-level errors (reset, timeout, EOF before a request) never get
// here: there is nobody to answer.
HttpParseResult RefusalForParseError(const HttpServer::Options& options,
                                     const RequestParser& parser, const beast::error_code& error) {
  if (error == http::error::header_limit ||
      (error == http::error::buffer_overflow && !parser.is_header_done())) {
    return Refusal(parser, 431,
                   absl::StrCat("request header exceeds ", options.max_header_bytes, " bytes"));
  }
  if (error == http::error::body_limit || error == http::error::buffer_overflow) {
    return Refusal(parser, 413,
                   absl::StrCat("request body exceeds ", options.max_body_bytes, " bytes"));
  }
  return Refusal(parser, 400, absl::StrCat("malformed request: ", error.message()));
}

// Checks a request the parser read whole.
HttpParseResult Examine(const RequestParser& parser, const HttpServer::Options& options) {
  const http::request<http::string_body>& message = parser.get();
  HttpParseResult result;
  result.request.method = std::string(message.method_string());
  result.request.target = std::string(message.target());
  if (auto it = message.find(http::field::authorization); it != message.end()) {
    result.request.authorization = std::string(it->value());
  }
  result.keep_alive = message.keep_alive();
  const http::verb method = message.method();
  if (method == http::verb::post && options.accept_post) {
    result.request.body = message.body();
  } else if (method != http::verb::get && method != http::verb::head) {
    result.status = 405;
    result.reason = absl::StrCat("method ", result.request.method, " not allowed");
    return result;
  }
  if (result.request.target.size() > kHttpMaxTargetBytes) {
    result.status = 414;
    result.reason = absl::StrCat("request target exceeds ", kHttpMaxTargetBytes, " bytes");
    return result;
  }
  if (absl::Status status = DecodeHttpTarget(result.request.target, &result.request);
      !status.ok()) {
    result.status = 400;
    result.reason = std::string(status.message());
    result.keep_alive = false;
  }
  return result;
}

bool IsParseError(const beast::error_code& error) {
  return error.category() == http::make_error_code(http::error::need_more).category() &&
         error != http::error::end_of_stream;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::Status PercentDecode(absl::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    // Beast's parser lets none of these into a target; the check is for
    // callers that decode a target from elsewhere.
    if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f') {
      return absl::InvalidArgumentError("space or control character in request target");
    }
    if (c == '+' && plus_is_space) {
      out->push_back(' ');
      continue;
    }
    if (c != '%') {
      out->push_back(c);
      continue;
    }
    const int high = i + 2 < in.size() ? HexValue(in[i + 1]) : -1;
    const int low = high >= 0 ? HexValue(in[i + 2]) : -1;
    if (low < 0) return absl::InvalidArgumentError("bad percent-escape in request target");
    // A NUL would cut the string short for any C API the handler hands it to.
    if (high == 0 && low == 0) return absl::InvalidArgumentError("%00 in request target");
    out->push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return absl::OkStatus();
}

// RFC 9110 token characters, for header names.
bool IsToken(absl::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isalnum(c) ||
           absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
  });
}

// A field value may not break out of its line.
bool IsFieldValue(absl::string_view text) {
  return std::none_of(text.begin(), text.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

// Whether a handler's response can go on the wire as it is. 1xx, 204 and 304
// are framed without a body, which the handler has no use for.
absl::Status CheckHandlerResponse(const HttpResponse& response) {
  if (response.deferred != nullptr) return absl::OkStatus();
  if (response.status < 200 || response.status > 599 || response.status == 204 ||
      response.status == 304) {
    return absl::InvalidArgumentError(absl::StrCat("status ", response.status));
  }
  if (!IsFieldValue(response.content_type)) {
    return absl::InvalidArgumentError("bad Content-Type value");
  }
  for (const auto& [name, value] : response.headers) {
    if (!IsToken(name) || !IsFieldValue(value)) {
      return absl::InvalidArgumentError(absl::StrCat("bad header \"", absl::CEscape(name), "\""));
    }
  }
  return absl::OkStatus();
}

HttpResponse PlainResponse(int status, absl::string_view text) {
  HttpResponse response;
  response.status = status;
  response.body = absl::StrCat(text, "\n");
  return response;
}

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  if (address.is_v6()) return absl::StrCat("[", address.to_string(), "]:", endpoint.port());
  return absl::StrCat(address.to_string(), ":", endpoint.port());
}

absl::StatusOr<tcp::endpoint> ParseListen(absl::string_view listen) {
  const auto bad = [listen](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("http listen address \"", absl::CEscape(listen), "\": ", why));
  };
  const size_t colon = listen.rfind(':');
  if (colon == absl::string_view::npos) return bad("not HOST:PORT");
  absl::string_view host = listen.substr(0, colon);
  const absl::string_view port_text = listen.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5 ||
      !std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit)) {
    return bad("port is not a number");
  }
  uint32_t port = 0;
  for (const char c : port_text) port = port * 10 + static_cast<uint32_t>(c - '0');
  if (port > 65535) return bad("port out of range");

  boost::system::error_code error;
  asio::ip::address address;
  if (host == "localhost") {
    address = asio::ip::address_v4::loopback();
  } else if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host.remove_prefix(1);
    host.remove_suffix(1);
    address = asio::ip::make_address_v6(std::string(host), error);
  } else {
    address = asio::ip::make_address_v4(std::string(host), error);
  }
  if (error) return bad("HOST must be an IPv4 literal, a [bracketed] IPv6 literal or localhost");
  return tcp::endpoint(address, static_cast<uint16_t>(port));
}

// Capped so that "now + timeout" cannot overflow the steady clock.
std::chrono::nanoseconds ToChrono(absl::Duration duration) {
  return absl::ToChronoNanoseconds(std::min(duration, absl::Hours(24 * 365)));
}

}  // namespace

absl::Status DecodeHttpTarget(absl::string_view target, HttpRequest* request) {
  // Only origin-form: the absolute form is for proxies and "*" for OPTIONS,
  // neither of which this server is or serves.
  if (target.empty() || target.front() != '/') {
    return absl::InvalidArgumentError("request target must start with '/'");
  }
  const size_t question = target.find('?');
  RETURN_IF_ERROR(PercentDecode(target.substr(0, question), false, &request->path));
  request->query.clear();
  if (question == absl::string_view::npos) return absl::OkStatus();
  std::string key;
  std::string value;
  for (const absl::string_view pair : absl::StrSplit(target.substr(question + 1), '&')) {
    if (pair.empty()) continue;
    const size_t equals = pair.find('=');
    RETURN_IF_ERROR(PercentDecode(pair.substr(0, equals), true, &key));
    RETURN_IF_ERROR(PercentDecode(
        equals == absl::string_view::npos ? absl::string_view() : pair.substr(equals + 1), true,
        &value));
    request->query.insert_or_assign(key, value);
  }
  return absl::OkStatus();
}

HttpParseResult ParseHttpRequest(absl::string_view bytes, const HttpServer::Options& options) {
  RequestParser parser;
  ConfigureParser(options, parser);
  if (bytes.empty()) return Refusal(parser, 400, "malformed request: empty");
  // The same loop as http::read over a buffer of BufferLimit bytes, with
  // the client closing after `bytes`. When the parser stops short of a whole
  // request, http::read reads more before calling put() again (the parser
  // relies on that), so here: no more bytes means EOF, and no room for more
  // means the buffer overflow the server would get.
  const size_t window_limit = BufferLimit(options);
  beast::error_code error;
  size_t used = 0;
  while (!parser.is_done()) {
    const size_t rest = bytes.size() - used;
    const size_t window = std::min(rest, window_limit);
    const size_t consumed = parser.put(asio::buffer(bytes.data() + used, window), error);
    used += consumed;
    if (error && error != http::error::need_more) break;
    error = {};
    if (parser.is_done()) break;
    if (window == rest) {
      parser.put_eof(error);
      break;
    }
    if (consumed == 0) {
      error = http::error::buffer_overflow;
      break;
    }
  }
  if (error) return RefusalForParseError(options, parser, error);
  return Examine(parser, options);
}

struct HttpServer::Loop {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  bool accept_failing = false;
};

// One accepted connection. Owned by the handlers of its pending operation
// (shared_from_this), so it goes away when its last operation completes or
// when the io_context is destroyed. Loop thread only.
class HttpServer::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer& server, tcp::socket socket)
      : server_(server), stream_(std::move(socket)), buffer_(BufferLimit(server.options_)) {
    ++server_.open_connections_;
    server_.counters_.open_connections.store(server_.open_connections_, std::memory_order_relaxed);
  }

  ~Connection() {
    --server_.open_connections_;
    server_.counters_.open_connections.store(server_.open_connections_, std::memory_order_relaxed);
    if (source_ != nullptr) {
      --server_.open_streams_;
      server_.counters_.open_streams.store(server_.open_streams_, std::memory_order_relaxed);
    }
  }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void Start() {
    beast::error_code ignored;
    // Pipelined responses must not wait for the client's delayed ACK.
    stream_.socket().set_option(tcp::no_delay(true), ignored);
    ReadRequest();
  }

 private:
  // The idle timeout applies until a request's first byte arrives, the
  // request timeout from then on, so a keep-alive client may idle long but a
  // slow sender cannot hold the connection with a trickle.
  void ReadRequest() {
    parser_.emplace();
    ConfigureParser(server_.options_, *parser_);
    if (buffer_.size() > 0) {  // a pipelined request is already here
      ReadRest();
      return;
    }
    stream_.expires_after(ToChrono(server_.options_.idle_timeout));
    stream_.async_read_some(buffer_.prepare(std::min(kFirstReadBytes, buffer_.max_size())),
                            [self = shared_from_this()](beast::error_code error, size_t bytes) {
                              self->OnFirstBytes(error, bytes);
                            });
  }

  void OnFirstBytes(beast::error_code error, size_t bytes) {
    if (error) {
      if (error == beast::error::timeout) server_.counters_.timeouts.fetch_add(1);
      Close();
      return;
    }
    buffer_.commit(bytes);
    ReadRest();
  }

  void ReadRest() {
    stream_.expires_after(ToChrono(server_.options_.request_timeout));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnRequest(error); });
  }

  void OnRequest(beast::error_code error) {
    if (error == beast::error::timeout) {
      server_.counters_.timeouts.fetch_add(1);
      Close();
      return;
    }
    if (error && !IsParseError(error)) {  // reset, EOF between requests, shutdown
      Close();
      return;
    }
    Answer(error ? RefusalForParseError(server_.options_, *parser_, error)
                 : Examine(*parser_, server_.options_));
  }

  void Answer(const HttpParseResult& result) {
    Counters& counters = server_.counters_;
    HttpResponse response;
    keep_alive_ = result.keep_alive;
    head_ = result.request.method == "HEAD";
    if (result.status == 0) {
      response = CallHandler(result.request);
      if (response.deferred != nullptr) {
        deferred_ = std::move(response.deferred);
        deferred_path_ = result.request.path;
        AwaitDeferred();
        return;
      }
      if (response.stream != nullptr && server_.open_streams_ >= server_.options_.max_streams) {
        counters.streams_rejected.fetch_add(1);
        response = PlainResponse(503, "too many streams open: try again later");
      }
    } else {
      response = PlainResponse(result.status, result.reason);
      if (result.status == 405) {
        response.headers.emplace_back(
            "Allow", server_.options_.accept_post ? "GET, HEAD, POST" : "GET, HEAD");
      }
      if (result.status == 400) counters.malformed.fetch_add(1);
    }
    Send(std::move(response));
  }

  // Asks the deferred response again every deferred_poll until it is ready.
  void AwaitDeferred() {
    std::optional<HttpResponse> ready;
    std::string failure;
    try {
      ready = deferred_->Poll();
      if (ready.has_value()) {
        absl::Status status = CheckHandlerResponse(*ready);
        if (status.ok() && (ready->deferred != nullptr || ready->stream != nullptr)) {
          status = absl::InvalidArgumentError("a deferred response must be a plain one");
        }
        if (!status.ok()) failure = absl::StrCat("bad response: ", status.message());
      }
    } catch (const std::exception& e) {
      failure = absl::StrCat("threw: ", e.what());
    } catch (...) {
      failure = "threw a non-exception";
    }
    if (!failure.empty()) {
      server_.counters_.handler_errors.fetch_add(1);
      ZC_LOG(WARNING) << "http: deferred response for " << absl::CEscape(deferred_path_) << " "
                      << failure;
      ready = PlainResponse(500, "internal error");
    }
    if (ready.has_value()) {
      deferred_.reset();
      Send(*std::move(ready));
      return;
    }
    poll_.expires_after(ToChrono(server_.options_.deferred_poll));
    poll_.async_wait([self = shared_from_this()](beast::error_code error) {
      if (error || !self->stream_.socket().is_open()) return;
      self->AwaitDeferred();
    });
  }

  void Send(HttpResponse response) {
    Counters& counters = server_.counters_;
    counters.requests.fetch_add(1);
    switch (response.status / 100) {
      case 2:
        counters.responses_2xx.fetch_add(1);
        break;
      case 3:
        counters.responses_3xx.fetch_add(1);
        break;
      case 4:
        counters.responses_4xx.fetch_add(1);
        break;
      default:
        counters.responses_5xx.fetch_add(1);
        break;
    }
    if (response.stream != nullptr) {
      StartStream(std::move(response), head_);
      return;
    }
    BuildResponse(std::move(response), head_);
    stream_.expires_after(ToChrono(server_.options_.request_timeout));
    http::async_write(
        stream_, response_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnWritten(error); });
  }

  // Never lets an exception out: it would unwind through io_context::run.
  HttpResponse CallHandler(const HttpRequest& request) {
    std::string failure;
    try {
      HttpResponse response = server_.handler_(request);
      absl::Status status = CheckHandlerResponse(response);
      if (status.ok()) return response;
      failure = absl::StrCat("bad response: ", status.message());
    } catch (const std::exception& e) {
      failure = absl::StrCat("threw: ", e.what());
    } catch (...) {
      failure = "threw a non-exception";
    }
    server_.counters_.handler_errors.fetch_add(1);
    ZC_LOG(WARNING) << "http: handler for " << request.method << " " << absl::CEscape(request.path)
                    << " " << failure;
    return PlainResponse(500, "internal error");
  }

  void BuildResponse(HttpResponse response, bool head) {
    response_ = {};
    response_.version(parser_->get().version());
    response_.result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers) response_.insert(name, value);
    response_.set(http::field::content_type, response.content_type);
    response_.set(http::field::server, "zonecastd");
    response_.set(http::field::cache_control, "no-store");
    response_.erase(http::field::transfer_encoding);
    response_.erase(http::field::connection);
    // Set by hand rather than prepare_payload(): a HEAD answer announces the
    // length of the body it does not carry.
    response_.content_length(response.body.size());
    if (!head) response_.body() = std::move(response.body);
    // Explicit for HTTP/1.0 too, where keep_alive(false) would only drop
    // "keep-alive" and leave the client to infer the close.
    if (keep_alive_) {
      response_.keep_alive(true);
    } else {
      response_.set(http::field::connection, "close");
    }
  }

  // A stream's header goes out as Beast would write it, less the length:
  // the body runs until the connection closes.
  void StartStream(HttpResponse response, bool head) {
    if (!head) {  // a HEAD gets the header only: no stream
      source_ = std::move(response.stream);
      ++server_.open_streams_;
      server_.counters_.open_streams.store(server_.open_streams_, std::memory_order_relaxed);
      server_.counters_.streams.fetch_add(1);
    }
    http::response_header<> header;
    header.version(parser_->get().version());
    header.result(static_cast<unsigned>(response.status));
    for (auto& [name, value] : response.headers) header.insert(name, value);
    header.set(http::field::content_type, response.content_type);
    header.set(http::field::server, "zonecastd");
    header.set(http::field::cache_control, "no-store");
    header.erase(http::field::content_length);
    header.erase(http::field::transfer_encoding);
    header.set(http::field::connection, "close");
    std::ostringstream text;
    text << header;
    out_ = text.str();
    keep_alive_ = false;
    WriteStream();
  }

  void WriteStream() {
    stream_.expires_after(ToChrono(server_.options_.request_timeout));
    asio::async_write(stream_, asio::buffer(out_),
                      [self = shared_from_this()](beast::error_code error, size_t) {
                        if (error) {
                          if (error == beast::error::timeout) {
                            self->server_.counters_.timeouts.fetch_add(1);
                          }
                          self->Close();
                          return;
                        }
                        if (self->source_ == nullptr) {  // HEAD: the header was all
                          self->Linger();
                          return;
                        }
                        self->PumpStream();
                      });
  }

  // Sends what the stream has, or looks again after stream_poll. A read
  // from the client meanwhile (it closed) ends the stream.
  void PumpStream() {
    out_ = source_->Read();
    if (!out_.empty()) {
      WriteStream();
      return;
    }
    stream_.expires_never();
    if (!watching_close_) {
      watching_close_ = true;
      buffer_.clear();
      stream_.socket().async_read_some(
          buffer_.prepare(kFirstReadBytes),
          [self = shared_from_this()](beast::error_code, size_t) { self->Close(); });
    }
    poll_.expires_after(ToChrono(server_.options_.stream_poll));
    poll_.async_wait([self = shared_from_this()](beast::error_code error) {
      if (error || !self->stream_.socket().is_open()) return;
      self->PumpStream();
    });
  }

  void OnWritten(beast::error_code error) {
    if (error) {
      if (error == beast::error::timeout) server_.counters_.timeouts.fetch_add(1);
      Close();
      return;
    }
    if (!keep_alive_) {
      Linger();
      return;
    }
    ReadRequest();
  }

  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    stream_.expires_after(kLingerTime);
    LingerRead();
  }

  void LingerRead() {
    stream_.async_read_some(buffer_.prepare(std::min(kFirstReadBytes, buffer_.max_size())),
                            [self = shared_from_this()](beast::error_code error, size_t bytes) {
                              self->lingered_bytes_ += bytes;
                              if (error || self->lingered_bytes_ > kLingerMaxBytes) {
                                self->Close();
                                return;
                              }
                              self->LingerRead();
                            });
  }

  void Close() {
    beast::error_code ignored;
    poll_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  HttpServer& server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;  // holds pipelined bytes between requests
  std::optional<RequestParser> parser_;
  http::response<http::string_body> response_;
  bool keep_alive_ = false;  // of response_
  bool head_ = false;        // the request being answered is a HEAD
  // A deferred response being waited for (it shares poll_ with streams).
  std::shared_ptr<HttpDeferred> deferred_;
  std::string deferred_path_;
  size_t lingered_bytes_ = 0;
  // A streamed response: its source, the bytes being written, the timer
  // that asks it again, and whether a read watches for the client leaving.
  std::shared_ptr<HttpStream> source_;
  std::string out_;
  asio::steady_timer poll_{stream_.get_executor()};
  bool watching_close_ = false;
};

HttpServer::HttpServer(Options options, HttpHandler handler)
    : options_(std::move(options)), handler_(std::move(handler)), loop_(std::make_unique<Loop>()) {}

HttpServer::~HttpServer() {
  loop_->io.stop();
  if (thread_.joinable()) thread_.join();
  // Destroying the io_context destroys the pending handlers and with them
  // the connections, which still refer to counters_ and open_connections_.
  loop_.reset();
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(Options options,
                                                              HttpHandler handler) {
  if (!handler) return absl::InvalidArgumentError("http server: no handler");
  if (options.max_connections == 0 || options.max_header_bytes == 0 ||
      options.idle_timeout <= absl::ZeroDuration() ||
      options.request_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "http server: max_connections, max_header_bytes and timeouts must be positive");
  }
  ASSIGN_OR_RETURN(const tcp::endpoint endpoint, ParseListen(options.listen));

  std::unique_ptr<HttpServer> server(new HttpServer(std::move(options), std::move(handler)));
  tcp::acceptor& acceptor = server->loop_->acceptor;
  boost::system::error_code error;
  const auto failed = [&server, &error](absl::string_view step) {
    return absl::UnavailableError(absl::StrCat("http server: cannot ", step, " ",
                                               server->options_.listen, ": ", error.message()));
  };
  acceptor.open(endpoint.protocol(), error);
  if (error) return failed("open a socket for");
  // Lets a restarted broker bind while its old connections sit in
  // TIME_WAIT; Linux still refuses a port another socket listens on.
  acceptor.set_option(tcp::acceptor::reuse_address(true), error);
  if (error) return failed("set SO_REUSEADDR for");
  acceptor.bind(endpoint, error);
  if (error) return failed("bind");
  acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) return failed("listen on");
  const tcp::endpoint bound = acceptor.local_endpoint(error);
  if (error) return failed("read the bound address of");
  server->endpoint_ = FormatEndpoint(bound);

  server->Accept();
  server->thread_ = std::thread([raw = server.get()] { raw->Run(); });
  return server;
}

void HttpServer::Accept() {
  loop_->acceptor.async_accept([this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) return;
    if (error) {
      // Typically out of file descriptors: retrying at once would spin.
      counters_.accept_errors.fetch_add(1);
      if (!loop_->accept_failing) {
        ZC_LOG(WARNING) << "http: accept on " << endpoint_ << " failing: " << error.message();
        loop_->accept_failing = true;
      }
      loop_->accept_retry.expires_after(kAcceptRetryDelay);
      loop_->accept_retry.async_wait([this](beast::error_code wait_error) {
        if (!wait_error) Accept();
      });
      return;
    }
    if (loop_->accept_failing) {
      ZC_LOG(INFO) << "http: accept on " << endpoint_ << " recovered";
      loop_->accept_failing = false;
    }
    // Re-armed first, so that an exception while setting up this connection
    // (see Run) cannot leave the server deaf.
    Accept();
    if (open_connections_ >= options_.max_connections) {
      counters_.connections_rejected.fetch_add(1);
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    counters_.connections.fetch_add(1);
    std::make_shared<Connection>(*this, std::move(socket))->Start();
  });
}

void HttpServer::Run() {
  // A handler of ours that throws anyway (say bad_alloc) loses its
  // connection, not the server.
  for (;;) {
    try {
      loop_->io.run();
      return;
    } catch (const std::exception& e) {
      ZC_LOG(ERROR) << "http: " << e.what();
    }
  }
}

}  // namespace zonecast
