// DurableDelivery: redelivery with backoff, dead letters after max
// deliveries, settling by RECEIVED, holding live messages during a replay.
// Real sessions, router and journal bookkeeping (the journal is not opened:
// records stay in its open batch); time is a FakeClock, nothing sleeps.
#include "delivery/durable_delivery.h"

#include <filesystem>

#include "gtest/gtest.h"
#include "protocol/frame_codec.h"

namespace zonecast {
namespace {

class DurableDeliveryTest : public ::testing::Test {
 protected:
  DurableDeliveryTest()
      : journal_(JournalOptions(), clock_), router_(sessions_, counters_, 64, 16) {
    RedeliveryPolicy policy;
    policy.ack_wait = {absl::Seconds(1), absl::Seconds(2), absl::Seconds(5), absl::Seconds(10)};
    policy.backoff = {absl::Seconds(2), absl::Seconds(4)};
    policy.max_deliveries = 3;
    DurableDelivery::Parts parts;
    parts.clock = &clock_;
    parts.journal = &journal_;
    parts.sessions = &sessions_;
    parts.router = &router_;
    parts.counters = &counters_;
    parts.latency = &latency_;
    parts.received = &received_;
    parts.replay = [this](HistoryReader::ReplayRequest request) {
      replays_.push_back(std::move(request));
    };
    parts.publish = [this](const std::string& topic, v1::Priority, v1::Event event) {
      published_.emplace_back(topic, std::move(event));
    };
    durable_ = std::make_unique<DurableDelivery>(std::move(parts), policy, absl::Hours(1));
  }

  Session& Terminal(const std::string& unit) {
    v1::Hello hello;
    hello.set_role(v1::TERMINAL);
    hello.set_unit_id(unit);
    return sessions_.Add("route-" + unit, hello, QueueLimits(), clock_.NowMono());
  }

  static zmq::message_t Frame(uint64_t seq, const std::string& alert_id) {
    v1::Frame frame;
    frame.mutable_deliver()->set_seq(seq);
    frame.mutable_deliver()->set_topic("alert.jincheng.z10");
    frame.mutable_deliver()->mutable_event()->mutable_alert()->set_alert_id(alert_id);
    return EncodeFrame(frame);
  }

  // Pops what the session's queue holds, as the loop's flush would send it,
  // and tells DurableDelivery the copies went out now.
  std::vector<v1::Deliver> Send(Session& session) {
    std::vector<v1::Deliver> sent;
    while (OutboundMessage* message = session.queue().Front()) {
      v1::Frame frame;
      EXPECT_TRUE(frame.ParseFromArray(message->frame.data(), message->frame.size()));
      if (message->ack_tracked) durable_->OnSent(session.id(), message->seq, clock_.NowMono());
      sent.push_back(frame.deliver());
      session.queue().Pop();
    }
    return sent;
  }

  FakeClock clock_;
  Journal journal_;
  SessionTable sessions_;
  BrokerCounters counters_;
  Router router_;
  LatencyTracker latency_;
  ReceivedAlerts received_;
  std::unique_ptr<DurableDelivery> durable_;
  std::vector<HistoryReader::ReplayRequest> replays_;
  std::vector<std::pair<std::string, v1::Event>> published_;
};

TEST_F(DurableDeliveryTest, RedeliversWithBackoffThenDeadLetters) {
  Session& unit = Terminal("jc-pg10-v1");
  durable_->Send(unit, 5, "alert.jincheng.z10", "lanhua", v1::P1, Frame(5, "lanhua"));
  ASSERT_EQ(Send(unit).size(), 1u);
  // P1 waits 1 s for RECEIVED after the first delivery.
  clock_.Advance(absl::Milliseconds(999));
  durable_->ExpireDeliveries();
  EXPECT_TRUE(Send(unit).empty());
  clock_.Advance(absl::Milliseconds(1));
  durable_->ExpireDeliveries();
  std::vector<v1::Deliver> again = Send(unit);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(again[0].redelivered());
  EXPECT_EQ(again[0].delivery_count(), 2u);
  EXPECT_EQ(counters_.redelivered, 1u);
  // Then the first backoff step, 2 s, after the redelivery was sent.
  clock_.Advance(absl::Milliseconds(1999));
  durable_->ExpireDeliveries();
  EXPECT_TRUE(Send(unit).empty());
  clock_.Advance(absl::Milliseconds(1));
  durable_->ExpireDeliveries();
  again = Send(unit);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].delivery_count(), 3u);
  // Three deliveries without RECEIVED: the next expiry gives it up.
  EXPECT_TRUE(published_.empty());
  clock_.Advance(absl::Seconds(4));
  durable_->ExpireDeliveries();
  EXPECT_TRUE(Send(unit).empty());
  EXPECT_EQ(counters_.dead_lettered, 1u);
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0].first, "dlq.jincheng.z10");
  EXPECT_EQ(published_[0].second.dead_letter().seq(), 5u);
  EXPECT_EQ(published_[0].second.dead_letter().unit(), "jc-pg10-v1");
  EXPECT_EQ(published_[0].second.dead_letter().deliveries(), 3u);
  EXPECT_EQ(durable_->tracker().pending(), 0u);
}

// A burst of expired waits is redelivered in slices, earliest first; the
// rest stay due for the next turn (after the loop read its socket again).
TEST_F(DurableDeliveryTest, RedeliveryIsSpreadOverTurnsByItsBudget) {
  Session& unit = Terminal("jc-pg10-v1");
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    durable_->Send(unit, seq, "alert.jincheng.z10", "a" + std::to_string(seq), v1::P2,
                   Frame(seq, "a" + std::to_string(seq)));
    ASSERT_EQ(Send(unit).size(), 1u);
    clock_.Advance(absl::Milliseconds(1));  // each wait ends a little later
  }
  clock_.Advance(absl::Minutes(1));
  durable_->ExpireDeliveries(/*budget=*/2);
  std::vector<v1::Deliver> first = Send(unit);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].seq(), 1u);
  EXPECT_EQ(first[1].seq(), 2u);
  EXPECT_LE(durable_->NextDue(), clock_.NowMono()) << "the rest are still due";
  durable_->ExpireDeliveries(/*budget=*/2);
  durable_->ExpireDeliveries(/*budget=*/2);
  EXPECT_EQ(Send(unit).size(), 3u);
  EXPECT_EQ(counters_.redelivered, 5u);
}

TEST_F(DurableDeliveryTest, ReceivedStopsRedelivery) {
  Session& unit = Terminal("jc-pg10-v1");
  durable_->Send(unit, 7, "alert.jincheng.z10", "a7", v1::P2, Frame(7, "a7"));
  Send(unit);
  durable_->OnReceived(unit, 7);
  clock_.Advance(absl::Minutes(1));
  durable_->ExpireDeliveries();
  EXPECT_TRUE(Send(unit).empty());
  EXPECT_EQ(counters_.redelivered, 0u);
  EXPECT_EQ(durable_->tracker().pending(), 0u);
}

TEST_F(DurableDeliveryTest, WaitStartsWhenTheCopyIsSentNotWhenQueued) {
  Session& unit = Terminal("jc-pg10-v1");
  durable_->Send(unit, 9, "alert.jincheng.z10", "a9", v1::P1, Frame(9, "a9"));
  clock_.Advance(absl::Seconds(30));  // stuck in a slow session's queue
  durable_->ExpireDeliveries();
  ASSERT_EQ(Send(unit).size(), 1u);
  EXPECT_EQ(counters_.redelivered, 0u);
  clock_.Advance(absl::Seconds(1));
  durable_->ExpireDeliveries();
  EXPECT_EQ(Send(unit).size(), 1u);
}

TEST_F(DurableDeliveryTest, ResumeReplaysUnsettledAndHoldsLiveMessagesUntilDone) {
  journal_.AddSubscription("jc-pg10-v1", "alert.jincheng.z10", /*removed=*/false);
  for (int i = 0; i < 3; ++i) journal_.NextSeq();
  journal_.Flush();  // no writer: only bookkeeping
  Session& unit = Terminal("jc-pg10-v1");
  durable_->Resume(unit);
  // No batch reached the disk in this test, so nothing can be owed yet.
  EXPECT_TRUE(replays_.empty());
  EXPECT_FALSE(unit.replaying);
  EXPECT_EQ(unit.patterns().count("alert.jincheng.z10"), 1u);

  unit.replaying = true;  // as after a Resume that submitted a replay
  durable_->Send(unit, 12, "alert.jincheng.z10", "live", v1::P1, Frame(12, "live"));
  EXPECT_TRUE(Send(unit).empty());
  HistoryReader::Reply reply;
  reply.session = unit.id();
  reply.replay = true;
  reply.replay_done = true;
  reply.upto_seq = 11;
  HistoryReader::ReplayItem old;
  old.seq = 10;
  old.topic = "alert.jincheng.z10";
  old.alert_id = "old";
  old.priority = v1::P1;
  old.frame = Frame(10, "old");
  old.delivery_count = 2;
  reply.items.push_back(std::move(old));
  durable_->OnReplay(reply);
  std::vector<v1::Deliver> sent = Send(unit);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].seq(), 10u);  // the replayed one first, then the held one
  EXPECT_EQ(sent[1].seq(), 12u);
  EXPECT_FALSE(unit.replaying);
  EXPECT_EQ(counters_.replayed, 1u);
}

}  // namespace
}  // namespace zonecast
