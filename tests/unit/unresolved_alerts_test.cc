#include "alerts/unresolved_alerts.h"

#include <string>

#include "gtest/gtest.h"

namespace zonecast {
namespace {

int64_t NoDeadline(const std::string&) { return 0; }

v1::AlertStatusList Open(const UnresolvedAlerts& board, int64_t now_ms) {
  v1::AlertStatusList list;
  board.Fill(now_ms, NoDeadline, &list);
  return list;
}

TEST(UnresolvedAlertsTest, FollowsAnAlertUntilResolved) {
  UnresolvedAlerts board;
  board.OnPublished("A-1", "person on the Lanhua bridge", 7, "alert.jincheng.z07", v1::P1,
                    "center-1", 1'000);
  v1::AlertStatusList list = Open(board, 3'500);
  ASSERT_EQ(list.alerts_size(), 1);
  EXPECT_EQ(list.alerts(0).state(), "PUBLISHED");
  EXPECT_EQ(list.alerts(0).zone(), "z07");
  EXPECT_EQ(list.alerts(0).city(), "jincheng");
  EXPECT_EQ(list.alerts(0).priority(), "P1");
  EXPECT_DOUBLE_EQ(list.alerts(0).age_s(), 2.5);

  board.OnAck("A-1", "jc-z07-v01", v1::RECEIVED, 1'100);
  board.OnAck("A-1", "jc-z07-v02", v1::RECEIVED, 1'150);
  board.OnAck("A-1", "jc-z07-v02", v1::DECLINED, 1'200);  // not progress
  board.OnAck("A-1", "jc-z07-v01", v1::ACCEPTED, 1'300);
  board.OnAck("A-1", "jc-z07-v03", v1::RECEIVED, 1'400);  // late: counted, state stays
  list = Open(board, 2'000);
  ASSERT_EQ(list.alerts_size(), 1);
  EXPECT_EQ(list.alerts(0).state(), "ACCEPTED");
  EXPECT_EQ(list.alerts(0).responder(), "jc-z07-v01");
  EXPECT_EQ(list.alerts(0).units_received(), 3u);
  EXPECT_EQ(list.alerts(0).last_change_unix_ms(), 1'300);

  board.OnEscalated("A-1", 1'500, {});
  EXPECT_TRUE(Open(board, 2'000).alerts(0).escalated());
  board.OnAck("A-1", "jc-z07-v01", v1::RESOLVED, 1'600);
  EXPECT_EQ(Open(board, 2'000).alerts_size(), 0);
  EXPECT_EQ(board.size(), 0u);
}

TEST(UnresolvedAlertsTest, BoundedByCountAndAge) {
  UnresolvedAlerts::Limits limits;
  limits.max_alerts = 3;
  limits.max_age = absl::Seconds(10);
  UnresolvedAlerts board(limits);
  for (int i = 0; i < 5; ++i) {
    board.OnPublished("A-" + std::to_string(i), "", i, "alert.c.z", v1::P2, "c", i * 1'000);
  }
  v1::AlertStatusList list = Open(board, 5'000);
  ASSERT_EQ(list.alerts_size(), 3);
  EXPECT_EQ(list.alerts(0).alert_id(), "A-2");  // oldest first, the two oldest pushed out
  board.Expire(13'500);                         // are older than 10 s
  list = Open(board, 13'500);
  ASSERT_EQ(list.alerts_size(), 1);
  EXPECT_EQ(list.alerts(0).alert_id(), "A-4");
}

TEST(UnresolvedAlertsTest, RepeatedPublishAndUnknownIdsAreIgnored) {
  UnresolvedAlerts board;
  board.OnPublished("A-1", "first", 1, "alert.c.z", v1::P2, "c", 1);
  board.OnPublished("A-1", "again", 2, "alert.c.z", v1::P2, "c", 2);
  board.OnAck("nope", "u", v1::ACCEPTED, 3);
  board.OnEscalated("nope", 3, {});
  v1::AlertStatusList list = Open(board, 10);
  ASSERT_EQ(list.alerts_size(), 1);
  EXPECT_EQ(list.alerts(0).title(), "first");
}

}  // namespace
}  // namespace zonecast
