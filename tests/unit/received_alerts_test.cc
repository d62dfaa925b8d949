// ReceivedAlerts: which alerts each unit confirmed, bounded per unit.
#include "delivery/received_alerts.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

TEST(ReceivedAlertsTest, KnowsWhatEachUnitConfirmed) {
  ReceivedAlerts log;
  log.Record("jc-z10-v01", 7, "bridge");
  EXPECT_TRUE(log.Contains("jc-z10-v01", 7, "bridge"));
  EXPECT_FALSE(log.Contains("jc-z03-v01", 7, "bridge"));  // another unit
  EXPECT_FALSE(log.Contains("jc-z10-v01", 8, "bridge"));  // another seq
  EXPECT_FALSE(log.Contains("jc-z10-v01", 7, "market"));  // another alert under that seq
  log.Forget("jc-z10-v01");
  EXPECT_FALSE(log.Contains("jc-z10-v01", 7, "bridge"));
  EXPECT_EQ(log.units(), 0u);
}

TEST(ReceivedAlertsTest, KeepsTheLastAlertsOfEachUnit) {
  ReceivedAlerts log;
  for (uint64_t seq = 1; seq <= ReceivedAlerts::kPerUnit + 10; ++seq) {
    log.Record("jc-z10-v01", seq, absl::StrCat("alert-", seq));
    log.Record("jc-z10-v01", seq, absl::StrCat("alert-", seq));  // a redelivery takes no room
  }
  EXPECT_FALSE(log.Contains("jc-z10-v01", 10, "alert-10"));
  EXPECT_TRUE(log.Contains("jc-z10-v01", 11, "alert-11"));
  EXPECT_TRUE(log.Contains("jc-z10-v01", ReceivedAlerts::kPerUnit + 10,
                           absl::StrCat("alert-", ReceivedAlerts::kPerUnit + 10)));
}

}  // namespace
}  // namespace zonecast
