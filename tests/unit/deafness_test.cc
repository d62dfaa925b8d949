// The broker's own deafness, judged from how recently its sessions spoke.
#include "routing/deafness.h"

#include <vector>

#include "gtest/gtest.h"

namespace zonecast {
namespace {

constexpr MonoNanos kSecond = 1'000'000'000;

TEST(DeafnessTest, NoGraceWhileTheFreshestTenthWasHeardWithinAPeriod) {
  // 100 sessions: 90 silent for 10 s (a station's network is down), 10
  // heard 0.5 s ago: the broker hears fine, the 90 are really silent.
  std::vector<MonoNanos> silences(90, 10 * kSecond);
  silences.insert(silences.end(), 11, kSecond / 2);
  EXPECT_EQ(DeafnessGrace(silences, kSecond), 0);
}

TEST(DeafnessTest, GraceIsHowFarEvenTheFreshestAreBehind) {
  // Nobody heard for at least 2.5 s: the broker was deaf for 1.5 s more
  // than a period allows, and every session gets that much more time.
  std::vector<MonoNanos> silences;
  for (int i = 0; i < 100; ++i) silences.push_back(5 * kSecond / 2 + i * kSecond / 100);
  const MonoNanos grace = DeafnessGrace(silences, kSecond);
  EXPECT_GE(grace, 3 * kSecond / 2);
  EXPECT_LT(grace, 2 * kSecond);
}

TEST(DeafnessTest, FewSessionsTellNothing) {
  // One dead peer among a few is that peer, even if it is the freshest.
  std::vector<MonoNanos> silences(kMinSessionsToJudgeDeafness - 1, 10 * kSecond);
  EXPECT_EQ(DeafnessGrace(silences, kSecond), 0);
  std::vector<MonoNanos> none;
  EXPECT_EQ(DeafnessGrace(none, kSecond), 0);
}

}  // namespace
}  // namespace zonecast
