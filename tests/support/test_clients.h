#pragma once
// Small helpers shared by the integration tests: connecting client-library
// clients, building publishes, reading counters and gauges, and collecting
// deliveries with bounded waits. Nothing here sleeps for synchronisation:
// every wait is on a message, an answer or a condition, with a deadline.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "support/raw_peer.h"
#include "zonecast/client.h"
#include "zonecast/domain.pb.h"
#include "zonecast/monitoring.pb.h"
#include "zonecast/testing.h"
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

// An alert with id `alert_id`, `priority` and a body of `body_bytes` filler
// characters, for Client::PublishAlert (which sets its topic).
v1::Alert MakeAlert(const std::string& alert_id, v1::Priority priority = v1::P2,
                    size_t body_bytes = 0);

// A best-effort radio POSITION of `unit`, for Client::PublishRadio on
// radio.<city>.<zone>.<unit>.
v1::RadioEvent MakePosition(const std::string& unit);

// The event PublishAlert sends for `alert`, for PublishAsync.
v1::Event EventOf(v1::Alert alert);
// The event PublishRadio sends for `radio`, for PublishAsync and PublishNoAck.
v1::Event EventOf(v1::RadioEvent radio);

// PublishAlert(topic, alert), but asynchronous: `done` gets the broker's
// answer inside a later PublishAsync, AwaitPubAcks or Next of `client`.
absl::Status PublishAlertAsync(Client& client, const std::string& topic, v1::Alert alert,
                               PubAckCallback done);

// Waits until the broker answers one more of `client`'s async publishes (its
// callback has run then), up to `timeout`. OK at once if none is outstanding.
absl::Status AwaitOnePubAck(Client& client, absl::Duration timeout);

// Takes, without waiting, what `client` holds for Next() by now: drops the
// messages, Goodbyes and lost sessions, and returns the first Error the broker sent outside
// any request (or the take-over), as Next() gives it; OK if there is none.
// Async publishes are answered through their callbacks, so this is how a
// publishing test still sees an Error that belongs to no publish.
absl::Status TakeStrayError(Client& client);

// Value of a counter or gauge of a Stats() snapshot or a raw StatsReply. A
// missing name records a test failure (a renamed counter must not pass
// silently as 0).
uint64_t Counter(const v1::StatsSnapshot& stats, const std::string& name);
uint64_t Counter(const v1::StatsReply& stats, const std::string& name);
int64_t Gauge(const v1::StatsSnapshot& stats, const std::string& name);
int64_t Gauge(const v1::StatsReply& stats, const std::string& name);

// Counter `name` of the broker now, from `client.Stats()` (0, and a test
// failure, if the stats or the counter are missing).
uint64_t CounterNow(Client& client, const std::string& name);
// Polls `client.Stats()` until counter `name` reaches `at_least`, up to
// `timeout`; returns its last value.
uint64_t WaitForCounter(Client& client, const std::string& name, uint64_t at_least,
                        absl::Duration timeout = absl::Seconds(30));

// Polls `client.Stats()` until gauge `name` equals `value`, up to `timeout`.
bool WaitForGauge(Client& client, const std::string& name, int64_t value,
                  absl::Duration timeout = absl::Seconds(5));

// The next message for `client` within `timeout`, passing over Goodbyes and
// Errors the broker sent outside any request. nullopt on timeout, or once
// the session was taken over (then every later call fails at once).
std::optional<Message> NextDeliver(Client& client, absl::Duration timeout);
// The next delivery that carries an Alert, passing over the alerts'
// updates (TAKEN once a unit accepts, CANCELLED, CLOSED).
std::optional<Message> NextAlert(Client& client, absl::Duration timeout);

// Receives deliveries until `done(received so far)` holds or `timeout`
// passes; returns them all in arrival order.
std::vector<Message> CollectDeliveries(Client& client,
                                       const std::function<bool(const std::vector<Message>&)>& done,
                                       absl::Duration timeout);

// Alert ids of the alerts among `deliveries`, in order.
std::vector<std::string> AlertIds(const std::vector<Message>& deliveries);
// True if some delivery carries alert `alert_id`.
bool HasAlert(const std::vector<Message>& deliveries, const std::string& alert_id);

// Raw-peer helpers ----------------------------------------------------------

v1::Frame HelloFrame(v1::Role role, const std::string& unit_id, uint32_t protocol_version = 1);
v1::Frame SubscribeFrame(uint64_t request_id, const std::vector<std::string>& patterns);
v1::Frame PublishFrame(const v1::Publish& publish, uint64_t request_id);

// The Publish that PublishAlert(topic, alert) sends, for raw peers.
v1::Publish AlertPublish(const std::string& topic, v1::Alert alert);

// Sends StatsRequest on a raw peer (after its Hello) and waits for the reply.
std::optional<v1::StatsReply> RawStats(RawPeer& peer, uint64_t request_id,
                                       absl::Duration timeout = absl::Seconds(5));

// Proves that `peer`'s session works: subscribes to a fresh probe topic,
// publishes a canary there and expects both the PubAck and the Deliver.
// Returns an empty string on success, otherwise what went wrong.
std::string RawRoundTrip(RawPeer& peer, const std::string& probe_token);

// Readable one-line renderings of a frame, a delivered message and a
// publish's answer, for failure messages.
std::string Describe(const v1::Frame& frame);
std::string Describe(const Message& message);
std::string Describe(const PublishResult& result);

// Median of `values` (copied and partially sorted). REQUIRES: not empty.
double Median(std::vector<double> values);

}  // namespace zonecast::testing
