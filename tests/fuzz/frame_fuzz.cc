// Fuzz entry point for the bytes a peer controls: a frame body goes through
// DecodeFrame (size limit, protobuf parse, body check), and every topic or
// pattern string it carries through the validators, the trie and the grant
// check (PatternCovers), as the core loop would. Must never crash, hang or leak, whatever the
// input.
#include <cstddef>
#include <cstdint>

#include "protocol/frame_codec.h"
#include "protocol/topic.h"
#include "routing/topic_trie.h"
#include "shared/wire_status.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  zonecast::v1::Frame frame;
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::Status status = zonecast::DecodeFrame(bytes, 65536, &frame);
  if (!status.ok()) {
    // Every rejection carries a wire code.
    if (zonecast::ErrorCodeOf(status) == zonecast::v1::INTERNAL) __builtin_trap();
    return 0;
  }
  zonecast::TopicTrie trie;
  auto exercise = [&trie](const std::string& text) {
    if (zonecast::ValidatePattern(text).ok()) {
      trie.Insert(text, 1);
      std::vector<zonecast::SessionId> out;
      if (zonecast::ValidateTopic(text).ok()) trie.Match(text, &out);
      trie.Remove(text, 1);
    }
  };
  if (frame.has_publish()) exercise(frame.publish().topic());
  if (frame.has_subscribe()) {
    for (const std::string& p : frame.subscribe().patterns()) exercise(p);
    // Grants: a pattern covers itself, and a covered literal topic matches.
    for (const std::string& grant : frame.subscribe().patterns()) {
      if (!zonecast::ValidatePattern(grant).ok()) continue;
      if (!zonecast::PatternCovers(grant, grant)) __builtin_trap();
      for (const std::string& other : frame.subscribe().patterns()) {
        if (!zonecast::ValidatePattern(other).ok() || !zonecast::PatternCovers(grant, other)) {
          continue;
        }
        if (zonecast::ValidateTopic(other).ok() && !zonecast::PatternMatches(grant, other)) {
          __builtin_trap();
        }
      }
    }
  }
  if (trie.node_count() != 0) __builtin_trap();  // removal must prune everything
  (void)zonecast::EncodeFrame(frame);
  return 0;
}
