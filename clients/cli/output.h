#pragma once
// What the CLI prints: one-line JSON of protobuf messages, of the broker's
// answer to a publish and of delivered messages, and a human-readable line
// for a delivered message.
#include <string>

#include "google/protobuf/message.h"
#include "zonecast/client.h"

namespace zonecast::cli {

// One-line JSON of a message with proto field names and every field, also
// zero ones (a PubAck's "seq":0 says "not durable"); 64-bit integers are
// printed as JSON numbers (not strings) so that `jq .seq` compares numbers.
std::string ToJsonLine(const google::protobuf::Message& message, bool all_fields = true);

// The broker's answer to a publish as one JSON line: seq (0: not stored),
// alert_id, durable, duplicate, recipients.
std::string PublishResultJson(const PublishResult& result);

// One flat JSON object for a delivered message: the event's own fields (alert_id,
// title, ... or unit, kind, ...) plus seq, topic, priority, delivery_count,
// publisher, sent_unix_ms, broker_unix_ms and "event" (alert, radio, ack,
// session, canary).
std::string DeliveryJson(const Message& deliver);

// One human-readable line for a delivered message.
std::string DeliveryText(const Message& deliver);

}  // namespace zonecast::cli
