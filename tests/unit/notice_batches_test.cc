// NoticeBatches: a turn's ack notices gathered per publisher.
#include "delivery/notice_batches.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

v1::Deliver Notice(const std::string& alert_id) {
  v1::Deliver deliver;
  deliver.set_topic("ack.jincheng.z10");
  deliver.mutable_event()->mutable_ack()->set_alert_id(alert_id);
  return deliver;
}

TEST(NoticeBatchesTest, GathersEachPublishersNoticesInOrder) {
  NoticeBatches batches;
  EXPECT_TRUE(batches.empty());
  EXPECT_FALSE(batches.Add(1, Notice("a")).has_value());
  EXPECT_FALSE(batches.Add(2, Notice("b")).has_value());
  EXPECT_FALSE(batches.Add(1, Notice("c")).has_value());
  std::vector<std::pair<SessionId, v1::Frame>> all = batches.TakeAll();
  EXPECT_TRUE(batches.empty());
  ASSERT_EQ(all.size(), 2u);
  std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  ASSERT_EQ(all[0].second.deliveries().delivers_size(), 2);
  EXPECT_EQ(all[0].second.deliveries().delivers(0).event().ack().alert_id(), "a");
  EXPECT_EQ(all[0].second.deliveries().delivers(1).event().ack().alert_id(), "c");
  ASSERT_EQ(all[1].second.deliveries().delivers_size(), 1);
  EXPECT_EQ(all[1].second.deliveries().delivers(0).event().ack().alert_id(), "b");
  EXPECT_TRUE(batches.TakeAll().empty());
}

TEST(NoticeBatchesTest, HandsOverAFullBatchAtOnce) {
  NoticeBatches batches;
  for (int i = 1; i < NoticeBatches::kMaxPerFrame; ++i) {
    ASSERT_FALSE(batches.Add(7, Notice(absl::StrCat("n", i))).has_value()) << i;
  }
  std::optional<v1::Frame> full = batches.Add(7, Notice("last"));
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(full->deliveries().delivers_size(), NoticeBatches::kMaxPerFrame);
  EXPECT_EQ(full->deliveries().delivers(NoticeBatches::kMaxPerFrame - 1).event().ack().alert_id(),
            "last");
  EXPECT_TRUE(batches.empty());  // the next notice starts a new batch
}

}  // namespace
}  // namespace zonecast
