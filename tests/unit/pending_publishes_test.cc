// PendingPublishes: durable publishes waiting for the disk, found again by
// sequence number, with repeats of an alert id riding on the first one.
#include "core/pending_publishes.h"

#include "gtest/gtest.h"

namespace zonecast {
namespace {

PendingPublish& Add(PendingPublishes& pending, uint64_t seq, const std::string& alert_id,
                    SessionId publisher = 7, uint64_t request_id = 1) {
  PendingPublish& publish = pending.Add(seq, alert_id);
  publish.publisher = publisher;
  publish.request_id = request_id;
  return publish;
}

TEST(PendingPublishesTest, FoundBySeqUntilRemoved) {
  PendingPublishes pending;
  Add(pending, 1, "a1");
  Add(pending, 2, "");
  EXPECT_EQ(pending.size(), 2u);
  ASSERT_NE(pending.Find(2), nullptr);
  EXPECT_EQ(pending.Find(2)->seq, 2u);
  EXPECT_EQ(pending.Find(3), nullptr);
  pending.Remove(1);
  EXPECT_EQ(pending.Find(1), nullptr);
  ASSERT_NE(pending.Find(2), nullptr);
  pending.Remove(2);
  EXPECT_EQ(pending.size(), 0u);
}

TEST(PendingPublishesTest, ReferenceStaysValidWhileMoreAreAdded) {
  // Handling a stored publish may publish more (escalations): the one in
  // hand must not move.
  PendingPublishes pending;
  PendingPublish& first = Add(pending, 10, "lanhua");
  first.topic = "alert.jincheng.z10";
  for (uint64_t seq = 11; seq < 2000; ++seq) Add(pending, seq, "");
  EXPECT_EQ(&first, pending.Find(10));
  EXPECT_EQ(first.topic, "alert.jincheng.z10");
  EXPECT_EQ(pending.Find(1500)->seq, 1500u);
}

TEST(PendingPublishesTest, SeqGapsAndOutOfOrderRemovalStayCorrect) {
  PendingPublishes pending;
  Add(pending, 3, "");
  Add(pending, 5, "");
  Add(pending, 9, "");
  ASSERT_NE(pending.Find(9), nullptr);
  EXPECT_EQ(pending.Find(4), nullptr);
  pending.Remove(5);
  EXPECT_EQ(pending.Find(5), nullptr);
  EXPECT_EQ(pending.Find(9)->seq, 9u);
  EXPECT_EQ(pending.Find(3)->seq, 3u);
}

TEST(PendingPublishesTest, RepeatOfAnAlertInFlightWaitsForTheFirst) {
  PendingPublishes pending;
  Add(pending, 5, "lanhua-1", /*publisher=*/3, /*request_id=*/10);
  EXPECT_TRUE(pending.AttachDuplicate("lanhua-1", /*session=*/4, /*request_id=*/20));
  EXPECT_TRUE(pending.AttachDuplicate("lanhua-1", /*session=*/3, /*request_id=*/11));
  EXPECT_FALSE(pending.AttachDuplicate("other", 4, 21));
  const PendingPublish* first = pending.Find(5);
  ASSERT_NE(first, nullptr);
  ASSERT_EQ(first->duplicates.size(), 2u);
  EXPECT_EQ(first->duplicates[0], std::make_pair(SessionId{4}, uint64_t{20}));
  EXPECT_EQ(first->duplicates[1], std::make_pair(SessionId{3}, uint64_t{11}));
  // Once stored, the alert id is no longer in flight (the dedup window
  // answers repeats from then on).
  pending.Remove(5);
  EXPECT_FALSE(pending.AttachDuplicate("lanhua-1", 4, 22));
}

TEST(PendingPublishesTest, CopiesWithTheSameAlertIdKeepTheFirstAsTarget) {
  // Escalation re-routes copies of an alert under its id: a repeat attaches
  // to the first in flight, and removing a later copy does not forget it.
  PendingPublishes pending;
  Add(pending, 8, "a9");
  Add(pending, 9, "a9", /*publisher=*/0, /*request_id=*/0);
  pending.Remove(9);
  EXPECT_TRUE(pending.AttachDuplicate("a9", 4, 30));
  EXPECT_EQ(pending.Find(8)->duplicates.size(), 1u);
}

}  // namespace
}  // namespace zonecast
