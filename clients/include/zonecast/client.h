#pragma once
// libzonecast: the C++ client of the zonecast broker, used by the center's
// consoles, patrol terminals and monitoring probes.
//
//   zonecast::ClientOptions options;
//   options.broker = "tcp://127.0.0.1:7400";
//   options.role = zonecast::v1::TERMINAL;
//   options.unit_id = "jc-z03-v12";
//   options.patrol_group = "jc-pg03";
//   auto client = zonecast::Client::Connect(options);      // Hello -> Welcome
//   (*client)->Subscribe({"alert.jincheng.z03"});
//   while (true) {
//     auto frame = (*client)->Next(absl::Seconds(1));       // Deliver, PubAck, Error
//     ...
//   }
//
// The library answers every Deliver with an automatic RECEIVED ack (ARCHITECTURE.md
// contract 5), beats heartbeats while the caller is inside a call, notices a
// silent or restarted broker, and then says Hello again and re-subscribes by
// itself.
//
// A Client is not thread-safe: use it from one thread. It owns its ZeroMQ
// context and socket.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "zonecast/domain.pb.h"
#include "zonecast/version.h"
#include "zonecast/wire.pb.h"

namespace zonecast {

struct ClientOptions {
  std::string broker = "tcp://127.0.0.1:7400";
  v1::Role role = v1::TERMINAL;
  std::string unit_id;  // required for terminals; [a-z0-9_-]
  std::string patrol_group;
  std::string zone;
  std::string client_name = std::string("libzonecast/") + kVersion;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(5);
  // Send RECEIVED for every Deliver as it arrives. Only tests of redelivery
  // turn this off.
  bool auto_received = true;
};

class Client {
 public:
  // Connects and completes the Hello/Welcome handshake.
  // Unavailable if the broker does not answer within connect_timeout;
  // InvalidArgument/FailedPrecondition etc. if it answers with an Error.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  ~Client();  // says Goodbye
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Adds subscriptions and waits until the broker has them, so a publish
  // made after this returns is matched against them. Errors as the broker
  // reports them (INVALID_TOPIC -> InvalidArgument), or DeadlineExceeded.
  absl::Status Subscribe(const std::vector<std::string>& patterns);
  absl::Status Unsubscribe(const std::vector<std::string>& patterns);

  // Publishes and waits for the PubAck (for durable topics: the message is
  // on disk). Sets request_id and sent_unix_ms. Errors as reported by the
  // broker (PERMISSION_DENIED -> PermissionDenied, ...), DeadlineExceeded if
  // no answer within request_timeout: then retry with the same alert id.
  absl::StatusOr<v1::PubAck> Publish(v1::Publish publish);

  // Sends a publish and returns its request id at once; its PubAck or Error
  // arrives later through Next(). For windows of outstanding publishes.
  absl::StatusOr<uint64_t> PublishAsync(v1::Publish publish);

  // Sends a publish that asks for no PubAck (position streams).
  absl::Status PublishNoAck(v1::Publish publish);

  // Sends an ack (an officer's response, or RECEIVED when auto_received is
  // off) for a delivered message.
  absl::Status SendAck(const v1::Deliver& deliver, v1::AckLevel level,
                       const std::string& text = "");

  // Reads stored messages from the broker's journal: every durable message
  // whose topic matches request.pattern, from since_seq / since_unix_ms on,
  // at most request.limit (broker default 100). Sets *next_seq (if given) to
  // where to continue when the limit cut the answer short, else 0.
  absl::StatusOr<std::vector<v1::Deliver>> History(v1::HistoryRequest request,
                                                   uint64_t* next_seq = nullptr);

  // The timeline of one alert: published, each delivery and redelivery,
  // each ack, escalations. NotFound if the journal holds no such alert.
  absl::StatusOr<v1::AlertTimeline> Timeline(const std::string& alert_id);

  // Asks the broker for its counters and gauges.
  absl::StatusOr<v1::StatsReply> Stats();

  // Waits up to `timeout` for the next frame meant for the caller: Deliver,
  // PubAck of an async publish, Error, or Goodbye. Returns nullopt on
  // timeout. Heartbeats, reconnection and automatic acks happen inside.
  absl::StatusOr<std::optional<v1::Frame>> Next(absl::Duration timeout);

  // True while the broker is heard from; false between a silent or departed
  // broker and the next Welcome, and for good once a newer connection with
  // the same unit id took the session over (Next() then returns that
  // SESSION_TAKEN_OVER Error; later requests fail with FailedPrecondition).
  bool connected() const;
  // The Welcome of the current session.
  const v1::Welcome& welcome() const;
  // How many times the session was re-established after the first Welcome.
  uint64_t reconnects() const;

 private:
  struct State;
  explicit Client(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace zonecast
