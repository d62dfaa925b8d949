// TopicTrie: literal and wildcard matching, duplicate handling, pruning on
// removal, and a differential test against the reference matcher.
#include "routing/topic_trie.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "protocol/topic.h"

namespace zonecast {
namespace {

class TopicTrieTest : public ::testing::Test {
 protected:
  // Sorted ids matching `topic`, one per matching subscription (not deduped).
  std::vector<SessionId> Match(absl::string_view topic) const {
    std::vector<SessionId> ids;
    trie_.Match(topic, &ids);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  TopicTrie trie_;
};

using Ids = std::vector<SessionId>;

TEST_F(TopicTrieTest, EmptyTrieMatchesNothing) {
  EXPECT_EQ(Match("alert.jincheng.z03"), Ids{});
  EXPECT_EQ(trie_.node_count(), 0u);
  EXPECT_EQ(trie_.subscription_count(), 0u);
}

TEST_F(TopicTrieTest, LiteralPatternMatchesOnlyThatTopic) {
  ASSERT_TRUE(trie_.Insert("alert.jincheng.z03", 1));
  EXPECT_EQ(Match("alert.jincheng.z03"), Ids{1});
  EXPECT_EQ(Match("alert.jincheng.z04"), Ids{});
  EXPECT_EQ(Match("alert.jincheng"), Ids{});
  EXPECT_EQ(Match("alert.jincheng.z03.x"), Ids{});
  EXPECT_EQ(Match("alert"), Ids{});
  EXPECT_EQ(trie_.node_count(), 3u);
  EXPECT_EQ(trie_.subscription_count(), 1u);
}

TEST_F(TopicTrieTest, PrefixAndLongerLiteralsAreDistinct) {
  ASSERT_TRUE(trie_.Insert("alert", 1));
  ASSERT_TRUE(trie_.Insert("alert.z03", 2));
  EXPECT_EQ(Match("alert"), Ids{1});
  EXPECT_EQ(Match("alert.z03"), Ids{2});
}

TEST_F(TopicTrieTest, StarMatchesExactlyOneToken) {
  ASSERT_TRUE(trie_.Insert("alert.*.z03", 1));
  ASSERT_TRUE(trie_.Insert("alert.*", 2));
  EXPECT_EQ(Match("alert.jincheng.z03"), Ids{1});
  EXPECT_EQ(Match("alert.zhuhai.z03"), Ids{1});
  EXPECT_EQ(Match("alert.jincheng.z04"), Ids{});
  EXPECT_EQ(Match("alert.z03"), Ids{2});
  EXPECT_EQ(Match("alert"), Ids{});
  EXPECT_EQ(Match("alert.a.b.z03"), Ids{});
}

TEST_F(TopicTrieTest, BareStarMatchesSingleTokenTopics) {
  ASSERT_TRUE(trie_.Insert("*", 1));
  EXPECT_EQ(Match("alert"), Ids{1});
  EXPECT_EQ(Match("alert.z03"), Ids{});
}

TEST_F(TopicTrieTest, TailMatchesOneOrMoreTrailingTokens) {
  ASSERT_TRUE(trie_.Insert("alert.>", 1));
  EXPECT_EQ(Match("alert"), Ids{});
  EXPECT_EQ(Match("alert.z03"), Ids{1});
  EXPECT_EQ(Match("alert.jincheng.z03"), Ids{1});
  EXPECT_EQ(Match("radio.z03"), Ids{});
}

TEST_F(TopicTrieTest, BareTailMatchesEveryTopic) {
  ASSERT_TRUE(trie_.Insert(">", 7));
  EXPECT_EQ(Match("a"), Ids{7});
  EXPECT_EQ(Match("alert.jincheng.z03"), Ids{7});
}

TEST_F(TopicTrieTest, StarThenTail) {
  ASSERT_TRUE(trie_.Insert("alert.*.>", 1));
  EXPECT_EQ(Match("alert.jincheng"), Ids{});
  EXPECT_EQ(Match("alert.jincheng.z03"), Ids{1});
  EXPECT_EQ(Match("alert.jincheng.z03.x"), Ids{1});
}

TEST_F(TopicTrieTest, OverlappingPatternsGiveOneEntryPerMatchingPattern) {
  ASSERT_TRUE(trie_.Insert("alert.jincheng.z03", 1));
  ASSERT_TRUE(trie_.Insert("alert.*.z03", 1));
  ASSERT_TRUE(trie_.Insert("alert.>", 1));
  ASSERT_TRUE(trie_.Insert(">", 1));
  ASSERT_TRUE(trie_.Insert("*.jincheng.*", 2));
  ASSERT_TRUE(trie_.Insert("alert.jincheng.z04", 3));
  EXPECT_EQ(Match("alert.jincheng.z03"), (Ids{1, 1, 1, 1, 2}));
  EXPECT_EQ(Match("alert.jincheng.z04"), (Ids{1, 1, 2, 3}));
  EXPECT_EQ(Match("radio.jincheng.z03"), (Ids{1, 2}));
  EXPECT_EQ(Match("alert"), (Ids{1}));
}

TEST_F(TopicTrieTest, MatchAppendsToExistingOutput) {
  ASSERT_TRUE(trie_.Insert("alert.>", 5));
  std::vector<SessionId> out = {42};
  trie_.Match("alert.z03", &out);
  EXPECT_EQ(out, (Ids{42, 5}));
}

TEST_F(TopicTrieTest, DuplicateInsertReturnsFalse) {
  ASSERT_TRUE(trie_.Insert("alert.*.z03", 1));
  EXPECT_FALSE(trie_.Insert("alert.*.z03", 1));
  EXPECT_EQ(trie_.subscription_count(), 1u);
  EXPECT_EQ(trie_.node_count(), 3u);
  EXPECT_EQ(Match("alert.jincheng.z03"), Ids{1});

  // A different id on the same pattern is a new subscription.
  EXPECT_TRUE(trie_.Insert("alert.*.z03", 2));
  EXPECT_EQ(trie_.subscription_count(), 2u);
  EXPECT_EQ(Match("alert.jincheng.z03"), (Ids{1, 2}));
}

TEST_F(TopicTrieTest, RemoveOfAbsentReturnsFalse) {
  EXPECT_FALSE(trie_.Remove("alert.z03", 1));
  ASSERT_TRUE(trie_.Insert("alert.z03", 1));
  EXPECT_FALSE(trie_.Remove("alert.z03", 2));    // wrong id
  EXPECT_FALSE(trie_.Remove("alert", 1));        // interior node, no subscription
  EXPECT_FALSE(trie_.Remove("alert.z03.x", 1));  // past a leaf
  EXPECT_FALSE(trie_.Remove("alert.*", 1));      // absent star child
  EXPECT_FALSE(trie_.Remove("alert.>", 1));      // absent tail child
  EXPECT_FALSE(trie_.Remove("radio.z03", 1));    // absent literal child
  EXPECT_EQ(trie_.subscription_count(), 1u);
  EXPECT_EQ(trie_.node_count(), 2u);
  EXPECT_EQ(Match("alert.z03"), Ids{1});

  EXPECT_TRUE(trie_.Remove("alert.z03", 1));
  EXPECT_FALSE(trie_.Remove("alert.z03", 1));  // already removed
}

TEST_F(TopicTrieTest, RemovePrunesEmptyNodes) {
  // Like nats' TestSublistRemoveCleanup: after removing every subscription the
  // trie holds no nodes at all.
  const std::vector<std::string> patterns = {"alert.jincheng.z03",
                                             "alert.jincheng.z04",
                                             "alert.*.z03",
                                             "alert.>",
                                             ">",
                                             "*",
                                             "*.*.*",
                                             "radio.ch1",
                                             "alert",
                                             "alert.jincheng"};
  for (SessionId id : {1, 2, 3}) {
    for (const std::string& pattern : patterns) ASSERT_TRUE(trie_.Insert(pattern, id));
  }
  EXPECT_EQ(trie_.subscription_count(), 3 * patterns.size());
  EXPECT_GT(trie_.node_count(), 0u);

  for (SessionId id : {2, 1, 3}) {
    for (const std::string& pattern : patterns) ASSERT_TRUE(trie_.Remove(pattern, id)) << pattern;
  }
  EXPECT_EQ(trie_.subscription_count(), 0u);
  EXPECT_EQ(trie_.node_count(), 0u);
  EXPECT_EQ(Match("alert.jincheng.z03"), Ids{});
}

TEST_F(TopicTrieTest, RemoveLeafPrunesOnlyUnsharedNodes) {
  ASSERT_TRUE(trie_.Insert("alert.jincheng.z03", 1));
  ASSERT_TRUE(trie_.Insert("alert.jincheng", 1));
  ASSERT_TRUE(trie_.Insert("alert.zhuhai.z01", 1));
  EXPECT_EQ(trie_.node_count(), 5u);  // alert, jincheng, z03, zhuhai, z01

  ASSERT_TRUE(trie_.Remove("alert.jincheng.z03", 1));
  EXPECT_EQ(trie_.node_count(), 4u);  // z03 pruned; jincheng still subscribed
  EXPECT_EQ(Match("alert.jincheng"), Ids{1});

  ASSERT_TRUE(trie_.Remove("alert.zhuhai.z01", 1));
  EXPECT_EQ(trie_.node_count(), 2u);  // zhuhai and z01 pruned

  ASSERT_TRUE(trie_.Remove("alert.jincheng", 1));
  EXPECT_EQ(trie_.node_count(), 0u);
}

TEST_F(TopicTrieTest, RemoveInteriorSubscriptionKeepsChildren) {
  ASSERT_TRUE(trie_.Insert("alert", 1));
  ASSERT_TRUE(trie_.Insert("alert.z03", 2));
  ASSERT_TRUE(trie_.Remove("alert", 1));
  EXPECT_EQ(trie_.node_count(), 2u);
  EXPECT_EQ(Match("alert"), Ids{});
  EXPECT_EQ(Match("alert.z03"), Ids{2});
}

TEST_F(TopicTrieTest, RemovingOneOfTwoSubscribersKeepsTheOther) {
  ASSERT_TRUE(trie_.Insert("alert.*.z03", 1));
  ASSERT_TRUE(trie_.Insert("alert.*.z03", 2));
  ASSERT_TRUE(trie_.Insert("alert.>", 1));
  ASSERT_TRUE(trie_.Insert("alert.>", 2));
  const size_t nodes = trie_.node_count();

  ASSERT_TRUE(trie_.Remove("alert.*.z03", 1));
  ASSERT_TRUE(trie_.Remove("alert.>", 2));
  EXPECT_EQ(trie_.node_count(), nodes);
  EXPECT_EQ(trie_.subscription_count(), 2u);
  EXPECT_EQ(Match("alert.jincheng.z03"), (Ids{1, 2}));
  EXPECT_EQ(Match("alert.jincheng.z04"), Ids{1});
}

// Random topics and patterns over a tiny alphabet, so overlaps are frequent.
class RandomTopicGenerator {
 public:
  explicit RandomTopicGenerator(uint32_t seed) : rng_(seed) {}

  std::string RandomTopic() {
    std::vector<std::string> tokens(Uniform(1, 5));
    for (std::string& token : tokens) token = kAlphabet[Uniform(0, kAlphabet.size() - 1)];
    return absl::StrJoin(tokens, ".");
  }

  std::string RandomPattern() {
    std::vector<std::string> tokens(Uniform(1, 5));
    for (std::string& token : tokens) {
      token = Uniform(0, 3) == 0 ? "*" : kAlphabet[Uniform(0, kAlphabet.size() - 1)];
    }
    if (Uniform(0, 3) == 0) tokens.back() = ">";
    return absl::StrJoin(tokens, ".");
  }

  size_t Uniform(size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>(lo, hi)(rng_);
  }

 private:
  static inline const std::vector<std::string> kAlphabet = {"a", "b", "c", "z03"};
  std::mt19937 rng_;
};

// Nodes a trie holding exactly `subscriptions` should have: one per distinct
// token prefix of a pattern.
size_t ExpectedNodeCount(const std::set<std::pair<std::string, SessionId>>& subscriptions) {
  std::set<std::string> prefixes;
  for (const auto& [pattern, id] : subscriptions) {
    for (size_t dot = pattern.find('.'); dot != std::string::npos;
         dot = pattern.find('.', dot + 1)) {
      prefixes.insert(pattern.substr(0, dot));
    }
    prefixes.insert(pattern);
  }
  return prefixes.size();
}

TEST_F(TopicTrieTest, MatchesBruteForceUnderRandomChurn) {
  RandomTopicGenerator gen(/*seed=*/20240611);
  std::set<std::pair<std::string, SessionId>> model;
  constexpr int kBatches = 20;
  constexpr int kOpsPerBatch = 200;
  constexpr int kTopicsPerCheck = 300;

  for (int batch = 0; batch < kBatches; ++batch) {
    for (int op = 0; op < kOpsPerBatch; ++op) {
      // Bias toward inserting early and removing late, so the trie grows and
      // then shrinks through a range of sizes.
      const bool insert = gen.Uniform(0, 9) < (batch < kBatches / 2 ? 7u : 3u);
      if (insert || model.empty()) {
        std::string pattern = gen.RandomPattern();
        ASSERT_TRUE(ValidatePattern(pattern).ok()) << pattern;
        SessionId id = gen.Uniform(1, 4);
        bool fresh = model.emplace(pattern, id).second;
        ASSERT_EQ(trie_.Insert(pattern, id), fresh) << pattern << " " << id;
      } else if (gen.Uniform(0, 3) == 0) {
        // Remove a random (probably absent) pair.
        std::string pattern = gen.RandomPattern();
        SessionId id = gen.Uniform(1, 4);
        bool present = model.erase({pattern, id}) > 0;
        ASSERT_EQ(trie_.Remove(pattern, id), present) << pattern << " " << id;
      } else {
        // Remove a present pair.
        auto it = std::next(model.begin(), gen.Uniform(0, model.size() - 1));
        ASSERT_TRUE(trie_.Remove(it->first, it->second)) << it->first << " " << it->second;
        model.erase(it);
      }
    }
    ASSERT_EQ(trie_.subscription_count(), model.size());
    ASSERT_EQ(trie_.node_count(), ExpectedNodeCount(model)) << "batch " << batch;

    for (int check = 0; check < kTopicsPerCheck; ++check) {
      std::string topic = gen.RandomTopic();
      std::vector<SessionId> expected;
      for (const auto& [pattern, id] : model) {
        if (PatternMatches(pattern, topic)) expected.push_back(id);
      }
      std::sort(expected.begin(), expected.end());
      ASSERT_EQ(Match(topic), expected) << "batch " << batch << " topic " << topic;
    }
  }

  // Drain what is left; the trie must be empty again.
  for (const auto& [pattern, id] : model) ASSERT_TRUE(trie_.Remove(pattern, id)) << pattern;
  EXPECT_EQ(trie_.subscription_count(), 0u);
  EXPECT_EQ(trie_.node_count(), 0u);
}

}  // namespace
}  // namespace zonecast
