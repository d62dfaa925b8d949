// DurableSessions: per-terminal subscriptions and settled seqs (a floor plus a
// sparse set above it), and their checkpoint image.
#include "journal/durable_sessions.h"

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

constexpr int64_t kNowMs = 1'700'000'000'000;

// Everything DurableSessions holds, in a comparable shape.
struct UnitImage {
  std::map<std::string, uint64_t> patterns;
  uint64_t floor = 0;
  std::set<uint64_t> settled;
  int64_t last_seen_unix_ms = 0;
  bool operator==(const UnitImage&) const = default;
};
using UnitsImage = std::map<std::string, UnitImage>;

UnitsImage Image(const DurableSessions& units) {
  UnitsImage image;
  units.ForEach([&](const std::string& unit, const DurableSession& state) {
    image[unit] = UnitImage{state.patterns, state.floor, state.settled, state.last_seen_unix_ms};
  });
  return image;
}

class DurableSessionsTest : public ::testing::Test {
 protected:
  // `count` units with a few patterns, a floor and settled seqs above it,
  // from a seeded generator.
  static void Fill(DurableSessions& units, int count, uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < count; ++i) {
      const std::string unit = "jc-z" + std::to_string(i % 10) + "-v" + std::to_string(i);
      const int patterns = 1 + static_cast<int>(rng() % 3);
      for (int p = 0; p < patterns; ++p) {
        units.AddPattern(unit, "alert.jincheng.z0" + std::to_string(p), rng() % 1000,
                         kNowMs + static_cast<int64_t>(rng() % 100000));
      }
      const uint64_t floor = rng() % 500;
      const int settled = static_cast<int>(rng() % 6);
      for (int s = 0; s < settled; ++s) units.Settle(unit, floor + 1 + rng() % 200);
      units.RaiseFloor(unit, floor);
    }
  }

  DurableSessions units_;
};

TEST_F(DurableSessionsTest, AddPatternIsTrueOnlyForANewPattern) {
  EXPECT_EQ(units_.size(), 0u);
  EXPECT_EQ(units_.Find("jc-z03-v01"), nullptr);

  EXPECT_TRUE(units_.AddPattern("jc-z03-v01", "alert.jincheng.z03", 10, kNowMs));
  EXPECT_EQ(units_.size(), 1u);
  // The same pattern again: not new, and its since_seq stays the first one.
  EXPECT_FALSE(units_.AddPattern("jc-z03-v01", "alert.jincheng.z03", 20, kNowMs + 5));
  EXPECT_TRUE(units_.AddPattern("jc-z03-v01", "radio.jincheng.z03.jc-z03-v01", 30, kNowMs + 3));
  // Another unit with the same pattern is a new pattern for that unit.
  EXPECT_TRUE(units_.AddPattern("jc-z03-v02", "alert.jincheng.z03", 40, kNowMs));
  EXPECT_EQ(units_.size(), 2u);

  const DurableSession* unit = units_.Find("jc-z03-v01");
  ASSERT_NE(unit, nullptr);
  EXPECT_THAT(unit->patterns, ElementsAre(Pair("alert.jincheng.z03", 10u),
                                          Pair("radio.jincheng.z03.jc-z03-v01", 30u)));
  // last_seen only moves forward.
  EXPECT_EQ(unit->last_seen_unix_ms, kNowMs + 5);
  EXPECT_EQ(unit->floor, 0u);
  EXPECT_TRUE(unit->settled.empty());
}

TEST_F(DurableSessionsTest, RemovePatternIsTrueOnlyIfItWasThere) {
  ASSERT_TRUE(units_.AddPattern("jc-z03-v01", "alert.jincheng.z03", 10, kNowMs));
  ASSERT_TRUE(units_.AddPattern("jc-z03-v01", "alert.jincheng.z04", 10, kNowMs));

  EXPECT_TRUE(units_.RemovePattern("jc-z03-v01", "alert.jincheng.z03"));
  EXPECT_FALSE(units_.RemovePattern("jc-z03-v01", "alert.jincheng.z03"));
  EXPECT_FALSE(units_.RemovePattern("jc-z03-v01", "alert.jincheng.z05"));
  EXPECT_FALSE(units_.RemovePattern("unknown-unit", "alert.jincheng.z04"));
  EXPECT_EQ(units_.Find("unknown-unit"), nullptr);  // not created by a remove

  EXPECT_TRUE(units_.RemovePattern("jc-z03-v01", "alert.jincheng.z04"));
  // The unit stays (its settled state still matters) with no patterns.
  ASSERT_NE(units_.Find("jc-z03-v01"), nullptr);
  EXPECT_TRUE(units_.Find("jc-z03-v01")->patterns.empty());
  EXPECT_EQ(units_.size(), 1u);
}

TEST_F(DurableSessionsTest, SettleMarksSeqsSettled) {
  ASSERT_TRUE(units_.AddPattern("u", "alert.jincheng.z03", 0, kNowMs));
  units_.Settle("u", 5);
  units_.Settle("u", 7);
  units_.Settle("u", 7);  // idempotent
  const DurableSession* unit = units_.Find("u");
  ASSERT_NE(unit, nullptr);
  EXPECT_TRUE(unit->IsSettled(0));  // at the floor
  EXPECT_FALSE(unit->IsSettled(1));
  EXPECT_FALSE(unit->IsSettled(4));
  EXPECT_TRUE(unit->IsSettled(5));
  EXPECT_FALSE(unit->IsSettled(6));
  EXPECT_TRUE(unit->IsSettled(7));
  EXPECT_FALSE(unit->IsSettled(8));
  EXPECT_THAT(unit->settled, ElementsAre(5u, 7u));
}

TEST_F(DurableSessionsTest, SettleOfAnUnknownUnitIsANoOp) {
  units_.Settle("nobody", 5);
  units_.RaiseFloor("nobody", 9);
  units_.Touch("nobody", kNowMs);
  EXPECT_EQ(units_.size(), 0u);
  EXPECT_EQ(units_.Find("nobody"), nullptr);
}

TEST_F(DurableSessionsTest, RaiseFloorDropsSettledAtOrBelowIt) {
  ASSERT_TRUE(units_.AddPattern("u", "alert.jincheng.z03", 0, kNowMs));
  for (uint64_t seq : {3u, 5u, 7u, 9u}) units_.Settle("u", seq);

  units_.RaiseFloor("u", 5);
  const DurableSession* unit = units_.Find("u");
  ASSERT_NE(unit, nullptr);
  EXPECT_EQ(unit->floor, 5u);
  EXPECT_THAT(unit->settled, ElementsAre(7u, 9u));
  for (uint64_t seq = 0; seq <= 5; ++seq) EXPECT_TRUE(unit->IsSettled(seq)) << seq;
  EXPECT_FALSE(unit->IsSettled(6));
  EXPECT_TRUE(unit->IsSettled(7));
  EXPECT_FALSE(unit->IsSettled(8));
  EXPECT_TRUE(unit->IsSettled(9));
  EXPECT_FALSE(unit->IsSettled(10));

  // Settling at or below the floor adds nothing to the sparse set.
  units_.Settle("u", 4);
  units_.Settle("u", 5);
  EXPECT_THAT(unit->settled, ElementsAre(7u, 9u));

  // Never lowered; the same floor again changes nothing.
  units_.RaiseFloor("u", 2);
  EXPECT_EQ(unit->floor, 5u);
  units_.RaiseFloor("u", 5);
  EXPECT_EQ(unit->floor, 5u);
  EXPECT_THAT(unit->settled, ElementsAre(7u, 9u));

  units_.RaiseFloor("u", 9);
  EXPECT_EQ(unit->floor, 9u);
  EXPECT_TRUE(unit->settled.empty());
  EXPECT_TRUE(unit->IsSettled(8));  // unsettled before, now below the floor
}

TEST_F(DurableSessionsTest, TouchOnlyMovesLastSeenForward) {
  ASSERT_TRUE(units_.AddPattern("u", "alert.jincheng.z03", 0, kNowMs));
  units_.Touch("u", kNowMs + 100);
  EXPECT_EQ(units_.Find("u")->last_seen_unix_ms, kNowMs + 100);
  units_.Touch("u", kNowMs);
  EXPECT_EQ(units_.Find("u")->last_seen_unix_ms, kNowMs + 100);
}

TEST_F(DurableSessionsTest, EraseForgetsTheUnit) {
  ASSERT_TRUE(units_.AddPattern("u", "alert.jincheng.z03", 0, kNowMs));
  ASSERT_TRUE(units_.AddPattern("v", "alert.jincheng.z03", 0, kNowMs));
  units_.Erase("u");
  units_.Erase("unknown");
  EXPECT_EQ(units_.Find("u"), nullptr);
  EXPECT_NE(units_.Find("v"), nullptr);
  EXPECT_EQ(units_.size(), 1u);
  // Added again it starts from nothing.
  EXPECT_TRUE(units_.AddPattern("u", "alert.jincheng.z03", 0, kNowMs));
}

TEST_F(DurableSessionsTest, SaveToLoadFromRoundTrip) {
  ASSERT_TRUE(units_.AddPattern("jc-z03-v01", "alert.jincheng.z03", 10, kNowMs));
  ASSERT_TRUE(units_.AddPattern("jc-z03-v01", "radio.jincheng.z03.jc-z03-v01", 12, kNowMs + 7));
  units_.Settle("jc-z03-v01", 20);
  units_.Settle("jc-z03-v01", 22);
  units_.RaiseFloor("jc-z03-v01", 15);
  ASSERT_TRUE(units_.AddPattern("jc-z04-v01", "alert.jincheng.z04", 0, kNowMs - 9));
  Fill(units_, 20, /*seed=*/1);

  v1::JournalCheckpoint checkpoint;
  units_.SaveTo(&checkpoint);
  EXPECT_EQ(checkpoint.subscriptions_size(), static_cast<int>(units_.size()));
  EXPECT_FALSE(checkpoint.continuation());

  // Through bytes, as the journal stores it.
  std::string bytes;
  ASSERT_TRUE(checkpoint.SerializeToString(&bytes));
  v1::JournalCheckpoint parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));

  DurableSessions loaded;
  loaded.LoadFrom(parsed);
  EXPECT_EQ(Image(loaded), Image(units_));
  const DurableSession* unit = loaded.Find("jc-z03-v01");
  ASSERT_NE(unit, nullptr);
  EXPECT_THAT(unit->patterns, ElementsAre(Pair("alert.jincheng.z03", 10u),
                                          Pair("radio.jincheng.z03.jc-z03-v01", 12u)));
  EXPECT_EQ(unit->floor, 15u);
  EXPECT_THAT(unit->settled, ElementsAre(20u, 22u));
  EXPECT_EQ(unit->last_seen_unix_ms, kNowMs + 7);
}

TEST_F(DurableSessionsTest, EmptyStateRoundTrips) {
  v1::JournalCheckpoint checkpoint;
  units_.SaveTo(&checkpoint);
  EXPECT_EQ(checkpoint.subscriptions_size(), 0);
  DurableSessions loaded;
  ASSERT_TRUE(loaded.AddPattern("stale", "alert.jincheng.z01", 0, kNowMs));
  loaded.LoadFrom(checkpoint);
  EXPECT_EQ(loaded.size(), 0u);
}

TEST_F(DurableSessionsTest, SplitSaveToRoundTripsThroughContinuations) {
  Fill(units_, 200, /*seed=*/7);
  ASSERT_EQ(units_.size(), 200u);
  constexpr size_t kMaxBytes = 512;

  std::vector<v1::JournalCheckpoint> parts;
  units_.SaveTo(&parts, kMaxBytes);
  ASSERT_GT(parts.size(), 1u);

  EXPECT_FALSE(parts[0].continuation());
  std::set<std::string> seen;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      EXPECT_TRUE(parts[i].continuation()) << i;
    }
    ASSERT_GT(parts[i].subscriptions_size(), 0) << i;
    // "At most about max_bytes": a part is only over the limit by its last unit.
    v1::JournalCheckpoint without_last = parts[i];
    without_last.mutable_subscriptions()->RemoveLast();
    EXPECT_LE(without_last.ByteSizeLong(), kMaxBytes) << i;
    for (const v1::JournalUnitSubscriptions& entry : parts[i].subscriptions()) {
      EXPECT_TRUE(seen.insert(entry.unit()).second) << "unit in two parts: " << entry.unit();
    }
  }
  EXPECT_EQ(seen.size(), 200u);

  DurableSessions loaded;
  ASSERT_TRUE(loaded.AddPattern("stale", "alert.jincheng.z01", 0, kNowMs));
  loaded.LoadFrom(parts[0]);  // replaces
  for (size_t i = 1; i < parts.size(); ++i) loaded.LoadFrom(parts[i], /*merge=*/true);
  EXPECT_EQ(loaded.Find("stale"), nullptr);
  EXPECT_EQ(Image(loaded), Image(units_));
}

TEST_F(DurableSessionsTest, SplitSaveToAppendsToACallerFilledFirstPart) {
  Fill(units_, 50, /*seed=*/11);
  std::vector<v1::JournalCheckpoint> parts(1);
  parts[0].set_last_seq(1234);
  parts[0].set_unix_ms(kNowMs);
  units_.SaveTo(&parts, 256);
  ASSERT_GT(parts.size(), 1u);
  EXPECT_EQ(parts[0].last_seq(), 1234u);
  EXPECT_FALSE(parts[0].continuation());
  for (size_t i = 1; i < parts.size(); ++i) EXPECT_TRUE(parts[i].continuation()) << i;

  DurableSessions loaded;
  loaded.LoadFrom(parts[0]);
  for (size_t i = 1; i < parts.size(); ++i) loaded.LoadFrom(parts[i], /*merge=*/true);
  EXPECT_EQ(Image(loaded), Image(units_));
}

TEST_F(DurableSessionsTest, SplitSaveToWithALargeLimitIsOnePart) {
  Fill(units_, 30, /*seed=*/3);
  std::vector<v1::JournalCheckpoint> parts;
  units_.SaveTo(&parts, 1 << 20);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_FALSE(parts[0].continuation());
  v1::JournalCheckpoint single;
  units_.SaveTo(&single);
  EXPECT_EQ(parts[0].subscriptions_size(), single.subscriptions_size());

  std::vector<v1::JournalCheckpoint> empty_parts;
  DurableSessions().SaveTo(&empty_parts, 64);
  ASSERT_EQ(empty_parts.size(), 1u);
  EXPECT_EQ(empty_parts[0].subscriptions_size(), 0);
}

TEST_F(DurableSessionsTest, LoadFromWithoutMergeReplaces) {
  ASSERT_TRUE(units_.AddPattern("old-unit", "alert.jincheng.z01", 1, kNowMs));
  ASSERT_TRUE(units_.AddPattern("both", "alert.jincheng.z01", 1, kNowMs));
  units_.Settle("both", 99);

  DurableSessions other;
  ASSERT_TRUE(other.AddPattern("both", "alert.jincheng.z02", 5, kNowMs + 1));
  ASSERT_TRUE(other.AddPattern("new-unit", "alert.jincheng.z03", 6, kNowMs + 2));
  other.RaiseFloor("both", 3);
  v1::JournalCheckpoint checkpoint;
  other.SaveTo(&checkpoint);

  units_.LoadFrom(checkpoint);
  EXPECT_EQ(Image(units_), Image(other));
  EXPECT_EQ(units_.Find("old-unit"), nullptr);
  ASSERT_NE(units_.Find("both"), nullptr);
  EXPECT_THAT(units_.Find("both")->patterns, ElementsAre(Pair("alert.jincheng.z02", 5u)));
  EXPECT_TRUE(units_.Find("both")->settled.empty());
  EXPECT_EQ(units_.Find("both")->floor, 3u);
}

TEST_F(DurableSessionsTest, LoadFromWithMergeKeepsOtherUnits) {
  ASSERT_TRUE(units_.AddPattern("kept", "alert.jincheng.z01", 1, kNowMs));
  DurableSessions other;
  ASSERT_TRUE(other.AddPattern("added", "alert.jincheng.z03", 6, kNowMs + 2));
  v1::JournalCheckpoint checkpoint;
  other.SaveTo(&checkpoint);
  checkpoint.set_continuation(true);

  units_.LoadFrom(checkpoint, /*merge=*/true);
  EXPECT_EQ(units_.size(), 2u);
  EXPECT_NE(units_.Find("kept"), nullptr);
  ASSERT_NE(units_.Find("added"), nullptr);
  EXPECT_THAT(units_.Find("added")->patterns, ElementsAre(Pair("alert.jincheng.z03", 6u)));
}

TEST_F(DurableSessionsTest, LoadFromToleratesMissingSinceSeqs) {
  // An image whose since_seqs are shorter than its patterns (an older or
  // damaged writer): the missing ones apply from seq 0.
  v1::JournalCheckpoint checkpoint;
  v1::JournalUnitSubscriptions* entry = checkpoint.add_subscriptions();
  entry->set_unit("u");
  entry->add_patterns("alert.jincheng.z01");
  entry->add_patterns("alert.jincheng.z02");
  entry->add_since_seqs(17);
  units_.LoadFrom(checkpoint);
  ASSERT_NE(units_.Find("u"), nullptr);
  EXPECT_THAT(units_.Find("u")->patterns,
              ElementsAre(Pair("alert.jincheng.z01", 17u), Pair("alert.jincheng.z02", 0u)));
}

}  // namespace
}  // namespace zonecast
