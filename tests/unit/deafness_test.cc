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

TEST(DeafSpellsTest, AfterTheBrokerWasDeafEverySessionGetsTheSpellMoreForAWhile) {
  // The soak's case: input not drained from 30.4 s to 33.1 s (routing a
  // backlog after a stalled disk); a live terminal last heard at 30.1 s,
  // its frames late behind the spell, must not be dropped at 33.2 s with
  // dead_after 3 s; a dead one still is, a spell later.
  constexpr MonoNanos kDeadAfter = 3 * kSecond;
  DeafSpells spells;
  EXPECT_EQ(spells.Grace(33 * kSecond, kDeadAfter), 0) << "no spell yet";
  spells.OnDrained(0, 30'400'000'000, kSecond);  // the first drained turn: no spell
  EXPECT_EQ(spells.Grace(31 * kSecond, kDeadAfter), 0);
  spells.OnDrained(30'400'000'000, 30'600'000'000, kSecond);  // within a period: none
  EXPECT_EQ(spells.Grace(31 * kSecond, kDeadAfter), 0);
  spells.OnDrained(30'600'000'000, 33'100'000'000, kSecond);  // 2.5 s deaf
  const MonoNanos grace = spells.Grace(33'200'000'000, kDeadAfter);
  EXPECT_EQ(grace, 2'500'000'000);
  const MonoNanos silence = 33'200'000'000 - 30'100'000'000;
  EXPECT_GT(silence, kDeadAfter) << "without the grace the live terminal would be dropped";
  EXPECT_LE(silence, kDeadAfter + grace);
  // Long after the spell, the grace is gone: a silent peer is dropped.
  EXPECT_EQ(spells.Grace(33'100'000'000 + kDeadAfter + grace, kDeadAfter), 0);
  EXPECT_EQ(spells.Grace(40 * kSecond, kDeadAfter), 0);
}

}  // namespace
}  // namespace zonecast
