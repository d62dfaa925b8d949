// DedupWindow: alert ids with the seq of their first publish, forgotten
// once older than the window.
#include "journal/dedup_window.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace zonecast {
namespace {

constexpr int64_t kStartMs = 1'700'000'000'000;

class DedupWindowTest : public ::testing::Test {
 protected:
  DedupWindowTest() : window_(absl::Minutes(10)) {}

  static constexpr int64_t kWindowMs = 10 * 60 * 1000;
  DedupWindow window_;
};

TEST_F(DedupWindowTest, EmptyFindsNothing) {
  EXPECT_EQ(window_.Find("A-1"), nullptr);
  EXPECT_EQ(window_.size(), 0u);
}

TEST_F(DedupWindowTest, InsertThenFind) {
  window_.Insert("A-1", 7, kStartMs, 0);
  window_.Insert("A-2", 8, kStartMs + 5, 0x5eed);
  ASSERT_NE(window_.Find("A-1"), nullptr);
  EXPECT_EQ(window_.Find("A-1")->fingerprint, 0u);
  EXPECT_EQ(window_.Find("A-2")->fingerprint, 0x5eedu);
  EXPECT_EQ(window_.Find("A-1")->seq, 7u);
  EXPECT_EQ(window_.Find("A-1")->unix_ms, kStartMs);
  ASSERT_NE(window_.Find("A-2"), nullptr);
  EXPECT_EQ(window_.Find("A-2")->seq, 8u);
  EXPECT_EQ(window_.Find("A-3"), nullptr);
  EXPECT_EQ(window_.Find("a-1"), nullptr);  // ids are case-sensitive
  EXPECT_EQ(window_.size(), 2u);
}

TEST_F(DedupWindowTest, FirstInsertWins) {
  window_.Insert("A-1", 7, kStartMs, 0);
  window_.Insert("A-1", 9, kStartMs + 1000, 0);
  ASSERT_NE(window_.Find("A-1"), nullptr);
  EXPECT_EQ(window_.Find("A-1")->seq, 7u);
  EXPECT_EQ(window_.Find("A-1")->unix_ms, kStartMs);
  EXPECT_EQ(window_.size(), 1u);
  // It expires with the first insert's time, not the repeat's.
  window_.Expire(kStartMs + kWindowMs + 1);
  EXPECT_EQ(window_.Find("A-1"), nullptr);
}

TEST_F(DedupWindowTest, EmptyAlertIdIsNotRecorded) {
  window_.Insert("", 1, kStartMs, 0);
  EXPECT_EQ(window_.size(), 0u);
  EXPECT_EQ(window_.Find(""), nullptr);
}

TEST_F(DedupWindowTest, ExpireAtTheWindowBoundary) {
  window_.Insert("old", 1, kStartMs, 0);
  window_.Insert("newer", 2, kStartMs + 1, 0);
  // Exactly `window` old: still inside.
  window_.Expire(kStartMs + kWindowMs);
  EXPECT_NE(window_.Find("old"), nullptr);
  EXPECT_EQ(window_.size(), 2u);
  // One millisecond more: gone; the newer one stays.
  window_.Expire(kStartMs + kWindowMs + 1);
  EXPECT_EQ(window_.Find("old"), nullptr);
  ASSERT_NE(window_.Find("newer"), nullptr);
  EXPECT_EQ(window_.size(), 1u);
  window_.Expire(kStartMs + kWindowMs + 2);
  EXPECT_EQ(window_.size(), 0u);
  // Expiring an empty window, or going back in time, is harmless.
  window_.Expire(kStartMs);
  EXPECT_EQ(window_.size(), 0u);
}

TEST_F(DedupWindowTest, ExpiredIdCanBeInsertedAgain) {
  window_.Insert("A-1", 1, kStartMs, 0);
  window_.Expire(kStartMs + kWindowMs + 1);
  ASSERT_EQ(window_.Find("A-1"), nullptr);
  window_.Insert("A-1", 50, kStartMs + kWindowMs + 1, 0);
  ASSERT_NE(window_.Find("A-1"), nullptr);
  EXPECT_EQ(window_.Find("A-1")->seq, 50u);
  // The old time-queue entry must not expire the new one early.
  window_.Expire(kStartMs + kWindowMs + 2);
  ASSERT_NE(window_.Find("A-1"), nullptr);
  EXPECT_EQ(window_.Find("A-1")->seq, 50u);
}

TEST_F(DedupWindowTest, ExpireForgetsOutOfOrderInsertions) {
  // Journal::Open inserts the dedup entries of a checkpoint in hash-map
  // order, so times do not arrive sorted.
  window_.Insert("young", 1, kStartMs + kWindowMs, 0);
  window_.Insert("old", 2, kStartMs, 0);
  window_.Expire(kStartMs + kWindowMs + 1);
  EXPECT_NE(window_.Find("young"), nullptr);
  if (window_.Find("old") != nullptr) {
    FAIL()
        << "Regression of a fixed bug: DedupWindow::Expire stops at the first young entry of its "
           "insertion-ordered queue, so an id inserted after a younger one outlives "
           "the window (up to another window); Journal::Open inserts checkpoint "
           "entries in flat_hash_map order (BuildCheckpoint uses ForEach), so after a "
           "restart a re-sent alert id older than --dedup_window can still be "
           "answered as a duplicate and not routed";
  }
  EXPECT_EQ(window_.size(), 1u);
}

TEST_F(DedupWindowTest, ClearForgetsEverything) {
  for (int i = 0; i < 100; ++i) window_.Insert("A-" + std::to_string(i), i + 1, kStartMs + i, 0);
  EXPECT_EQ(window_.size(), 100u);
  window_.Clear();
  EXPECT_EQ(window_.size(), 0u);
  EXPECT_EQ(window_.Find("A-0"), nullptr);
  // Nothing stale is left in the time queue either.
  window_.Insert("A-0", 500, kStartMs + kWindowMs + 100, 0);
  window_.Expire(kStartMs + kWindowMs + 50);
  ASSERT_NE(window_.Find("A-0"), nullptr);
  EXPECT_EQ(window_.Find("A-0")->seq, 500u);
}

TEST_F(DedupWindowTest, ForEachVisitsEveryEntry) {
  window_.Insert("A-1", 1, kStartMs, 0);
  window_.Insert("A-2", 2, kStartMs + 1, 0);
  std::map<std::string, uint64_t> seen;
  window_.ForEach([&](const std::string& id, const DedupWindow::Entry& e) { seen[id] = e.seq; });
  EXPECT_EQ(seen, (std::map<std::string, uint64_t>{{"A-1", 1}, {"A-2", 2}}));
}

TEST_F(DedupWindowTest, EraseSeqsForgetsExactlyThatRange) {
  for (uint64_t seq = 1; seq <= 6; ++seq) {
    window_.Insert("A-" + std::to_string(seq), seq, kStartMs + static_cast<int64_t>(seq), 0);
  }
  window_.Insert("late", 7, kStartMs - 100, 0);  // a straggler, older than the rest
  window_.EraseSeqs(3, 4);
  window_.EraseSeqs(7, 7);
  for (uint64_t seq = 1; seq <= 6; ++seq) {
    const bool lost = seq == 3 || seq == 4;
    EXPECT_EQ(window_.Find("A-" + std::to_string(seq)) == nullptr, lost) << seq;
  }
  EXPECT_EQ(window_.Find("late"), nullptr);
  EXPECT_EQ(window_.size(), 4u);
  // What is left still expires in time order.
  window_.Expire(kStartMs + kWindowMs + 2);
  EXPECT_EQ(window_.size(), 3u);
  EXPECT_EQ(window_.Find("A-1"), nullptr);
}

}  // namespace
}  // namespace zonecast
