#pragma once
// Topics and subscription patterns (ARCHITECTURE.md "Topics").
//
// A topic is dot-separated tokens, each `[a-z0-9_-]+`: "alert.jincheng.z03".
// A pattern may also use NATS-style wildcards as whole tokens: `*` matches
// exactly one token, `>` matches one or more trailing tokens and must be last.
// Publish topics are always literal.
#include <cstddef>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace zonecast {

inline constexpr size_t kMaxTopicBytes = 256;
inline constexpr size_t kMaxTopicTokens = 16;

// Tokens of a topic or pattern; views into the caller's string. Inline up to
// eight tokens, so splitting common topics does not allocate.
using TopicTokens = absl::InlinedVector<absl::string_view, 8>;

// Splits on '.' without validating. "a..b" yields an empty middle token.
TopicTokens SplitTopic(absl::string_view topic);

// True if any token is exactly `*` or `>`.
bool HasWildcard(absl::string_view topic);

// OK for a valid literal topic. InvalidArgument (with a message naming the
// problem and the offending token) for an empty topic, an empty token, a
// character outside [a-z0-9_-], a wildcard, or a topic over the size limits.
absl::Status ValidateTopic(absl::string_view topic);

// Like ValidateTopic but also accepts `*` tokens anywhere and a `>` token in
// the last position.
absl::Status ValidatePattern(absl::string_view pattern);

// True if literal `topic` matches `pattern`. Both must be valid. A direct
// token-by-token walk, used by tests as the reference matcher.
bool PatternMatches(absl::string_view pattern, absl::string_view topic);

// True if every topic `pattern` matches is matched by `grant` too (a
// permission check: may a session holding `grant` subscribe to `pattern`?).
// Both must be valid patterns. "alert.jincheng.*" covers "alert.jincheng.z03"
// and itself but not "alert.>"; ">" covers everything.
bool PatternCovers(absl::string_view grant, absl::string_view pattern);

// Unit ids (and the names of identities) become topic tokens
// (radio.<city>.<zone>.<unit>, sys.presence.<unit>), so they obey the token
// rules. InvalidArgument otherwise.
inline constexpr size_t kMaxUnitIdBytes = 64;
absl::Status ValidateUnitId(absl::string_view unit_id);

// The first token ("alert", "radio", ...): the topic's family.
absl::string_view TopicFamily(absl::string_view topic);

// Splits "alert.<city>.<zone>" (or radio.<city>.<zone>.<unit>, ack., dlq.)
// into city and zone. False if the topic has fewer than three tokens.
bool CityAndZone(absl::string_view topic, std::string* city, std::string* zone);

}  // namespace zonecast
