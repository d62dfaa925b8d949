// EventFeed: numbered events in a bounded ring, read by each viewer at its
// own pace; a viewer that fell behind is told so.
#include "monitoring/event_feed.h"

#include <atomic>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

TEST(EventFeedTest, ViewersReadWhatFollowsTheirLastEvent) {
  EventFeed feed(8);
  EXPECT_EQ(feed.newest(), 0u);
  EventFeed::Page empty = feed.After(0, 10);
  EXPECT_TRUE(empty.events.empty());
  EXPECT_EQ(empty.last, 0u);
  EXPECT_FALSE(empty.missed);

  for (int i = 1; i <= 3; ++i) feed.Append("alert", absl::StrCat("{\"n\":", i, "}"));
  EXPECT_EQ(feed.newest(), 3u);
  EventFeed::Page page = feed.After(0, 10);
  ASSERT_EQ(page.events.size(), 3u);
  EXPECT_EQ(page.events[0].number, 1u);
  EXPECT_EQ(page.events[0].type, "alert");
  EXPECT_EQ(page.events[2].json, "{\"n\":3}");
  EXPECT_EQ(page.last, 3u);
  EXPECT_FALSE(page.missed);

  // A page at a time.
  EventFeed::Page first = feed.After(0, 2);
  ASSERT_EQ(first.events.size(), 2u);
  EXPECT_EQ(first.last, 2u);
  EventFeed::Page rest = feed.After(first.last, 2);
  ASSERT_EQ(rest.events.size(), 1u);
  EXPECT_EQ(rest.events[0].number, 3u);
  EXPECT_TRUE(feed.After(3, 10).events.empty());
  EXPECT_EQ(feed.After(3, 10).last, 3u);
}

TEST(EventFeedTest, AViewerTheRingMovedPastIsToldItMissedSome) {
  EventFeed feed(4);
  for (int i = 1; i <= 10; ++i) feed.Append("position", absl::StrCat(i));
  EventFeed::Page page = feed.After(2, 100);
  EXPECT_TRUE(page.missed);
  ASSERT_EQ(page.events.size(), 4u) << "only the ring's last four are left";
  EXPECT_EQ(page.events.front().number, 7u);
  EXPECT_EQ(page.events.back().json, "10");
  EXPECT_FALSE(feed.After(6, 100).missed) << "7 on are all there";
  // A viewer of an earlier run of the broker, ahead of this one's numbers.
  EventFeed::Page stale = feed.After(50, 100);
  EXPECT_TRUE(stale.missed);
  EXPECT_EQ(stale.last, 10u);
}

TEST(EventFeedTest, AViewerReadingWhileTheLoopWritesSeesEveryEventInOrderOrIsToldItMissedSome) {
  EventFeed feed(64);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> read{0};
  std::thread viewer([&] {
    uint64_t last = 0;
    while (!stop) {
      EventFeed::Page page = feed.After(last, 16);
      for (const EventFeed::Event& event : page.events) {
        // Numbers only ever go up by one, or jump after a miss.
        if (!page.missed && event.number != last + 1) ADD_FAILURE() << event.number;
        last = event.number;
      }
      read = last;
    }
  });
  for (int i = 0; i < 10000; ++i) feed.Append("ack", "{}");
  stop = true;
  viewer.join();
  EXPECT_EQ(feed.newest(), 10000u);
  EXPECT_LE(read.load(), 10000u);
  EXPECT_FALSE(feed.After(0, 1).events.empty());
}

}  // namespace
}  // namespace zonecast
