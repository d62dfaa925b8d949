#include "http_get.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace zonecast::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyTime = std::chrono::steady_clock::time_point;

// A stats snapshot of a large city is well under 1 MiB; this only stops a
// wrong endpoint from filling memory.
constexpr uint64_t kMaxBodyBytes = uint64_t{16} << 20;

absl::Status BadUrl(absl::string_view url, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("bad URL '", url, "': ", why));
}

// Characters that would break the request line or a header.
bool HasSpaceOrControl(absl::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte == 0x7f) return true;
  }
  return false;
}

// Runs `io` until `*done` or `deadline`. False if the deadline came first.
// Each step's socket operation also carries the stream's own expiry, so
// this is the outer bound, and the only one for a DNS lookup.
bool RunUntil(asio::io_context& io, const bool* done, SteadyTime deadline) {
  io.restart();
  while (!*done && io.run_one_until(deadline) > 0) {
  }
  return *done;
}

}  // namespace

std::string HttpUrl::Authority() const {
  const bool ipv6 = host.find(':') != std::string::npos;
  return absl::StrCat(ipv6 ? "[" : "", host, ipv6 ? "]" : "", ":", port);
}

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url) {
  absl::string_view rest = absl::StripAsciiWhitespace(url);
  if (rest.empty()) return BadUrl(url, "empty");
  if (const size_t scheme = rest.find("://"); scheme != absl::string_view::npos) {
    if (!absl::EqualsIgnoreCase(rest.substr(0, scheme), "http")) {
      return BadUrl(url, "only http:// is supported");
    }
    rest.remove_prefix(scheme + 3);
  }
  if (const size_t hash = rest.find('#'); hash != absl::string_view::npos) {
    rest = rest.substr(0, hash);
  }
  HttpUrl out;
  const size_t path_start = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, path_start);
  if (path_start == absl::string_view::npos) {
    out.target = "/";
  } else if (rest[path_start] == '?') {
    out.target = absl::StrCat("/", rest.substr(path_start));
  } else {
    out.target = std::string(rest.substr(path_start));
  }
  if (HasSpaceOrControl(out.target)) return BadUrl(url, "spaces or control characters in the path");
  if (authority.find('@') != absl::string_view::npos) {
    return BadUrl(url, "user info is not supported");
  }
  bool has_port = false;
  absl::string_view port_text;
  if (absl::ConsumePrefix(&authority, "[")) {
    const size_t close = authority.find(']');
    if (close == absl::string_view::npos) return BadUrl(url, "'[' without ']' around the host");
    out.host = std::string(authority.substr(0, close));
    absl::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!absl::ConsumePrefix(&after, ":")) return BadUrl(url, "junk after ']'");
      has_port = true;
      port_text = after;
    }
  } else {
    const size_t colon = authority.rfind(':');
    if (colon != absl::string_view::npos) {
      if (authority.find(':') != colon) return BadUrl(url, "an IPv6 host needs [brackets]");
      has_port = true;
      port_text = authority.substr(colon + 1);
      authority = authority.substr(0, colon);
    }
    out.host = std::string(authority);
  }
  if (out.host.empty()) return BadUrl(url, "no host");
  if (HasSpaceOrControl(out.host)) return BadUrl(url, "spaces or control characters in the host");
  if (has_port) {
    uint32_t port = 0;
    const bool digits =
        !port_text.empty() && std::all_of(port_text.begin(), port_text.end(), absl::ascii_isdigit);
    if (!digits || !absl::SimpleAtoi(port_text, &port) || port == 0 || port > 65535) {
      return BadUrl(url, "the port must be a number 1-65535");
    }
    out.port = static_cast<uint16_t>(port);
  }
  return out;
}

std::string JoinUrlPath(absl::string_view base, absl::string_view path) {
  base = absl::StripAsciiWhitespace(base);
  while (absl::ConsumeSuffix(&base, "/")) {
  }
  return absl::StrCat(base, path);
}

namespace {

// GET `url`, or POST `post_body` (JSON) to it when not null.
absl::StatusOr<HttpGetResult> Exchange(absl::string_view url, absl::Duration timeout,
                                       const std::string& bearer_token,
                                       const std::string* post_body) {
  absl::StatusOr<HttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return parsed.status();
  const std::string where = parsed->Authority();
  // Clamped so that an infinite timeout does not overflow the time point.
  const absl::Duration budget = std::clamp(timeout, absl::ZeroDuration(), absl::Hours(24 * 365));
  const SteadyTime deadline =
      std::chrono::steady_clock::now() + std::chrono::nanoseconds(absl::ToInt64Nanoseconds(budget));
  auto timed_out = [&] {
    return absl::DeadlineExceededError(
        absl::StrCat("no answer from http://", where, " within ", absl::FormatDuration(timeout)));
  };

  // Declared before everything that queues work on it, so that it is
  // destroyed last: operations still pending then are dropped, not run.
  asio::io_context io;
  beast::error_code error;
  bool done = false;

  // A numeric host needs no lookup. A name goes through the resolver, whose
  // blocking getaddrinfo() runs on Asio's own thread: a hung lookup makes
  // this call return at the deadline but delays the io_context's teardown
  // until the lookup ends (typically a DNS timeout, seconds).
  tcp::resolver resolver(io);
  std::vector<tcp::endpoint> endpoints;
  beast::error_code address_error;
  const asio::ip::address address = asio::ip::make_address(parsed->host, address_error);
  if (!address_error) {
    endpoints.emplace_back(address, parsed->port);
  } else {
    resolver.async_resolve(parsed->host, std::to_string(parsed->port),
                           [&](beast::error_code ec, const tcp::resolver::results_type& results) {
                             error = ec;
                             for (const auto& entry : results)
                               endpoints.push_back(entry.endpoint());
                             done = true;
                           });
    if (!RunUntil(io, &done, deadline)) {
      resolver.cancel();
      return timed_out();
    }
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("cannot resolve ", parsed->host, " (", where, "): ", error.message()));
    }
  }

  beast::tcp_stream stream(io);
  // One expiry for connect, write and read together: a timer that fires
  // between two operations makes the next one fail at once.
  stream.expires_after(deadline - std::chrono::steady_clock::now());
  auto step_failed = [&](absl::string_view what) -> absl::Status {
    if (error == beast::error::timeout) return timed_out();
    return absl::UnavailableError(absl::StrCat(what, " ", where, ": ", error.message()));
  };

  done = false;
  stream.async_connect(endpoints, [&](beast::error_code ec, const tcp::endpoint&) {
    error = ec;
    done = true;
  });
  if (!RunUntil(io, &done, deadline)) return timed_out();
  if (error) return step_failed("cannot connect to");

  http::request<http::string_body> request(
      post_body != nullptr ? http::verb::post : http::verb::get, parsed->target, /*version=*/11);
  if (post_body != nullptr) {
    request.set(http::field::content_type, "application/json");
    request.body() = *post_body;
    request.prepare_payload();
  }
  request.set(http::field::host, where);
  request.set(http::field::user_agent, "zonecast-cli");
  if (!bearer_token.empty()) request.set(http::field::authorization, "Bearer " + bearer_token);
  request.keep_alive(false);
  done = false;
  http::async_write(stream, request, [&](beast::error_code ec, size_t) {
    error = ec;
    done = true;
  });
  if (!RunUntil(io, &done, deadline)) return timed_out();
  if (error) return step_failed("cannot send the request to");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxBodyBytes);
  done = false;
  http::async_read(stream, buffer, parser, [&](beast::error_code ec, size_t) {
    error = ec;
    done = true;
  });
  if (!RunUntil(io, &done, deadline)) return timed_out();
  if (error) return step_failed("no HTTP response from");

  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  HttpGetResult result;
  http::response<http::string_body>& response = parser.get();
  result.status = static_cast<int>(response.result_int());
  result.content_type = std::string(response[http::field::content_type]);
  result.body = std::move(response.body());
  return result;
}

}  // namespace

absl::StatusOr<HttpGetResult> HttpGet(absl::string_view url, absl::Duration timeout,
                                      const std::string& bearer_token) {
  return Exchange(url, timeout, bearer_token, nullptr);
}

absl::StatusOr<HttpGetResult> HttpPost(absl::string_view url, const std::string& json_body,
                                       absl::Duration timeout, const std::string& bearer_token) {
  return Exchange(url, timeout, bearer_token, &json_body);
}

}  // namespace zonecast::cli
