// DeliveredLog: which alerts each unit was sent, bounded per unit.
#include "delivery/delivered_log.h"

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

TEST(DeliveredLogTest, KnowsWhatEachUnitWasSent) {
  DeliveredLog log;
  log.Record("jc-z10-v01", 7, "bridge");
  EXPECT_TRUE(log.Contains("jc-z10-v01", 7, "bridge"));
  EXPECT_FALSE(log.Contains("jc-z03-v01", 7, "bridge"));  // another unit
  EXPECT_FALSE(log.Contains("jc-z10-v01", 8, "bridge"));  // another seq
  EXPECT_FALSE(log.Contains("jc-z10-v01", 7, "market"));  // another alert under that seq
  log.Forget("jc-z10-v01");
  EXPECT_FALSE(log.Contains("jc-z10-v01", 7, "bridge"));
  EXPECT_EQ(log.units(), 0u);
}

TEST(DeliveredLogTest, KeepsTheLastAlertsOfEachUnit) {
  DeliveredLog log;
  for (uint64_t seq = 1; seq <= DeliveredLog::kPerUnit + 10; ++seq) {
    log.Record("jc-z10-v01", seq, absl::StrCat("alert-", seq));
    log.Record("jc-z10-v01", seq, absl::StrCat("alert-", seq));  // a redelivery takes no room
  }
  EXPECT_FALSE(log.Contains("jc-z10-v01", 10, "alert-10"));
  EXPECT_TRUE(log.Contains("jc-z10-v01", 11, "alert-11"));
  EXPECT_TRUE(log.Contains("jc-z10-v01", DeliveredLog::kPerUnit + 10,
                           absl::StrCat("alert-", DeliveredLog::kPerUnit + 10)));
}

}  // namespace
}  // namespace zonecast
