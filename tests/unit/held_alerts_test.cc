// The P1s held while the journal cannot store (broker/core/held_alerts.h).
#include "core/held_alerts.h"

#include <string>

#include "gtest/gtest.h"

namespace zonecast {
namespace {

HeldAlerts::Held Alert(const std::string& id, size_t bytes = 100) {
  HeldAlerts::Held held;
  held.frame.mutable_deliver()->set_topic("alert.jincheng.z10");
  held.frame.mutable_deliver()->mutable_event()->mutable_alert()->set_alert_id(id);
  held.alert_id = id;
  held.bytes = bytes;
  return held;
}

TEST(HeldAlertsTest, KeepsOnePerAlertIdInArrivalOrder) {
  HeldAlerts held;
  EXPECT_TRUE(held.Hold(Alert("bridge-1")));
  EXPECT_TRUE(held.Hold(Alert("bridge-2")));
  EXPECT_FALSE(held.Hold(Alert("bridge-1")));  // a retry is held once
  EXPECT_TRUE(held.Contains("bridge-1"));
  EXPECT_EQ(held.size(), 2u);
  EXPECT_EQ(held.bytes(), 200u);
  std::deque<HeldAlerts::Held> all = held.TakeAll();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].alert_id, "bridge-1");
  EXPECT_EQ(all[1].alert_id, "bridge-2");
  EXPECT_TRUE(held.empty());
  EXPECT_FALSE(held.Contains("bridge-1"));
  EXPECT_EQ(held.bytes(), 0u);
}

TEST(HeldAlertsTest, RefusesBeyondItsBounds) {
  HeldAlerts held;
  EXPECT_FALSE(held.Hold(Alert("huge", HeldAlerts::kMaxBytes + 1)));
  for (size_t i = 0; i < HeldAlerts::kMaxAlerts; ++i) {
    ASSERT_TRUE(held.Hold(Alert("a-" + std::to_string(i), 10)));
  }
  EXPECT_FALSE(held.Hold(Alert("one-more", 10)));
  EXPECT_EQ(held.size(), HeldAlerts::kMaxAlerts);
}

}  // namespace
}  // namespace zonecast
