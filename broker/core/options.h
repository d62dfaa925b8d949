#pragma once
// BrokerOptions: everything zonecastd can be told, as plain values. main.cc is
// the only place that reads flags; it fills this struct and calls Validate().
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "delivery/redelivery_policy.h"
#include "journal/journal_options.h"
#include "routing/session_queue.h"
#include "zonecast/domain.pb.h"

namespace zonecast {

// True for a tcp:// endpoint on a loopback address, and for ipc:// and
// inproc:// (this machine only).
bool IsLoopbackEndpoint(absl::string_view endpoint);
// The same for HOST:PORT (the HTTP endpoint).
bool IsLoopbackHostPort(absl::string_view host_port);

struct BrokerOptions {
  // ZeroMQ endpoint of the ROUTER socket. "tcp://127.0.0.1:*" binds an
  // ephemeral port (tests); the bound endpoint is logged and written to
  // ready_file.
  std::string listen = "tcp://127.0.0.1:7400";
  // Optional second endpoint for the center's consoles (no terminals): read
  // ahead of `listen` every turn, so a dispatcher's P1 never waits in line
  // behind thousands of terminals' acks. Empty: none.
  std::string dispatch_listen;
  std::string http = "127.0.0.1:7480";  // monitoring endpoint (HTTP), HOST:PORT
  // Bearer token the HTTP endpoint asks of every request but /healthz (read
  // from --http_token_file); alert data is served only with it.
  std::string http_token;
  // A StatsSnapshot goes to sys.stats this often; zero: never.
  absl::Duration stats_interval = absl::Seconds(5);
  uint32_t heartbeat_ms = 1000;
  uint32_t heartbeat_misses = 3;  // silence of misses * period: the peer is offline
  uint32_t max_frame_bytes = 65536;
  // Messages larger than TransportMaxBytes() are cut off by ZeroMQ itself
  // (the connection is dropped without an Error frame): a guard against
  // memory exhaustion. Frames between max_frame_bytes and it get Error
  // FRAME_TOO_LARGE.
  uint32_t transport_max_bytes = 4 << 20;
  uint32_t TransportMaxBytes() const {
    return std::max<uint32_t>(transport_max_bytes, 2 * max_frame_bytes);
  }
  QueueLimits queue_limits;  // its reply_bytes is --session_reply_bytes
  // Replies queued across all sessions at most (--replies_total_bytes).
  size_t replies_total_bytes = 256 << 20;
  // History and timeline requests of one session awaiting their answer.
  size_t max_history_in_flight = 4;
  int pipe_hwm = 1000;
  int listen_backlog = 4096;  // pending TCP connections the kernel may hold
  int io_threads = 2;  // libzmq I/O threads for --listen's connections  // ZeroMQ per-peer send
                       // pipe, in messages
  size_t match_cache_entries = 4096;
  size_t read_batch = 512;  // frames drained per loop turn
  // Recipients the messages routed in one turn may reach before the turn
  // stops reading: bounds a turn's work when each publish fans out wide.
  size_t fanout_per_turn = 4096;
  // Deliveries redelivered (or dead-lettered) per loop turn at most, so a
  // burst of expired waits is spread over turns between reads.
  size_t redeliveries_per_turn = 1024;
  size_t max_subscriptions_per_session = 256;
  // Sessions at most; a Hello beyond gets TOO_MANY_SESSIONS.
  size_t max_sessions = 20000;
  // Publishes a second (token bucket, `publish_burst` at once) per terminal
  // or probe session, and per center session; 0: unlimited. Emergency
  // button presses are never limited.
  double publish_rate = 50;
  double publish_burst = 200;
  double center_publish_rate = 0;
  // Written when the HTTP endpoint listens ("http=HOST:PORT\n") and again
  // once the ZeroMQ socket is bound (adding "zmq=<endpoint>\n").
  std::string ready_file;
  std::string broker_id = "zonecastd";
  JournalOptions journal;
  RedeliveryPolicy redelivery;
  // Zones file (JSON): neighbours and response deadlines for escalation.
  std::string zones_path;
  // Keys file (JSON, v1::KeysFile): with it the socket speaks CURVE, only
  // the keys it lists may connect, and each connection is the identity its
  // key is bound to. `key_file` is the broker's own secret key file.
  std::string keys_file;
  std::string key_file;
  // Without a keys file the broker listens on loopback only, unless this is
  // set: plain, unauthenticated connections from other machines.
  bool insecure = false;
  // Audit log (JSON lines): empty: <data_dir>/audit.log; "off": none.
  std::string audit_log;
  uint64_t audit_log_bytes = 16 << 20;  // rotated beyond this
  bool secure() const { return !keys_file.empty(); }
  // A durable session (terminal) unused this long is forgotten (journaled).
  absl::Duration session_expiry = absl::Hours(24 * 7);

  // InvalidArgument naming the first bad option.
  absl::Status Validate() const;
};

}  // namespace zonecast
