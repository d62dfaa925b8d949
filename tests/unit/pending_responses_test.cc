// PendingResponses: alerts waiting for an officer's response until their deadline.
#include "alerts/pending_responses.h"

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/clock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

class PendingResponsesTest : public ::testing::Test {
 protected:
  // An alert opened now on the fake clock with `wait` to its deadline.
  OpenAlert Alert(const std::string& id, absl::Duration wait, uint64_t seq = 1) {
    OpenAlert open;
    open.alert_id = id;
    open.seq = seq;
    open.city = "jincheng";
    open.zone = "z03";
    open.priority = v1::P1;
    open.publisher = "jc-center";
    open.deadline = clock_.NowMono() + absl::ToInt64Nanoseconds(wait);
    open.deadline_unix_ms = absl::ToUnixMillis(clock_.NowWall() + wait);
    open.alert.set_alert_id(id);
    open.alert.set_topic("alert.jincheng.z03");
    open.alert.set_priority(v1::P1);
    open.alert.set_title("person on the Lanhua bridge railing");
    return open;
  }

  // Expire at the fake clock's now: copies of the alerts passed to fn, in order.
  std::vector<OpenAlert> Expire() {
    std::vector<OpenAlert> expired;
    book_.Expire(clock_.NowMono(), [&](OpenAlert& alert) { expired.push_back(alert); });
    return expired;
  }

  FakeClock clock_;
  PendingResponses book_;
};

TEST_F(PendingResponsesTest, EmptyBook) {
  EXPECT_EQ(book_.open(), 0u);
  EXPECT_EQ(book_.NextDue(), INT64_MAX);
  EXPECT_EQ(book_.Find("A-1"), nullptr);
  EXPECT_FALSE(book_.Respond("A-1"));
  book_.Close("A-1");  // harmless
  EXPECT_TRUE(Expire().empty());
}

TEST_F(PendingResponsesTest, ExpiresOnceAtTheDeadline) {
  book_.Open(Alert("A-1", absl::Seconds(30), /*seq=*/42));
  EXPECT_EQ(book_.open(), 1u);
  EXPECT_EQ(book_.NextDue(), clock_.NowMono() + absl::ToInt64Nanoseconds(absl::Seconds(30)));

  clock_.Advance(absl::Seconds(30) - absl::Nanoseconds(1));
  EXPECT_TRUE(Expire().empty());
  EXPECT_EQ(book_.open(), 1u);

  clock_.Advance(absl::Nanoseconds(1));
  std::vector<OpenAlert> expired = Expire();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].alert_id, "A-1");
  EXPECT_EQ(expired[0].seq, 42u);
  EXPECT_EQ(expired[0].city, "jincheng");
  EXPECT_EQ(expired[0].zone, "z03");
  EXPECT_EQ(expired[0].priority, v1::P1);
  EXPECT_EQ(expired[0].publisher, "jc-center");
  EXPECT_EQ(expired[0].deadline, clock_.NowMono());
  EXPECT_EQ(expired[0].alert.title(), "person on the Lanhua bridge railing");
  EXPECT_EQ(expired[0].alert.topic(), "alert.jincheng.z03");

  // Forgotten: not found, not responded to, not expired again.
  EXPECT_EQ(book_.open(), 0u);
  EXPECT_EQ(book_.Find("A-1"), nullptr);
  EXPECT_FALSE(book_.Respond("A-1"));
  clock_.Advance(absl::Hours(1));
  EXPECT_TRUE(Expire().empty());
}

TEST_F(PendingResponsesTest, LateExpireStillFiresOnce) {
  book_.Open(Alert("A-1", absl::Seconds(30)));
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(Expire().size(), 1u);
  EXPECT_TRUE(Expire().empty());
}

TEST_F(PendingResponsesTest, RespondBeforeTheDeadlinePreventsExpiry) {
  book_.Open(Alert("A-1", absl::Seconds(30)));
  book_.Open(Alert("A-2", absl::Seconds(30)));
  clock_.Advance(absl::Seconds(10));
  EXPECT_TRUE(book_.Respond("A-1"));
  EXPECT_FALSE(book_.Respond("A-1"));  // a second response finds nothing open
  EXPECT_EQ(book_.Find("A-1"), nullptr);
  EXPECT_EQ(book_.open(), 1u);

  clock_.Advance(absl::Seconds(20));
  std::vector<OpenAlert> expired = Expire();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].alert_id, "A-2");
}

TEST_F(PendingResponsesTest, SecondOpenOfTheSameIdIsIgnored) {
  book_.Open(Alert("A-1", absl::Seconds(30), /*seq=*/1));
  clock_.Advance(absl::Seconds(5));
  // The same id again (e.g. a journal replay) with another seq and deadline.
  book_.Open(Alert("A-1", absl::Seconds(30), /*seq=*/2));
  EXPECT_EQ(book_.open(), 1u);
  ASSERT_NE(book_.Find("A-1"), nullptr);
  EXPECT_EQ(book_.Find("A-1")->seq, 1u);

  // It expires at the first deadline, once.
  clock_.Advance(absl::Seconds(25));
  std::vector<OpenAlert> expired = Expire();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].seq, 1u);
  clock_.Advance(absl::Seconds(5));
  EXPECT_TRUE(Expire().empty());
}

TEST_F(PendingResponsesTest, ReopenAfterRespondUsesTheNewDeadline) {
  book_.Open(Alert("A-1", absl::Seconds(30), /*seq=*/1));
  ASSERT_TRUE(book_.Respond("A-1"));
  clock_.Advance(absl::Seconds(10));
  book_.Open(Alert("A-1", absl::Seconds(30), /*seq=*/2));

  // The first deadline's timer is stale.
  clock_.Advance(absl::Seconds(20));
  EXPECT_TRUE(Expire().empty());
  EXPECT_EQ(book_.open(), 1u);

  clock_.Advance(absl::Seconds(10));
  std::vector<OpenAlert> expired = Expire();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].seq, 2u);
}

TEST_F(PendingResponsesTest, CloseForgetsWithoutExpiry) {
  book_.Open(Alert("A-1", absl::Seconds(30)));
  book_.Open(Alert("A-2", absl::Seconds(60)));
  book_.Close("A-1");
  EXPECT_EQ(book_.Find("A-1"), nullptr);
  EXPECT_FALSE(book_.Respond("A-1"));
  EXPECT_EQ(book_.open(), 1u);

  clock_.Advance(absl::Seconds(30));
  EXPECT_TRUE(Expire().empty());
  clock_.Advance(absl::Seconds(30));
  std::vector<OpenAlert> expired = Expire();
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].alert_id, "A-2");
}

TEST_F(PendingResponsesTest, FindReturnsTheOpenAlert) {
  book_.Open(Alert("A-1", absl::Seconds(30), /*seq=*/7));
  book_.Open(Alert("A-2", absl::Seconds(60), /*seq=*/8));
  const OpenAlert* found = book_.Find("A-2");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->alert_id, "A-2");
  EXPECT_EQ(found->seq, 8u);
  EXPECT_EQ(found->deadline, clock_.NowMono() + absl::ToInt64Nanoseconds(absl::Seconds(60)));
  EXPECT_EQ(found->deadline_unix_ms, absl::ToUnixMillis(clock_.NowWall() + absl::Seconds(60)));
  EXPECT_EQ(book_.Find("a-2"), nullptr);  // ids are case-sensitive
  EXPECT_EQ(book_.Find(""), nullptr);
}

TEST_F(PendingResponsesTest, ExpiresInDeadlineOrder) {
  book_.Open(Alert("late", absl::Seconds(120)));
  book_.Open(Alert("early", absl::Seconds(30)));
  book_.Open(Alert("middle", absl::Seconds(60)));
  EXPECT_EQ(book_.NextDue(), clock_.NowMono() + absl::ToInt64Nanoseconds(absl::Seconds(30)));
  clock_.Advance(absl::Minutes(5));
  std::vector<OpenAlert> expired = Expire();
  ASSERT_EQ(expired.size(), 3u);
  EXPECT_EQ(expired[0].alert_id, "early");
  EXPECT_EQ(expired[1].alert_id, "middle");
  EXPECT_EQ(expired[2].alert_id, "late");
  EXPECT_EQ(book_.open(), 0u);
}

}  // namespace
}  // namespace zonecast
