// The keys of alert updates and what an amendment does
// (broker/protocol/alert_updates.h).
#include "protocol/alert_updates.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

v1::AlertUpdate Update(v1::AlertUpdate::Kind kind) {
  v1::AlertUpdate update;
  update.set_alert_id("lanhua-1");
  update.set_kind(kind);
  return update;
}

TEST(AlertUpdateKeyTest, CancelAndCloseHaveOneKeyEach) {
  v1::AlertUpdate cancel = Update(v1::AlertUpdate::CANCELLED);
  EXPECT_EQ(AlertUpdateKey(cancel, 0), "lanhua-1#cancelled");
  cancel.set_reason("another reason");  // a second console: still the same cancel
  EXPECT_EQ(AlertUpdateKey(cancel, 0), "lanhua-1#cancelled");
  EXPECT_EQ(AlertUpdateKey(Update(v1::AlertUpdate::CLOSED), 0), "lanhua-1#closed");
}

TEST(AlertUpdateKeyTest, EachTakerAndAssigneeHasItsOwnKey) {
  v1::AlertUpdate taken = Update(v1::AlertUpdate::TAKEN);
  taken.set_unit("jc-z10-v03");
  EXPECT_EQ(AlertUpdateKey(taken, 3), "lanhua-1#taken-jc-z10-v03");
  v1::AlertUpdate assigned = Update(v1::AlertUpdate::ASSIGNED);
  assigned.set_unit("jc-z10-v01");
  EXPECT_EQ(AlertUpdateKey(assigned, 2), "lanhua-1#assigned-2-jc-z10-v01");
}

TEST(AlertUpdateKeyTest, AnAmendmentRepeatedIsTheSameAndAnotherIsNew) {
  v1::AlertUpdate amend = Update(v1::AlertUpdate::AMENDED);
  amend.set_priority(v1::P1);
  const std::string key = AlertUpdateKey(amend, 0);
  EXPECT_THAT(key, ::testing::StartsWith("lanhua-1#amended-0-"));
  EXPECT_TRUE(IsKeyOfAlert(key, "lanhua-1"));
  EXPECT_FALSE(IsKeyOfAlert(key, "lanhua"));
  EXPECT_EQ(AlertUpdateKey(amend, 0), key);
  // The same change once another was applied (A, B, A): a new amendment.
  EXPECT_NE(AlertUpdateKey(amend, 2), key);
  amend.set_title("woman outside the railing");
  EXPECT_NE(AlertUpdateKey(amend, 0), key);
}

TEST(AmendmentTest, ReplacesOnlyTheFieldsSet) {
  v1::Alert alert;
  alert.set_title("person on the bridge");
  alert.set_body("caller unsure");
  alert.set_priority(v1::P3);
  v1::AlertUpdate amend = Update(v1::AlertUpdate::AMENDED);
  EXPECT_FALSE(AmendsSomething(amend));
  amend.set_priority(v1::P1);
  amend.mutable_location()->set_address("Lanhua bridge, east end");
  ASSERT_TRUE(AmendsSomething(amend));
  ApplyAmendment(amend, &alert);
  EXPECT_EQ(alert.title(), "person on the bridge");
  EXPECT_EQ(alert.body(), "caller unsure");
  EXPECT_EQ(alert.priority(), v1::P1);
  EXPECT_EQ(alert.location().address(), "Lanhua bridge, east end");
  EXPECT_EQ(DescribeAmendment(amend),
            "priority P1; location: Lanhua bridge, east end (0.00000, 0.00000)");
}

TEST(AlertUpdateTest, OnlyCancelAndCloseEndAnAlert) {
  EXPECT_TRUE(EndsAlert(v1::AlertUpdate::CANCELLED));
  EXPECT_TRUE(EndsAlert(v1::AlertUpdate::CLOSED));
  EXPECT_FALSE(EndsAlert(v1::AlertUpdate::TAKEN));
  EXPECT_FALSE(EndsAlert(v1::AlertUpdate::AMENDED));
  EXPECT_FALSE(EndsAlert(v1::AlertUpdate::ASSIGNED));
}

}  // namespace
}  // namespace zonecast
