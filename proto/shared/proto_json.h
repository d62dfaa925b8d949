#pragma once
// JSON of protobuf messages for people and scripts: proto field names in
// declaration order, map keys sorted, and 64-bit integers as exact JSON
// numbers rather than the strings of the proto3 JSON mapping (so that
// `jq '.counters.delivered > 0'` works). Everything else (enum names, base64
// bytes, string escapes) is protobuf's own JSON mapping. Parse it back with
// google::protobuf::util::JsonStringToMessage, which accepts numbers for
// 64-bit fields.
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace zonecast {

struct JsonOptions {
  bool all_fields = true;  // print zero and empty fields too
  bool pretty = false;     // indented, for a person reading curl output
};

std::string ProtoToJson(const google::protobuf::Message& message, JsonOptions options = {});

// Reads a JSON file (a zones file, a keys file) into `message` with
// protobuf's JSON parser, refusing unknown fields. NotFound if `path` is not
// a readable file; InvalidArgument "<what> <path>: <problem>" if it does not
// parse.
absl::Status ReadJsonFile(const std::string& path, absl::string_view what,
                          google::protobuf::Message* message);

// `text` as a JSON string literal, quotes and escapes included.
std::string JsonString(absl::string_view text);

// `object` (a JSON object) with "key": value added as its first member.
std::string JsonWithMember(const std::string& object, absl::string_view key,
                           const std::string& value);

}  // namespace zonecast
