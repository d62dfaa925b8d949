// Topic and pattern validation, splitting and the reference matcher.
#include "protocol/topic.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

constexpr absl::StatusCode kInvalid = absl::StatusCode::kInvalidArgument;

// "a.a.....a" with `count` tokens.
std::string TopicWithTokens(size_t count) {
  return absl::StrJoin(std::vector<std::string>(count, "a"), ".");
}

TEST(TopicTest, AcceptsLiteralTopics) {
  EXPECT_TRUE(ValidateTopic("alert").ok());
  EXPECT_TRUE(ValidateTopic("alert.jincheng.z03").ok());
  EXPECT_TRUE(ValidateTopic("radio.ch-1.under_score.0123456789").ok());
  EXPECT_TRUE(ValidateTopic("-._").ok());
}

TEST(TopicTest, RejectsEmptyTopic) {
  EXPECT_EQ(ValidateTopic("").code(), kInvalid);
  EXPECT_EQ(ValidatePattern("").code(), kInvalid);
}

TEST(TopicTest, RejectsEmptyTokens) {
  for (const char* topic : {"a..b", ".a", "a.", ".", "..", "a.b."}) {
    SCOPED_TRACE(topic);
    EXPECT_EQ(ValidateTopic(topic).code(), kInvalid);
    EXPECT_EQ(ValidatePattern(topic).code(), kInvalid);
  }
  EXPECT_EQ(ValidatePattern("*..>").code(), kInvalid);
  EXPECT_EQ(ValidatePattern("a.*.").code(), kInvalid);
}

TEST(TopicTest, RejectsCharactersOutsideTokenAlphabet) {
  for (const char* topic : {"Alert", "alert.Z03", "ALERT", "a b", " a", "a ", "a\tb", "caf\xc3\xa9",
                            "\xe5\x91\x8a\xe8\xad\xa6.z03", "a/b", "a,b", "a+b", "a#b", "a:b"}) {
    SCOPED_TRACE(topic);
    EXPECT_EQ(ValidateTopic(topic).code(), kInvalid);
    EXPECT_EQ(ValidatePattern(topic).code(), kInvalid);
  }
}

TEST(TopicTest, RejectsEmbeddedNul) {
  const std::string topic("a\0b", 3);
  EXPECT_EQ(ValidateTopic(topic).code(), kInvalid);
  EXPECT_EQ(ValidatePattern(topic).code(), kInvalid);
}

TEST(TopicTest, WildcardsRejectedInTopicsButAcceptedInPatterns) {
  for (const char* pattern :
       {"*", ">", "alert.*", "alert.>", "*.z03", "alert.*.z03", "*.*.>", "alert.*.>", "*.>"}) {
    SCOPED_TRACE(pattern);
    EXPECT_EQ(ValidateTopic(pattern).code(), kInvalid);
    EXPECT_TRUE(ValidatePattern(pattern).ok());
  }
}

TEST(TopicTest, RejectsTailWildcardNotInLastPosition) {
  for (const char* pattern : {">.a", "a.>.b", ">.>", "a.>.*", ">.*"}) {
    SCOPED_TRACE(pattern);
    EXPECT_EQ(ValidatePattern(pattern).code(), kInvalid);
    EXPECT_EQ(ValidateTopic(pattern).code(), kInvalid);
  }
}

TEST(TopicTest, RejectsWildcardCharactersInsidePartialTokens) {
  // Only a whole token is a wildcard; '*' and '>' are not token characters.
  for (const char* pattern : {"a*", "a>", "*a", ">a", "alert.z*", "alert.z>", "alert.**",
                              "alert.>>", "alert.*>", "a.b*.c"}) {
    SCOPED_TRACE(pattern);
    EXPECT_EQ(ValidatePattern(pattern).code(), kInvalid);
    EXPECT_EQ(ValidateTopic(pattern).code(), kInvalid);
  }
}

TEST(TopicTest, ByteLimitIsInclusive) {
  const std::string at_limit(kMaxTopicBytes, 'a');
  const std::string over_limit(kMaxTopicBytes + 1, 'a');
  EXPECT_TRUE(ValidateTopic(at_limit).ok());
  EXPECT_TRUE(ValidatePattern(at_limit).ok());
  EXPECT_EQ(ValidateTopic(over_limit).code(), kInvalid);
  EXPECT_EQ(ValidatePattern(over_limit).code(), kInvalid);

  // The same with several tokens and a wildcard tail.
  std::string pattern_at_limit = std::string(kMaxTopicBytes - 2, 'b') + ".>";
  ASSERT_EQ(pattern_at_limit.size(), kMaxTopicBytes);
  EXPECT_TRUE(ValidatePattern(pattern_at_limit).ok());
  EXPECT_EQ(ValidatePattern("b" + pattern_at_limit).code(), kInvalid);
}

TEST(TopicTest, TokenCountLimitIsInclusive) {
  EXPECT_TRUE(ValidateTopic(TopicWithTokens(kMaxTopicTokens)).ok());
  EXPECT_TRUE(ValidatePattern(TopicWithTokens(kMaxTopicTokens)).ok());
  EXPECT_EQ(ValidateTopic(TopicWithTokens(kMaxTopicTokens + 1)).code(), kInvalid);
  EXPECT_EQ(ValidatePattern(TopicWithTokens(kMaxTopicTokens + 1)).code(), kInvalid);

  const std::string wildcard_at_limit = TopicWithTokens(kMaxTopicTokens - 1) + ".>";
  EXPECT_TRUE(ValidatePattern(wildcard_at_limit).ok());
  EXPECT_EQ(ValidatePattern("*." + wildcard_at_limit).code(), kInvalid);
}

TEST(TopicTest, SplitTopicKeepsEmptyTokens) {
  TopicTokens tokens = SplitTopic("alert.jincheng.z03");
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0], "alert");
  EXPECT_EQ(tokens[1], "jincheng");
  EXPECT_EQ(tokens[2], "z03");

  tokens = SplitTopic("a..b");
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[1], "");

  EXPECT_EQ(SplitTopic("").size(), 1u);
  EXPECT_EQ(SplitTopic("a").size(), 1u);
}

TEST(TopicTest, HasWildcardOnlyForWholeWildcardTokens) {
  EXPECT_TRUE(HasWildcard("*"));
  EXPECT_TRUE(HasWildcard(">"));
  EXPECT_TRUE(HasWildcard("alert.*.z03"));
  EXPECT_TRUE(HasWildcard("alert.>"));
  EXPECT_TRUE(HasWildcard("*.z03"));

  EXPECT_FALSE(HasWildcard(""));
  EXPECT_FALSE(HasWildcard("alert"));
  EXPECT_FALSE(HasWildcard("alert.jincheng.z03"));
  EXPECT_FALSE(HasWildcard("a*"));
  EXPECT_FALSE(HasWildcard("a>"));
  EXPECT_FALSE(HasWildcard("alert.z*.b"));
  EXPECT_FALSE(HasWildcard("alert.**"));
}

TEST(TopicTest, TopicFamilyIsFirstToken) {
  EXPECT_EQ(TopicFamily("alert.jincheng.z03"), "alert");
  EXPECT_EQ(TopicFamily("radio.ch1"), "radio");
  EXPECT_EQ(TopicFamily("alert"), "alert");
  EXPECT_EQ(TopicFamily("alert.>"), "alert");
  EXPECT_EQ(TopicFamily("*.z03"), "*");
  EXPECT_EQ(TopicFamily(""), "");
}

TEST(TopicTest, PatternMatchesLiteral) {
  EXPECT_TRUE(PatternMatches("alert.jincheng.z03", "alert.jincheng.z03"));
  EXPECT_FALSE(PatternMatches("alert.jincheng.z03", "alert.jincheng.z04"));
  EXPECT_FALSE(PatternMatches("alert.jincheng", "alert.jincheng.z03"));
  EXPECT_FALSE(PatternMatches("alert.jincheng.z03", "alert.jincheng"));
  EXPECT_FALSE(PatternMatches("alert", "alerts"));
}

TEST(TopicTest, PatternMatchesStarInMiddle) {
  EXPECT_TRUE(PatternMatches("alert.*.z03", "alert.jincheng.z03"));
  EXPECT_TRUE(PatternMatches("alert.*.z03", "alert.zhuhai.z03"));
  EXPECT_FALSE(PatternMatches("alert.*.z03", "alert.jincheng.z04"));
  EXPECT_FALSE(PatternMatches("alert.*.z03", "alert.z03"));
  EXPECT_FALSE(PatternMatches("alert.*.z03", "alert.a.b.z03"));
  EXPECT_FALSE(PatternMatches("alert.*.z03", "radio.jincheng.z03"));
}

TEST(TopicTest, PatternMatchesStarIsExactlyOneToken) {
  EXPECT_TRUE(PatternMatches("*", "alert"));
  EXPECT_FALSE(PatternMatches("*", "alert.z03"));
  EXPECT_TRUE(PatternMatches("alert.*", "alert.z03"));
  EXPECT_FALSE(PatternMatches("alert.*", "alert"));
  EXPECT_FALSE(PatternMatches("alert.*", "alert.z03.x"));
  EXPECT_TRUE(PatternMatches("*.*", "a.b"));
  EXPECT_FALSE(PatternMatches("*.*", "a"));
  EXPECT_FALSE(PatternMatches("*.*", "a.b.c"));
}

TEST(TopicTest, PatternMatchesTailNeedsAtLeastOneToken) {
  EXPECT_FALSE(PatternMatches("alert.>", "alert"));
  EXPECT_TRUE(PatternMatches("alert.>", "alert.z03"));
  EXPECT_TRUE(PatternMatches("alert.>", "alert.jincheng.z03"));
  EXPECT_FALSE(PatternMatches("alert.>", "radio.z03"));
  EXPECT_FALSE(PatternMatches("alert.*.>", "alert.jincheng"));
  EXPECT_TRUE(PatternMatches("alert.*.>", "alert.jincheng.z03"));
}

TEST(TopicTest, PatternMatchesBareTailMatchesEveryTopic) {
  EXPECT_TRUE(PatternMatches(">", "a"));
  EXPECT_TRUE(PatternMatches(">", "alert.jincheng.z03"));
  EXPECT_TRUE(PatternMatches(">", TopicWithTokens(kMaxTopicTokens)));
}

TEST(TopicTest, PatternCoversGrantsOfEachShape) {
  EXPECT_TRUE(PatternCovers("alert.jincheng.z03", "alert.jincheng.z03"));
  EXPECT_FALSE(PatternCovers("alert.jincheng.z03", "alert.jincheng.z04"));
  EXPECT_FALSE(PatternCovers("alert.jincheng.z03", "alert.jincheng.*"));
  EXPECT_FALSE(PatternCovers("alert.jincheng.z03", "alert.>"));
  EXPECT_TRUE(PatternCovers("alert.jincheng.*", "alert.jincheng.z03"));
  EXPECT_TRUE(PatternCovers("alert.jincheng.*", "alert.jincheng.*"));
  EXPECT_FALSE(PatternCovers("alert.jincheng.*", "alert.jincheng.>"));
  EXPECT_FALSE(PatternCovers("alert.jincheng.*", "alert.jincheng.z03.x"));
  EXPECT_TRUE(PatternCovers("radio.jincheng.*.v01", "radio.jincheng.z03.v01"));
  EXPECT_FALSE(PatternCovers("radio.jincheng.*.v01", "radio.jincheng.z03.*"));
  EXPECT_TRUE(PatternCovers("probe.>", "probe.canary"));
  EXPECT_TRUE(PatternCovers("probe.>", "probe.>"));
  EXPECT_TRUE(PatternCovers("probe.>", "probe.*.x"));
  EXPECT_FALSE(PatternCovers("probe.>", "probe"));
  EXPECT_FALSE(PatternCovers("probe.>", ">"));
  EXPECT_FALSE(PatternCovers("probe.>", "*.canary"));
  EXPECT_TRUE(PatternCovers(">", ">"));
  EXPECT_TRUE(PatternCovers(">", "alert.*.z03"));
}

// Covers agrees with the matcher: over every topic of a small alphabet, a
// covered pattern matches nothing its grant does not, and an uncovered one
// matches at least one topic the grant does not (or the grant is narrower
// in a way the topics of this alphabet show).
TEST(TopicTest, PatternCoversAgreesWithMatching) {
  const std::vector<std::string> tokens = {"a", "b", "*", ">"};
  // Every string of up to `max_length` tokens from the first `alphabet` of
  // `tokens`.
  auto all = [&](size_t alphabet, size_t max_length) {
    std::vector<std::string> out;
    for (size_t length = 1; length <= max_length; ++length) {
      std::vector<size_t> digits(length, 0);
      while (true) {
        std::vector<std::string> parts;
        for (size_t d : digits) parts.push_back(tokens[d]);
        out.push_back(absl::StrJoin(parts, "."));
        size_t i = 0;
        while (i < length && ++digits[i] == alphabet) digits[i++] = 0;
        if (i == length) break;
      }
    }
    return out;
  };
  std::vector<std::string> patterns;
  for (const std::string& pattern : all(tokens.size(), 3)) {
    if (ValidatePattern(pattern).ok()) patterns.push_back(pattern);
  }
  // Literal topics one token longer than any pattern, so `>` shows its reach.
  const std::vector<std::string> topics = all(2, 4);
  for (const std::string& grant : patterns) {
    for (const std::string& pattern : patterns) {
      bool escapes = false;
      for (const std::string& topic : topics) {
        escapes = escapes || (PatternMatches(pattern, topic) && !PatternMatches(grant, topic));
      }
      EXPECT_EQ(PatternCovers(grant, pattern), !escapes) << grant << " covers " << pattern;
    }
  }
}

}  // namespace
}  // namespace zonecast
