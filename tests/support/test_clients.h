#pragma once
// Small helpers shared by the integration tests: connecting client-library
// clients, building publishes, reading counters and gauges, and collecting
// deliveries with bounded waits. Nothing here sleeps for synchronisation:
// every wait is on a frame or a condition, with a deadline.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "support/raw_peer.h"
#include "zonecast/client.h"
#include "zonecast/wire.pb.h"

namespace zonecast::testing {

// ClientOptions for `endpoint` with short timeouts suited to tests.
ClientOptions TestClientOptions(const std::string& endpoint, v1::Role role,
                                const std::string& unit_id, const std::string& zone = "");

// Client::Connect with TestClientOptions.
absl::StatusOr<std::unique_ptr<Client>> ConnectClient(const std::string& endpoint, v1::Role role,
                                                      const std::string& unit_id,
                                                      const std::string& zone = "");

// One client to connect (and subscribe) with ConnectAll.
struct ClientSpec {
  v1::Role role = v1::TERMINAL;
  std::string unit_id;
  std::vector<std::string> patterns;  // subscribed before ConnectAll returns
};

// Connects (and subscribes) every client of `specs` in parallel, since each
// handshake waits on its own round trips. Returns them in `specs` order, or
// the first error, prefixed with the unit id.
absl::StatusOr<std::vector<std::unique_ptr<Client>>> ConnectAll(
    const std::string& endpoint, const std::vector<ClientSpec>& specs);

// A publish of an alert on `topic` with id `alert_id`, `priority` and a body
// of `body_bytes` filler characters.
v1::Publish MakeAlert(const std::string& topic, const std::string& alert_id,
                      v1::Priority priority = v1::P2, size_t body_bytes = 0);

// A best-effort radio POSITION of `unit` on radio.<city>.<zone>.<unit>.
v1::Publish MakePosition(const std::string& topic, const std::string& unit);

// Value of a counter or gauge of a StatsReply. A missing name records a
// test failure (a renamed counter must not pass silently as 0).
uint64_t Counter(const v1::StatsReply& stats, const std::string& name);
int64_t Gauge(const v1::StatsReply& stats, const std::string& name);

// Polls `client.Stats()` until gauge `name` equals `value`, up to `timeout`.
bool WaitForGauge(Client& client, const std::string& name, int64_t value,
                  absl::Duration timeout = absl::Seconds(5));

// The next Deliver for `client` within `timeout`, skipping other frames
// (async PubAcks, Goodbye ...). nullopt on timeout or a client error.
std::optional<v1::Deliver> NextDeliver(Client& client, absl::Duration timeout);

// Receives deliveries until `done(received so far)` holds or `timeout`
// passes; returns them all in arrival order.
std::vector<v1::Deliver> CollectDeliveries(
    Client& client, const std::function<bool(const std::vector<v1::Deliver>&)>& done,
    absl::Duration timeout);

// Alert ids of the alerts among `deliveries`, in order.
std::vector<std::string> AlertIds(const std::vector<v1::Deliver>& deliveries);
// True if some delivery carries alert `alert_id`.
bool HasAlert(const std::vector<v1::Deliver>& deliveries, const std::string& alert_id);

// Raw-peer helpers ----------------------------------------------------------

v1::Frame HelloFrame(v1::Role role, const std::string& unit_id, uint32_t protocol_version = 1);
v1::Frame SubscribeFrame(uint64_t request_id, const std::vector<std::string>& patterns);
v1::Frame PublishFrame(const v1::Publish& publish, uint64_t request_id);

// Sends StatsRequest on a raw peer (after its Hello) and waits for the reply.
std::optional<v1::StatsReply> RawStats(RawPeer& peer, uint64_t request_id,
                                       absl::Duration timeout = absl::Seconds(5));

// Proves that `peer`'s session works: subscribes to a fresh probe topic,
// publishes a canary there and expects both the PubAck and the Deliver.
// Returns an empty string on success, otherwise what went wrong.
std::string RawRoundTrip(RawPeer& peer, const std::string& probe_token);

// Readable one-line rendering of a frame, for failure messages.
std::string Describe(const v1::Frame& frame);

// Median of `values` (copied and partially sorted). REQUIRES: not empty.
double Median(std::vector<double> values);

}  // namespace zonecast::testing
