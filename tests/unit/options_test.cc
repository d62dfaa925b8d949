// BrokerOptions::Validate: the defaults are valid; each bad value is
// InvalidArgument naming the flag that sets it.
#include "core/options.h"

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace zonecast {
namespace {

using ::testing::HasSubstr;

class BrokerOptionsTest : public ::testing::Test {
 protected:
  // Defaults with one change; expects InvalidArgument whose message names `flag`.
  static void ExpectInvalid(const std::function<void(BrokerOptions&)>& change,
                            const std::string& flag) {
    BrokerOptions options;
    change(options);
    const absl::Status status = options.Validate();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << flag << ": " << status;
    EXPECT_THAT(status.message(), HasSubstr(flag)) << status;
  }
  static absl::Status ValidateWith(const std::function<void(BrokerOptions&)>& change) {
    BrokerOptions options;
    change(options);
    return options.Validate();
  }
};

TEST_F(BrokerOptionsTest, DefaultsValidate) {
  BrokerOptions options;
  EXPECT_TRUE(options.Validate().ok()) << options.Validate();
}

TEST_F(BrokerOptionsTest, AcceptsEveryZeroMqScheme) {
  for (const std::string listen :
       {"tcp://127.0.0.1:*", "tcp://0.0.0.0:7400", "ipc:///tmp/zonecast.sock", "inproc://core"}) {
    // --insecure: beyond loopback needs keys otherwise (see below).
    EXPECT_TRUE(ValidateWith([&](BrokerOptions& o) {
                  o.listen = listen;
                  o.insecure = true;
                }).ok())
        << listen;
  }
}

TEST_F(BrokerOptionsTest, RejectsABadListenScheme) {
  for (const std::string listen : {"127.0.0.1:7400", "http://127.0.0.1:7400", "", "TCP://x:1"}) {
    ExpectInvalid([&](BrokerOptions& o) { o.listen = listen; }, "--listen");
  }
}

TEST_F(BrokerOptionsTest, RejectsHeartbeatOutOfRange) {
  ExpectInvalid([](BrokerOptions& o) { o.heartbeat_ms = 5; }, "--heartbeat_ms");
  ExpectInvalid([](BrokerOptions& o) { o.heartbeat_ms = 600'001; }, "--heartbeat_ms");
  EXPECT_TRUE(ValidateWith([](BrokerOptions& o) { o.heartbeat_ms = 10; }).ok());
  EXPECT_TRUE(ValidateWith([](BrokerOptions& o) { o.heartbeat_ms = 600'000; }).ok());
  ExpectInvalid([](BrokerOptions& o) { o.heartbeat_misses = 0; }, "--heartbeat_misses");
  ExpectInvalid([](BrokerOptions& o) { o.heartbeat_misses = 101; }, "--heartbeat_misses");
}

TEST_F(BrokerOptionsTest, RejectsMaxFrameBytesOutOfRange) {
  ExpectInvalid([](BrokerOptions& o) { o.max_frame_bytes = 9u << 20; }, "--max_frame_bytes");
  ExpectInvalid([](BrokerOptions& o) { o.max_frame_bytes = 255; }, "--max_frame_bytes");
  EXPECT_TRUE(ValidateWith([](BrokerOptions& o) { o.max_frame_bytes = 256; }).ok());
}

TEST_F(BrokerOptionsTest, MaxFrameBytesUpToItsDocumentedLimitValidates) {
  // --max_frame_bytes is documented (in Validate's own message) as within
  // [256, 8 MiB], and main.cc sets only max_frame_bytes, never
  // transport_max_bytes (default 4 MiB).
  const absl::Status status = ValidateWith([](BrokerOptions& o) { o.max_frame_bytes = 8u << 20; });
  if (!status.ok()) {
    FAIL() << "Regression of a fixed bug: --max_frame_bytes in (4 MiB, 8 MiB] is rejected with '"
           << status.message()
           << "': transport_max_bytes stays at its 4 MiB default (main.cc never sets "
              "it), so the documented range [256, 8 MiB] is really [256, 4 MiB]";
  }
  EXPECT_TRUE(status.ok()) << status;
}

TEST_F(BrokerOptionsTest, RejectsSessionQueueLimits) {
  ExpectInvalid([](BrokerOptions& o) { o.queue_limits.soft_messages = 1; },
                "--session_queue_messages");
  EXPECT_TRUE(ValidateWith([](BrokerOptions& o) { o.queue_limits.soft_messages = 2; }).ok());
  ExpectInvalid([](BrokerOptions& o) { o.queue_limits.soft_bytes = 0; }, "--session_queue_bytes");
  ExpectInvalid([](BrokerOptions& o) { o.queue_limits.hard_bytes = o.queue_limits.soft_bytes - 1; },
                "--session_queue_hard_bytes");
  ExpectInvalid([](BrokerOptions& o) { o.pipe_hwm = 0; }, "--pipe_hwm");
  ExpectInvalid([](BrokerOptions& o) { o.read_batch = 0; }, "--read_batch");
  ExpectInvalid([](BrokerOptions& o) { o.fanout_per_turn = 0; }, "--fanout_per_turn");
  ExpectInvalid([](BrokerOptions& o) { o.redelivery.jitter = 1.5; }, "--redelivery_jitter");
  ExpectInvalid([](BrokerOptions& o) { o.redelivery.per_session_per_pass = 0; },
                "--redeliveries_per_session_per_turn");
}

TEST_F(BrokerOptionsTest, RejectsJournalSizes) {
  ExpectInvalid([](BrokerOptions& o) { o.journal.segment_bytes = 1u << 10; }, "--segment_bytes");
  EXPECT_TRUE(ValidateWith([](BrokerOptions& o) {
                o.journal.segment_bytes = 64u << 10;
                o.journal.retention_bytes = 64u << 10;
              }).ok());
  ExpectInvalid([](BrokerOptions& o) { o.journal.retention_bytes = o.journal.segment_bytes - 1; },
                "--retention_bytes");
  ExpectInvalid([](BrokerOptions& o) { o.journal.retention_age = absl::ZeroDuration(); },
                "--retention_hours");
  ExpectInvalid([](BrokerOptions& o) { o.journal.dedup_window = absl::Seconds(-1); },
                "--dedup_window");
  EXPECT_TRUE(
      ValidateWith([](BrokerOptions& o) { o.journal.dedup_window = absl::ZeroDuration(); }).ok());
}

TEST_F(BrokerOptionsTest, RejectsRedeliveryPolicy) {
  for (size_t i = 0; i < 4; ++i) {
    ExpectInvalid([&](BrokerOptions& o) { o.redelivery.ack_wait[i] = absl::ZeroDuration(); },
                  "--ack_wait");
  }
  ExpectInvalid([](BrokerOptions& o) { o.redelivery.ack_wait[3] = absl::Seconds(-1); },
                "--ack_wait");
  ExpectInvalid([](BrokerOptions& o) { o.redelivery.backoff[2] = absl::ZeroDuration(); },
                "--redelivery_backoff");
  ExpectInvalid([](BrokerOptions& o) { o.redelivery.max_deliveries = 0; }, "--max_deliveries");
  EXPECT_TRUE(ValidateWith([](BrokerOptions& o) { o.redelivery.max_deliveries = 1; }).ok());
}

TEST_F(BrokerOptionsTest, RejectsZeroSessionExpiry) {
  ExpectInvalid([](BrokerOptions& o) { o.session_expiry = absl::ZeroDuration(); },
                "--session_expiry");
  ExpectInvalid([](BrokerOptions& o) { o.session_expiry = absl::Seconds(-1); }, "--session_expiry");
}

TEST_F(BrokerOptionsTest, LoopbackEndpointsAreThoseOfThisMachine) {
  EXPECT_TRUE(IsLoopbackEndpoint("tcp://127.0.0.1:7400"));
  EXPECT_TRUE(IsLoopbackEndpoint("tcp://127.0.0.1:*"));
  EXPECT_TRUE(IsLoopbackEndpoint("tcp://localhost:7400"));
  EXPECT_TRUE(IsLoopbackEndpoint("tcp://[::1]:7400"));
  EXPECT_TRUE(IsLoopbackEndpoint("ipc:///run/zonecast.sock"));
  EXPECT_FALSE(IsLoopbackEndpoint("tcp://0.0.0.0:7400"));
  EXPECT_FALSE(IsLoopbackEndpoint("tcp://*:7400"));
  EXPECT_FALSE(IsLoopbackEndpoint("tcp://eth0:7400"));
  EXPECT_FALSE(IsLoopbackEndpoint("tcp://10.0.0.5:7400"));
  EXPECT_FALSE(IsLoopbackEndpoint("tcp://127.0.0.1.example.org:7400"));
}

TEST_F(BrokerOptionsTest, BeyondLoopbackNeedsKeysOrInsecure) {
  ExpectInvalid([](BrokerOptions& o) { o.listen = "tcp://0.0.0.0:7400"; }, "--keys_file");
  EXPECT_TRUE(ValidateWith([](BrokerOptions& o) {
                o.listen = "tcp://0.0.0.0:7400";
                o.insecure = true;
              }).ok());
  EXPECT_TRUE(ValidateWith([](BrokerOptions& o) {
                o.listen = "tcp://0.0.0.0:7400";
                o.keys_file = "/etc/zonecast/keys.json";
                o.key_file = "/etc/zonecast/broker.key";
              }).ok());
}

TEST_F(BrokerOptionsTest, DispatchEndpointIsCheckedLikeTheMainOne) {
  EXPECT_TRUE(
      ValidateWith([](BrokerOptions& o) { o.dispatch_listen = "tcp://127.0.0.1:7401"; }).ok());
  ExpectInvalid([](BrokerOptions& o) { o.dispatch_listen = "127.0.0.1:7401"; },
                "--dispatch_listen");
  ExpectInvalid([](BrokerOptions& o) { o.dispatch_listen = "tcp://0.0.0.0:7401"; },
                "--dispatch_listen");
  EXPECT_TRUE(ValidateWith([](BrokerOptions& o) {
                o.dispatch_listen = "tcp://0.0.0.0:7401";
                o.keys_file = "/etc/zonecast/keys.json";
                o.key_file = "/etc/zonecast/broker.key";
              }).ok());
}

TEST_F(BrokerOptionsTest, RejectsTransportThreadsAndBacklogOutOfRange) {
  ExpectInvalid([](BrokerOptions& o) { o.io_threads = 0; }, "--io_threads");
  ExpectInvalid([](BrokerOptions& o) { o.io_threads = 17; }, "--io_threads");
  ExpectInvalid([](BrokerOptions& o) { o.listen_backlog = 0; }, "--listen_backlog");
}

TEST_F(BrokerOptionsTest, KeysFileNeedsTheBrokersKey) {
  ExpectInvalid([](BrokerOptions& o) { o.keys_file = "/etc/zonecast/keys.json"; }, "--key_file");
  ExpectInvalid([](BrokerOptions& o) { o.key_file = "/etc/zonecast/broker.key"; }, "--keys_file");
}

}  // namespace
}  // namespace zonecast
