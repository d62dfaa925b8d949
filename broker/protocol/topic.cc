#include "protocol/topic.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace zonecast {
namespace {

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

absl::Status Validate(absl::string_view topic, bool allow_wildcards) {
  const char* what = allow_wildcards ? "pattern" : "topic";
  if (topic.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", what));
  if (topic.size() > kMaxTopicBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " longer than ", kMaxTopicBytes, " bytes"));
  }
  TopicTokens tokens = SplitTopic(topic);
  if (tokens.size() > kMaxTopicTokens) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has more than ", kMaxTopicTokens, " tokens"));
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    absl::string_view token = tokens[i];
    if (token.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " '", topic, "' has an empty token at position ", i + 1));
    }
    if (token == "*" || token == ">") {
      if (!allow_wildcards) {
        return absl::InvalidArgumentError(absl::StrCat("wildcard in topic '", topic, "'"));
      }
      if (token == ">" && i + 1 != tokens.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("'>' must be the last token in pattern '", topic, "'"));
      }
      continue;
    }
    for (char c : token) {
      if (!IsTokenChar(c)) {
        return absl::InvalidArgumentError(absl::StrCat(what, " '", topic, "' token '", token,
                                                       "' has a character outside [a-z0-9_-]"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

TopicTokens SplitTopic(absl::string_view topic) {
  TopicTokens tokens;
  for (absl::string_view token : absl::StrSplit(topic, '.')) tokens.push_back(token);
  return tokens;
}

bool HasWildcard(absl::string_view topic) {
  for (absl::string_view token : absl::StrSplit(topic, '.')) {
    if (token == "*" || token == ">") return true;
  }
  return false;
}

absl::Status ValidateTopic(absl::string_view topic) { return Validate(topic, false); }
absl::Status ValidatePattern(absl::string_view pattern) { return Validate(pattern, true); }

bool PatternMatches(absl::string_view pattern, absl::string_view topic) {
  TopicTokens p = SplitTopic(pattern);
  TopicTokens t = SplitTopic(topic);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == ">") return t.size() > i;  // one or more trailing tokens
    if (i >= t.size()) return false;
    if (p[i] != "*" && p[i] != t[i]) return false;
  }
  return p.size() == t.size();
}

bool PatternCovers(absl::string_view grant, absl::string_view pattern) {
  TopicTokens g = SplitTopic(grant);
  TopicTokens p = SplitTopic(pattern);
  for (size_t i = 0; i < g.size(); ++i) {
    // `>` takes one or more tokens: what the pattern has from here on is one
    // or more tokens of any kind.
    if (g[i] == ">") return p.size() > i;
    if (i >= p.size()) return false;
    // A `>` in the pattern reaches topics of any length; a grant token other
    // than `>` cannot cover it.
    if (p[i] == ">") return false;
    // `*` in the grant takes any one token, literal or `*`; a literal only
    // itself.
    if (g[i] != "*" && g[i] != p[i]) return false;
  }
  return g.size() == p.size();
}

absl::Status ValidateUnitId(absl::string_view unit_id) {
  if (unit_id.size() > kMaxUnitIdBytes || unit_id.find('.') != absl::string_view::npos ||
      !ValidateTopic(unit_id).ok() || HasWildcard(unit_id)) {
    return absl::InvalidArgumentError(absl::StrCat("unit id '", unit_id, "' must be 1-",
                                                   kMaxUnitIdBytes, " characters of [a-z0-9_-]"));
  }
  return absl::OkStatus();
}

absl::string_view TopicFamily(absl::string_view topic) { return topic.substr(0, topic.find('.')); }

bool CityAndZone(absl::string_view topic, std::string* city, std::string* zone) {
  TopicTokens tokens = SplitTopic(topic);
  if (tokens.size() < 3) return false;
  city->assign(tokens[1].data(), tokens[1].size());
  zone->assign(tokens[2].data(), tokens[2].size());
  return true;
}

}  // namespace zonecast
