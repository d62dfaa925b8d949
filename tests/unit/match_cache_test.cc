// MatchCache: counters, eviction, cached "no interest" results, and the cache
// in front of a TopicTrie (as the router uses it) with caching on and off.
#include "routing/match_cache.h"

#include <algorithm>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "routing/topic_trie.h"

namespace zonecast {
namespace {

using Ids = std::vector<SessionId>;

MatchResult MakeResult(Ids ids) { return std::make_shared<const Ids>(std::move(ids)); }

// A trie with a cache in front, wired the way the router does it: look up the
// cache; on a miss Match, sort, dedupe and Insert; Invalidate on every
// subscription change.
class CachedMatcher {
 public:
  explicit CachedMatcher(size_t max_entries) : cache_(max_entries) {}

  bool Subscribe(absl::string_view pattern, SessionId id) {
    cache_.Invalidate();
    return trie_.Insert(pattern, id);
  }

  bool Unsubscribe(absl::string_view pattern, SessionId id) {
    cache_.Invalidate();
    return trie_.Remove(pattern, id);
  }

  MatchResult Lookup(absl::string_view topic) {
    if (const MatchResult* hit = cache_.Find(topic)) return *hit;
    MatchResult result = MakeResult(Fresh(topic));
    cache_.Insert(topic, result);
    return result;
  }

  // What Lookup must return: the trie's current answer as a set.
  Ids Fresh(absl::string_view topic) const {
    Ids ids;
    trie_.Match(topic, &ids);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  }

  const MatchCache& cache() const { return cache_; }

 private:
  TopicTrie trie_;
  MatchCache cache_;
};

struct CacheMode {
  const char* name;
  size_t max_entries;
};

void PrintTo(const CacheMode& mode, std::ostream* os) { *os << mode.name; }

class MatchCacheRouterTest : public ::testing::TestWithParam<CacheMode> {
 protected:
  bool cache_on() const { return GetParam().max_entries > 0; }

  CachedMatcher matcher_{GetParam().max_entries};
};

INSTANTIATE_TEST_SUITE_P(CacheOnAndOff, MatchCacheRouterTest,
                         ::testing::Values(CacheMode{"CacheOn", 4096}, CacheMode{"CacheOff", 0}),
                         [](const ::testing::TestParamInfo<CacheMode>& info) {
                           return std::string(info.param.name);
                         });

TEST_P(MatchCacheRouterTest, RepeatedLookupHitsOnlyWithCacheOn) {
  ASSERT_TRUE(matcher_.Subscribe("alert.*.z03", 1));
  MatchResult first = matcher_.Lookup("alert.jincheng.z03");
  MatchResult second = matcher_.Lookup("alert.jincheng.z03");
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(*first, Ids{1});
  EXPECT_EQ(*second, Ids{1});
  if (cache_on()) {
    EXPECT_EQ(first.get(), second.get());  // the shared cached result
    EXPECT_EQ(matcher_.cache().counters().hits, 1u);
    EXPECT_EQ(matcher_.cache().counters().misses, 1u);
    EXPECT_EQ(matcher_.cache().size(), 1u);
  } else {
    EXPECT_EQ(matcher_.cache().counters().hits, 0u);
    EXPECT_EQ(matcher_.cache().counters().misses, 2u);
    EXPECT_EQ(matcher_.cache().size(), 0u);
  }
}

TEST_P(MatchCacheRouterTest, ResultIsSortedAndDeduped) {
  ASSERT_TRUE(matcher_.Subscribe("alert.>", 3));
  ASSERT_TRUE(matcher_.Subscribe("alert.*.z03", 3));
  ASSERT_TRUE(matcher_.Subscribe("alert.jincheng.z03", 1));
  ASSERT_TRUE(matcher_.Subscribe(">", 2));
  EXPECT_EQ(*matcher_.Lookup("alert.jincheng.z03"), (Ids{1, 2, 3}));
  EXPECT_EQ(*matcher_.Lookup("alert.jincheng.z03"), (Ids{1, 2, 3}));
}

TEST_P(MatchCacheRouterTest, SubscribeAfterCachedNoInterestIsSeen) {
  EXPECT_EQ(*matcher_.Lookup("alert.z03"), Ids{});
  EXPECT_EQ(*matcher_.Lookup("alert.z03"), Ids{});
  ASSERT_TRUE(matcher_.Subscribe("alert.>", 1));
  EXPECT_EQ(*matcher_.Lookup("alert.z03"), Ids{1});
  ASSERT_TRUE(matcher_.Unsubscribe("alert.>", 1));
  EXPECT_EQ(*matcher_.Lookup("alert.z03"), Ids{});
  EXPECT_EQ(matcher_.cache().counters().invalidations, cache_on() ? 2u : 0u);
}

TEST_P(MatchCacheRouterTest, ResultsEqualFreshTrieMatchAcrossChurn) {
  std::mt19937 rng(/*seed=*/7341);
  auto uniform = [&rng](size_t lo, size_t hi) {
    return std::uniform_int_distribution<size_t>(lo, hi)(rng);
  };
  const std::vector<std::string> patterns = {"alert.jincheng.z03",
                                             "alert.jincheng.z04",
                                             "alert.*.z03",
                                             "alert.>",
                                             "*.jincheng.*",
                                             "radio.>",
                                             ">",
                                             "*",
                                             "alert",
                                             "radio.ch1"};
  const std::vector<std::string> topics = {
      "alert",     "alert.jincheng.z03", "alert.jincheng.z04", "alert.zhuhai.z03",
      "radio.ch1", "radio.ch2",          "radio.jincheng.z03", "ops.jincheng.x"};

  for (int round = 0; round < 2000; ++round) {
    // Churn rarely, publish often: the case the cache is built for.
    if (uniform(0, 19) == 0) {
      const std::string& pattern = patterns[uniform(0, patterns.size() - 1)];
      SessionId id = uniform(1, 3);
      if (uniform(0, 1) == 0) {
        matcher_.Subscribe(pattern, id);
      } else {
        matcher_.Unsubscribe(pattern, id);
      }
    }
    const std::string& topic = topics[uniform(0, topics.size() - 1)];
    MatchResult result = matcher_.Lookup(topic);
    ASSERT_NE(result, nullptr);
    ASSERT_EQ(*result, matcher_.Fresh(topic)) << "round " << round << " topic " << topic;
  }

  const MatchCache::Counters& counters = matcher_.cache().counters();
  EXPECT_EQ(counters.hits + counters.misses, 2000u);
  EXPECT_EQ(counters.evictions, 0u);
  if (cache_on()) {
    EXPECT_GT(counters.hits, 0u);
    EXPECT_GT(counters.invalidations, 0u);
  } else {
    EXPECT_EQ(counters.hits, 0u);
    EXPECT_EQ(counters.invalidations, 0u);
    EXPECT_EQ(matcher_.cache().size(), 0u);
  }
}

TEST(MatchCacheTest, FindOnEmptyCacheIsMiss) {
  MatchCache cache(16);
  EXPECT_EQ(cache.Find("alert.z03"), nullptr);
  EXPECT_EQ(cache.counters().misses, 1u);
  EXPECT_EQ(cache.counters().hits, 0u);
}

TEST(MatchCacheTest, CountsHitsAndMisses) {
  MatchCache cache(16);
  cache.Insert("alert.z03", MakeResult({1, 2}));
  EXPECT_EQ(cache.size(), 1u);

  const MatchResult* hit = cache.Find("alert.z03");
  ASSERT_NE(hit, nullptr);
  ASSERT_NE(*hit, nullptr);
  EXPECT_EQ(**hit, (Ids{1, 2}));
  ASSERT_NE(cache.Find("alert.z03"), nullptr);
  EXPECT_EQ(cache.Find("alert.z04"), nullptr);
  EXPECT_EQ(cache.Find("alert"), nullptr);

  EXPECT_EQ(cache.counters().hits, 2u);
  EXPECT_EQ(cache.counters().misses, 2u);
  EXPECT_EQ(cache.counters().evictions, 0u);
  EXPECT_EQ(cache.counters().invalidations, 0u);
}

TEST(MatchCacheTest, InsertReplacesExistingEntry) {
  MatchCache cache(16);
  cache.Insert("alert.z03", MakeResult({1}));
  cache.Insert("alert.z03", MakeResult({2}));
  EXPECT_EQ(cache.size(), 1u);
  const MatchResult* hit = cache.Find("alert.z03");
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(**hit, Ids{2});
}

TEST(MatchCacheTest, EmptyResultIsCachedAsHit) {
  MatchCache cache(16);
  cache.Insert("nobody.listens", MakeResult({}));
  const MatchResult* hit = cache.Find("nobody.listens");
  ASSERT_NE(hit, nullptr);
  ASSERT_NE(*hit, nullptr);  // a shared empty vector, not a null result
  EXPECT_TRUE((*hit)->empty());
  EXPECT_EQ(cache.counters().hits, 1u);
  EXPECT_EQ(cache.counters().misses, 0u);
}

TEST(MatchCacheTest, InvalidateCountsOnlyWhenNonEmpty) {
  MatchCache cache(16);
  cache.Invalidate();
  EXPECT_EQ(cache.counters().invalidations, 0u);

  cache.Insert("alert.z03", MakeResult({1}));
  cache.Insert("alert.z04", MakeResult({}));
  cache.Invalidate();
  EXPECT_EQ(cache.counters().invalidations, 1u);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find("alert.z03"), nullptr);
  EXPECT_EQ(cache.Find("alert.z04"), nullptr);

  cache.Invalidate();
  EXPECT_EQ(cache.counters().invalidations, 1u);
  EXPECT_EQ(cache.counters().evictions, 0u);  // clearing is not evicting
}

TEST(MatchCacheTest, EvictsWhenFull) {
  MatchCache cache(8);
  for (int i = 0; i < 20; ++i) {
    const std::string topic = absl::StrCat("alert.z", i);
    cache.Insert(topic, MakeResult({static_cast<SessionId>(i)}));
    EXPECT_LE(cache.size(), 8u) << "after inserting " << topic;
    // The entry just inserted is never the one evicted.
    const MatchResult* hit = cache.Find(topic);
    ASSERT_NE(hit, nullptr) << topic;
    EXPECT_EQ(**hit, Ids{static_cast<SessionId>(i)});
  }
  EXPECT_LE(cache.size(), 8u);
  EXPECT_GT(cache.counters().evictions, 0u);
  // Every inserted entry is either still present or was counted as evicted.
  EXPECT_EQ(cache.size() + cache.counters().evictions, 20u);
  EXPECT_EQ(cache.counters().invalidations, 0u);
}

TEST(MatchCacheTest, SingleEntryCacheKeepsLatest) {
  MatchCache cache(1);
  cache.Insert("a", MakeResult({1}));
  cache.Insert("b", MakeResult({2}));
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.counters().evictions, 1u);
  EXPECT_EQ(cache.Find("a"), nullptr);
  ASSERT_NE(cache.Find("b"), nullptr);
}

TEST(MatchCacheTest, ZeroMaxEntriesDisablesCaching) {
  MatchCache cache(0);
  cache.Insert("alert.z03", MakeResult({1}));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.Find("alert.z03"), nullptr);
  EXPECT_EQ(cache.counters().misses, 1u);
  EXPECT_EQ(cache.counters().hits, 0u);
  EXPECT_EQ(cache.counters().evictions, 0u);
  cache.Invalidate();
  EXPECT_EQ(cache.counters().invalidations, 0u);
}

}  // namespace
}  // namespace zonecast
