#pragma once
// JSON of protobuf messages for people and scripts: proto field names, and
// 64-bit integers as JSON numbers rather than the strings of the proto3
// JSON mapping (so `jq '.counters.delivered > 0'` works). Integers above
// 2^53 would lose precision as numbers; counters and seqs stay far below.
#include <string>

#include "google/protobuf/message.h"
#include "google/protobuf/struct.pb.h"

namespace zonecast {

struct JsonOptions {
  bool all_fields = true;  // print zero and empty fields too
  bool pretty = false;     // indented, for a person reading curl output
};

google::protobuf::Struct ProtoToStruct(const google::protobuf::Message& message,
                                       bool all_fields = true);
std::string ProtoToJson(const google::protobuf::Message& message, JsonOptions options = {});

}  // namespace zonecast
