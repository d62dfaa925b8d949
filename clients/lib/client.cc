#include "zonecast/client.h"

#include <chrono>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "shared/protocol_version.h"
#include "shared/request_ids.h"
#include "shared/wire_status.h"
#include "zmq.hpp"

namespace zonecast {

struct Client::State {
  ClientOptions options;
  zmq::context_t context{1};
  zmq::socket_t socket{context, zmq::socket_type::dealer};
  v1::Welcome welcome;
  bool connected = false;
  bool superseded = false;  // SESSION_TAKEN_OVER: this client is done
  uint64_t reconnects = 0;
  uint64_t next_request_id = 1;
  std::vector<std::string> patterns;  // re-sent after a reconnect
  std::deque<v1::Frame> inbox;        // frames for Next()
  // Replies to synchronous requests that arrived while waiting for another.
  std::deque<v1::Frame> replies;
  absl::Time last_heard = absl::InfinitePast();
  absl::Time last_sent = absl::InfinitePast();
  absl::Time last_hello = absl::InfinitePast();
  absl::Duration heartbeat = absl::Seconds(1);
  absl::Duration hello_retry = absl::Seconds(1);
  uint32_t heartbeat_misses = 3;
  uint64_t resubscribe_request = 0;

  // Sends one frame without blocking. False if ZeroMQ has nowhere to put it
  // (no connection yet and its queue is full).
  // Sends one frame. With `wait`, when ZeroMQ's send queue is full (a
  // publisher far ahead of the broker) it waits for room up to
  // request_timeout: that wait is the backpressure a bounded publish window
  // expects. Without it (heartbeats, Hello, automatic acks, Goodbye) a full
  // queue drops the frame, so housekeeping never blocks the caller.
  bool Send(const v1::Frame& frame, bool wait = false) {
    std::string bytes = frame.SerializeAsString();
    const absl::Time deadline = absl::Now() + options.request_timeout;
    try {
      while (!socket.send(zmq::buffer(bytes), zmq::send_flags::dontwait)) {
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

  // (Re)creates the DEALER and connects it. A fresh socket also discards
  // whatever the old one still queued for a broker that went away (stale
  // Hellos and heartbeats), as the Lazy Pirate pattern does.
  absl::Status OpenSocket() {
    try {
      socket = zmq::socket_t(context, zmq::socket_type::dealer);
      // A short linger lets the Goodbye out at close without hanging on a
      // dead broker.
      socket.set(zmq::sockopt::linger, 200);
      socket.set(zmq::sockopt::reconnect_ivl, 100);
      socket.set(zmq::sockopt::reconnect_ivl_max, 2000);
      socket.set(zmq::sockopt::rcvhwm, 100000);
      socket.set(zmq::sockopt::sndhwm, 10000);
      socket.connect(options.broker);
    } catch (const zmq::error_t& e) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot connect to '", options.broker, "': ", e.what()));
    }
    return absl::OkStatus();
  }

  void SendHello() {
    v1::Frame frame;
    v1::Hello* hello = frame.mutable_hello();
    hello->set_protocol_version(kProtocolVersion);
    hello->set_role(options.role);
    hello->set_unit_id(options.unit_id);
    hello->set_patrol_group(options.patrol_group);
    hello->set_zone(options.zone);
    hello->set_client_name(options.client_name);
    Send(frame);
    last_hello = absl::Now();
  }

  void OnWelcome(const v1::Welcome& w) {
    const bool again = !welcome.session_id().empty();
    welcome = w;
    connected = true;
    if (w.heartbeat_ms() > 0) heartbeat = absl::Milliseconds(w.heartbeat_ms());
    hello_retry = std::max(heartbeat, absl::Milliseconds(500));
    if (w.heartbeat_misses() > 0) heartbeat_misses = w.heartbeat_misses();
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

  // Handles one received frame: internal ones are consumed, the rest queued.
  void Dispatch(v1::Frame frame) {
    last_heard = absl::Now();
    switch (frame.body_case()) {
      case v1::Frame::kHeartbeat:
        return;
      case v1::Frame::kWelcome:
        OnWelcome(frame.welcome());
        return;
      case v1::Frame::kGoodbye:
        connected = false;
        inbox.push_back(std::move(frame));
        return;
      case v1::Frame::kDeliver:
        if (options.auto_received) {
          v1::Frame ack;
          v1::AckFrame* a = ack.mutable_ack();
          a->set_seq(frame.deliver().seq());
          a->set_topic(frame.deliver().topic());
          a->set_level(v1::RECEIVED);
          if (frame.deliver().event().has_alert()) {
            a->set_alert_id(frame.deliver().event().alert().alert_id());
          }
          // Only durable messages (seq > 0) are acknowledged.
          if (a->seq() != 0) Send(ack);
        }
        inbox.push_back(std::move(frame));
        return;
      case v1::Frame::kError:
        if (frame.error().code() == v1::SESSION_TAKEN_OVER) {
          // Another connection with our unit id holds the session now (the
          // terminal moved on): never take it back.
          superseded = true;
          connected = false;
          inbox.push_back(std::move(frame));
          return;
        }
        if (frame.error().code() == v1::HELLO_REQUIRED) {
          if (superseded) return;
          // The broker lost our session (restart, or we were silent too
          // long): start a new one and resubscribe. Frames queued before
          // the loss each draw this error; one Hello answers them all.
          connected = false;
          if (absl::Now() - last_hello >= absl::Milliseconds(500)) SendHello();
          // A request that drew it is sent again by Request().
          if (frame.error().request_id() != 0) replies.push_back(std::move(frame));
          return;
        }
        if (frame.error().request_id() != 0) {
          replies.push_back(std::move(frame));
        } else {
          inbox.push_back(std::move(frame));
        }
        return;
      case v1::Frame::kSubscribed:
        if (frame.subscribed().request_id() == resubscribe_request) return;
        replies.push_back(std::move(frame));
        return;
      case v1::Frame::kPubAck:
      case v1::Frame::kStatsReply:
      case v1::Frame::kHistoryReply:
      case v1::Frame::kTimelineReply:
        replies.push_back(std::move(frame));
        return;
      default:
        return;  // nothing else is meant for clients
    }
  }

  // Keeps the session alive: heartbeats, dead-broker detection, re-Hello.
  void Maintain() {
    const absl::Time now = absl::Now();
    if (connected && now - last_heard > heartbeat * heartbeat_misses) connected = false;
    if (superseded) return;
    if (!connected) {
      // No answer to the last Hello: start over on a fresh socket.
      if (now - last_hello >= hello_retry) {
        if (last_hello != absl::InfinitePast()) (void)OpenSocket().ok();
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

  // Receives and dispatches frames until `done()` or the deadline.
  template <typename Done>
  void Pump(absl::Time deadline, Done done) {
    while (!done()) {
      Maintain();
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
      if (!(item.revents & ZMQ_POLLIN)) continue;
      // Drain what is there.
      for (int i = 0; i < 1024; ++i) {
        zmq::message_t message;
        bool got = false;
        try {
          got = socket.recv(message, zmq::recv_flags::dontwait).has_value();
        } catch (const zmq::error_t&) {
          got = false;
        }
        if (!got) break;
        v1::Frame frame;
        if (!frame.ParseFromArray(message.data(), static_cast<int>(message.size()))) continue;
        Dispatch(std::move(frame));
      }
    }
  }

  // Waits for the reply to `request_id`.
  absl::StatusOr<v1::Frame> AwaitReply(uint64_t request_id, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    auto find = [&]() -> std::optional<v1::Frame> {
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
    Pump(deadline, [&] {
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

  absl::StatusOr<v1::Frame> Request(const v1::Frame& frame, uint64_t request_id) {
    const absl::Time deadline = absl::Now() + options.request_timeout;
    while (true) {
      if (superseded) {
        return absl::FailedPreconditionError(
            "SESSION_TAKEN_OVER: a newer connection with this unit id holds the session");
      }
      // Wait for a session first; a request sent without one is refused.
      Pump(deadline, [&] { return connected || superseded; });
      if (!connected) {
        return absl::UnavailableError(
            absl::StrCat("not connected to the broker at ", options.broker));
      }
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
};

Client::Client(std::unique_ptr<State> state) : state_(std::move(state)) {}

Client::~Client() {
  if (state_->connected) {
    v1::Frame bye;
    bye.mutable_goodbye()->set_reason("client closing");
    state_->Send(bye);
  }
}

absl::StatusOr<std::unique_ptr<Client>> Client::Connect(const ClientOptions& options) {
  auto state = std::make_unique<State>();
  state->options = options;
  if (absl::Status status = state->OpenSocket(); !status.ok()) return status;
  State& s = *state;
  const absl::Time deadline = absl::Now() + options.connect_timeout;
  // Hello is repeated until answered. (No ZMQ_IMMEDIATE: with it, ZeroMQ
  // drops frames sent before the TCP connection is up, and discards frames
  // received but not yet read when a connection closes - a Goodbye, or a
  // Deliver.)
  s.hello_retry = std::min(absl::Seconds(1), options.connect_timeout / 2);
  s.SendHello();
  std::optional<absl::Status> refused;
  s.Pump(deadline, [&] {
    if (!s.replies.empty() || !s.inbox.empty()) {
      for (const v1::Frame& f : s.inbox) {
        if (f.has_error()) refused = StatusFromError(f.error());
      }
    }
    return s.connected || refused.has_value();
  });
  if (refused) return *refused;
  if (!s.connected) {
    return absl::UnavailableError(absl::StrCat("no answer from a zonecast broker at ",
                                               options.broker, " within ",
                                               absl::FormatDuration(options.connect_timeout)));
  }
  return std::unique_ptr<Client>(new Client(std::move(state)));
}

absl::Status Client::Subscribe(const std::vector<std::string>& patterns) {
  v1::Frame frame;
  const uint64_t id = state_->next_request_id++;
  frame.mutable_subscribe()->set_request_id(id);
  for (const std::string& p : patterns) frame.mutable_subscribe()->add_patterns(p);
  absl::StatusOr<v1::Frame> reply = state_->Request(std::move(frame), id);
  if (!reply.ok()) return reply.status();
  for (const std::string& p : patterns) {
    if (std::find(state_->patterns.begin(), state_->patterns.end(), p) == state_->patterns.end()) {
      state_->patterns.push_back(p);
    }
  }
  return absl::OkStatus();
}

absl::Status Client::Unsubscribe(const std::vector<std::string>& patterns) {
  v1::Frame frame;
  const uint64_t id = state_->next_request_id++;
  frame.mutable_unsubscribe()->set_request_id(id);
  for (const std::string& p : patterns) frame.mutable_unsubscribe()->add_patterns(p);
  absl::StatusOr<v1::Frame> reply = state_->Request(std::move(frame), id);
  if (!reply.ok()) return reply.status();
  for (const std::string& p : patterns) std::erase(state_->patterns, p);
  return absl::OkStatus();
}

absl::StatusOr<v1::PubAck> Client::Publish(v1::Publish publish) {
  const uint64_t id = state_->next_request_id++;
  publish.set_request_id(id);
  publish.set_sent_unix_ms(absl::ToUnixMillis(absl::Now()));
  v1::Frame frame;
  *frame.mutable_publish() = std::move(publish);
  absl::StatusOr<v1::Frame> reply = state_->Request(std::move(frame), id);
  if (!reply.ok()) return reply.status();
  return reply->pub_ack();
}

absl::StatusOr<uint64_t> Client::PublishAsync(v1::Publish publish) {
  const uint64_t id = state_->next_request_id++;
  publish.set_request_id(id);
  publish.set_sent_unix_ms(absl::ToUnixMillis(absl::Now()));
  v1::Frame frame;
  *frame.mutable_publish() = std::move(publish);
  if (!state_->connected) return absl::UnavailableError("not connected to the broker");
  if (!state_->Send(frame, /*wait=*/true))
    return absl::UnavailableError("cannot send to the broker");
  return id;
}

absl::Status Client::PublishNoAck(v1::Publish publish) {
  publish.set_request_id(0);
  publish.set_sent_unix_ms(absl::ToUnixMillis(absl::Now()));
  v1::Frame frame;
  *frame.mutable_publish() = std::move(publish);
  if (!state_->connected) return absl::UnavailableError("not connected to the broker");
  if (!state_->Send(frame, /*wait=*/true))
    return absl::UnavailableError("cannot send to the broker");
  return absl::OkStatus();
}

absl::Status Client::SendAck(const v1::Deliver& deliver, v1::AckLevel level,
                             const std::string& text) {
  v1::Frame frame;
  v1::AckFrame* ack = frame.mutable_ack();
  ack->set_seq(deliver.seq());
  ack->set_topic(deliver.topic());
  ack->set_level(level);
  ack->set_text(text);
  if (deliver.event().has_alert()) ack->set_alert_id(deliver.event().alert().alert_id());
  if (!state_->Send(frame, /*wait=*/true))
    return absl::UnavailableError("cannot send to the broker");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Deliver>> Client::History(v1::HistoryRequest request,
                                                         uint64_t* next_seq) {
  const uint64_t id = state_->next_request_id++;
  request.set_request_id(id);
  v1::Frame frame;
  *frame.mutable_history_request() = std::move(request);
  absl::StatusOr<v1::Frame> reply = state_->Request(std::move(frame), id);
  std::vector<v1::Deliver> out;
  while (true) {
    if (!reply.ok()) return reply.status();
    v1::HistoryReply& chunk = *reply->mutable_history_reply();
    for (v1::Deliver& d : *chunk.mutable_messages()) out.push_back(std::move(d));
    if (chunk.done()) {
      if (next_seq != nullptr) *next_seq = chunk.next_seq();
      return out;
    }
    reply = state_->AwaitReply(id, state_->options.request_timeout);
  }
}

absl::StatusOr<v1::AlertTimeline> Client::Timeline(const std::string& alert_id) {
  v1::Frame frame;
  const uint64_t id = state_->next_request_id++;
  frame.mutable_timeline_request()->set_request_id(id);
  frame.mutable_timeline_request()->set_alert_id(alert_id);
  absl::StatusOr<v1::Frame> reply = state_->Request(std::move(frame), id);
  if (!reply.ok()) return reply.status();
  if (!reply->timeline_reply().found()) {
    return absl::NotFoundError(absl::StrCat("no alert '", alert_id, "' in the broker's journal"));
  }
  return reply->timeline_reply().timeline();
}

absl::StatusOr<v1::StatsReply> Client::Stats() {
  v1::Frame frame;
  const uint64_t id = state_->next_request_id++;
  frame.mutable_stats_request()->set_request_id(id);
  absl::StatusOr<v1::Frame> reply = state_->Request(std::move(frame), id);
  if (!reply.ok()) return reply.status();
  return reply->stats_reply();
}

absl::StatusOr<std::optional<v1::Frame>> Client::Next(absl::Duration timeout) {
  State& s = *state_;
  // Replies nobody waits for (async PubAcks) are handed out too.
  auto take = [&]() -> std::optional<v1::Frame> {
    if (!s.inbox.empty()) {
      v1::Frame f = std::move(s.inbox.front());
      s.inbox.pop_front();
      return f;
    }
    if (!s.replies.empty()) {
      v1::Frame f = std::move(s.replies.front());
      s.replies.pop_front();
      return f;
    }
    return std::nullopt;
  };
  if (auto f = take()) return f;
  s.Pump(absl::Now() + timeout, [&] { return !s.inbox.empty() || !s.replies.empty(); });
  return take();
}

bool Client::connected() const { return state_->connected; }
const v1::Welcome& Client::welcome() const { return state_->welcome; }
uint64_t Client::reconnects() const { return state_->reconnects; }

}  // namespace zonecast
