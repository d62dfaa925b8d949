#include "protocol/frame_codec.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/message_differencer.h"
#include "shared/wire_status.h"
#include "zonecast/domain.pb.h"
#include "zonecast/wire.pb.h"

namespace zonecast {
namespace {

constexpr size_t kLimit = 1 << 20;

std::string Bytes(const zmq::message_t& message) {
  return std::string(static_cast<const char*>(message.data()), message.size());
}

// One frame of every body type, each with its fields set to non-defaults.
std::vector<v1::Frame> OneFrameOfEveryType() {
  std::vector<v1::Frame> frames;
  {
    v1::Frame frame;
    v1::Hello* hello = frame.mutable_hello();
    hello->set_protocol_version(1);
    hello->set_role(v1::TERMINAL);
    hello->set_unit_id("jc-z03-v12");
    hello->set_patrol_group("jc-pg03");
    hello->set_zone("jincheng.z03");
    hello->set_client_name("libzonecast/1.0");
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    v1::Welcome* welcome = frame.mutable_welcome();
    welcome->set_protocol_version(1);
    welcome->set_session_id("s-42");
    welcome->set_heartbeat_ms(1000);
    welcome->set_heartbeat_misses(3);
    welcome->set_last_seq(123456789);
    welcome->set_max_frame_bytes(65536);
    welcome->set_broker_id("zc-1");
    welcome->set_unit_id("jc-z03-v12");
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    frame.mutable_subscribe()->set_request_id(7);
    frame.mutable_subscribe()->add_patterns("alert.jincheng.*");
    frame.mutable_subscribe()->add_patterns("probe.>");
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    frame.mutable_unsubscribe()->set_request_id(8);
    frame.mutable_unsubscribe()->add_patterns("probe.>");
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    frame.mutable_subscribed()->set_request_id(9);
    frame.mutable_subscribed()->add_patterns("alert.jincheng.*");
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    v1::Publish* publish = frame.mutable_publish();
    publish->set_request_id(10);
    publish->set_topic("alert.jincheng.z03");
    publish->set_priority(v1::P1);
    publish->set_sent_unix_ms(1700000000000);
    v1::Alert* alert = publish->mutable_event()->mutable_alert();
    alert->set_alert_id("a-1");
    alert->set_topic("alert.jincheng.z03");
    alert->set_priority(v1::P1);
    alert->set_category("suicide_risk");
    alert->set_title("Lanhua bridge");
    alert->set_body("Person on the railing, north side.");
    alert->mutable_location()->set_lat(30.66);
    alert->mutable_location()->set_lon(104.08);
    alert->mutable_location()->set_address("Lanhua bridge");
    alert->set_created_unix_ms(1700000000000);
    alert->set_expires_unix_ms(1700000600000);
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    v1::PubAck* pub_ack = frame.mutable_pub_ack();
    pub_ack->set_request_id(10);
    pub_ack->set_seq(99);
    pub_ack->set_alert_id("a-1");
    pub_ack->set_durable(true);
    pub_ack->set_duplicate(true);
    pub_ack->set_recipients(4);
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    v1::Deliver* deliver = frame.mutable_deliver();
    deliver->set_seq(99);
    deliver->set_topic("radio.jincheng.z03.jc-z03-v12");
    deliver->set_priority(v1::P4);
    deliver->set_delivery_count(2);
    deliver->set_publisher("jc-z03-v12");
    deliver->set_sent_unix_ms(1700000000000);
    deliver->set_broker_unix_ms(1700000000001);
    v1::RadioEvent* radio = deliver->mutable_event()->mutable_radio();
    radio->set_unit("jc-z03-v12");
    radio->set_kind(v1::RadioEvent::POSITION);
    radio->mutable_position()->set_lat(30.5);
    radio->set_speed_mps(12.5);
    radio->set_heading_deg(270);
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    v1::AckFrame* ack = frame.mutable_ack();
    ack->set_seq(99);
    ack->set_alert_id("a-1");
    ack->set_level(v1::EN_ROUTE);
    ack->set_text("two minutes out");
    ack->set_topic("alert.jincheng.z03");
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    frame.mutable_heartbeat()->set_unix_ms(1700000000000);
    frames.push_back(frame);
  }
  { frames.push_back(MakeErrorFrame(v1::INVALID_TOPIC, "bad topic", 11)); }
  {
    v1::Frame frame;
    frame.mutable_stats_request()->set_request_id(12);
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    v1::StatsReply* reply = frame.mutable_stats_reply();
    reply->set_request_id(12);
    (*reply->mutable_counters())["frames_sent"] = 1000;
    (*reply->mutable_gauges())["queued_bytes"] = -1;
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    frame.mutable_goodbye()->set_reason("shutdown");
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    v1::HistoryRequest* request = frame.mutable_history_request();
    request->set_request_id(8);
    request->set_pattern("alert.jincheng.*");
    request->set_since_seq(40);
    request->set_since_unix_ms(1700000000000);
    request->set_limit(50);
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    v1::HistoryReply* reply = frame.mutable_history_reply();
    reply->set_request_id(8);
    v1::Deliver* deliver = reply->add_messages();
    deliver->set_seq(41);
    deliver->set_topic("alert.jincheng.z03");
    deliver->mutable_event()->mutable_alert()->set_alert_id("lanhua-1");
    reply->set_done(true);
    reply->set_next_seq(90);
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    frame.mutable_timeline_request()->set_request_id(9);
    frame.mutable_timeline_request()->set_alert_id("lanhua-1");
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    v1::TimelineReply* reply = frame.mutable_timeline_reply();
    reply->set_request_id(9);
    reply->set_found(true);
    reply->mutable_timeline()->set_seq(41);
    reply->mutable_timeline()->set_state("accepted");
    v1::TimelineEntry* entry = reply->mutable_timeline()->add_entries();
    entry->set_kind(v1::TimelineEntry::ACK);
    entry->set_unit("jc-z03-v12");
    entry->set_level(v1::ACCEPTED);
    frames.push_back(frame);
  }
  {
    v1::Frame frame;
    for (const char* unit : {"jc-z03-v12", "jc-z03-v14"}) {
      v1::Deliver* deliver = frame.mutable_deliveries()->add_delivers();
      deliver->set_topic("ack.jincheng.z03");
      deliver->mutable_event()->mutable_ack()->set_alert_id("lanhua-1");
      deliver->mutable_event()->mutable_ack()->set_unit(unit);
      deliver->mutable_event()->mutable_ack()->set_level(v1::RECEIVED);
    }
    frames.push_back(frame);
  }
  return frames;
}

// The bytes of a small, valid Hello frame.
std::string HelloBytes() {
  v1::Frame frame;
  frame.mutable_hello()->set_protocol_version(1);
  frame.mutable_hello()->set_role(v1::TERMINAL);
  frame.mutable_hello()->set_unit_id("jc-z03-v12");
  return Bytes(EncodeFrame(frame));
}

class FrameCodecTest : public ::testing::Test {};

TEST_F(FrameCodecTest, EveryFrameTypeRoundTrips) {
  const std::vector<v1::Frame> frames = OneFrameOfEveryType();
  // One per member of the body oneof, so a new frame type fails here until it is added.
  ASSERT_EQ(frames.size(),
            static_cast<size_t>(v1::Frame::descriptor()->oneof_decl(0)->field_count()));
  std::vector<bool> seen(32, false);
  for (const v1::Frame& frame : frames) {
    SCOPED_TRACE(frame.ShortDebugString());
    ASSERT_NE(frame.body_case(), v1::Frame::BODY_NOT_SET);
    EXPECT_FALSE(seen[frame.body_case()]) << "two frames of the same type";
    seen[frame.body_case()] = true;

    const zmq::message_t encoded = EncodeFrame(frame);
    EXPECT_EQ(encoded.size(), frame.ByteSizeLong());
    const std::string bytes = Bytes(encoded);

    v1::Frame decoded;
    ASSERT_TRUE(DecodeFrame(bytes, kLimit, &decoded).ok());
    EXPECT_EQ(decoded.body_case(), frame.body_case());
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(decoded, frame))
        << decoded.ShortDebugString();
  }
}

TEST_F(FrameCodecTest, DecodeReplacesPreviousContents) {
  v1::Frame frame;
  frame.mutable_goodbye()->set_reason("old");
  v1::Frame heartbeat;
  heartbeat.mutable_heartbeat()->set_unix_ms(5);

  ASSERT_TRUE(DecodeFrame(Bytes(EncodeFrame(heartbeat)), kLimit, &frame).ok());
  EXPECT_EQ(frame.body_case(), v1::Frame::kHeartbeat);
  EXPECT_EQ(frame.heartbeat().unix_ms(), 5);
}

TEST_F(FrameCodecTest, FrameExactlyAtLimitIsAccepted) {
  const std::string bytes = HelloBytes();
  v1::Frame frame;
  const absl::Status status = DecodeFrame(bytes, bytes.size(), &frame);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(frame.hello().unit_id(), "jc-z03-v12");
}

TEST_F(FrameCodecTest, FrameOneByteOverLimitIsTooLarge) {
  const std::string bytes = HelloBytes();
  v1::Frame frame;
  const absl::Status status = DecodeFrame(bytes, bytes.size() - 1, &frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorCodeOf(status), v1::FRAME_TOO_LARGE);
}

TEST_F(FrameCodecTest, SizeLimitIsCheckedBeforeParsing) {
  // Garbage over the limit is reported as too large, not as malformed.
  const std::string garbage(64, '\xff');
  v1::Frame frame;
  const absl::Status status = DecodeFrame(garbage, 63, &frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrorCodeOf(status), v1::FRAME_TOO_LARGE);
}

TEST_F(FrameCodecTest, GarbageBytesAreMalformed) {
  v1::Frame frame;
  const absl::Status status = DecodeFrame("\xff\xff\xff\xff", kLimit, &frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeOf(status), v1::MALFORMED_FRAME);
}

TEST_F(FrameCodecTest, TruncatedFrameIsMalformed) {
  const std::string bytes = HelloBytes();
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    SCOPED_TRACE(cut);
    v1::Frame frame;
    const absl::Status status =
        DecodeFrame(absl::string_view(bytes).substr(0, bytes.size() - cut), kLimit, &frame);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(ErrorCodeOf(status), v1::MALFORMED_FRAME);
  }
}

TEST_F(FrameCodecTest, EmptyInputIsUnknownFrameType) {
  v1::Frame frame;
  const absl::Status status = DecodeFrame("", kLimit, &frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeOf(status), v1::UNKNOWN_FRAME_TYPE);
}

TEST_F(FrameCodecTest, OnlyUnknownFieldIsUnknownFrameType) {
  // Field 99, wire type 0 (varint): tag (99 << 3) | 0 = 792 = varint 0x98 0x06; value 1.
  const std::string bytes("\x98\x06\x01", 3);
  v1::Frame frame;
  const absl::Status status = DecodeFrame(bytes, kLimit, &frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeOf(status), v1::UNKNOWN_FRAME_TYPE);
}

TEST_F(FrameCodecTest, InvalidUtf8InStringFieldIsMalformed) {
  // Frame.hello (field 1, length 4) { unit_id (field 3, length 2): 0xff 0xfe }.
  const std::string bytes("\x0a\x04\x1a\x02\xff\xfe", 6);
  google::protobuf::LogSilencer silence_utf8_error;
  v1::Frame frame;
  const absl::Status status = DecodeFrame(bytes, kLimit, &frame);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorCodeOf(status), v1::MALFORMED_FRAME);
}

TEST_F(FrameCodecTest, ValidUtf8InStringFieldIsAccepted) {
  // The same frame with "é" (0xc3 0xa9) as unit_id: the check above is about UTF-8, not bytes.
  const std::string bytes("\x0a\x04\x1a\x02\xc3\xa9", 6);
  v1::Frame frame;
  ASSERT_TRUE(DecodeFrame(bytes, kLimit, &frame).ok());
  EXPECT_EQ(frame.hello().unit_id(), "\xc3\xa9");
}

TEST_F(FrameCodecTest, RandomBytesNeverCrashAndMapToKnownCodes) {
  google::protobuf::LogSilencer silence_utf8_errors;
  std::mt19937 rng(20240517);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<size_t> length(0, 48);
  constexpr size_t kRandomLimit = 40;  // so that some inputs are over the limit
  int ok = 0;
  int malformed = 0;
  int unknown = 0;
  int too_large = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string bytes(length(rng), '\0');
    for (char& c : bytes) c = static_cast<char>(byte(rng));
    v1::Frame frame;
    const absl::Status status = DecodeFrame(bytes, kRandomLimit, &frame);
    switch (ErrorCodeOf(status)) {
      case v1::ERROR_CODE_UNSPECIFIED:
        ASSERT_TRUE(status.ok());
        ASSERT_NE(frame.body_case(), v1::Frame::BODY_NOT_SET);
        ++ok;
        break;
      case v1::MALFORMED_FRAME:
        ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
        ++malformed;
        break;
      case v1::UNKNOWN_FRAME_TYPE:
        ASSERT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
        ++unknown;
        break;
      case v1::FRAME_TOO_LARGE:
        ASSERT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
        ASSERT_GT(bytes.size(), kRandomLimit);
        ++too_large;
        break;
      default:
        FAIL() << "iteration " << i << ": unexpected status " << status;
    }
  }
  EXPECT_EQ(ok + malformed + unknown + too_large, 10000);
  EXPECT_GT(malformed, 0);
  EXPECT_GT(too_large, 0);
}

TEST_F(FrameCodecTest, MakeErrorFrameSetsAllFields) {
  const v1::Frame frame = MakeErrorFrame(v1::PERMISSION_DENIED, "only the center may", 42);
  ASSERT_EQ(frame.body_case(), v1::Frame::kError);
  EXPECT_EQ(frame.error().code(), v1::PERMISSION_DENIED);
  EXPECT_EQ(frame.error().text(), "only the center may");
  EXPECT_EQ(frame.error().request_id(), 42u);
}

TEST_F(FrameCodecTest, MakeErrorFrameRoundTrips) {
  const v1::Frame frame = MakeErrorFrame(v1::HELLO_REQUIRED, "say hello first", 0);
  v1::Frame decoded;
  ASSERT_TRUE(DecodeFrame(Bytes(EncodeFrame(frame)), kLimit, &decoded).ok());
  ASSERT_EQ(decoded.body_case(), v1::Frame::kError);
  EXPECT_EQ(decoded.error().code(), v1::HELLO_REQUIRED);
  EXPECT_EQ(decoded.error().text(), "say hello first");
  EXPECT_EQ(decoded.error().request_id(), 0u);
}

class ProtocolErrorTest : public ::testing::Test {};

TEST_F(ProtocolErrorTest, OkStatusHasUnspecifiedCode) {
  EXPECT_EQ(ErrorCodeOf(absl::OkStatus()), v1::ERROR_CODE_UNSPECIFIED);
}

TEST_F(ProtocolErrorTest, StatusWithoutPayloadIsInternal) {
  EXPECT_EQ(ErrorCodeOf(absl::InternalError("boom")), v1::INTERNAL);
  EXPECT_EQ(ErrorCodeOf(absl::InvalidArgumentError("plain")), v1::INTERNAL);
}

TEST_F(ProtocolErrorTest, CodeSurvivesAndMapsToCanonicalCode) {
  struct Case {
    v1::ErrorCode code;
    absl::StatusCode canonical;
  };
  const Case cases[] = {
      {v1::MALFORMED_FRAME, absl::StatusCode::kInvalidArgument},
      {v1::UNKNOWN_FRAME_TYPE, absl::StatusCode::kInvalidArgument},
      {v1::FRAME_TOO_LARGE, absl::StatusCode::kResourceExhausted},
      {v1::HELLO_REQUIRED, absl::StatusCode::kFailedPrecondition},
      {v1::INVALID_TOPIC, absl::StatusCode::kInvalidArgument},
      {v1::WILDCARD_IN_PUBLISH, absl::StatusCode::kInvalidArgument},
      {v1::PERMISSION_DENIED, absl::StatusCode::kPermissionDenied},
      {v1::UNSUPPORTED_VERSION, absl::StatusCode::kInvalidArgument},
      {v1::INVALID_ARGUMENT, absl::StatusCode::kInvalidArgument},
      {v1::STORAGE_UNAVAILABLE, absl::StatusCode::kUnavailable},
      {v1::SESSION_TAKEN_OVER, absl::StatusCode::kFailedPrecondition},
      {v1::TOO_MANY_SUBSCRIPTIONS, absl::StatusCode::kResourceExhausted},
      {v1::INTERNAL, absl::StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(v1::ErrorCode_Name(c.code));
    const absl::Status status = ProtocolError(c.code, "text");
    EXPECT_EQ(status.code(), c.canonical);
    EXPECT_EQ(status.message(), "text");
    EXPECT_EQ(ErrorCodeOf(status), c.code);
  }
}

}  // namespace
}  // namespace zonecast
