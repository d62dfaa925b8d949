#include "zonecast/client.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "shared/annotated_mutex.h"
#include "shared/connection_monitor.h"
#include "shared/curve_keys.h"
#include "shared/protocol_version.h"
#include "shared/request_ids.h"
#include "shared/wire_status.h"
#include "zmq.hpp"
#include "zonecast/testing.h"
#include "zonecast/wire.pb.h"

namespace zonecast {
namespace {

// How Next() words the statuses callers tell apart (see client.h).
constexpr absl::string_view kGoodbyePrefix = "GOODBYE: ";
constexpr absl::string_view kSessionLostPrefix = "SESSION_LOST: ";
constexpr absl::string_view kTakenOverPrefix = "SESSION_TAKEN_OVER";
constexpr absl::string_view kKeyRevokedPrefix = "KEY_REVOKED";

}  // namespace

absl::Status LoadKeyFiles(const std::string& key_file, const std::string& broker_key_file,
                          ClientOptions* options) {
  absl::StatusOr<CurveKeys> own = ReadSecretKeyFile(key_file);
  if (!own.ok()) return own.status();
  absl::StatusOr<std::string> broker = ReadPublicKeyFile(broker_key_file);
  if (!broker.ok()) return broker.status();
  options->public_key = own->public_key;
  options->secret_key = own->secret_key;
  options->broker_public_key = *broker;
  return absl::OkStatus();
}

bool IsGoodbye(const absl::Status& status) {
  return absl::IsUnavailable(status) && absl::StartsWith(status.message(), kGoodbyePrefix);
}

bool IsSessionLost(const absl::Status& status) {
  return absl::IsUnavailable(status) && absl::StartsWith(status.message(), kSessionLostPrefix);
}

bool IsKeyRevoked(const absl::Status& status) {
  return absl::IsPermissionDenied(status) && absl::StartsWith(status.message(), kKeyRevokedPrefix);
}

bool IsTakenOver(const absl::Status& status) {
  return absl::IsFailedPrecondition(status) && absl::StartsWith(status.message(), kTakenOverPrefix);
}

// Everything the client knows. Guarded by `mutex`: the caller's thread holds
// it for the length of a call, and the keeper thread takes it (only when no
// call is running) to serve the connection: heartbeats, liveness, the
// automatic RECEIVED, reconnects. The ZeroMQ socket is only ever used with
// the mutex held, which is what lets two threads share it.
struct Client::State {
  // What Next() hands out: a message, or a Status (Goodbye, take-over, an
  // Error sent outside any request).
  struct Inbound {
    absl::Status status;
    Message message;
  };

  // Set before the keeper starts, then only read.
  ClientOptions options;
  bool auto_received = true;
  zmq::context_t context{1};

  AnnotatedMutex mutex;
  zmq::socket_t socket ABSL_GUARDED_BY(mutex){context, zmq::socket_type::dealer};
  // The socket's handshake failures (a refused key, plain against CURVE).
  zmq::socket_t handshakes ABSL_GUARDED_BY(mutex);
  int handshakes_broken ABSL_GUARDED_BY(mutex) = 0;
  v1::Welcome welcome ABSL_GUARDED_BY(mutex);
  bool connected ABSL_GUARDED_BY(mutex) = false;
  // SESSION_TAKEN_OVER or KEY_REVOKED: this client is done, and why.
  bool superseded ABSL_GUARDED_BY(mutex) = false;
  absl::Status ended ABSL_GUARDED_BY(mutex);
  uint64_t reconnects ABSL_GUARDED_BY(mutex) = 0;
  uint64_t next_request_id ABSL_GUARDED_BY(mutex) = 1;
  std::vector<std::string> patterns ABSL_GUARDED_BY(mutex);  // re-sent after a reconnect
  std::deque<Inbound> inbox ABSL_GUARDED_BY(mutex);          // for Next()
  // The synchronous request being waited for, and its replies.
  uint64_t awaited_request ABSL_GUARDED_BY(mutex) = 0;
  std::deque<v1::Frame> replies ABSL_GUARDED_BY(mutex);
  // Async publishes awaiting an answer, and answered ones whose callbacks
  // have not run yet.
  absl::flat_hash_map<uint64_t, PubAckCallback> async ABSL_GUARDED_BY(mutex);
  using Answered = std::vector<std::pair<PubAckCallback, absl::StatusOr<PublishResult>>>;
  Answered async_done ABSL_GUARDED_BY(mutex);
  absl::Time last_heard ABSL_GUARDED_BY(mutex) = absl::InfinitePast();
  absl::Time last_sent ABSL_GUARDED_BY(mutex) = absl::InfinitePast();
  absl::Time last_hello ABSL_GUARDED_BY(mutex) = absl::InfinitePast();
  absl::Duration heartbeat ABSL_GUARDED_BY(mutex) = absl::Seconds(1);
  // Unanswered Hellos are sent again after hello_retry, doubling up to
  // eight times it, each pause drawn from its upper half: a
  // broker that comes back to thousands of terminals is not met by all of
  // their Hellos at once, every second.
  absl::Duration hello_retry ABSL_GUARDED_BY(mutex) = absl::Seconds(1);
  absl::Time next_hello ABSL_GUARDED_BY(mutex) = absl::InfinitePast();
  int hellos_unanswered ABSL_GUARDED_BY(mutex) = 0;
  // Hello's instance and attempt: they let the broker tell a retry on the
  // same connection (answered with the Welcome again) and a late copy of
  // an older Hello from another connection (takes nothing over) from a
  // new client.
  const uint64_t instance = (uint64_t{std::random_device{}()} << 32) | std::random_device{}() | 1;
  uint64_t hellos_sent ABSL_GUARDED_BY(mutex) = 0;
  // Hellos go on one socket until a session is lost (then a fresh socket
  // drops what the lost session left queued: heartbeats, acks, publishes
  // whose callers were told to publish again) or until a socket answers
  // kHellosPerSocket of them with nothing (its connection may be dead
  // without a reset, a NAT that forgot it).
  bool fresh_socket_due ABSL_GUARDED_BY(mutex) = false;
  int hellos_on_socket ABSL_GUARDED_BY(mutex) = 0;
  static constexpr int kHellosPerSocket = 3;
  std::minstd_rand jitter ABSL_GUARDED_BY(mutex){std::random_device{}()};
  static constexpr int kHelloBackoffDoublings = 3;  // up to 8x hello_retry
  uint32_t heartbeat_misses ABSL_GUARDED_BY(mutex) = 3;
  uint64_t resubscribe_request ABSL_GUARDED_BY(mutex) = 0;
  v1::Frame publish_scratch ABSL_GUARDED_BY(mutex);  // see SendOncePublishFrame

  // The callbacks RunCallbacks is running. Only the caller's thread touches
  // it, inside a call, so it needs no lock.
  Answered running_callbacks;

  // When a call last served the connection (read it, kept it alive).
  absl::Time last_served ABSL_GUARDED_BY(mutex) = absl::InfinitePast();

  // The keeper thread, and how often it serves: a quarter heartbeat, at
  // most 100 ms (set from the Welcome).
  std::thread keeper;
  AnnotatedMutex keeper_mutex;
  bool stopping ABSL_GUARDED_BY(keeper_mutex) = false;
  std::atomic<int64_t> keeper_period_ms{100};

  // Messages the keeper reads ahead of the caller at most: past this, what
  // the broker sends waits in the socket and the broker's queue, where its
  // slow-consumer policy applies, and no RECEIVED goes out for it.
  static constexpr size_t kReadAheadMessages = 1024;

  // Sends one frame. With `wait`, when ZeroMQ's send queue is full (a
  // publisher far ahead of the broker) it waits for room up to
  // request_timeout: that wait is the backpressure a bounded publish window
  // expects. Without it (heartbeats, Hello, automatic acks, Goodbye) a full
  // queue drops the frame, so housekeeping never blocks the caller.
  bool Send(const v1::Frame& frame, bool wait = false) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    std::string bytes = frame.SerializeAsString();
    // Read the clock only when the queue is full: most sends go at once.
    absl::Time deadline = absl::InfiniteFuture();
    try {
      while (!socket.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) {
        if (deadline == absl::InfiniteFuture()) deadline = absl::Now() + options.request_timeout;
        const absl::Duration left = deadline - absl::Now();
        if (!wait || left <= absl::ZeroDuration()) return false;
        zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLOUT, 0};
        zmq::poll(&item, 1,
                  std::chrono::milliseconds(std::max<int64_t>(1, absl::ToInt64Milliseconds(left))));
      }
    } catch (const zmq::error_t&) {
      return false;
    }
    last_sent = absl::Now();
    return true;
  }

  // (Re)creates the DEALER and connects it, discarding whatever the old
  // one still queued (see fresh_socket_due).
  absl::Status OpenSocket() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    // Async publishes on the old socket will get no answer: their callers
    // hear it now and may publish again.
    FailAsync(absl::UnavailableError("the connection to the broker was reset; publish again"));
    try {
      // Dropped at once, not lingered over: a stale Hello still queued
      // there would only reach the broker after our new one.
      if (socket.handle() != nullptr) socket.set(zmq::sockopt::linger, 0);
      socket = zmq::socket_t(context, zmq::socket_type::dealer);
      fresh_socket_due = false;
      hellos_on_socket = 0;
      // A short linger lets the Goodbye out at close without hanging on a
      // dead broker.
      socket.set(zmq::sockopt::linger, 200);
      socket.set(zmq::sockopt::reconnect_ivl, 100);
      socket.set(zmq::sockopt::reconnect_ivl_max, 2000);
      socket.set(zmq::sockopt::rcvhwm, 100000);
      socket.set(zmq::sockopt::sndhwm, 10000);
      if (!options.secret_key.empty() || !options.broker_public_key.empty()) {
        socket.set(zmq::sockopt::curve_serverkey, options.broker_public_key);
        socket.set(zmq::sockopt::curve_publickey, options.public_key);
        socket.set(zmq::sockopt::curve_secretkey, options.secret_key);
      }
      handshakes = MonitorConnection(context, socket);
      socket.connect(options.broker);
    } catch (const zmq::error_t& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot connect to '", options.broker, "': ", e.what()));
    }
    return absl::OkStatus();
  }

  // Reads the socket's handshake failures. A refused key or a mismatch of
  // mechanisms is the answer. A handshake the broker just broke off says
  // less (a wrong broker key looks like that, and so does a mismatch the
  // broker noticed first): the third one in a row is taken as the answer.
  absl::Status HandshakeProblem() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    for (ConnectionEvent failure;
         (failure = NextConnectionEvent(handshakes)) != ConnectionEvent::kNone;) {
      switch (failure) {
        case ConnectionEvent::kRefused:
          return absl::PermissionDeniedError(
              absl::StrCat("the broker at ", options.broker,
                           " refused this client's key: is its public key in the broker's "
                           "keys file?"));
        case ConnectionEvent::kMechanism:
          return absl::FailedPreconditionError(absl::StrCat(
              "the broker at ", options.broker,
              (options.secret_key.empty()
                   ? " wants CURVE keys: give this client its key file and the broker's public key"
                   : " does not speak CURVE: connect without keys")));
        default:
          if (++handshakes_broken < 3) break;
          if (options.secret_key.empty()) {
            return absl::FailedPreconditionError(absl::StrCat(
                "the broker at ", options.broker,
                " breaks off the handshake: it wants CURVE keys? give this client its key "
                "file and the broker's public key"));
          }
          return absl::PermissionDeniedError(
              absl::StrCat("the broker at ", options.broker,
                           " breaks off the security handshake: is the broker's public key the "
                           "right one, and does it speak CURVE?"));
      }
    }
    return absl::OkStatus();
  }

  void SendHello() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    v1::Frame frame;
    v1::Hello* hello = frame.mutable_hello();
    hello->set_protocol_version(kProtocolVersion);
    hello->set_role(options.role);
    hello->set_unit_id(options.unit_id);
    hello->set_patrol_group(options.patrol_group);
    hello->set_zone(options.zone);
    hello->set_client_name(options.client_name);
    hello->set_instance(instance);
    hello->set_attempt(++hellos_sent);
    hello->set_reads_deliveries(true);
    Send(frame);
    ++hellos_on_socket;
    last_hello = absl::Now();
    const int factor = 1 << std::min(hellos_unanswered, kHelloBackoffDoublings);
    ++hellos_unanswered;
    next_hello = last_hello + RandomPause(hello_retry * factor / 2, hello_retry * factor);
  }

  // A pause drawn evenly from [low, high].
  absl::Duration RandomPause(absl::Duration low, absl::Duration high)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    const int64_t span = absl::ToInt64Microseconds(high - low);
    if (span <= 0) return low;
    return low + absl::Microseconds(std::uniform_int_distribution<int64_t>(0, span)(jitter));
  }

  void OnWelcome(const v1::Welcome& w) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    // The same session's Welcome again, while connected (the broker's
    // answer to a Hello we retried before its first Welcome came), is no
    // reconnect. (Session ids repeat across broker restarts.)
    const bool repeat = connected && welcome.session_id() == w.session_id();
    const bool again = !welcome.session_id().empty() && !repeat;
    welcome = w;
    connected = true;
    hellos_unanswered = 0;
    if (w.heartbeat_ms() > 0) heartbeat = absl::Milliseconds(w.heartbeat_ms());
    hello_retry = std::max(heartbeat, absl::Milliseconds(500));
    if (w.heartbeat_misses() > 0) heartbeat_misses = w.heartbeat_misses();
    keeper_period_ms.store(std::clamp<int64_t>(absl::ToInt64Milliseconds(heartbeat / 4), 1, 100));
    if (again) {
      ++reconnects;
      if (!patterns.empty()) {
        v1::Frame frame;
        resubscribe_request = next_request_id++;
        frame.mutable_subscribe()->set_request_id(resubscribe_request);
        for (const std::string& p : patterns) frame.mutable_subscribe()->add_patterns(p);
        Send(frame);
      }
    }
  }

  // The session is gone: Next() says so once, then the library reconnects
  // (a new Hello, subscriptions sent again) on its own. What the broker
  // routed in between reaches a durable session on its return; anyone else
  // may read it from History.
  void LoseSession(absl::string_view why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    if (!connected) return;
    connected = false;
    fresh_socket_due = true;
    // The first new Hello within half a retry period, at random: all the
    // terminals of a broker that went silent notice it at about one time.
    next_hello = absl::Now() + RandomPause(absl::ZeroDuration(), hello_retry / 2);
    // A publish the lost session did not answer never will be (a restarted
    // broker never read it): its caller hears so now and publishes again,
    // with the same alert id, instead of waiting for ever.
    FailAsync(absl::UnavailableError(absl::StrCat(kSessionLostPrefix, why, "; publish again")));
    inbox.push_back(
        Inbound{absl::UnavailableError(absl::StrCat(kSessionLostPrefix, why)), Message()});
  }

  // Every async publish awaiting an answer gets `status` instead.
  void FailAsync(const absl::Status& status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    for (auto& [id, done] : async) async_done.emplace_back(std::move(done), status);
    async.clear();
  }

  // A reply (PubAck, Subscribed, StatsReply, ...; or an Error for a
  // request): to the request being waited for, to an async publish, or
  // dropped when its request gave up waiting.
  void OnReply(v1::Frame frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    const uint64_t id = RequestIdOf(frame);
    if (id != 0 && id == awaited_request) {
      replies.push_back(std::move(frame));
    } else if (auto it = async.find(id);
               it != async.end() && (frame.has_error() || frame.has_pub_ack())) {
      // An async publish was answered: its callback runs later, on the
      // caller's thread.
      absl::StatusOr<PublishResult> result =
          frame.has_error() ? absl::StatusOr<PublishResult>(StatusFromError(frame.error()))
                            : ToResult(frame.pub_ack().seq(),
                                       std::move(*frame.mutable_pub_ack()->mutable_alert_id()),
                                       frame.pub_ack().durable(), frame.pub_ack().duplicate(),
                                       frame.pub_ack().recipients(), frame.pub_ack().held());
      async_done.emplace_back(std::move(it->second), std::move(result));
      async.erase(it);
    }
  }

  // Another connection holds our unit id's session now (the terminal moved
  // on), or the broker no longer lets our key in: never take the session
  // back, and fail whatever still waits.
  void OnSessionEnded(const v1::Error& error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    superseded = true;
    connected = false;
    ended = StatusFromError(error);
    inbox.push_back(Inbound{ended, Message()});
    FailAsync(ended);
  }

  void OnError(v1::Frame frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    const v1::Error& error = frame.error();
    if (error.code() == v1::SESSION_TAKEN_OVER || error.code() == v1::KEY_REVOKED) {
      OnSessionEnded(error);
      return;
    }
    if (error.code() == v1::HELLO_REQUIRED) {
      if (superseded) return;
      // The broker lost our session (restart, or we were silent too long):
      // start a new one and resubscribe. Frames queued before the loss each
      // draw this error; one Hello answers them all. A request that drew it
      // is sent again by Request(); an async publish is told to retry.
      LoseSession(
          "the broker no longer knows this session (it restarted, or heard nothing for too long)");
      // This connection works, and what the lost session queued on it has
      // arrived (it drew this answer): the new Hello goes on it.
      fresh_socket_due = false;
      if (absl::Now() - last_hello >= absl::Milliseconds(500)) SendHello();
    }
    if (error.request_id() != 0) {
      OnReply(std::move(frame));
    } else if (error.code() != v1::HELLO_REQUIRED) {
      inbox.push_back(Inbound{StatusFromError(error), Message()});
    }
  }

  void OnDeliver(v1::Deliver& deliver) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    // RECEIVED says a terminal's software has the message: only terminals
    // send it (a console or a probe watching alerts must not look like a
    // unit that got them), and only for durable messages (seq > 0).
    if (auto_received && options.role == v1::TERMINAL && deliver.seq() != 0) {
      v1::Frame ack;
      v1::AckFrame* a = ack.mutable_ack();
      a->set_seq(deliver.seq());
      a->set_topic(deliver.topic());
      a->set_level(v1::RECEIVED);
      if (deliver.event().has_alert()) a->set_alert_id(deliver.event().alert().alert_id());
      Send(ack);
    }
    inbox.push_back(Inbound{absl::OkStatus(), ToMessage(std::move(deliver))});
  }

  // Handles one received frame: internal ones are consumed, the rest queued.
  void Dispatch(v1::Frame frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    last_heard = absl::Now();
    switch (frame.body_case()) {
      case v1::Frame::kHeartbeat:
        return;
      case v1::Frame::kWelcome:
        OnWelcome(frame.welcome());
        return;
      case v1::Frame::kGoodbye:
        connected = false;
        FailAsync(absl::UnavailableError(
            absl::StrCat("the broker said goodbye before answering: ", frame.goodbye().reason())));
        inbox.push_back(
            Inbound{absl::UnavailableError(absl::StrCat(kGoodbyePrefix, frame.goodbye().reason())),
                    Message()});
        return;
      case v1::Frame::kDeliver:
        OnDeliver(*frame.mutable_deliver());
        return;
      case v1::Frame::kDeliveries:
        for (v1::Deliver& deliver : *frame.mutable_deliveries()->mutable_delivers()) {
          OnDeliver(deliver);
        }
        return;
      case v1::Frame::kError:
        OnError(std::move(frame));
        return;
      case v1::Frame::kSubscribed:
        if (frame.subscribed().request_id() == resubscribe_request) return;
        OnReply(std::move(frame));
        return;
      case v1::Frame::kPubAck:
      case v1::Frame::kStatsReply:
      case v1::Frame::kHistoryReply:
      case v1::Frame::kTimelineReply:
        OnReply(std::move(frame));
        return;
      default:
        return;  // nothing else is meant for clients
    }
  }

  // Keeps the session alive: heartbeats, dead-broker detection, re-Hello.
  void Maintain() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    const absl::Time now = absl::Now();
    if (connected && now - last_heard > heartbeat * heartbeat_misses) {
      LoseSession("nothing heard from the broker for longer than its heartbeat allows");
    }
    if (superseded) return;
    if (!connected) {
      // No answer to the last Hello: say it again, on the same socket
      // (ZeroMQ reconnects it underneath) unless a fresh one is due. A
      // fresh socket per retry meant a new TCP connection per retry: after
      // a broker restart thousands of terminals' retries overflowed its
      // listen queue, and a Welcome that came late went to a socket already
      // closed. The broker answers a retry on the same connection with the
      // Welcome again, and lets a late copy of an older Hello take nothing
      // over (Hello's instance and attempt).
      if (now >= next_hello) {
        if (fresh_socket_due || hellos_on_socket >= kHellosPerSocket) (void)OpenSocket().ok();
        SendHello();
      }
      return;
    }
    if (now - last_sent >= heartbeat) {
      v1::Frame beat;
      beat.mutable_heartbeat()->set_unix_ms(absl::ToUnixMillis(now));
      Send(beat);
    }
  }

  // Reads what the socket holds, then keeps the session alive: reading
  // first, so that after a stall (a stopped process, a starved CPU) what the
  // broker sent meanwhile counts as heard before liveness is judged.
  void Serve() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    Drain();
    Maintain();
    last_served = absl::Now();
  }

  // Serve(), at most every millisecond: for calls that only send (a tight
  // loop of positions must still answer heartbeats and deliveries).
  void ServeIfDue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    if (absl::Now() - last_served >= absl::Milliseconds(1)) Serve();
  }

  // Reads and dispatches what the socket holds now, up to `max` frames.
  void Drain(int max = 1024) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    for (int i = 0; i < max; ++i) {
      zmq::message_t message;
      bool got = false;
      try {
        got = socket.recv(message, zmq::recv_flags::dontwait).has_value();
      } catch (const zmq::error_t&) {
        got = false;
      }
      if (!got) return;
      v1::Frame frame;
      if (!frame.ParseFromArray(message.data(), static_cast<int>(message.size()))) continue;
      Dispatch(std::move(frame));
    }
  }

  // Receives and dispatches frames until `done()` or the deadline.
  template <typename Done>
  void Pump(absl::Time deadline, Done done) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    while (!done()) {
      Serve();
      if (done()) return;  // Serve read what was waiting
      const absl::Time now = absl::Now();
      if (now >= deadline) return;
      absl::Duration wait = std::min(deadline - now, heartbeat / 2);
      zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
      try {
        zmq::poll(&item, 1,
                  std::chrono::milliseconds(std::max<int64_t>(1, absl::ToInt64Milliseconds(wait))));
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) continue;
        return;
      }
      if (item.revents & ZMQ_POLLIN) Drain();
    }
  }

  // The keeper thread: while no call runs, serves the connection every
  // quarter heartbeat, so that heartbeats go out, the automatic RECEIVED is
  // sent and a lost broker is noticed whatever the caller is doing.
  void Keep() {
    while (true) {
      {
        AnnotatedLock lock(&keeper_mutex);
        if (!stopping) keeper_mutex.WaitFor(absl::Milliseconds(keeper_period_ms.load()));
        if (stopping) return;
      }
      if (!mutex.TryLock()) continue;  // a call is running and serving it
      if (inbox.size() < kReadAheadMessages) {
        Serve();
      } else {
        // The caller is not reading: leave the rest in the socket, but a
        // broker that keeps sending is not silent.
        zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
        try {
          if (zmq::poll(&item, 1, std::chrono::milliseconds(0)) > 0) last_heard = absl::Now();
        } catch (const zmq::error_t&) {
          // EINTR and the like: judged again on the next round.
        }
        Maintain();
      }
      mutex.Unlock();
    }
  }

  void StopKeeper() {
    {
      AnnotatedLock lock(&keeper_mutex);
      stopping = true;
    }
    keeper_mutex.Notify();
    if (keeper.joinable()) keeper.join();
  }

  // Runs the callbacks of answered async publishes, without the lock (a
  // callback may call the client).
  void RunCallbacks() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    while (!async_done.empty()) {
      running_callbacks.swap(async_done);  // both keep their capacity
      mutex.Unlock();
      for (auto& [done, result] : running_callbacks) {
        if (done) done(std::move(result));
      }
      running_callbacks.clear();
      mutex.Lock();
    }
  }

  // Waits for the reply to `request_id`.
  absl::StatusOr<v1::Frame> AwaitReply(uint64_t request_id, absl::Duration timeout)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    const absl::Time deadline = absl::Now() + timeout;
    auto find = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) -> std::optional<v1::Frame> {
      for (auto it = replies.begin(); it != replies.end(); ++it) {
        if (RequestIdOf(*it) == request_id) {
          v1::Frame frame = std::move(*it);
          replies.erase(it);
          return frame;
        }
      }
      return std::nullopt;
    };
    std::optional<v1::Frame> reply;
    Pump(deadline, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
      reply = find();
      return reply.has_value();
    });
    if (!reply) {
      return absl::DeadlineExceededError(absl::StrCat("no answer from the broker at ",
                                                      options.broker, " within ",
                                                      absl::FormatDuration(timeout)));
    }
    if (reply->has_error()) return StatusFromError(reply->error());
    return *std::move(reply);
  }

  absl::Status CheckUsable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) { return ended; }

  // For calls that send without waiting: Unavailable without a session. The
  // connection is served first, since a caller retrying such a call in a
  // loop holds the lock so often that the keeper could not take a Welcome in.
  absl::Status CheckConnected() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    if (!connected) ServeIfDue();
    return connected ? absl::OkStatus() : absl::UnavailableError("not connected to the broker");
  }

  absl::StatusOr<v1::Frame> Request(const v1::Frame& frame, uint64_t request_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    const absl::Time deadline = absl::Now() + options.request_timeout;
    while (true) {
      if (absl::Status usable = CheckUsable(); !usable.ok()) return usable;
      // Wait for a session first; a request sent without one is refused.
      Pump(deadline,
           [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) { return connected || superseded; });
      if (!connected) {
        return absl::UnavailableError(
            absl::StrCat("not connected to the broker at ", options.broker));
      }
      // From now on replies to this request are kept (a history answer
      // comes in chunks); those to earlier ones that gave up are dropped.
      awaited_request = request_id;
      replies.clear();
      if (!Send(frame, /*wait=*/true)) {
        return absl::UnavailableError(absl::StrCat("cannot send to ", options.broker));
      }
      absl::StatusOr<v1::Frame> reply = AwaitReply(request_id, deadline - absl::Now());
      // The broker had dropped our session (we were silent too long): the
      // library is saying Hello again; send the request once more on the
      // new session.
      if (!reply.ok() && absl::StartsWith(reply.status().message(), "HELLO_REQUIRED") &&
          absl::Now() < deadline) {
        continue;
      }
      return reply;
    }
  }

  // Fills `frame` as the Publish of `event` on `topic`, stamped now.
  static void FillPublish(v1::Frame& frame, const std::string& topic, v1::Event& event,
                          v1::Priority priority, uint64_t request_id) {
    v1::Publish* publish = frame.mutable_publish();
    publish->set_request_id(request_id);
    publish->set_topic(topic);
    publish->set_priority(priority);
    publish->set_sent_unix_ms(absl::ToUnixMillis(absl::Now()));
    publish->mutable_event()->Swap(&event);
  }

  // A Publish frame for a request (kept while its answer is awaited).
  v1::Frame PublishFrame(const std::string& topic, v1::Event event, v1::Priority priority,
                         uint64_t request_id) {
    v1::Frame frame;
    FillPublish(frame, topic, event, priority, request_id);
    return frame;
  }

  // A Publish frame sent at once: filled in place of the last one, so that
  // a stream of publishes reuses its messages and strings.
  const v1::Frame& SendOncePublishFrame(const std::string& topic, v1::Event event,
                                        v1::Priority priority, uint64_t request_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex) {
    FillPublish(publish_scratch, topic, event, priority, request_id);
    return publish_scratch;
  }
};

Message Client::ToMessage(v1::Deliver&& deliver) {
  Message message;
  message.seq_ = deliver.seq();
  message.topic_ = std::move(*deliver.mutable_topic());
  message.priority_ = deliver.priority();
  message.delivery_count_ = deliver.delivery_count();
  message.redelivered_ = deliver.redelivered();
  message.not_stored_ = deliver.not_stored();
  message.publisher_ = std::move(*deliver.mutable_publisher());
  message.sent_unix_ms_ = deliver.sent_unix_ms();
  message.broker_unix_ms_ = deliver.broker_unix_ms();
  message.event_.Swap(deliver.mutable_event());
  return message;
}

PublishResult Client::ToResult(uint64_t seq, std::string alert_id, bool durable, bool duplicate,
                               uint32_t recipients, bool held) {
  PublishResult result;
  result.seq_ = seq;
  result.alert_id_ = std::move(alert_id);
  result.durable_ = durable;
  result.duplicate_ = duplicate;
  result.recipients_ = recipients;
  result.held_ = held;
  return result;
}

Client::Client(std::unique_ptr<State> state, bool serve_in_background) : state_(std::move(state)) {
  if (serve_in_background) state_->keeper = std::thread([state = state_.get()] { state->Keep(); });
}

Client::~Client() {
  state_->StopKeeper();
  AnnotatedLock lock(&state_->mutex);
  if (state_->connected) {
    v1::Frame bye;
    bye.mutable_goodbye()->set_reason("client closing");
    state_->Send(bye);
  }
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  return Connect(options, /*auto_received=*/true, /*serve_in_background=*/true);
}

absl::StatusOr<std::unique_ptr<Client>> Client::ConnectWaiting(const ClientOptions& options,
                                                               const WaitForBroker& wait) {
  const absl::Time start = absl::Now();
  absl::Duration pause = wait.first_pause;
  std::mt19937_64 jitter(std::random_device{}());
  std::uniform_real_distribution<double> spread(0.75, 1.25);
  auto stopped = [&wait] { return wait.stop && wait.stop(); };
  for (int attempt = 1;; ++attempt) {
    absl::StatusOr<std::unique_ptr<Client>> client = Connect(options);
    if (client.ok()) return client;
    const bool down =
        absl::IsUnavailable(client.status()) || absl::IsDeadlineExceeded(client.status());
    if (!down || stopped() || absl::Now() - start >= wait.give_up) return client;
    if (wait.on_waiting) wait.on_waiting(attempt, client.status());
    const absl::Time until = std::min(absl::Now() + pause * spread(jitter), start + wait.give_up);
    while (absl::Now() < until) {
      if (stopped()) return client;
      absl::SleepFor(std::min(absl::Milliseconds(50), until - absl::Now()));
    }
    pause = std::min(pause * 2, wait.max_pause);
  }
}

absl::StatusOr<std::unique_ptr<Client>> ConnectForTesting(const ClientOptions& options,
                                                          const ClientTestSwitches& switches) {
  return Client::Connect(options, switches.auto_received, switches.serve_in_background);
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options,
                                                        bool auto_received,
                                                        bool serve_in_background) {
  auto state = std::make_unique<State>();
  state->options = options;
  state->auto_received = auto_received;
  State& s = *state;
  AnnotatedLock lock(&s.mutex);  // no other thread yet: for the analysis
  if (absl::Status status = s.OpenSocket(); !status.ok()) return status;
  const absl::Time deadline = absl::Now() + options.connect_timeout;
  // Hello is repeated until answered. (No ZMQ_IMMEDIATE: with it, ZeroMQ
  // drops frames sent before the TCP connection is up, and discards frames
  // received but not yet read when a connection closes - a Goodbye, or a
  // Deliver.)
  s.hello_retry = std::min(absl::Seconds(1), options.connect_timeout / 2);
  s.SendHello();
  std::optional<absl::Status> refused;
  // In short slices, so that a failed security handshake ends the wait.
  while (!s.connected && !refused && absl::Now() < deadline) {
    s.Pump(std::min(deadline, absl::Now() + absl::Milliseconds(50)),
           [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {  // Pump calls it with s.mutex held
             for (const State::Inbound& in : s.inbox) {
               if (!in.status.ok()) refused = in.status;
             }
             return s.connected || refused.has_value();
           });
    if (absl::Status problem = s.HandshakeProblem(); !problem.ok()) refused = problem;
  }
  if (refused) return *refused;
  if (!s.connected) {
    return absl::UnavailableError(absl::StrCat("no answer from a zonecast broker at ",
                                               options.broker, " within ",
                                               absl::FormatDuration(options.connect_timeout)));
  }
  return std::unique_ptr<Client>(new Client(std::move(state), serve_in_background));
}

absl::Status Client::Subscribe(const std::vector<std::string>& patterns) {
  AnnotatedLock lock(&state_->mutex);
  v1::Frame frame;
  const uint64_t id = state_->next_request_id++;
  frame.mutable_subscribe()->set_request_id(id);
  for (const std::string& p : patterns) frame.mutable_subscribe()->add_patterns(p);
  absl::StatusOr<v1::Frame> reply = state_->Request(frame, id);
  if (!reply.ok()) return reply.status();
  for (const std::string& p : patterns) {
    if (std::find(state_->patterns.begin(), state_->patterns.end(), p) == state_->patterns.end()) {
      state_->patterns.push_back(p);
    }
  }
  return absl::OkStatus();
}

absl::Status Client::Unsubscribe(const std::vector<std::string>& patterns) {
  AnnotatedLock lock(&state_->mutex);
  v1::Frame frame;
  const uint64_t id = state_->next_request_id++;
  frame.mutable_unsubscribe()->set_request_id(id);
  for (const std::string& p : patterns) frame.mutable_unsubscribe()->add_patterns(p);
  absl::StatusOr<v1::Frame> reply = state_->Request(frame, id);
  if (!reply.ok()) return reply.status();
  for (const std::string& p : patterns) std::erase(state_->patterns, p);
  return absl::OkStatus();
}

absl::StatusOr<PublishResult> Client::Publish(const std::string& topic, v1::Event event,
                                              v1::Priority priority) {
  AnnotatedLock lock(&state_->mutex);
  const uint64_t id = state_->next_request_id++;
  absl::StatusOr<v1::Frame> reply =
      state_->Request(state_->PublishFrame(topic, std::move(event), priority, id), id);
  if (!reply.ok()) return reply.status();
  const v1::PubAck& ack = reply->pub_ack();
  return ToResult(ack.seq(), ack.alert_id(), ack.durable(), ack.duplicate(), ack.recipients(),
                  ack.held());
}

absl::StatusOr<PublishResult> Client::PublishAlert(const std::string& topic, v1::Alert alert) {
  const v1::Priority priority = alert.priority();
  // No alert.topic: the broker sets it to the topic it routes on.
  v1::Event event;
  *event.mutable_alert() = std::move(alert);
  return Publish(topic, std::move(event), priority);
}

absl::StatusOr<PublishResult> Client::PublishUpdate(const std::string& topic,
                                                    const std::string& alert_id,
                                                    v1::AlertUpdate update) {
  update.set_alert_id(alert_id);
  v1::Event event;
  *event.mutable_alert_update() = std::move(update);
  return Publish(topic, std::move(event));
}

absl::StatusOr<PublishResult> Client::CancelAlert(const std::string& topic,
                                                  const std::string& alert_id,
                                                  const std::string& reason) {
  v1::AlertUpdate update;
  update.set_kind(v1::AlertUpdate::CANCELLED);
  update.set_reason(reason);
  return PublishUpdate(topic, alert_id, std::move(update));
}

absl::StatusOr<PublishResult> Client::CloseAlert(const std::string& topic,
                                                 const std::string& alert_id,
                                                 const std::string& note) {
  v1::AlertUpdate update;
  update.set_kind(v1::AlertUpdate::CLOSED);
  update.set_reason(note);
  return PublishUpdate(topic, alert_id, std::move(update));
}

absl::StatusOr<PublishResult> Client::AmendAlert(const std::string& topic,
                                                 const std::string& alert_id,
                                                 const Amendment& change) {
  v1::AlertUpdate update;
  update.set_kind(v1::AlertUpdate::AMENDED);
  update.set_title(change.title);
  update.set_body(change.body);
  update.set_priority(change.priority);
  if (change.location.has_value()) *update.mutable_location() = *change.location;
  return PublishUpdate(topic, alert_id, std::move(update));
}

absl::StatusOr<PublishResult> Client::AssignAlert(const std::string& topic,
                                                  const std::string& alert_id,
                                                  const std::string& unit,
                                                  const std::string& note) {
  v1::AlertUpdate update;
  update.set_kind(v1::AlertUpdate::ASSIGNED);
  update.set_unit(unit);
  update.set_reason(note);
  return PublishUpdate(topic, alert_id, std::move(update));
}

absl::StatusOr<PublishResult> Client::PublishRadio(const std::string& topic, v1::RadioEvent radio) {
  v1::Event event;
  *event.mutable_radio() = std::move(radio);
  return Publish(topic, std::move(event));
}

absl::Status Client::PublishAsync(const std::string& topic, v1::Event event, v1::Priority priority,
                                  PubAckCallback done) {
  State& s = *state_;
  AnnotatedLock lock(&s.mutex);
  if (absl::Status usable = s.CheckUsable(); !usable.ok()) return usable;
  if (absl::Status connected = s.CheckConnected(); !connected.ok()) return connected;
  const uint64_t id = s.next_request_id++;
  s.async.emplace(id, std::move(done));
  if (!s.Send(s.SendOncePublishFrame(topic, std::move(event), priority, id), /*wait=*/true)) {
    s.async.erase(id);
    return absl::UnavailableError("cannot send to the broker");
  }
  s.ServeIfDue();
  s.RunCallbacks();
  return absl::OkStatus();
}

absl::Status Client::AwaitPubAcks(size_t max_outstanding, absl::Duration timeout) {
  State& s = *state_;
  AnnotatedLock lock(&s.mutex);
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    s.RunCallbacks();
    if (s.async.size() <= max_outstanding) return absl::OkStatus();
    if (absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat(s.async.size(), " publishes still await the broker's answer after ",
                       absl::FormatDuration(timeout)));
    }
    s.Pump(deadline, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {  // Pump calls it with s.mutex held
      return !s.async_done.empty() || s.async.size() <= max_outstanding;
    });
  }
}

size_t Client::outstanding_publishes() const {
  AnnotatedLock lock(&state_->mutex);
  return state_->async.size();
}

absl::Status Client::PublishNoAck(const std::string& topic, v1::Event event,
                                  v1::Priority priority) {
  State& s = *state_;
  AnnotatedLock lock(&s.mutex);
  if (absl::Status usable = s.CheckUsable(); !usable.ok()) return usable;
  if (absl::Status connected = s.CheckConnected(); !connected.ok()) return connected;
  if (!s.Send(s.SendOncePublishFrame(topic, std::move(event), priority, 0), /*wait=*/true)) {
    return absl::UnavailableError("cannot send to the broker");
  }
  s.ServeIfDue();
  return absl::OkStatus();
}

absl::Status Client::SendAck(const Message& message, v1::AckLevel level, const std::string& text) {
  AnnotatedLock lock(&state_->mutex);
  if (absl::Status usable = state_->CheckUsable(); !usable.ok()) return usable;
  v1::Frame frame;
  v1::AckFrame* ack = frame.mutable_ack();
  ack->set_seq(message.seq());
  ack->set_topic(message.topic());
  ack->set_level(level);
  ack->set_text(text);
  if (message.event().has_alert()) ack->set_alert_id(message.event().alert().alert_id());
  if (!state_->Send(frame, /*wait=*/true)) {
    return absl::UnavailableError("cannot send to the broker");
  }
  state_->ServeIfDue();
  return absl::OkStatus();
}

absl::StatusOr<HistoryPage> Client::History(const HistoryQuery& query) {
  AnnotatedLock lock(&state_->mutex);
  const uint64_t id = state_->next_request_id++;
  v1::Frame frame;
  v1::HistoryRequest* request = frame.mutable_history_request();
  request->set_request_id(id);
  request->set_pattern(query.pattern);
  request->set_since_seq(query.since_seq);
  request->set_since_unix_ms(query.since_unix_ms);
  request->set_limit(query.limit);
  absl::StatusOr<v1::Frame> reply = state_->Request(frame, id);
  HistoryPage page;
  while (true) {
    if (!reply.ok()) return reply.status();
    v1::HistoryReply& chunk = *reply->mutable_history_reply();
    for (v1::Deliver& d : *chunk.mutable_messages())
      page.messages.push_back(ToMessage(std::move(d)));
    if (chunk.done()) {
      page.next_seq = chunk.next_seq();
      return page;
    }
    reply = state_->AwaitReply(id, state_->options.request_timeout);
  }
}

absl::StatusOr<v1::AlertTimeline> Client::Timeline(const std::string& alert_id) {
  AnnotatedLock lock(&state_->mutex);
  v1::Frame frame;
  const uint64_t id = state_->next_request_id++;
  frame.mutable_timeline_request()->set_request_id(id);
  frame.mutable_timeline_request()->set_alert_id(alert_id);
  absl::StatusOr<v1::Frame> reply = state_->Request(frame, id);
  if (!reply.ok()) return reply.status();
  if (!reply->timeline_reply().found()) {
    return absl::NotFoundError(absl::StrCat("no alert '", alert_id, "' in the broker's journal"));
  }
  return reply->timeline_reply().timeline();
}

absl::StatusOr<v1::StatsSnapshot> Client::Stats() {
  AnnotatedLock lock(&state_->mutex);
  v1::Frame frame;
  const uint64_t id = state_->next_request_id++;
  frame.mutable_stats_request()->set_request_id(id);
  absl::StatusOr<v1::Frame> reply = state_->Request(frame, id);
  if (!reply.ok()) return reply.status();
  v1::StatsSnapshot stats;
  stats.mutable_counters()->swap(*reply->mutable_stats_reply()->mutable_counters());
  stats.mutable_gauges()->swap(*reply->mutable_stats_reply()->mutable_gauges());
  return stats;
}

absl::StatusOr<Message> Client::Next(absl::Duration timeout) {
  State& s = *state_;
  AnnotatedLock lock(&s.mutex);
  const absl::Time deadline = absl::Now() + timeout;
  // The socket is read at least once, even with a zero timeout.
  for (bool read = false;; read = true) {
    s.RunCallbacks();
    if (!s.inbox.empty()) {
      State::Inbound in = std::move(s.inbox.front());
      s.inbox.pop_front();
      if (!in.status.ok()) return in.status;
      return std::move(in.message);
    }
    if (absl::Status usable = s.CheckUsable(); !usable.ok()) return usable;
    if (read && absl::Now() >= deadline) {
      // A plain message: polling with short timeouts is a normal use, and
      // formatting the duration each time would cost more than the poll.
      return absl::DeadlineExceededError("no message within the timeout");
    }
    s.Pump(deadline, [&]() ABSL_NO_THREAD_SAFETY_ANALYSIS {  // Pump calls it with s.mutex held
      return !s.inbox.empty() || !s.async_done.empty();
    });
  }
}

bool Client::connected() const {
  AnnotatedLock lock(&state_->mutex);
  return state_->connected;
}

SessionInfo Client::session() const {
  AnnotatedLock lock(&state_->mutex);
  SessionInfo info;
  info.session_id = state_->welcome.session_id();
  info.unit_id = state_->welcome.unit_id();
  info.broker_id = state_->welcome.broker_id();
  info.last_seq = state_->welcome.last_seq();
  info.heartbeat = absl::Milliseconds(state_->welcome.heartbeat_ms());
  info.heartbeat_misses = state_->welcome.heartbeat_misses();
  info.max_frame_bytes = state_->welcome.max_frame_bytes();
  return info;
}

uint64_t Client::reconnects() const {
  AnnotatedLock lock(&state_->mutex);
  return state_->reconnects;
}

}  // namespace zonecast
