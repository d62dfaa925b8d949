// Acknowledgements and redelivery against the real zonecastd (ARCHITECTURE.md,
// delivery contract 5).
//
//  - RECEIVED is sent by libzonecast on its own; every ack is journaled and
//    routed on ack.<city>.<zone> and to the alert's publisher (subscribed to
//    ack.> or not, and then exactly once).
//  - A delivery without RECEIVED is redelivered after --ack_wait and each
//    --redelivery_backoff step, up to --max_deliveries, then dead-lettered on
//    dlq.<city>.<zone>; a late RECEIVED stops it.
//  - An alert's timeline lists publish, delivery and every ack in order, via
//    the client library and `zonecast alert`.
//
// "Nothing more arrives" is asserted with a fence: a later alert on the same
// topic, which the broker delivers after anything it still had for that
// session. Where a timer might still fire, the test first waits out a window
// longer than the timer (that window is the experiment, not a sleep for
// synchronisation).
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/broker_process.h"
#include "support/raw_peer.h"
#include "support/test_clients.h"
#include "zonecast/client.h"
#include "zonecast/testing.h"

namespace {

namespace v1 = zonecast::v1;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using zonecast::Client;
using zonecast::ClientOptions;
using zonecast::Message;
using zonecast::PublishResult;
using zonecast::testing::AlertIds;
using zonecast::testing::BrokerProcess;
using zonecast::testing::CliResult;
using zonecast::testing::CollectDeliveries;
using zonecast::testing::ConnectAll;
using zonecast::testing::Counter;
using zonecast::testing::Describe;
using zonecast::testing::Gauge;
using zonecast::testing::HasAlert;
using zonecast::testing::MakeAlert;
using zonecast::testing::NextAlert;
using zonecast::testing::NextDeliver;
using zonecast::testing::RawPeer;
using zonecast::testing::RunCli;
using zonecast::testing::TestClientOptions;
using zonecast::testing::WaitForGauge;
using zonecast::testing::WaitUntil;

constexpr char kZ03[] = "alert.jincheng.z03";
constexpr char kTerminal[] = "jc-z03-v12";

// Redelivery settings small enough for a test: three deliveries 200 ms apart,
// then the dead-letter queue, all within about 600 ms.
const std::vector<std::string> kFastRedelivery = {
    "--ack_wait=200ms,200ms,200ms,200ms", "--redelivery_backoff=200ms", "--max_deliveries=3"};
// Longer than the last ack wait plus a backoff step: a redelivery still due
// would have been sent within it.
constexpr absl::Duration kQuietWindow = absl::Milliseconds(600);

// "alert_id LEVEL" of an Ack event, for compact order assertions.
std::string AckSummary(const v1::Ack& ack) {
  return absl::StrCat(ack.alert_id(), " ", v1::AckLevel_Name(ack.level()));
}

class AcksTest : public ::testing::Test {
 protected:
  void StartBroker(std::vector<std::string> args = {}) {
    auto broker = BrokerProcess::Start(std::move(args));
    ASSERT_TRUE(broker.ok()) << broker.status();
    broker_ = *std::move(broker);
  }

  void TearDown() override {
    if (HasFailure() && broker_ != nullptr) std::cerr << "broker log:\n" << broker_->Log();
  }

  // A terminal of zone z03 that withholds RECEIVED (auto_received = false),
  // subscribed to kZ03.
  std::unique_ptr<Client> ConnectSilentTerminal() {
    ClientOptions options = TestClientOptions(broker_->endpoint(), v1::TERMINAL, kTerminal);
    auto client =
        zonecast::ConnectForTesting(options, zonecast::ClientTestSwitches{.auto_received = false});
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    absl::Status subscribed = (*client)->Subscribe({kZ03});
    EXPECT_TRUE(subscribed.ok()) << subscribed;
    return subscribed.ok() ? *std::move(client) : nullptr;
  }

  static v1::StatsSnapshot Stats(Client& client) {
    absl::StatusOr<v1::StatsSnapshot> stats = client.Stats();
    EXPECT_TRUE(stats.ok()) << stats.status();
    return stats.ok() ? *stats : v1::StatsSnapshot();
  }

  // Ack events delivered to `client` until `done` holds for them (bounded).
  static std::vector<v1::Ack> CollectAcks(
      Client& client, const std::function<bool(const std::vector<v1::Ack>&)>& done,
      absl::Duration timeout = absl::Seconds(3)) {
    std::vector<v1::Ack> acks;
    const absl::Time deadline = absl::Now() + timeout;
    while (!done(acks)) {
      std::optional<Message> d = NextDeliver(client, deadline - absl::Now());
      if (!d) break;
      if (!d->event().has_ack()) continue;
      EXPECT_EQ(d->topic(), "ack.jincheng.z03") << Describe(*d);
      acks.push_back(d->event().ack());
    }
    return acks;
  }

  static std::vector<std::string> Summaries(const std::vector<v1::Ack>& acks) {
    std::vector<std::string> out;
    for (const v1::Ack& ack : acks) out.push_back(AckSummary(ack));
    return out;
  }

  static std::function<bool(const std::vector<v1::Ack>&)> UntilAck(const std::string& summary) {
    return [summary](const std::vector<v1::Ack>& acks) {
      return !acks.empty() && AckSummary(acks.back()) == summary;
    };
  }

  // Waits out kQuietWindow, then publishes `fence_id` on kZ03 and returns
  // every delivery `terminal` got in the window and up to the fence (the
  // fence included). The fence is acknowledged RECEIVED explicitly, so it is
  // never redelivered itself.
  std::vector<Message> QuietWindowThenFence(Client& center, Client& terminal,
                                            const std::string& fence_id) {
    std::vector<Message> got = CollectDeliveries(
        terminal, [](const std::vector<Message>&) { return false; }, kQuietWindow);
    absl::StatusOr<PublishResult> fence = center.PublishAlert(kZ03, MakeAlert(fence_id, v1::P2));
    EXPECT_TRUE(fence.ok()) << fence.status();
    std::vector<Message> rest = CollectDeliveries(
        terminal, [&](const std::vector<Message>& d) { return HasAlert(d, fence_id); },
        absl::Seconds(3));
    EXPECT_TRUE(HasAlert(rest, fence_id)) << "the fence alert did not arrive";
    for (const Message& d : rest) {
      if (d.event().has_alert() && d.event().alert().alert_id() == fence_id) {
        EXPECT_TRUE(terminal.SendAck(d, v1::RECEIVED).ok());
      }
    }
    got.insert(got.end(), rest.begin(), rest.end());
    return got;
  }

  std::unique_ptr<BrokerProcess> broker_;
};

TEST_F(AcksTest, ReceivedIsAutomaticAndEveryAckReachesPublisherAndWatchers) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  // center-1 publishes and subscribes to nothing; center-2 watches ack.>
  // and later publishes too.
  auto clients = ConnectAll(broker_->endpoint(),
                            {{v1::CENTER, "center-1", {}}, {v1::CENTER, "center-2", {"ack.>"}}});
  ASSERT_TRUE(clients.ok()) << clients.status();
  Client& center = *(*clients)[0];
  Client& watcher = *(*clients)[1];
  // No background service for this terminal: its library reads (and sends
  // RECEIVED) only inside the test's calls, so the wait is observable.
  zonecast::ClientTestSwitches switches;
  switches.serve_in_background = false;
  auto terminal_client = zonecast::ConnectForTesting(
      zonecast::testing::TestClientOptions(broker_->endpoint(), v1::TERMINAL, kTerminal), switches);
  ASSERT_TRUE(terminal_client.ok()) << terminal_client.status();
  Client& terminal = **terminal_client;
  ASSERT_TRUE(terminal.Subscribe({kZ03}).ok());

  absl::StatusOr<PublishResult> a = center.PublishAlert(kZ03, MakeAlert("acks-a", v1::P1));
  ASSERT_TRUE(a.ok()) << a.status();
  // The terminal has not read yet, so its delivery waits for RECEIVED.
  EXPECT_EQ(Gauge(Stats(center), "pending_acks"), 1);

  std::optional<Message> got_a = NextAlert(terminal, absl::Seconds(3));
  ASSERT_TRUE(got_a.has_value());
  EXPECT_EQ(got_a->seq(), a->seq());
  EXPECT_EQ(got_a->delivery_count(), 1u);
  EXPECT_FALSE(got_a->redelivered());
  // Reading it made libzonecast send RECEIVED; the broker settles it.
  EXPECT_TRUE(WaitForGauge(center, "pending_acks", 0, absl::Seconds(3)));
  ASSERT_TRUE(terminal.SendAck(*got_a, v1::ACCEPTED, "on my way").ok());

  absl::StatusOr<PublishResult> b = center.PublishAlert(kZ03, MakeAlert("acks-b", v1::P2));
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(NextAlert(terminal, absl::Seconds(3)).has_value());

  // The publisher hears of each ack of its alerts, in order, once, although
  // it subscribed to nothing. RECEIVED of acks-b is the fence.
  std::vector<v1::Ack> center_acks = CollectAcks(center, UntilAck("acks-b RECEIVED"));
  EXPECT_THAT(Summaries(center_acks),
              ElementsAre("acks-a RECEIVED", "acks-a ACCEPTED", "acks-b RECEIVED"));
  if (center_acks.size() == 3) {
    for (const v1::Ack& ack : center_acks) {
      EXPECT_EQ(ack.unit(), kTerminal);
      EXPECT_EQ(ack.topic(), kZ03);
      EXPECT_GT(ack.unix_ms(), 0);
    }
    EXPECT_EQ(center_acks[0].seq(), a->seq());
    EXPECT_EQ(center_acks[1].seq(), a->seq());
    EXPECT_EQ(center_acks[1].text(), "on my way");
    EXPECT_EQ(center_acks[2].seq(), b->seq());
  }

  // A publisher that also watches ack.> gets each ack of its own alert
  // once, not twice; acks-c ACCEPTED is the fence.
  absl::StatusOr<PublishResult> c = watcher.PublishAlert(kZ03, MakeAlert("acks-c", v1::P2));
  ASSERT_TRUE(c.ok()) << c.status();
  std::optional<Message> got_c = NextAlert(terminal, absl::Seconds(3));
  ASSERT_TRUE(got_c.has_value());
  ASSERT_TRUE(terminal.SendAck(*got_c, v1::ACCEPTED).ok());
  std::vector<v1::Ack> watcher_acks = CollectAcks(watcher, UntilAck("acks-c ACCEPTED"));
  EXPECT_THAT(Summaries(watcher_acks),
              ElementsAre("acks-a RECEIVED", "acks-a ACCEPTED", "acks-b RECEIVED",
                          "acks-c RECEIVED", "acks-c ACCEPTED"));

  // Each ACCEPTED told the zone who took the alert (TAKEN, a durable
  // message the terminal acks RECEIVED too, without an alert ack event);
  // reading acks-c's settles the last delivery.
  std::optional<Message> taken_c;
  while ((taken_c = NextDeliver(terminal, absl::Seconds(3))).has_value() &&
         !(taken_c->event().has_alert_update() &&
           taken_c->event().alert_update().alert_id() == "acks-c")) {
  }
  ASSERT_TRUE(taken_c.has_value()) << "no TAKEN for acks-c";
  EXPECT_EQ(taken_c->event().alert_update().kind(), v1::AlertUpdate::TAKEN);
  EXPECT_TRUE(WaitForGauge(center, "pending_acks", 0, absl::Seconds(3)));
  const v1::StatsSnapshot stats = Stats(center);
  EXPECT_EQ(Counter(stats, "acks.RECEIVED"), 5u);  // three alerts, two TAKEN
  EXPECT_EQ(Counter(stats, "acks.ACCEPTED"), 2u);
  EXPECT_EQ(Counter(stats, "redelivered"), 0u);
}

// A burst's acks reach a publisher whose client reads Deliveries several
// to a frame (one frame per ack queued its PubAcks behind a thousand acks
// per alert); a client that does not say so still gets one Deliver each.
TEST_F(AcksTest, PublisherThatReadsDeliveriesHearsOfAcksSeveralToAFrame) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  constexpr int kAlerts = 20;
  RawPeer terminal(broker_->endpoint());
  ASSERT_TRUE(terminal.Hello(v1::TERMINAL, kTerminal, "jc-pg03", "jincheng.z03"));
  ASSERT_TRUE(terminal.Subscribe({kZ03}));
  // A wall on ack.> that reads Deliveries gets them batched as well.
  RawPeer wall(broker_->endpoint());
  {
    v1::Frame hello;
    hello.mutable_hello()->set_protocol_version(1);
    hello.mutable_hello()->set_role(v1::CENTER);
    hello.mutable_hello()->set_unit_id("ack-wall");
    hello.mutable_hello()->set_reads_deliveries(true);
    wall.Send(hello);
    ASSERT_TRUE(wall.ReceiveUntil([](const v1::Frame& f) { return f.has_welcome(); }));
    ASSERT_TRUE(wall.Subscribe({"ack.>"}));
  }
  for (const bool reads : {true, false}) {
    SCOPED_TRACE(reads ? "reads Deliveries" : "reads single Delivers");
    const std::string prefix = reads ? "batched-" : "single-";
    RawPeer center(broker_->endpoint());
    v1::Frame hello;
    hello.mutable_hello()->set_protocol_version(1);
    hello.mutable_hello()->set_role(v1::CENTER);
    hello.mutable_hello()->set_unit_id(prefix + "center");
    hello.mutable_hello()->set_reads_deliveries(reads);
    center.Send(hello);
    ASSERT_TRUE(center.ReceiveUntil([](const v1::Frame& f) { return f.has_welcome(); }));

    for (int i = 0; i < kAlerts; ++i) {
      v1::Frame publish;
      publish.mutable_publish()->set_request_id(static_cast<uint64_t>(i) + 1);
      publish.mutable_publish()->set_topic(kZ03);
      publish.mutable_publish()->set_priority(v1::P2);
      *publish.mutable_publish()->mutable_event()->mutable_alert() =
          MakeAlert(absl::StrCat(prefix, i), v1::P2);
      center.Send(publish);
    }
    for (int i = 0; i < kAlerts; ++i) {
      ASSERT_TRUE(center.ReceiveUntil([](const v1::Frame& f) { return f.has_pub_ack(); }))
          << "PubAck " << i;
    }
    // The terminal reads the whole burst, then acks it at once.
    std::vector<v1::Frame> acks;
    for (int i = 0; i < kAlerts; ++i) {
      std::optional<v1::Frame> got =
          terminal.ReceiveUntil([](const v1::Frame& f) { return f.has_deliver(); });
      ASSERT_TRUE(got.has_value()) << "delivery " << i;
      v1::Frame ack;
      ack.mutable_ack()->set_seq(got->deliver().seq());
      ack.mutable_ack()->set_topic(got->deliver().topic());
      ack.mutable_ack()->set_level(v1::RECEIVED);
      ack.mutable_ack()->set_alert_id(got->deliver().event().alert().alert_id());
      acks.push_back(std::move(ack));
    }
    for (const v1::Frame& ack : acks) terminal.Send(ack);

    std::vector<std::string> heard;
    int frames = 0;
    while (heard.size() < kAlerts) {
      std::optional<v1::Frame> got = center.ReceiveUntil(
          [](const v1::Frame& f) { return f.has_deliver() || f.has_deliveries(); });
      ASSERT_TRUE(got.has_value()) << "heard of " << heard.size() << " acks only";
      ++frames;
      EXPECT_EQ(got->has_deliveries(), reads);
      if (got->has_deliver()) {
        heard.push_back(got->deliver().event().ack().alert_id());
        continue;
      }
      for (const v1::Deliver& deliver : got->deliveries().delivers()) {
        EXPECT_EQ(deliver.event().ack().unit(), kTerminal);
        EXPECT_EQ(deliver.event().ack().level(), v1::RECEIVED);
        heard.push_back(deliver.event().ack().alert_id());
      }
    }
    std::vector<std::string> expected;
    for (int i = 0; i < kAlerts; ++i) expected.push_back(absl::StrCat(prefix, i));
    EXPECT_EQ(heard, expected);
    if (reads) {
      EXPECT_LT(frames, kAlerts);
    } else {
      EXPECT_EQ(frames, kAlerts);
    }
  }
  size_t wall_heard = 0;
  int wall_frames = 0;
  while (wall_heard < 2 * kAlerts) {
    std::optional<v1::Frame> got =
        wall.ReceiveUntil([](const v1::Frame& f) { return f.has_deliver() || f.has_deliveries(); });
    ASSERT_TRUE(got.has_value()) << "the wall heard of " << wall_heard << " acks only";
    ++wall_frames;
    wall_heard += got->has_deliveries() ? got->deliveries().delivers_size() : 1;
  }
  EXPECT_EQ(wall_heard, 2u * kAlerts);
  EXPECT_LT(wall_frames, 2 * kAlerts);
}

TEST_F(AcksTest, WithheldReceivedIsRedeliveredThenDeadLettered) {
  ASSERT_NO_FATAL_FAILURE(StartBroker(kFastRedelivery));
  auto clients = ConnectAll(broker_->endpoint(),
                            {{v1::CENTER, "center-1", {}}, {v1::CENTER, "dlq-watch", {"dlq.>"}}});
  ASSERT_TRUE(clients.ok()) << clients.status();
  Client& center = *(*clients)[0];
  Client& dlq = *(*clients)[1];
  std::unique_ptr<Client> terminal = ConnectSilentTerminal();
  ASSERT_NE(terminal, nullptr);

  absl::StatusOr<PublishResult> pub = center.PublishAlert(kZ03, MakeAlert("redeliver-1", v1::P2));
  ASSERT_TRUE(pub.ok()) << pub.status();

  std::vector<Message> deliveries;
  std::vector<absl::Time> arrived;
  while (deliveries.size() < 3) {
    std::optional<Message> d = NextDeliver(*terminal, absl::Seconds(2));
    ASSERT_TRUE(d.has_value()) << "only " << deliveries.size() << " deliveries";
    arrived.push_back(absl::Now());
    deliveries.push_back(*std::move(d));
  }
  for (size_t i = 0; i < deliveries.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("delivery ", i + 1));
    EXPECT_EQ(deliveries[i].seq(), pub->seq());
    EXPECT_EQ(deliveries[i].event().alert().alert_id(), "redeliver-1");
    EXPECT_EQ(deliveries[i].delivery_count(), i + 1);
    EXPECT_EQ(deliveries[i].redelivered(), i > 0);
    // Each redelivery waits its ack wait / backoff step (200 ms; some slack
    // for transport jitter), it is not sent at once.
    if (i > 0) {
      EXPECT_GE(arrived[i] - arrived[i - 1], absl::Milliseconds(100));
    }
  }

  std::optional<Message> dead = NextDeliver(dlq, absl::Seconds(2));
  ASSERT_TRUE(dead.has_value()) << "no DeadLetter on dlq.>";
  EXPECT_EQ(dead->topic(), "dlq.jincheng.z03");
  ASSERT_TRUE(dead->event().has_dead_letter()) << Describe(*dead);
  const v1::DeadLetter& letter = dead->event().dead_letter();
  EXPECT_EQ(letter.seq(), pub->seq());
  EXPECT_EQ(letter.unit(), kTerminal);
  EXPECT_EQ(letter.alert_id(), "redeliver-1");
  EXPECT_EQ(letter.topic(), kZ03);
  EXPECT_EQ(letter.deliveries(), 3u);
  EXPECT_FALSE(letter.reason().empty());

  v1::StatsSnapshot stats = Stats(center);
  EXPECT_EQ(Counter(stats, "dead_lettered"), 1u);
  EXPECT_EQ(Counter(stats, "redelivered"), 2u);
  EXPECT_EQ(Gauge(stats, "pending_acks"), 0);

  // Dead-lettered means given up on: no fourth delivery, ever.
  std::vector<Message> later = QuietWindowThenFence(center, *terminal, "redeliver-fence");
  for (const Message& d : later) {
    EXPECT_NE(d.seq(), pub->seq()) << "delivered again after the dead letter: " << Describe(d);
  }
  stats = Stats(center);
  EXPECT_EQ(Counter(stats, "dead_lettered"), 1u);
  EXPECT_EQ(Counter(stats, "redelivered"), 2u);

  // A dead letter is settled: the unit's next session does not replay it.
  terminal.reset();
  ASSERT_TRUE(WaitForGauge(center, "sessions.terminal", 0, absl::Seconds(3)));
  auto again = Client::Connect(TestClientOptions(broker_->endpoint(), v1::TERMINAL, kTerminal));
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(center.PublishAlert(kZ03, MakeAlert("redeliver-fence-2", v1::P2)).ok());
  std::vector<Message> replayed = CollectDeliveries(
      **again, [](const std::vector<Message>& d) { return HasAlert(d, "redeliver-fence-2"); },
      absl::Seconds(3));
  EXPECT_THAT(AlertIds(replayed), ElementsAre("redeliver-fence-2"));
}

TEST_F(AcksTest, ReceivedAfterSecondDeliveryStopsRedelivery) {
  ASSERT_NO_FATAL_FAILURE(StartBroker(kFastRedelivery));
  auto clients = ConnectAll(broker_->endpoint(),
                            {{v1::CENTER, "center-1", {}}, {v1::CENTER, "dlq-watch", {"dlq.>"}}});
  ASSERT_TRUE(clients.ok()) << clients.status();
  Client& center = *(*clients)[0];
  Client& dlq = *(*clients)[1];
  std::unique_ptr<Client> terminal = ConnectSilentTerminal();
  ASSERT_NE(terminal, nullptr);

  absl::StatusOr<PublishResult> pub = center.PublishAlert(kZ03, MakeAlert("late-received", v1::P2));
  ASSERT_TRUE(pub.ok()) << pub.status();
  std::optional<Message> first = NextDeliver(*terminal, absl::Seconds(2));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->delivery_count(), 1u);
  std::optional<Message> second = NextDeliver(*terminal, absl::Seconds(2));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->seq(), pub->seq());
  EXPECT_EQ(second->delivery_count(), 2u);
  EXPECT_TRUE(second->redelivered());
  ASSERT_TRUE(terminal->SendAck(*second, v1::RECEIVED).ok());
  EXPECT_TRUE(WaitForGauge(center, "pending_acks", 0, absl::Seconds(2)));

  std::vector<Message> later = QuietWindowThenFence(center, *terminal, "late-fence");
  for (const Message& d : later) {
    EXPECT_NE(d.seq(), pub->seq()) << "redelivered after RECEIVED: " << Describe(d);
  }
  // Asked through the terminal's own socket, so that the broker has read
  // the fence's RECEIVED before it answers.
  const v1::StatsSnapshot stats = Stats(*terminal);
  EXPECT_EQ(Counter(stats, "redelivered"), 1u);
  EXPECT_EQ(Counter(stats, "dead_lettered"), 0u);
  EXPECT_EQ(Counter(stats, "acks.RECEIVED"), 2u) << "the late RECEIVED and the fence's";
  // Nothing went to the dead-letter queue (the quiet window has passed).
  std::optional<Message> dead = NextDeliver(dlq, absl::Milliseconds(50));
  EXPECT_FALSE(dead.has_value()) << Describe(*dead);
}

TEST_F(AcksTest, TimelineOfLanhuaBridgeAlertListsEveryAckInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  auto clients = ConnectAll(broker_->endpoint(),
                            {{v1::CENTER, "center-1", {}}, {v1::TERMINAL, kTerminal, {kZ03}}});
  ASSERT_TRUE(clients.ok()) << clients.status();
  Client& center = *(*clients)[0];
  Client& terminal = *(*clients)[1];

  v1::Alert alert = MakeAlert("lanhua-1", v1::P1);
  alert.set_category("suicide_risk");
  alert.set_title("Person outside the railing, Lanhua bridge");
  alert.mutable_location()->set_address("Lanhua bridge");
  absl::StatusOr<PublishResult> pub = center.PublishAlert(kZ03, alert);
  ASSERT_TRUE(pub.ok()) << pub.status();
  std::optional<Message> got = NextDeliver(terminal, absl::Seconds(3));  // RECEIVED
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(terminal.SendAck(*got, v1::ACCEPTED, "on my way").ok());
  ASSERT_TRUE(terminal.SendAck(*got, v1::ON_SCENE).ok());
  ASSERT_TRUE(terminal.SendAck(*got, v1::RESOLVED, "talked her back").ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<v1::StatsSnapshot> stats = center.Stats();
        return stats.ok() && stats->counters().contains("acks.RESOLVED") &&
               stats->counters().at("acks.RESOLVED") == 1;
      },
      absl::Seconds(3)));
  // The timeline is read from the journal's durable bytes. The ack records
  // went into a batch before this publish's, and batches are written in
  // order, so its PubAck means they are on disk.
  ASSERT_TRUE(center.PublishAlert("alert.jincheng.z09", MakeAlert("lanhua-fence", v1::P4)).ok());

  absl::StatusOr<v1::AlertTimeline> timeline = center.Timeline("lanhua-1");
  ASSERT_TRUE(timeline.ok()) << timeline.status();
  std::vector<std::string> entries;
  for (const v1::TimelineEntry& e : timeline->entries()) {
    std::string text = v1::TimelineEntry::Kind_Name(e.kind());
    if (e.kind() == v1::TimelineEntry::ACK)
      absl::StrAppend(&text, " ", v1::AckLevel_Name(e.level()));
    entries.push_back(text);
  }
  // TAKEN: the zone was told who took it, right after the ACCEPTED.
  EXPECT_THAT(entries, ElementsAre("PUBLISHED", "DELIVERED", "ACK RECEIVED", "ACK ACCEPTED",
                                   "TAKEN", "ACK ON_SCENE", "ACK RESOLVED"));
  EXPECT_EQ(timeline->state(), "resolved");
  EXPECT_EQ(timeline->seq(), pub->seq());
  EXPECT_EQ(timeline->publisher(), "center-1");
  EXPECT_EQ(timeline->alert().title(), "Person outside the railing, Lanhua bridge");
  for (int i = 0; i < timeline->entries_size(); ++i) {
    const v1::TimelineEntry& e = timeline->entries(i);
    EXPECT_EQ(e.unit(), i == 0 ? "center-1" : kTerminal) << e.ShortDebugString();
    if (i > 0) {
      EXPECT_GE(e.unix_ms(), timeline->entries(i - 1).unix_ms()) << "entry " << i;
    }
  }
  if (timeline->entries_size() == 7) {
    EXPECT_EQ(timeline->entries(3).text(), "on my way");
    EXPECT_EQ(timeline->entries(6).text(), "talked her back");
  }

  const CliResult cli = RunCli({"alert", "--broker", broker_->endpoint(), "lanhua-1"});
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  std::vector<std::string> lines = absl::StrSplit(cli.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 8u) << cli.out;
  EXPECT_THAT(lines[0], HasSubstr("lanhua-1"));
  EXPECT_THAT(lines[0], HasSubstr("resolved"));
  const std::vector<std::string> words = {"PUBLISHED", "DELIVERED", "RECEIVED", "ACCEPTED",
                                          "TAKEN",     "ON_SCENE",  "RESOLVED"};
  for (size_t i = 0; i < words.size(); ++i) EXPECT_THAT(lines[i + 1], HasSubstr(words[i]));

  absl::StatusOr<v1::AlertTimeline> unknown = center.Timeline("no-such-alert");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound) << unknown.status();
  const CliResult missing = RunCli({"alert", "--broker", broker_->endpoint(), "no-such-alert"});
  EXPECT_EQ(missing.exit_code, 1) << missing.out << missing.err;
  EXPECT_THAT(missing.err, HasSubstr("no alert 'no-such-alert'"));
  EXPECT_EQ(missing.out, "");
  // For people, times in their zone (Jincheng is UTC+8): the same instant.
  const CliResult local =
      RunCli({"alert", "--broker", broker_->endpoint(), "--tz", "+08:00", "lanhua-1"});
  EXPECT_EQ(local.exit_code, 0) << local.out << local.err;
  std::vector<std::string> local_lines = absl::StrSplit(local.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(local_lines.size(), 8u) << local.out;
  EXPECT_THAT(local_lines[0], HasSubstr("UTC+08:00"));
  const std::string published_at =
      absl::FormatTime("%H:%M:%E3S", absl::FromUnixMillis(timeline->entries(0).unix_ms()),
                       absl::FixedTimeZone(8 * 3600));
  EXPECT_THAT(local_lines[1], HasSubstr(published_at)) << local.out;
  const CliResult nowhere =
      RunCli({"alert", "--broker", broker_->endpoint(), "--tz", "Nowhere/City", "lanhua-1"});
  EXPECT_EQ(nowhere.exit_code, 2) << nowhere.err;
  EXPECT_THAT(nowhere.err, HasSubstr("--tz Nowhere/City"));
}

}  // namespace
