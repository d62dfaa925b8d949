// TimerQueue: a min-heap of deadlines; PopDue hands out, earliest first,
// every timer due at `now` and nothing later.
#include "common/timer_queue.h"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class TimerQueueTest : public ::testing::Test {
 protected:
  // PopDue(now) as a list of (key, due).
  std::vector<std::pair<std::string, MonoNanos>> PopDue(MonoNanos now) {
    std::vector<std::pair<std::string, MonoNanos>> popped;
    timers_.PopDue(now,
                   [&](const std::string& key, MonoNanos due) { popped.emplace_back(key, due); });
    return popped;
  }

  TimerQueue<std::string> timers_;
};

TEST_F(TimerQueueTest, EmptyQueueHasNoNextDue) {
  EXPECT_EQ(timers_.NextDue(), INT64_MAX);
  EXPECT_EQ(timers_.size(), 0u);
  EXPECT_TRUE(PopDue(INT64_MAX).empty());
}

TEST_F(TimerQueueTest, PopsInDeadlineOrder) {
  timers_.Schedule(30, "c");
  timers_.Schedule(10, "a");
  timers_.Schedule(20, "b");
  EXPECT_EQ(timers_.NextDue(), 10);
  EXPECT_EQ(timers_.size(), 3u);
  EXPECT_THAT(PopDue(100), ElementsAre(std::make_pair(std::string("a"), MonoNanos{10}),
                                       std::make_pair(std::string("b"), MonoNanos{20}),
                                       std::make_pair(std::string("c"), MonoNanos{30})));
  EXPECT_EQ(timers_.NextDue(), INT64_MAX);
  EXPECT_EQ(timers_.size(), 0u);
}

TEST_F(TimerQueueTest, PopDueOnlyPopsDueEntries) {
  timers_.Schedule(10, "a");
  timers_.Schedule(20, "b");
  timers_.Schedule(30, "c");

  EXPECT_TRUE(PopDue(9).empty());
  EXPECT_EQ(timers_.size(), 3u);

  // Due means due <= now: the boundary is inclusive.
  EXPECT_THAT(PopDue(20), ElementsAre(std::make_pair(std::string("a"), MonoNanos{10}),
                                      std::make_pair(std::string("b"), MonoNanos{20})));
  EXPECT_EQ(timers_.NextDue(), 30);
  EXPECT_EQ(timers_.size(), 1u);

  EXPECT_TRUE(PopDue(29).empty());
  EXPECT_THAT(PopDue(30), ElementsAre(std::make_pair(std::string("c"), MonoNanos{30})));
  EXPECT_EQ(timers_.NextDue(), INT64_MAX);
}

TEST_F(TimerQueueTest, PopDueStopsAtItsLimitEarliestFirst) {
  for (int i = 5; i >= 1; --i)
    timers_.Schedule(i * 10, std::string(1, static_cast<char>('a' + i - 1)));
  std::vector<std::string> keys;
  EXPECT_EQ(timers_.PopDue(
                100, [&](const std::string& key, MonoNanos) { keys.push_back(key); }, 2),
            2u);
  EXPECT_THAT(keys, ElementsAre("a", "b"));
  EXPECT_EQ(timers_.NextDue(), 30) << "the rest stay due";
  EXPECT_EQ(timers_.PopDue(
                100, [&](const std::string& key, MonoNanos) { keys.push_back(key); }, 10),
            3u);
  EXPECT_THAT(keys, ElementsAre("a", "b", "c", "d", "e"));
}

TEST_F(TimerQueueTest, TiesAllPopTogether) {
  timers_.Schedule(50, "x");
  timers_.Schedule(50, "y");
  timers_.Schedule(50, "x");  // duplicates are separate timers (cancellation is lazy)
  timers_.Schedule(60, "z");
  EXPECT_EQ(timers_.NextDue(), 50);
  EXPECT_TRUE(PopDue(49).empty());
  // The order among equal deadlines is not specified.
  EXPECT_THAT(PopDue(50), UnorderedElementsAre(std::make_pair(std::string("x"), MonoNanos{50}),
                                               std::make_pair(std::string("x"), MonoNanos{50}),
                                               std::make_pair(std::string("y"), MonoNanos{50})));
  EXPECT_EQ(timers_.NextDue(), 60);
}

TEST_F(TimerQueueTest, NegativeDeadlinesAreOrderedToo) {
  timers_.Schedule(5, "later");
  timers_.Schedule(-5, "earlier");
  EXPECT_EQ(timers_.NextDue(), -5);
  EXPECT_THAT(PopDue(0), ElementsAre(std::make_pair(std::string("earlier"), MonoNanos{-5})));
}

TEST_F(TimerQueueTest, ScheduleFromInsidePopDue) {
  timers_.Schedule(10, "a");
  std::vector<std::string> popped;
  // A callback that re-arms its timer later than now (as AckTracker does)
  // is not popped again in the same call.
  timers_.PopDue(10, [&](const std::string& key, MonoNanos due) {
    popped.push_back(key);
    timers_.Schedule(due + 5, key + "+");
  });
  EXPECT_THAT(popped, ElementsAre("a"));
  EXPECT_EQ(timers_.NextDue(), 15);
  EXPECT_THAT(PopDue(15), ElementsAre(std::make_pair(std::string("a+"), MonoNanos{15})));
}

TEST_F(TimerQueueTest, RandomScheduleMatchesSortedOrder) {
  std::mt19937_64 rng(20240801);  // seeded: the same sequence every run
  std::uniform_int_distribution<MonoNanos> due_dist(0, 1000);
  std::vector<MonoNanos> dues;
  for (int i = 0; i < 500; ++i) {
    const MonoNanos due = due_dist(rng);
    dues.push_back(due);
    timers_.Schedule(due, std::to_string(i));
  }
  std::sort(dues.begin(), dues.end());
  std::vector<MonoNanos> popped;
  // Drain in a few steps; each step returns exactly the dues <= now, in order.
  for (MonoNanos now : {MonoNanos{100}, MonoNanos{500}, MonoNanos{999}, MonoNanos{1000}}) {
    const size_t before = popped.size();
    timers_.PopDue(now, [&](const std::string&, MonoNanos due) { popped.push_back(due); });
    for (size_t i = before; i < popped.size(); ++i) EXPECT_LE(popped[i], now);
    EXPECT_TRUE(timers_.NextDue() > now);
  }
  EXPECT_EQ(popped, dues);
  EXPECT_EQ(timers_.size(), 0u);
}

}  // namespace
}  // namespace zonecast
