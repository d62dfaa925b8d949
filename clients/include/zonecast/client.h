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
//     absl::StatusOr<zonecast::Message> message = (*client)->Next(absl::Seconds(1));
//     if (absl::IsDeadlineExceeded(message.status())) continue;  // nothing yet
//     if (!message.ok()) ...                                     // see Next()
//     (*client)->SendAck(*message, zonecast::v1::ACCEPTED);      // the officer took it
//   }
//
// The center publishes with PublishAlert(topic, alert); terminals publish
// their radio events with PublishRadio. For a terminal, the library answers
// every durable delivery with an automatic RECEIVED ack (ARCHITECTURE.md,
// delivery contract 5). It beats heartbeats, notices a silent or restarted broker, and
// then says Hello again and re-subscribes by itself. It keeps the session
// alive whatever the caller does: a background thread serves the connection
// while the caller is not inside a call, so a publisher that never reads,
// or a program busy elsewhere, is not taken for dead.
//
// A Client is used from one thread at a time. It owns its ZeroMQ context and
// socket. The wire protocol (zonecast/wire.proto) is not part of this API.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "zonecast/domain.pb.h"
#include "zonecast/monitoring.pb.h"
#include "zonecast/version.h"

namespace zonecast {

namespace v1 {
class Deliver;
}  // namespace v1

struct ClientOptions {
  std::string broker = "tcp://127.0.0.1:7400";
  v1::Role role = v1::TERMINAL;
  std::string unit_id;  // required for terminals; [a-z0-9_-]
  std::string patrol_group;
  std::string zone;
  std::string client_name = std::string("libzonecast/") + kVersion;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration request_timeout = absl::Seconds(5);
  // CURVE, for a broker with a keys file: this client's key pair and the
  // broker's public key (Z85 text; LoadKeyFiles reads them from the files
  // `zonecast keygen` writes). All empty: a plain connection, which such a
  // broker refuses. The broker takes role and unit id from the identity
  // its keys file binds the key to; a Hello naming others is refused.
  std::string public_key;
  std::string secret_key;
  std::string broker_public_key;
};

// Fills options->public_key and secret_key from a secret key file and
// options->broker_public_key from the broker's public key file. Errors name
// the file (PermissionDenied for a secret key file others may read).
absl::Status LoadKeyFiles(const std::string& key_file, const std::string& broker_key_file,
                          ClientOptions* options);

// One message delivered to this client: an alert, a radio event, an ack
// event, presence, an escalation, a dead letter, stats or a canary.
class Message {
 public:
  Message() = default;

  // The broker's sequence number; 0 for a best-effort message.
  uint64_t seq() const { return seq_; }
  const std::string& topic() const { return topic_; }
  v1::Priority priority() const { return priority_; }
  // 1 on the first delivery; more when the broker sent it again.
  uint32_t delivery_count() const { return delivery_count_; }
  // Sent before (on an earlier connection, or replayed after a reconnect):
  // the receiver may have seen it already.
  bool redelivered() const { return redelivered_; }
  // A P1 the broker's journal could not store yet (a full disk), sent live
  // (seq 0): the stored copy follows under the same alert id once it heals.
  bool not_stored() const { return not_stored_; }
  // Unit id of the publisher, or the broker's id for its own messages.
  const std::string& publisher() const { return publisher_; }
  int64_t sent_unix_ms() const { return sent_unix_ms_; }      // publisher's clock
  int64_t broker_unix_ms() const { return broker_unix_ms_; }  // broker's clock at ingress
  const v1::Event& event() const { return event_; }

 private:
  friend class Client;
  uint64_t seq_ = 0;
  std::string topic_;
  v1::Priority priority_ = v1::PRIORITY_UNSPECIFIED;
  uint32_t delivery_count_ = 0;
  bool redelivered_ = false;
  bool not_stored_ = false;
  std::string publisher_;
  int64_t sent_unix_ms_ = 0;
  int64_t broker_unix_ms_ = 0;
  v1::Event event_;
};

// The broker's answer to a publish.
class PublishResult {
 public:
  PublishResult() = default;

  // The stored message's sequence number; 0 for a best-effort publish.
  uint64_t seq() const { return seq_; }
  const std::string& alert_id() const { return alert_id_; }
  // True once the message is on the broker's disk.
  bool durable() const { return durable_; }
  // The alert id was stored before: this is the original's answer, and the
  // alert was not routed again.
  bool duplicate() const { return duplicate_; }
  // Sessions the message was routed to (0 for a duplicate).
  uint32_t recipients() const { return recipients_; }
  // A P1 alert or emergency the broker's journal could not store (a full or
  // failing disk): sent live to the units online, held in the broker's
  // memory and written once the journal heals (seq 0, durable false until
  // then). Lost if the broker dies before: keep it until the history or
  // timeline shows it.
  bool held() const { return held_; }

 private:
  friend class Client;
  uint64_t seq_ = 0;
  std::string alert_id_;
  bool durable_ = false;
  bool duplicate_ = false;
  uint32_t recipients_ = 0;
  bool held_ = false;
};

// Which stored messages History() returns: those whose topic matches
// `pattern`, from since_seq / since_unix_ms on, at most `limit` (0: the
// broker's default, 100; at most 10,000).
struct HistoryQuery {
  std::string pattern;
  uint64_t since_seq = 0;
  int64_t since_unix_ms = 0;
  uint32_t limit = 0;
};

struct HistoryPage {
  std::vector<Message> messages;
  // Non-zero when the limit cut the answer short: ask again with
  // since_seq = next_seq.
  uint64_t next_seq = 0;
};

// The session the broker granted in its Welcome.
struct SessionInfo {
  std::string session_id;
  std::string unit_id;  // as asked, or the name given to an anonymous console
  std::string broker_id;
  uint64_t last_seq = 0;  // the broker's newest sequence number then
  absl::Duration heartbeat;
  // Missed heartbeats after which the broker takes this client for gone.
  uint32_t heartbeat_misses = 0;
  uint32_t max_frame_bytes = 0;
};

// Called with the broker's answer to a PublishAsync.
using PubAckCallback = std::function<void(absl::StatusOr<PublishResult>)>;

struct ClientTestSwitches;

// What a Status from Next() means (see Next()).
bool IsGoodbye(const absl::Status& status);
bool IsSessionLost(const absl::Status& status);
bool IsTakenOver(const absl::Status& status);
bool IsKeyRevoked(const absl::Status& status);

class Client {
 public:
  // Connects and completes the Hello/Welcome handshake.
  // Unavailable if the broker does not answer within connect_timeout;
  // PermissionDenied if it refused this client's key (or, with
  // IDENTITY_MISMATCH, the role or unit id in the options);
  // FailedPrecondition if one side speaks CURVE and the other does not;
  // InvalidArgument etc. if it answers with another Error.
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const ClientOptions& options);

  // How ConnectWaiting waits for a broker that is down.
  struct WaitForBroker {
    // Give up after this long (the last attempt's error); by default never:
    // a patrol terminal in the field waits for its broker indefinitely.
    absl::Duration give_up = absl::InfiniteDuration();
    // Pause between attempts: doubles from `first_pause` up to `max_pause`,
    // each jittered by +-25% so that a zone's terminals do not all come
    // back at the same instant.
    absl::Duration first_pause = absl::Seconds(1);
    absl::Duration max_pause = absl::Seconds(30);
    // Told of each failed attempt (1, 2, ...) and why: the "waiting for the
    // broker" state, for the officer to see.
    std::function<void(int attempt, const absl::Status& why)> on_waiting;
    // Asked between attempts and while pausing: true stops waiting (a
    // signal, a shutdown); the last error is returned.
    std::function<bool()> stop;
  };
  // Like Connect, but while the broker does not answer (Unavailable,
  // DeadlineExceeded) tries again with backoff, until `wait` gives up. Any
  // other refusal (a revoked key, a bad option) returns at once. Once
  // connected the client reconnects and resumes its session by itself, as
  // any client does.
  static absl::StatusOr<std::unique_ptr<Client>> ConnectWaiting(const ClientOptions& options,
                                                                const WaitForBroker& wait);

  ~Client();  // says Goodbye
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Adds subscriptions and waits until the broker has them, so a publish
  // made after this returns is matched against them. Errors as the broker
  // reports them (INVALID_TOPIC -> InvalidArgument), or DeadlineExceeded.
  absl::Status Subscribe(const std::vector<std::string>& patterns);
  absl::Status Unsubscribe(const std::vector<std::string>& patterns);

  // Publishes an alert on `topic` (alert.<city>.<zone>) with the alert's
  // priority and waits for the broker's answer: for an alert, the message
  // is on disk. Errors as reported by the broker (PERMISSION_DENIED ->
  // PermissionDenied, STORAGE_UNAVAILABLE -> Unavailable, ...), or
  // DeadlineExceeded if no answer within request_timeout: then publish
  // again with the same alert id (a repeat is answered, never routed twice).
  absl::StatusOr<PublishResult> PublishAlert(const std::string& topic, v1::Alert alert);
  // The center withdraws an open alert (a false alarm: the units that got
  // it stand down) or closes it (handled), on the alert's own topic. Both
  // end its escalation and show in its timeline; every unit of the zone
  // gets the AlertUpdate. A repeat is answered as a duplicate. Errors:
  // FailedPrecondition (ALERT_NOT_OPEN) for an alert that is not open,
  // InvalidArgument for another topic than the alert's.
  absl::StatusOr<PublishResult> CancelAlert(const std::string& topic, const std::string& alert_id,
                                            const std::string& reason);
  absl::StatusOr<PublishResult> CloseAlert(const std::string& topic, const std::string& alert_id,
                                           const std::string& note = "");
  // The center amends an open alert: the fields of `change` that are set
  // (title, body, priority, location) replace the alert's. The units get
  // the AlertUpdate; later escalation steps carry the new text; a raised
  // priority brings its shorter deadline. The same amendment repeated is a
  // duplicate. Errors as for CancelAlert; InvalidArgument if nothing is set.
  struct Amendment {
    std::string title;
    std::string body;
    v1::Priority priority = v1::PRIORITY_UNSPECIFIED;
    std::optional<v1::Location> location;
  };
  absl::StatusOr<PublishResult> AmendAlert(const std::string& topic, const std::string& alert_id,
                                           const Amendment& change);
  // The center sends unit `unit` to an open alert (the unit still accepts
  // it like any other); every unit of the zone sees the assignment.
  absl::StatusOr<PublishResult> AssignAlert(const std::string& topic, const std::string& alert_id,
                                            const std::string& unit, const std::string& note = "");
  // Publishes a terminal's radio event on radio.<city>.<zone>.<unit> and
  // waits for the answer (positions are best-effort: seq 0).
  absl::StatusOr<PublishResult> PublishRadio(const std::string& topic, v1::RadioEvent event);
  // Publishes any event (canaries, for instance); `priority` unspecified:
  // the broker derives it from the event.
  absl::StatusOr<PublishResult> Publish(const std::string& topic, v1::Event event,
                                        v1::Priority priority = v1::PRIORITY_UNSPECIFIED);
  // Sends a publish and returns at once; `done` gets the broker's answer
  // later, on the caller's thread, inside PublishAsync, AwaitPubAcks or
  // Next. For windows of outstanding publishes. Unavailable if the client
  // has no session now.
  absl::Status PublishAsync(const std::string& topic, v1::Event event, v1::Priority priority,
                            PubAckCallback done);
  // Waits until at most `max_outstanding` async publishes await an answer,
  // running their callbacks. DeadlineExceeded if that takes over `timeout`.
  absl::Status AwaitPubAcks(size_t max_outstanding, absl::Duration timeout);
  size_t outstanding_publishes() const;
  // Sends a publish that asks for no answer (position streams).
  absl::Status PublishNoAck(const std::string& topic, v1::Event event,
                            v1::Priority priority = v1::PRIORITY_UNSPECIFIED);

  // Sends an officer's response (or RECEIVED, for a program that turned
  // the automatic one off) for a delivered message.
  absl::Status SendAck(const Message& message, v1::AckLevel level, const std::string& text = "");

  // Reads stored messages from the broker's journal.
  absl::StatusOr<HistoryPage> History(const HistoryQuery& query);

  // The timeline of one alert: published, each delivery and redelivery,
  // each ack, escalations. NotFound if the journal holds no such alert.
  absl::StatusOr<v1::AlertTimeline> Timeline(const std::string& alert_id);

  // The broker's counters and gauges (counters and gauges of the snapshot).
  absl::StatusOr<v1::StatsSnapshot> Stats();

  // Waits up to `timeout` for the next message for the caller.
  //   DeadlineExceeded    nothing arrived in time;
  //   FailedPrecondition  a newer connection with this unit id took the
  //                       session over (IsTakenOver): this client is done,
  //                       and every later call fails too;
  //   PermissionDenied    the broker's keys file no longer lets this
  //                       client's key in (IsKeyRevoked): done, likewise;
  //   Unavailable         the broker said Goodbye (it is stopping,
  //                       IsGoodbye), or the session was lost (a silent or
  //                       restarted broker, IsSessionLost; said once per
  //                       loss); either way the library reconnects and
  //                       resubscribes when the broker is back;
  //   other               an Error the broker sent outside any request
  //                       (for a bad ack, say), as a Status.
  absl::StatusOr<Message> Next(absl::Duration timeout);

  // True while the broker is heard from; false between a silent or departed
  // broker and the next Welcome, and for good after a take-over.
  bool connected() const;
  // The session of the current connection.
  SessionInfo session() const;
  // How many times the session was re-established after the first Welcome.
  uint64_t reconnects() const;

 private:
  struct State;
  friend absl::StatusOr<std::unique_ptr<Client>> ConnectForTesting(const ClientOptions&,
                                                                   const ClientTestSwitches&);
  static absl::StatusOr<std::unique_ptr<Client>> Connect(const ClientOptions& options,
                                                         bool auto_received,
                                                         bool serve_in_background);
  static Message ToMessage(v1::Deliver&& deliver);
  // Publishes `update` (kind, reason, ...) of alert `alert_id` on `topic`.
  absl::StatusOr<PublishResult> PublishUpdate(const std::string& topic, const std::string& alert_id,
                                              v1::AlertUpdate update);
  static PublishResult ToResult(uint64_t seq, std::string alert_id, bool durable, bool duplicate,
                                uint32_t recipients, bool held);
  Client(std::unique_ptr<State> state, bool serve_in_background);
  std::unique_ptr<State> state_;
};

}  // namespace zonecast
