#include "core/options.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace zonecast {

bool IsLoopbackEndpoint(absl::string_view endpoint) {
  if (absl::StartsWith(endpoint, "ipc://") || absl::StartsWith(endpoint, "inproc://")) {
    return true;
  }
  if (!absl::ConsumePrefix(&endpoint, "tcp://")) return false;
  return IsLoopbackHostPort(endpoint);
}

bool IsLoopbackHostPort(absl::string_view host_port) {
  // HOST:PORT; an interface name or a wildcard (*, 0.0.0.0) is not loopback.
  const absl::string_view host = host_port.substr(0, host_port.rfind(':'));
  if (host == "localhost" || host == "[::1]") return true;
  // 127.0.0.0/8, written as four numbers.
  int octets = 0;
  for (absl::string_view part : absl::StrSplit(host, '.')) {
    int value = 0;
    if (!absl::SimpleAtoi(part, &value) || value < 0 || value > 255) return false;
    if (octets++ == 0 && value != 127) return false;
  }
  return octets == 4;
}

namespace {

bool IsZeroMqEndpoint(absl::string_view endpoint) {
  return absl::StartsWith(endpoint, "tcp://") || absl::StartsWith(endpoint, "ipc://") ||
         absl::StartsWith(endpoint, "inproc://");
}

}  // namespace

// One independent check per option, in the order of the flags: long, but
// flat, and each refusal names its flag.
absl::Status BrokerOptions::Validate() const {
  if (!IsZeroMqEndpoint(listen)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen '", listen, "' is not a ZeroMQ endpoint (tcp://HOST:PORT)"));
  }
  if (!dispatch_listen.empty() && !IsZeroMqEndpoint(dispatch_listen)) {
    return absl::InvalidArgumentError(absl::StrCat("--dispatch_listen '", dispatch_listen,
                                                   "' is not a ZeroMQ endpoint (tcp://HOST:PORT)"));
  }
  if (keys_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError(
        "--keys_file and --key_file go together: the clients' keys and the broker's own");
  }
  if (!secure() && !insecure && !IsLoopbackEndpoint(listen)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to listen on ", listen,
        " without --keys_file: anyone who reaches it could read and publish alerts unencrypted. "
        "Give --keys_file and --key_file (see README, Security), listen on 127.0.0.1, or pass "
        "--insecure"));
  }
  if (!dispatch_listen.empty() && !secure() && !insecure && !IsLoopbackEndpoint(dispatch_listen)) {
    return absl::InvalidArgumentError(
        absl::StrCat("refusing to listen on ", dispatch_listen,
                     " (--dispatch_listen) without --keys_file: see --listen"));
  }
  if (!http.empty() && http != "off" && http_token.empty() && !insecure &&
      !IsLoopbackHostPort(http)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "refusing to serve --http on ", http,
        " without --http_token_file: /metrics and /readyz would be open to anyone who reaches "
        "it. Give a token file, bind 127.0.0.1, or pass --insecure"));
  }
  if (heartbeat_ms < 10 || heartbeat_ms > 600'000) {
    return absl::InvalidArgumentError("--heartbeat_ms must be within [10, 600000]");
  }
  if (heartbeat_misses < 1 || heartbeat_misses > 100) {
    return absl::InvalidArgumentError("--heartbeat_misses must be within [1, 100]");
  }
  // A stored record holds the frame plus a header, the topic and the alert
  // id; keep well under the journal's record limit (16 MiB).
  if (max_frame_bytes < 256 || max_frame_bytes > (8u << 20)) {
    return absl::InvalidArgumentError("--max_frame_bytes must be within [256, 8 MiB]");
  }
  if (queue_limits.soft_bytes == 0 || queue_limits.hard_bytes < queue_limits.soft_bytes) {
    return absl::InvalidArgumentError(
        "--session_queue_bytes must be > 0 and not above --session_queue_hard_bytes");
  }
  // A history page (up to 48 KiB of messages, framed) must fit.
  if (queue_limits.reply_bytes < (64u << 10) || replies_total_bytes < queue_limits.reply_bytes) {
    return absl::InvalidArgumentError(
        "--session_reply_bytes must be at least 64 KiB, and --replies_total_bytes at least that");
  }
  if (queue_limits.soft_messages < 2) {
    return absl::InvalidArgumentError("--session_queue_messages must be >= 2");
  }
  if (journal.max_inflight_bytes < (1u << 20)) {
    return absl::InvalidArgumentError("--max_inflight_bytes must be at least 1 MiB");
  }
  if (redeliveries_per_turn < 1) {
    return absl::InvalidArgumentError("--redeliveries_per_turn must be >= 1");
  }
  if (pipe_hwm < 1) return absl::InvalidArgumentError("--pipe_hwm must be >= 1");
  if (listen_backlog < 1) return absl::InvalidArgumentError("--listen_backlog must be >= 1");
  if (io_threads < 1 || io_threads > 16) {
    return absl::InvalidArgumentError("--io_threads must be within [1, 16]");
  }
  if (journal.segment_bytes < (64u << 10)) {
    return absl::InvalidArgumentError("--segment_bytes must be at least 64 KiB");
  }
  if (journal.retention_bytes < journal.segment_bytes) {
    return absl::InvalidArgumentError("--retention_bytes must be at least --segment_bytes");
  }
  if (journal.retention_age <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--retention_hours must be > 0");
  }
  if (journal.dedup_window < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--dedup_window must not be negative");
  }
  for (absl::Duration wait : redelivery.ack_wait) {
    if (wait <= absl::ZeroDuration())
      return absl::InvalidArgumentError("--ack_wait values must be > 0");
  }
  for (absl::Duration wait : redelivery.backoff) {
    if (wait <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--redelivery_backoff values must be > 0");
    }
  }
  if (!(redelivery.jitter >= 0 && redelivery.jitter <= 1)) {
    return absl::InvalidArgumentError("--redelivery_jitter must be between 0 and 1");
  }
  if (redelivery.per_session_per_pass < 1) {
    return absl::InvalidArgumentError("--redeliveries_per_session_per_turn must be >= 1");
  }
  if (redelivery.max_deliveries < 1)
    return absl::InvalidArgumentError("--max_deliveries must be >= 1");
  if (session_expiry <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--session_expiry must be > 0");
  }
  if (read_batch < 1) return absl::InvalidArgumentError("--read_batch must be >= 1");
  if (fanout_per_turn < 1) return absl::InvalidArgumentError("--fanout_per_turn must be >= 1");
  if (max_sessions < 1) return absl::InvalidArgumentError("--max_sessions must be >= 1");
  if (max_subscriptions_per_session < 1) {
    return absl::InvalidArgumentError("--max_subscriptions must be >= 1");
  }
  if (publish_rate < 0 || center_publish_rate < 0 || publish_burst < 1) {
    return absl::InvalidArgumentError(
        "--publish_rate and --center_publish_rate must be >= 0, --publish_burst >= 1");
  }
  return absl::OkStatus();
}

}  // namespace zonecast
