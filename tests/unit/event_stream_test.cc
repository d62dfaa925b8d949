// EventStream: one viewer's server-sent events from the EventFeed: hello
// first, then numbered events, `missed` after falling behind, and a
// keep-alive comment after a quiet spell.
#include "core/event_stream.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(EventStreamTest, SaysHelloThenSendsEachEventNumberedWithItsType) {
  FakeClock clock;
  EventFeed feed(16);
  feed.Append("alert", "{\"a\":1}");  // before the viewer: not sent
  EventStream stream(feed, clock, 0, /*from_newest=*/true);
  EXPECT_TRUE(feed.watched());
  EXPECT_EQ(stream.Read(), "retry: 2000\n\nevent: hello\ndata: {\"newest\":1}\n\n");
  EXPECT_EQ(stream.Read(), "") << "nothing new";
  feed.Append("ack", "{\"unit\":\"jc-z03-v01\"}");
  feed.Append("position", "{\"lat\":35.49}");
  EXPECT_EQ(stream.Read(),
            "id: 2\nevent: ack\ndata: {\"unit\":\"jc-z03-v01\"}\n\n"
            "id: 3\nevent: position\ndata: {\"lat\":35.49}\n\n");
  EXPECT_EQ(stream.Read(), "");
}

TEST(EventStreamTest, AViewerResumingAfterANumberGetsWhatFollows) {
  FakeClock clock;
  EventFeed feed(16);
  for (int i = 0; i < 3; ++i) feed.Append("alert", "{}");
  EventStream stream(feed, clock, 1, /*from_newest=*/false);
  const std::string out = stream.Read();
  EXPECT_THAT(out, StartsWith("retry: 2000\n\nevent: hello\ndata: {\"newest\":1}"));
  EXPECT_THAT(out, HasSubstr("id: 2\n"));
  EXPECT_THAT(out, HasSubstr("id: 3\n"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("id: 1\n")));
}

TEST(EventStreamTest, AViewerTheFeedLeftBehindIsToldItMissedEvents) {
  FakeClock clock;
  EventFeed feed(2);
  EventStream stream(feed, clock, 0, /*from_newest=*/true);
  (void)stream.Read();
  for (int i = 0; i < 5; ++i) feed.Append("position", "{}");
  const std::string out = stream.Read();
  EXPECT_THAT(out, StartsWith("event: missed\ndata: {}\n\n"));
  EXPECT_THAT(out, HasSubstr("id: 4\n"));
  EXPECT_THAT(out, HasSubstr("id: 5\n"));
}

TEST(EventStreamTest, QuietStreamSendsAKeepAliveComment) {
  FakeClock clock;
  EventFeed feed(4);
  EventStream stream(feed, clock, 0, /*from_newest=*/true);
  (void)stream.Read();
  clock.Advance(absl::Seconds(14));
  EXPECT_EQ(stream.Read(), "");
  clock.Advance(absl::Seconds(2));
  EXPECT_EQ(stream.Read(), ": keep-alive\n\n");
  EXPECT_EQ(stream.Read(), "") << "not again at once";
}

TEST(EventStreamTest, TheFeedIsWatchedOnlyWhileAStreamIsOpen) {
  FakeClock clock;
  EventFeed feed(4);
  EXPECT_FALSE(feed.watched());
  {
    EventStream stream(feed, clock, 0, true);
    EXPECT_TRUE(feed.watched());
  }
  EXPECT_FALSE(feed.watched());
}

}  // namespace
}  // namespace zonecast
