// HttpServer over real TCP on 127.0.0.1 with an ephemeral port, driven by a
// small blocking client whose every read is bounded by SO_RCVTIMEO: answers
// from the handler, the answers the server gives itself (400, 405, 413, 414,
// 431, 500), keep-alive, pipelining, HTTP/1.0, timeouts, the connection limit,
// random bytes, and Start's errors. ParseHttpRequest and DecodeHttpTarget,
// which the server and the fuzzer share, are also tested directly.
#include "http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

constexpr absl::Duration kReadTimeout = absl::Seconds(5);

struct Response {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

timeval BoundedTimeval(absl::Duration duration) {
  return absl::ToTimeval(std::max(duration, absl::Milliseconds(1)));
}

// A blocking TCP client. Every receive is bounded (SO_RCVTIMEO), so a
// server that fails to answer fails the test instead of hanging it.
class Client {
 public:
  static std::unique_ptr<Client> Connect(const std::string& endpoint) {
    const size_t colon = endpoint.rfind(':');
    int port = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(endpoint.substr(colon + 1), &port)) {
      return nullptr;
    }
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return nullptr;
    auto client = std::unique_ptr<Client>(new Client(fd));
    const timeval send_timeout = BoundedTimeval(kReadTimeout);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
    client->SetReadTimeout(kReadTimeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      return nullptr;
    }
    return client;
  }

  ~Client() { ::close(fd_); }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool Send(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void ShutdownWrite() { ::shutdown(fd_, SHUT_WR); }

  // One response off the connection; bytes after it stay buffered for the
  // next call. nullopt on timeout, EOF or garbage.
  std::optional<Response> ReadResponse(bool head = false) {
    size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    Response response;
    std::vector<std::string> lines =
        absl::StrSplit(absl::string_view(buffer_).substr(0, header_end), "\r\n");
    std::vector<std::string> status_line = absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
    if (status_line.size() < 2 || !absl::SimpleAtoi(status_line[1], &response.status)) {
      return std::nullopt;
    }
    response.version = status_line[0];
    for (size_t i = 1; i < lines.size(); ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == std::string::npos) return std::nullopt;
      response.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
          std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
    }
    buffer_.erase(0, header_end + 4);
    size_t length = 0;
    if (!head && !absl::SimpleAtoi(response.header("content-length"), &length)) {
      return std::nullopt;
    }
    while (buffer_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return response;
  }

  // Everything until the server closes (or `timeout` passes, then nullopt).
  std::optional<std::string> ReadUntilClosed(absl::Duration timeout = kReadTimeout) {
    const absl::Time deadline = absl::Now() + timeout;
    for (;;) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return std::nullopt;
      SetReadTimeout(left);
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n == 0 || (n < 0 && errno == ECONNRESET)) {
        std::string all = std::move(buffer_);
        buffer_.clear();
        return all;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return std::nullopt;  // timed out
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  // True if the server closes the connection within `timeout`, sending
  // nothing more.
  // Reads until what arrived holds `needle`; returns all read so far (and
  // keeps it), or nullopt on timeout or close.
  std::optional<std::string> ReadUntilContains(absl::string_view needle) {
    while (absl::string_view(buffer_).find(needle) == absl::string_view::npos) {
      if (!Fill()) return std::nullopt;
    }
    return buffer_;
  }

  bool ClosedWithin(absl::Duration timeout) {
    std::optional<std::string> rest = ReadUntilClosed(timeout);
    return rest.has_value() && rest->empty();
  }

 private:
  explicit Client(int fd) : fd_(fd) {}

  void SetReadTimeout(absl::Duration timeout) {
    const timeval tv = BoundedTimeval(timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  bool Fill() {
    char chunk[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  }

  int fd_;
  std::string buffer_;
};

std::string Get(absl::string_view target, absl::string_view extra_headers = "") {
  return absl::StrCat("GET ", target, " HTTP/1.1\r\nHost: test\r\n", extra_headers, "\r\n");
}

// Polls a condition the server sets after the client can observe the
// effect (a counter bumped after the close it caused). Bounded.
bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout = kReadTimeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// "METHOD PATH" and the query as sorted "key=value" lines, so that tests
// see what the handler saw without sharing memory with the server thread.
HttpResponse Echo(const HttpRequest& request) {
  if (request.path == "/missing") {
    HttpResponse response;
    response.status = 404;
    response.body = "no such thing\n";
    return response;
  }
  if (request.path == "/boom") throw std::runtime_error("boom");
  if (request.path == "/bad-header") {
    HttpResponse response;
    response.headers.emplace_back("X-Split", "a\r\nInjected: yes");
    return response;
  }
  if (request.path == "/bad-status") {
    HttpResponse response;
    response.status = 42;
    return response;
  }
  std::map<std::string, std::string> sorted(request.query.begin(), request.query.end());
  HttpResponse response;
  response.body = absl::StrCat(request.method, " ", request.path, "\n");
  for (const auto& [key, value] : sorted) absl::StrAppend(&response.body, key, "=", value, "\n");
  response.headers.emplace_back("X-Echo", "yes");
  return response;
}

void ExpectStandardHeaders(const Response& response) {
  EXPECT_FALSE(response.header("content-type").empty());
  EXPECT_FALSE(response.header("content-length").empty());
  EXPECT_EQ(response.header("server"), "zonecastd");
  EXPECT_EQ(response.header("cache-control"), "no-store");
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServer::Options DefaultOptions() {
    HttpServer::Options options;
    options.listen = "127.0.0.1:0";
    return options;
  }

  void StartServer(HttpServer::Options options, HttpHandler handler = Echo) {
    absl::StatusOr<std::unique_ptr<HttpServer>> server =
        HttpServer::Start(std::move(options), std::move(handler));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }
  void StartServer() { StartServer(DefaultOptions()); }

  std::unique_ptr<Client> Connect() { return Client::Connect(server_->endpoint()); }

  // One request on a fresh connection.
  std::optional<Response> RoundTrip(absl::string_view request, bool head = false) {
    std::unique_ptr<Client> client = Connect();
    if (client == nullptr || !client->Send(request)) return std::nullopt;
    return client->ReadResponse(head);
  }

  const HttpServer::Counters& counters() { return server_->counters(); }

  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, GetReturnsBodyAndStandardHeaders) {
  StartServer();
  std::optional<Response> response = RoundTrip(Get("/v1/stats"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->version, "HTTP/1.1");
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /v1/stats\n");
  EXPECT_EQ(response->header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response->header("content-length"), "14");
  EXPECT_EQ(response->header("x-echo"), "yes");
  ExpectStandardHeaders(*response);
  EXPECT_TRUE(WaitUntil([&] { return counters().responses_2xx.load() == 1; }));
  EXPECT_EQ(counters().requests.load(), 1u);
  EXPECT_EQ(counters().connections.load(), 1u);
}

TEST_F(HttpServerTest, NotFoundFromHandler) {
  StartServer();
  std::optional<Response> response = RoundTrip(Get("/missing"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "no such thing\n");
  ExpectStandardHeaders(*response);
  EXPECT_EQ(counters().responses_4xx.load(), 1u);
}

TEST_F(HttpServerTest, QueryIsPercentDecodedWithPlusAsSpace) {
  StartServer();
  std::optional<Response> response = RoundTrip(Get("/x?state=open&a=%41+b&&flag&state=closed"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /x\na=A b\nflag=\nstate=closed\n");
}

TEST_F(HttpServerTest, PathIsPercentDecodedAndPlusKept) {
  StartServer();
  std::optional<Response> response = RoundTrip(Get("/v1/alerts/A%2D1%20x+y"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /v1/alerts/A-1 x+y\n");
}

TEST_F(HttpServerTest, BadPercentEscapeIs400AndCloses) {
  StartServer();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(Get("/a%zz")));
  std::optional<Response> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client->ClosedWithin(kReadTimeout));
  EXPECT_EQ(counters().malformed.load(), 1u);
}

TEST_F(HttpServerTest, HeadHasHeadersButNoBody) {
  StartServer();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send("HEAD /v1/stats HTTP/1.1\r\nHost: test\r\n\r\n"));
  std::optional<Response> head = client->ReadResponse(/*head=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "15");  // "HEAD /v1/stats\n"
  EXPECT_EQ(head->header("x-echo"), "yes");
  ExpectStandardHeaders(*head);
  // Had the HEAD answer carried a body, it would be read as this response.
  ASSERT_TRUE(client->Send(Get("/after")));
  std::optional<Response> next = client->ReadResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "GET /after\n");
}

// A stream that hands out the pieces the test puts in, from any thread.
class TestStream : public HttpStream {
 public:
  void Put(std::string piece) {
    std::lock_guard<std::mutex> lock(mutex_);
    pending_ += piece;
  }
  std::string Read() override {
    std::lock_guard<std::mutex> lock(mutex_);
    ++reads_;
    return std::exchange(pending_, std::string());
  }
  int reads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return reads_;
  }

 private:
  std::mutex mutex_;
  std::string pending_;
  int reads_ = 0;
};

TEST_F(HttpServerTest, StreamSendsWhatItGivesAsItComesUntilTheClientLeaves) {
  auto stream = std::make_shared<TestStream>();
  stream->Put("first\n");
  HttpServer::Options options = DefaultOptions();
  options.stream_poll = absl::Milliseconds(10);
  StartServer(options, [stream](const HttpRequest& request) {
    HttpResponse response;
    response.content_type = "text/event-stream";
    response.stream = stream;
    return response;
  });
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(Get("/events")));
  std::optional<std::string> got = client->ReadUntilContains("first\n");
  ASSERT_TRUE(got.has_value()) << "the header and the first piece did not come";
  EXPECT_THAT(*got, ::testing::StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(*got, ::testing::HasSubstr("Content-Type: text/event-stream"));
  EXPECT_THAT(*got, ::testing::HasSubstr("Connection: close"));
  EXPECT_THAT(*got, ::testing::Not(::testing::HasSubstr("Content-Length")));
  EXPECT_EQ(counters().open_streams.load(), 1u);
  // Later pieces follow without a new request.
  stream->Put("second\n");
  ASSERT_TRUE(client->ReadUntilContains("second\n").has_value());
  client.reset();
  // The server notices the client left and closes its side.
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (counters().open_streams.load() != 0 && absl::Now() < deadline) {
    stream->Put("x");  // a write to the closed connection fails too
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(counters().open_streams.load(), 0u);
  EXPECT_EQ(counters().streams.load(), 1u);
}

TEST_F(HttpServerTest, StreamsBeyondTheLimitAre503) {
  auto stream = std::make_shared<TestStream>();
  HttpServer::Options options = DefaultOptions();
  options.max_streams = 1;
  StartServer(options, [stream](const HttpRequest& request) {
    HttpResponse response;
    if (request.path == "/events") response.stream = stream;
    return response;
  });
  stream->Put("hello\n");
  std::unique_ptr<Client> first = Connect();
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->Send(Get("/events")));
  ASSERT_TRUE(first->ReadUntilContains("hello\n").has_value());
  std::optional<Response> second = RoundTrip(Get("/events"));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 503);
  EXPECT_EQ(counters().streams_rejected.load(), 1u);
  // Plain requests are still served meanwhile.
  std::optional<Response> plain = RoundTrip(Get("/plain"));
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->status, 200);
}

TEST_F(HttpServerTest, PostIs405WithAllowAndKeepsConnection) {
  StartServer();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(
      client->Send("POST /v1/stats HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc"));
  std::optional<Response> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->header("allow"), "GET, HEAD");
  ExpectStandardHeaders(*response);
  ASSERT_TRUE(client->Send(Get("/next")));
  std::optional<Response> next = client->ReadResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, AcceptedPostReachesTheHandlerWithItsBody) {
  HttpServer::Options options = DefaultOptions();
  options.accept_post = true;
  StartServer(options, [](const HttpRequest& request) {
    HttpResponse response;
    response.body = absl::StrCat(request.method, " ", request.path, " [", request.body, "]");
    return response;
  });
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(
      "POST /v1/console/cancel HTTP/1.1\r\nHost: test\r\nContent-Length: 7\r\n\r\n{\"a\":1}"));
  std::optional<Response> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "POST /v1/console/cancel [{\"a\":1}]");
  // Other methods are still refused, and say POST is allowed.
  ASSERT_TRUE(client->Send("PUT /x HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n"));
  response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->header("allow"), "GET, HEAD, POST");
  // A GET carries no body to the handler.
  ASSERT_TRUE(client->Send("GET /plain HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nabc"));
  response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "GET /plain []");
}

// Ready once `release` is set (by the test), or throws when `fail` is.
class ReleasedResponse : public HttpDeferred {
 public:
  ReleasedResponse(std::atomic<bool>& release, bool fail) : release_(release), fail_(fail) {}
  std::optional<HttpResponse> Poll() override {
    if (!release_.load()) return std::nullopt;
    if (fail_) throw std::runtime_error("the worker died");
    HttpResponse response;
    response.status = 201;
    response.body = "done";
    return response;
  }

 private:
  std::atomic<bool>& release_;
  bool fail_;
};

TEST_F(HttpServerTest, DeferredResponseWaitsWithoutHoldingOtherConnections) {
  std::atomic<bool> release{false};
  StartServer(DefaultOptions(), [&release](const HttpRequest& request) {
    if (request.path != "/deferred" && request.path != "/failing") return Echo(request);
    HttpResponse response;
    response.deferred = std::make_shared<ReleasedResponse>(release, request.path == "/failing");
    return response;
  });
  std::unique_ptr<Client> waiting = Connect();
  std::unique_ptr<Client> failing = Connect();
  ASSERT_NE(waiting, nullptr);
  ASSERT_NE(failing, nullptr);
  ASSERT_TRUE(waiting->Send(Get("/deferred")));
  ASSERT_TRUE(failing->Send(Get("/failing")));
  // Served while both deferred responses cannot be ready yet.
  std::optional<Response> other = RoundTrip(Get("/plain"));
  ASSERT_TRUE(other.has_value());
  EXPECT_EQ(other->status, 200);
  EXPECT_FALSE(release.load());
  release = true;
  std::optional<Response> done = waiting->ReadResponse();
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(done->status, 201);
  EXPECT_EQ(done->body, "done");
  ExpectStandardHeaders(*done);
  std::optional<Response> failed = failing->ReadResponse();
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->status, 500);
  EXPECT_EQ(counters().handler_errors.load(), 1u);
  // The connection goes on.
  ASSERT_TRUE(waiting->Send(Get("/next")));
  std::optional<Response> next = waiting->ReadResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, GarbageIs400ThenClosedAndServerServesNextConnection) {
  StartServer();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(std::string("\x01\x02 garbage \xff\r\n\r\n", 16)));
  std::optional<Response> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->header("connection"), "close");
  ExpectStandardHeaders(*response);
  EXPECT_TRUE(client->ClosedWithin(kReadTimeout));
  EXPECT_EQ(counters().malformed.load(), 1u);

  std::optional<Response> next = RoundTrip(Get("/"));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
}

TEST_F(HttpServerTest, BadChunkingIs400) {
  StartServer();
  std::optional<Response> response =
      RoundTrip("GET / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(counters().malformed.load(), 1u);
}

TEST_F(HttpServerTest, HeaderOverLimitIs431) {
  StartServer();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(Get("/", absl::StrCat("X-Big: ", std::string(9000, 'a'), "\r\n"))));
  std::optional<Response> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client->ClosedWithin(kReadTimeout));
}

TEST_F(HttpServerTest, LongUriIs414) {
  StartServer();
  std::optional<Response> response = RoundTrip(Get("/" + std::string(3000, 'u')));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 414);
  ExpectStandardHeaders(*response);
  // At the limit is fine.
  std::optional<Response> at_limit =
      RoundTrip(Get("/" + std::string(kHttpMaxTargetBytes - 1, 'u')));
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_EQ(at_limit->status, 200);
}

TEST_F(HttpServerTest, BodyOverLimitIs413) {
  StartServer();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(
      client->Send(absl::StrCat(Get("/", "Content-Length: 5000\r\n"), std::string(5000, 'b'))));
  std::optional<Response> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client->ClosedWithin(kReadTimeout));
}

TEST_F(HttpServerTest, BodyWithinLimitIsIgnored) {
  StartServer();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(
      client->Send(absl::StrCat(Get("/a", "Content-Length: 10\r\n"), "0123456789", Get("/b"))));
  std::optional<Response> first = client->ReadResponse();
  std::optional<Response> second = client->ReadResponse();
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(first->body, "GET /a\n");
  EXPECT_EQ(second->body, "GET /b\n");
}

TEST_F(HttpServerTest, HandlerThrowIs500AndNextRequestWorks) {
  StartServer();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(Get("/boom")));
  std::optional<Response> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  ExpectStandardHeaders(*response);
  ASSERT_TRUE(client->Send(Get("/fine")));
  std::optional<Response> next = client->ReadResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(counters().handler_errors.load(), 1u);
  EXPECT_EQ(counters().responses_5xx.load(), 1u);
}

TEST_F(HttpServerTest, HandlerResponseThatWouldSplitHeadersIs500) {
  StartServer();
  for (const char* path : {"/bad-header", "/bad-status"}) {
    std::optional<Response> response = RoundTrip(Get(path));
    ASSERT_TRUE(response.has_value()) << path;
    EXPECT_EQ(response->status, 500) << path;
    EXPECT_EQ(response->header("injected"), "") << path;
  }
  EXPECT_EQ(counters().handler_errors.load(), 2u);
}

TEST_F(HttpServerTest, PipelinedRequestsAnsweredInOrder) {
  StartServer();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(absl::StrCat(Get("/first"), Get("/missing"), Get("/third"))));
  std::optional<Response> first = client->ReadResponse();
  std::optional<Response> second = client->ReadResponse();
  std::optional<Response> third = client->ReadResponse();
  ASSERT_TRUE(first.has_value() && second.has_value() && third.has_value());
  EXPECT_EQ(first->body, "GET /first\n");
  EXPECT_EQ(second->status, 404);
  EXPECT_EQ(third->body, "GET /third\n");
}

TEST_F(HttpServerTest, Http10ClosesAfterResponse) {
  StartServer();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send("GET /old HTTP/1.0\r\n\r\n"));
  std::optional<Response> response = client->ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->version, "HTTP/1.0");
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /old\n");
  EXPECT_TRUE(client->ClosedWithin(kReadTimeout));
}

TEST_F(HttpServerTest, Http10KeepAliveIsHonoured) {
  StartServer();
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  std::optional<Response> first = client->ReadResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(absl::AsciiStrToLower(first->header("connection")), "keep-alive");
  ASSERT_TRUE(client->Send("GET /b HTTP/1.0\r\n\r\n"));
  std::optional<Response> second = client->ReadResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body, "GET /b\n");
}

TEST_F(HttpServerTest, HalfRequestClosedAfterRequestTimeout) {
  HttpServer::Options options = DefaultOptions();
  options.request_timeout = absl::Milliseconds(200);
  StartServer(options);
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  const absl::Time sent = absl::Now();
  ASSERT_TRUE(client->Send("GET / HTTP/1.1\r\nHost: slow\r\n"));
  EXPECT_TRUE(client->ClosedWithin(kReadTimeout));
  EXPECT_GE(absl::Now() - sent, absl::Milliseconds(200));
  EXPECT_TRUE(WaitUntil([&] { return counters().timeouts.load() == 1; }));
  EXPECT_EQ(counters().requests.load(), 0u);
}

TEST_F(HttpServerTest, IdleConnectionClosedAfterIdleTimeout) {
  HttpServer::Options options = DefaultOptions();
  options.idle_timeout = absl::Milliseconds(200);
  StartServer(options);
  std::unique_ptr<Client> client = Connect();
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Send(Get("/")));
  ASSERT_TRUE(client->ReadResponse().has_value());
  EXPECT_TRUE(client->ClosedWithin(kReadTimeout));
  EXPECT_TRUE(WaitUntil([&] { return counters().timeouts.load() == 1; }));
}

TEST_F(HttpServerTest, ConnectionsOverLimitAreClosedAndCounted) {
  HttpServer::Options options = DefaultOptions();
  options.max_connections = 2;
  StartServer(options);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 2; ++i) {
    clients.push_back(Connect());
    ASSERT_NE(clients.back(), nullptr);
    // A round trip proves the server accepted this one before the next.
    ASSERT_TRUE(clients.back()->Send(Get("/")));
    ASSERT_TRUE(clients.back()->ReadResponse().has_value());
  }
  std::unique_ptr<Client> extra = Connect();
  ASSERT_NE(extra, nullptr);
  EXPECT_TRUE(extra->ClosedWithin(kReadTimeout));
  EXPECT_TRUE(WaitUntil([&] { return counters().connections_rejected.load() == 1; }));
  EXPECT_EQ(counters().open_connections.load(), 2u);

  for (auto& client : clients) {
    ASSERT_TRUE(client->Send(Get("/still")));
    std::optional<Response> response = client->ReadResponse();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, "GET /still\n");
  }
  // A freed slot can be used again.
  clients.pop_back();
  ASSERT_TRUE(WaitUntil([&] { return counters().open_connections.load() == 1; }));
  std::optional<Response> again = RoundTrip(Get("/again"));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 200);
  EXPECT_EQ(counters().connections.load(), 3u);
}

TEST_F(HttpServerTest, RandomBytesNeverHurtTheServer) {
  HttpServer::Options options = DefaultOptions();
  options.request_timeout = absl::Seconds(2);
  StartServer(options);
  std::mt19937 rng(20260415);
  int answered_4xx = 0;
  for (int i = 0; i < 300; ++i) {
    std::string blob(1 + rng() % 600, '\0');
    for (char& c : blob) c = static_cast<char>(rng());
    // Every other blob starts like a request, to get past the request line.
    if (i % 2 == 1) blob.insert(0, "GET /");
    std::unique_ptr<Client> client = Connect();
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Send(blob));
    client->ShutdownWrite();
    std::optional<std::string> reply = client->ReadUntilClosed();
    ASSERT_TRUE(reply.has_value()) << "blob " << i << " left the connection hanging";
    if (absl::StartsWith(*reply, "HTTP/1.1 4")) ++answered_4xx;
  }
  EXPECT_EQ(answered_4xx, 300);
  std::optional<Response> response = RoundTrip(Get("/after-fuzz"));
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  // Every connection goes away once its client has.
  EXPECT_TRUE(WaitUntil([&] { return counters().open_connections.load() == 0; }));
}

TEST_F(HttpServerTest, StopsWithOpenConnections) {
  StartServer();
  std::unique_ptr<Client> idle = Connect();
  std::unique_ptr<Client> partial = Connect();
  ASSERT_NE(idle, nullptr);
  ASSERT_NE(partial, nullptr);
  ASSERT_TRUE(partial->Send("GET / HTTP/1.1\r\n"));
  ASSERT_TRUE(WaitUntil([&] { return counters().open_connections.load() == 2; }));
  server_.reset();
  EXPECT_TRUE(idle->ClosedWithin(kReadTimeout));
  EXPECT_TRUE(partial->ClosedWithin(kReadTimeout));
}

TEST_F(HttpServerTest, StartOnPortInUseFailsNamingTheAddress) {
  StartServer();
  HttpServer::Options options = DefaultOptions();
  options.listen = server_->endpoint();
  absl::StatusOr<std::unique_ptr<HttpServer>> second = HttpServer::Start(options, Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(second.status().message(), server_->endpoint())) << second.status();
}

TEST_F(HttpServerTest, BadListenIsInvalidArgument) {
  for (const char* listen :
       {"", "nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:-1",
        "127.0.0.1:+80", "example.com:80", "::1:80", "[::1:80", "[127.0.0.1]:80", "1.2.3:80"}) {
    HttpServer::Options options = DefaultOptions();
    options.listen = listen;
    absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, Echo);
    ASSERT_FALSE(server.ok()) << listen;
    EXPECT_EQ(server.status().code(), absl::StatusCode::kInvalidArgument) << listen;
  }
}

TEST_F(HttpServerTest, BadOptionsAreInvalidArgument) {
  HttpServer::Options options = DefaultOptions();
  EXPECT_EQ(HttpServer::Start(options, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  options.max_connections = 0;
  EXPECT_EQ(HttpServer::Start(options, Echo).status().code(), absl::StatusCode::kInvalidArgument);
  options = DefaultOptions();
  options.request_timeout = absl::ZeroDuration();
  EXPECT_EQ(HttpServer::Start(options, Echo).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(HttpServerTest, LocalhostBindsLoopback) {
  HttpServer::Options options = DefaultOptions();
  options.listen = "localhost:0";
  StartServer(options);
  EXPECT_TRUE(absl::StartsWith(server_->endpoint(), "127.0.0.1:")) << server_->endpoint();
  EXPECT_NE(server_->endpoint(), "127.0.0.1:0");
}

TEST_F(HttpServerTest, Ipv6EndpointIsBracketed) {
  HttpServer::Options options = DefaultOptions();
  options.listen = "[::1]:0";
  absl::StatusOr<std::unique_ptr<HttpServer>> server = HttpServer::Start(options, Echo);
  if (!server.ok() && server.status().code() == absl::StatusCode::kUnavailable) {
    GTEST_SKIP() << "no IPv6 loopback here: " << server.status();
  }
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE(absl::StartsWith((*server)->endpoint(), "[::1]:")) << (*server)->endpoint();
}

// The parsing path on its own, as the fuzzer drives it.
TEST(ParseHttpRequestTest, CompleteRequest) {
  HttpParseResult result =
      ParseHttpRequest("GET /v1/alerts?state=open HTTP/1.1\r\nHost: x\r\n\r\n", {});
  EXPECT_EQ(result.status, 0) << result.reason;
  EXPECT_EQ(result.request.method, "GET");
  EXPECT_EQ(result.request.target, "/v1/alerts?state=open");
  EXPECT_EQ(result.request.path, "/v1/alerts");
  EXPECT_EQ(result.request.query.at("state"), "open");
  EXPECT_TRUE(result.keep_alive);
}

TEST(ParseHttpRequestTest, Http10DefaultsToClose) {
  HttpParseResult result = ParseHttpRequest("HEAD / HTTP/1.0\r\n\r\n", {});
  EXPECT_EQ(result.status, 0) << result.reason;
  EXPECT_FALSE(result.keep_alive);
}

TEST(ParseHttpRequestTest, RefusalsCarryTheirStatus) {
  HttpServer::Options options;
  EXPECT_EQ(ParseHttpRequest("", options).status, 400);
  EXPECT_EQ(ParseHttpRequest("GET / HTTP/1.1\r\nHost: x\r\n", options).status, 400);  // cut short
  EXPECT_EQ(ParseHttpRequest("GET / HTTP/2.0\r\n\r\n", options).status, 400);
  EXPECT_EQ(ParseHttpRequest("GET / HTTP/1.1\r\nBad Header: x\r\n\r\n", options).status, 400);
  EXPECT_EQ(ParseHttpRequest("GET http://host/ HTTP/1.1\r\n\r\n", options).status, 400);
  EXPECT_EQ(ParseHttpRequest("DELETE / HTTP/1.1\r\n\r\n", options).status, 405);
  EXPECT_EQ(ParseHttpRequest(Get("/" + std::string(3000, 'u')), options).status, 414);
  EXPECT_EQ(ParseHttpRequest(Get("/", "X: " + std::string(9000, 'h') + "\r\n"), options).status,
            431);
  EXPECT_EQ(ParseHttpRequest(Get("/", "Content-Length: 4097\r\n"), options).status, 413);
  const std::string chunked_too_big =
      absl::StrCat(Get("/", "Transfer-Encoding: chunked\r\n"), "1001\r\n", std::string(4097, 'c'),
                   "\r\n0\r\n\r\n");
  EXPECT_EQ(ParseHttpRequest(chunked_too_big, options).status, 413);
  const std::string huge_chunk_line = absl::StrCat(Get("/", "Transfer-Encoding: chunked\r\n"), "1;",
                                                   std::string(20000, 'e'), "\r\n");
  EXPECT_EQ(ParseHttpRequest(huge_chunk_line, options).status, 413);
}

TEST(DecodeHttpTargetTest, DecodesPathAndQuery) {
  HttpRequest request;
  ASSERT_TRUE(DecodeHttpTarget("/a%2Fb+c?k%3D=v%26w+x&k%3D=last&empty=", &request).ok());
  EXPECT_EQ(request.path, "/a/b+c");
  EXPECT_EQ(request.query.size(), 2u);
  EXPECT_EQ(request.query.at("k="), "last");
  EXPECT_EQ(request.query.at("empty"), "");
}

TEST(DecodeHttpTargetTest, RejectsBadTargets) {
  HttpRequest request;
  for (const char* target : {"", "x", "*", "/%", "/%4", "/%4g", "/%00", "/?a=%", "/?%zz=1", "/a b",
                             "/\x01", "/?a=\x7f"}) {
    EXPECT_EQ(DecodeHttpTarget(target, &request).code(), absl::StatusCode::kInvalidArgument)
        << target;
  }
}

}  // namespace
}  // namespace zonecast
