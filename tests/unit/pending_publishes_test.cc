// PendingPublishes: durable publishes waiting for the disk, found again by
// sequence number, with repeats of an alert id riding on the first one.
#include "core/pending_publishes.h"

#include "gtest/gtest.h"

namespace zonecast {
namespace {

PendingPublish Publish(uint64_t seq, const std::string& alert_id, SessionId publisher = 7,
                       uint64_t request_id = 1) {
  PendingPublish publish;
  publish.seq = seq;
  publish.alert_id = alert_id;
  publish.publisher = publisher;
  publish.request_id = request_id;
  return publish;
}

TEST(PendingPublishesTest, TakesBySeqOnce) {
  PendingPublishes pending;
  pending.Add(Publish(1, "a1"));
  pending.Add(Publish(2, ""));
  EXPECT_EQ(pending.size(), 2u);
  std::optional<PendingPublish> second = pending.Take(2);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->seq, 2u);
  EXPECT_FALSE(pending.Take(2).has_value());
  std::optional<PendingPublish> first = pending.Take(1);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->alert_id, "a1");
  EXPECT_EQ(pending.size(), 0u);
}

TEST(PendingPublishesTest, RepeatOfAnAlertInFlightWaitsForTheFirst) {
  PendingPublishes pending;
  pending.Add(Publish(5, "lanhua-1", /*publisher=*/3, /*request_id=*/10));
  EXPECT_TRUE(pending.AttachDuplicate("lanhua-1", /*session=*/4, /*request_id=*/20));
  EXPECT_TRUE(pending.AttachDuplicate("lanhua-1", /*session=*/3, /*request_id=*/11));
  EXPECT_FALSE(pending.AttachDuplicate("other", 4, 21));
  std::optional<PendingPublish> first = pending.Take(5);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->duplicates.size(), 2u);
  EXPECT_EQ(first->duplicates[0], std::make_pair(SessionId{4}, uint64_t{20}));
  EXPECT_EQ(first->duplicates[1], std::make_pair(SessionId{3}, uint64_t{11}));
  // Once stored, the alert id is no longer in flight (the dedup window
  // answers repeats from then on).
  EXPECT_FALSE(pending.AttachDuplicate("lanhua-1", 4, 22));
}

TEST(PendingPublishesTest, CopiesWithTheSameAlertIdKeepTheFirstAsTarget) {
  // Escalation re-routes copies of an alert under its id: a repeat attaches
  // to the first in flight, and taking a later copy does not forget it.
  PendingPublishes pending;
  pending.Add(Publish(8, "a9"));
  pending.Add(Publish(9, "a9", /*publisher=*/0, /*request_id=*/0));
  ASSERT_TRUE(pending.Take(9).has_value());
  EXPECT_TRUE(pending.AttachDuplicate("a9", 4, 30));
  std::optional<PendingPublish> first = pending.Take(8);
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->duplicates.size(), 1u);
}

}  // namespace
}  // namespace zonecast
