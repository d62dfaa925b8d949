#include "support/test_clients.h"

#include <algorithm>
#include <future>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "support/broker_process.h"

namespace zonecast::testing {

ClientOptions TestClientOptions(const std::string& endpoint, v1::Role role,
                                const std::string& unit_id, const std::string& zone) {
  ClientOptions options;
  options.broker = endpoint;
  options.role = role;
  options.unit_id = unit_id;
  options.zone = zone;
  options.client_name = "zonecast-integration-test";
  options.connect_timeout = absl::Seconds(5);
  options.request_timeout = absl::Seconds(5);
  return options;
}

absl::StatusOr<std::unique_ptr<Client>> ConnectClient(const std::string& endpoint, v1::Role role,
                                                      const std::string& unit_id,
                                                      const std::string& zone) {
  return Client::Connect(TestClientOptions(endpoint, role, unit_id, zone));
}

absl::StatusOr<std::vector<std::unique_ptr<Client>>> ConnectAll(
    const std::string& endpoint, const std::vector<ClientSpec>& specs) {
  std::vector<std::future<absl::StatusOr<std::unique_ptr<Client>>>> pending;
  for (const ClientSpec& spec : specs) {
    pending.push_back(std::async(
        std::launch::async, [&endpoint, &spec]() -> absl::StatusOr<std::unique_ptr<Client>> {
          auto client = ConnectClient(endpoint, spec.role, spec.unit_id);
          if (!client.ok()) return client.status();
          if (!spec.patterns.empty()) {
            if (absl::Status status = (*client)->Subscribe(spec.patterns); !status.ok()) {
              return status;
            }
          }
          return client;
        }));
  }
  std::vector<std::unique_ptr<Client>> clients;
  absl::Status first_error;
  for (size_t i = 0; i < pending.size(); ++i) {
    absl::StatusOr<std::unique_ptr<Client>> client = pending[i].get();
    if (!client.ok()) {
      if (first_error.ok()) {
        first_error = absl::Status(client.status().code(),
                                   absl::StrCat(specs[i].unit_id, ": ", client.status().message()));
      }
      continue;
    }
    clients.push_back(*std::move(client));
  }
  if (!first_error.ok()) return first_error;
  return clients;
}

v1::Alert MakeAlert(const std::string& alert_id, v1::Priority priority, size_t body_bytes) {
  v1::Alert alert;
  alert.set_alert_id(alert_id);
  alert.set_priority(priority);
  alert.set_category("test");
  alert.set_title(absl::StrCat("alert ", alert_id));
  alert.set_body(std::string(body_bytes, 'x'));
  alert.set_created_unix_ms(absl::ToUnixMillis(absl::Now()));
  return alert;
}

v1::RadioEvent MakePosition(const std::string& unit) {
  v1::RadioEvent radio;
  radio.set_unit(unit);
  radio.set_kind(v1::RadioEvent::POSITION);
  radio.mutable_position()->set_lat(35.49);
  radio.mutable_position()->set_lon(112.85);
  radio.set_event_unix_ms(absl::ToUnixMillis(absl::Now()));
  return radio;
}

v1::Event EventOf(v1::Alert alert) {
  v1::Event event;
  *event.mutable_alert() = std::move(alert);
  return event;
}

v1::Event EventOf(v1::RadioEvent radio) {
  v1::Event event;
  *event.mutable_radio() = std::move(radio);
  return event;
}

absl::Status PublishAlertAsync(Client& client, const std::string& topic, v1::Alert alert,
                               PubAckCallback done) {
  const v1::Priority priority = alert.priority();
  return client.PublishAsync(topic, EventOf(std::move(alert)), priority, std::move(done));
}

absl::Status AwaitOnePubAck(Client& client, absl::Duration timeout) {
  const size_t outstanding = client.outstanding_publishes();
  if (outstanding == 0) return absl::OkStatus();
  return client.AwaitPubAcks(outstanding - 1, timeout);
}

absl::Status TakeStrayError(Client& client) {
  while (true) {
    absl::StatusOr<Message> next = client.Next(absl::ZeroDuration());
    if (next.ok() || IsGoodbye(next.status()) || IsSessionLost(next.status())) continue;
    if (absl::IsDeadlineExceeded(next.status())) return absl::OkStatus();
    return next.status();
  }
}

namespace {

template <typename Stats>
uint64_t CounterOf(const Stats& stats, const std::string& name) {
  auto it = stats.counters().find(name);
  if (it == stats.counters().end()) {
    ADD_FAILURE() << "stats have no counter '" << name << "'";
    return 0;
  }
  return it->second;
}

template <typename Stats>
int64_t GaugeOf(const Stats& stats, const std::string& name) {
  auto it = stats.gauges().find(name);
  if (it == stats.gauges().end()) {
    ADD_FAILURE() << "stats have no gauge '" << name << "'";
    return 0;
  }
  return it->second;
}

}  // namespace

uint64_t Counter(const v1::StatsSnapshot& stats, const std::string& name) {
  return CounterOf(stats, name);
}

uint64_t Counter(const v1::StatsReply& stats, const std::string& name) {
  return CounterOf(stats, name);
}

int64_t Gauge(const v1::StatsSnapshot& stats, const std::string& name) {
  return GaugeOf(stats, name);
}

int64_t Gauge(const v1::StatsReply& stats, const std::string& name) { return GaugeOf(stats, name); }

uint64_t CounterNow(Client& client, const std::string& name) {
  absl::StatusOr<v1::StatsSnapshot> stats = client.Stats();
  EXPECT_TRUE(stats.ok()) << stats.status();
  return stats.ok() ? CounterOf(*stats, name) : 0;
}

uint64_t WaitForCounter(Client& client, const std::string& name, uint64_t at_least,
                        absl::Duration timeout) {
  uint64_t value = 0;
  WaitUntil(
      [&] {
        value = CounterNow(client, name);
        return value >= at_least;
      },
      timeout);
  return value;
}

bool WaitForGauge(Client& client, const std::string& name, int64_t value, absl::Duration timeout) {
  return WaitUntil(
      [&] {
        absl::StatusOr<v1::StatsSnapshot> stats = client.Stats();
        if (!stats.ok()) return false;
        auto it = stats->gauges().find(name);
        return it != stats->gauges().end() && it->second == value;
      },
      timeout);
}

std::optional<Message> NextAlert(Client& client, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    std::optional<Message> next = NextDeliver(client, deadline - absl::Now());
    if (!next.has_value() || next->event().has_alert()) return next;
  }
}

std::optional<Message> NextDeliver(Client& client, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::nullopt;
    absl::StatusOr<Message> next = client.Next(left);
    if (next.ok()) return *std::move(next);
    // A timeout, or a client that is done: nothing more will come.
    if (absl::IsDeadlineExceeded(next.status()) || IsTakenOver(next.status())) {
      return std::nullopt;
    }
    // A Goodbye, a lost session or a stray Error: the library goes on, and
    // so does the wait.
  }
}

std::vector<Message> CollectDeliveries(Client& client,
                                       const std::function<bool(const std::vector<Message>&)>& done,
                                       absl::Duration timeout) {
  std::vector<Message> out;
  const absl::Time deadline = absl::Now() + timeout;
  while (!done(out)) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    std::optional<Message> message = NextDeliver(client, left);
    if (!message) break;
    out.push_back(*std::move(message));
  }
  return out;
}

std::vector<std::string> AlertIds(const std::vector<Message>& deliveries) {
  std::vector<std::string> ids;
  for (const Message& m : deliveries) {
    if (m.event().has_alert()) ids.push_back(m.event().alert().alert_id());
  }
  return ids;
}

bool HasAlert(const std::vector<Message>& deliveries, const std::string& alert_id) {
  return std::any_of(deliveries.begin(), deliveries.end(), [&](const Message& m) {
    return m.event().has_alert() && m.event().alert().alert_id() == alert_id;
  });
}

v1::Frame HelloFrame(v1::Role role, const std::string& unit_id, uint32_t protocol_version) {
  v1::Frame frame;
  v1::Hello* hello = frame.mutable_hello();
  hello->set_protocol_version(protocol_version);
  hello->set_role(role);
  hello->set_unit_id(unit_id);
  hello->set_client_name("zonecast-integration-test/raw");
  return frame;
}

v1::Frame SubscribeFrame(uint64_t request_id, const std::vector<std::string>& patterns) {
  v1::Frame frame;
  frame.mutable_subscribe()->set_request_id(request_id);
  for (const std::string& p : patterns) frame.mutable_subscribe()->add_patterns(p);
  return frame;
}

v1::Frame PublishFrame(const v1::Publish& publish, uint64_t request_id) {
  v1::Frame frame;
  *frame.mutable_publish() = publish;
  frame.mutable_publish()->set_request_id(request_id);
  frame.mutable_publish()->set_sent_unix_ms(absl::ToUnixMillis(absl::Now()));
  return frame;
}

v1::Publish AlertPublish(const std::string& topic, v1::Alert alert) {
  v1::Publish publish;
  publish.set_topic(topic);
  publish.set_priority(alert.priority());
  *publish.mutable_event() = EventOf(std::move(alert));
  return publish;
}

std::optional<v1::StatsReply> RawStats(RawPeer& peer, uint64_t request_id, absl::Duration timeout) {
  v1::Frame frame;
  frame.mutable_stats_request()->set_request_id(request_id);
  peer.Send(frame);
  std::optional<v1::Frame> reply = peer.ReceiveUntil(
      [&](const v1::Frame& f) {
        return f.has_stats_reply() && f.stats_reply().request_id() == request_id;
      },
      timeout);
  if (!reply) return std::nullopt;
  return reply->stats_reply();
}

std::string RawRoundTrip(RawPeer& peer, const std::string& probe_token) {
  static uint64_t next_request_id = 900000;
  const std::string topic = absl::StrCat("probe.roundtrip.", probe_token);
  const uint64_t subscribe_id = ++next_request_id;
  peer.Send(SubscribeFrame(subscribe_id, {topic}));
  std::optional<v1::Frame> subscribed = peer.ReceiveUntil(
      [&](const v1::Frame& f) {
        return (f.has_subscribed() && f.subscribed().request_id() == subscribe_id) || f.has_error();
      },
      absl::Seconds(5));
  if (!subscribed) return absl::StrCat("no Subscribed for ", topic);
  if (!subscribed->has_subscribed()) {
    return absl::StrCat("subscribe to ", topic, " answered ", Describe(*subscribed));
  }
  v1::Publish publish;
  publish.set_topic(topic);
  publish.mutable_event()->mutable_canary()->set_probe(probe_token);
  const uint64_t publish_id = ++next_request_id;
  peer.Send(PublishFrame(publish, publish_id));
  bool acked = false;
  bool delivered = false;
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (!(acked && delivered)) {
    std::optional<v1::Frame> frame = peer.Receive(deadline - absl::Now());
    if (!frame) {
      return absl::StrCat("round trip on ", topic, ": acked=", acked, " delivered=", delivered);
    }
    if (frame->has_error()) return absl::StrCat("round trip on ", topic, ": ", Describe(*frame));
    if (frame->has_pub_ack() && frame->pub_ack().request_id() == publish_id) acked = true;
    if (frame->has_deliver() && frame->deliver().topic() == topic) delivered = true;
  }
  return "";
}

std::string Describe(const v1::Frame& frame) { return frame.ShortDebugString(); }

std::string Describe(const Message& message) {
  // Rendered as the Deliver it came in, field names and all.
  v1::Deliver deliver;
  deliver.set_seq(message.seq());
  deliver.set_topic(message.topic());
  deliver.set_priority(message.priority());
  deliver.set_delivery_count(message.delivery_count());
  deliver.set_publisher(message.publisher());
  deliver.set_sent_unix_ms(message.sent_unix_ms());
  deliver.set_broker_unix_ms(message.broker_unix_ms());
  *deliver.mutable_event() = message.event();
  deliver.set_redelivered(message.redelivered());
  return deliver.ShortDebugString();
}

std::string Describe(const PublishResult& result) {
  v1::PubAck ack;
  ack.set_seq(result.seq());
  ack.set_alert_id(result.alert_id());
  ack.set_durable(result.durable());
  ack.set_duplicate(result.duplicate());
  ack.set_recipients(result.recipients());
  return ack.ShortDebugString();
}

double Median(std::vector<double> values) {
  const size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + middle, values.end());
  return values[middle];
}

}  // namespace zonecast::testing
