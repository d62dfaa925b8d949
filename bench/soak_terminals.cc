// soak_terminals: one process's share of the soak's patrol terminals
// (bench/soak.sh). Connects --terminals real clients (libzonecast, one
// session each, units soak-t<N> over zones alert.jincheng.z01..), each
// subscribed to its zone; reads what arrives (the library acks RECEIVED by
// itself) and counts which alert ids each terminal got, until SIGTERM or
// --duration_s. Then writes its report to --report:
//
//   terminals <configured> <connected>
//   lost <session losses seen (the library reconnects by itself)>
//   zone <zone> <terminals in it>
//   alert <alert id> <zone> <terminals of this process that got it>
//
// --lazy_every K makes every K-th terminal a lazy reader: it reads only
// every --lazy_pause_ms (its RECEIVED acks still go out from the library).
//
// --wire carries all of the process's terminals on one ZeroMQ context and
// one poll loop, speaking the wire protocol the way libzonecast does (Hello,
// subscribe, RECEIVED for each durable delivery, heartbeats, a new Hello
// with backoff and jitter after a lost session). A library Client costs
// three threads (its keeper, ZeroMQ's I/O and reaper threads), so 10,000 of
// them do not fit one 2-core machine; the broker cannot tell the two apart.
// A lazy wire terminal leaves its socket unread for --lazy_pause_ms at a
// time, RECEIVED acks included, while its heartbeats still go out.
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <csignal>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "jincheng_grid.h"
#include "shared/protocol_version.h"
#include "zmq.hpp"
#include "zonecast/client.h"
#include "zonecast/wire.pb.h"

ABSL_FLAG(std::string, broker, "tcp://127.0.0.1:7400", "zonecastd endpoint");
ABSL_FLAG(int32_t, terminals, 1000, "Terminals this process connects");
ABSL_FLAG(int32_t, first_index, 0, "Index of this process's first terminal (unit soak-t<N>)");
ABSL_FLAG(int32_t, zones, 10, "Zones alert.jincheng.z01..; terminal N is in zone N mod zones");
ABSL_FLAG(int32_t, readers, 1, "Threads reading the terminals' messages");
ABSL_FLAG(int32_t, sweep_ms, 50,
          "Pause after a pass over the terminals that found nothing (the library keeps what "
          "arrives meanwhile and acks RECEIVED by itself)");
ABSL_FLAG(int32_t, connectors, 32, "Threads connecting terminals at start");
ABSL_FLAG(int32_t, lazy_every, 0, "Every K-th terminal reads only now and then; 0: none");
ABSL_FLAG(int32_t, lazy_pause_ms, 2000, "How long a lazy terminal goes without reading");
ABSL_FLAG(int32_t, duration_s, 3600, "Stop after this long if not signalled");
ABSL_FLAG(std::string, report, "", "Where the report goes (default: stdout)");
ABSL_FLAG(bool, wire, false,
          "All terminals on one ZeroMQ context and one poll loop, speaking the wire protocol, "
          "instead of one library Client (three threads) each");
ABSL_FLAG(int32_t, seed, 1, "Seeds the wire terminals' reconnect jitter");
ABSL_FLAG(int32_t, position_every_ms, 0,
          "Wire terminals: each sends a radio POSITION about this often (jittered), walking "
          "about its zone of the Jincheng outlines (0: never)");
ABSL_FLAG(int32_t, connect_spread_ms, 2000, "Wire terminals' first Hellos spread over this long");
ABSL_FLAG(bool, fresh_socket_per_hello, false,
          "Wire terminals retry an unanswered Hello on a fresh socket (the Lazy Pirate way, "
          "which the library once followed); default: on the same one, as the library does");

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void OnSignal(int) { stop_requested = 1; }

// One terminal's session in --wire mode.
struct WireSession {
  std::unique_ptr<zmq::socket_t> socket;
  bool connected = false;   // welcomed
  bool subscribed = false;  // and its zone subscription confirmed
  bool ended = false;       // key revoked: never says Hello again
  int hellos_unanswered = 0;
  // Hello's instance (this process, nonzero) and attempt, as the library
  // sends them: a late copy of an older Hello then takes nothing over.
  uint64_t instance = 0;
  uint64_t hellos_sent = 0;
  // As the library: one socket for Hellos until a session is lost or a
  // socket answered three with nothing.
  bool fresh_socket_due = false;
  int hellos_on_socket = 0;
  uint64_t subscribe_request = 0;
  absl::Time last_heard = absl::InfinitePast();
  absl::Time last_sent = absl::InfinitePast();
  absl::Time last_hello = absl::InfinitePast();
  absl::Time next_hello = absl::InfinitePast();
  absl::Duration heartbeat = absl::Seconds(1);
  uint32_t heartbeat_misses = 3;
  absl::Time next_position = absl::InfinitePast();
  double walk_u = -1;  // where in its zone, in [0, 1) (-1: not placed yet)
  double walk_v = 0;
};

struct Terminal {
  std::unique_ptr<zonecast::Client> client;  // library mode
  WireSession wire;                          // --wire mode
  std::string unit_id;
  std::string zone;
  bool lazy = false;
  bool ever_connected = false;
  absl::Time next_read = absl::InfinitePast();
  std::set<std::string> alerts;  // distinct alert ids received
  uint64_t lost = 0;
};

std::string ZoneName(int index, int zones) { return absl::StrFormat("z%02d", index % zones + 1); }

// Connects terminals [begin, end) of `all`, one by one.
void ConnectRange(std::vector<Terminal>& all, size_t begin, size_t end, const std::string& broker) {
  for (size_t i = begin; i < end; ++i) {
    Terminal& t = all[i];
    zonecast::ClientOptions options;
    options.broker = broker;
    options.role = zonecast::v1::TERMINAL;
    options.unit_id = t.unit_id;
    options.zone = t.zone;
    options.connect_timeout = absl::Seconds(30);
    options.request_timeout = absl::Seconds(30);
    for (int attempt = 0; attempt < 5 && t.client == nullptr && !stop_requested; ++attempt) {
      absl::StatusOr<std::unique_ptr<zonecast::Client>> client = zonecast::Client::Connect(options);
      if (!client.ok()) {
        std::cerr << options.unit_id << ": " << client.status() << "\n";
        continue;
      }
      absl::Status subscribed = (*client)->Subscribe({"alert.jincheng." + t.zone});
      if (!subscribed.ok()) {
        std::cerr << options.unit_id << ": subscribe: " << subscribed << "\n";
        continue;
      }
      t.client = std::move(client).value();
      t.ever_connected = true;
    }
  }
}

// Reads terminals [begin, end) until asked to stop.
void ReadRange(std::vector<Terminal>& all, size_t begin, size_t end, absl::Time deadline) {
  const absl::Duration lazy_pause = absl::Milliseconds(absl::GetFlag(FLAGS_lazy_pause_ms));
  const absl::Duration sweep = absl::Milliseconds(absl::GetFlag(FLAGS_sweep_ms));
  while (!stop_requested && absl::Now() < deadline) {
    bool got_any = false;
    const absl::Time now = absl::Now();
    for (size_t i = begin; i < end; ++i) {
      Terminal& t = all[i];
      if (t.client == nullptr) continue;
      if (t.lazy && now < t.next_read) continue;
      if (t.lazy) t.next_read = now + lazy_pause;
      // Drain what this terminal holds, without waiting.
      for (int n = 0; n < 256; ++n) {
        absl::StatusOr<zonecast::Message> message = t.client->Next(absl::ZeroDuration());
        if (message.ok()) {
          got_any = true;
          if (message->event().has_alert()) t.alerts.insert(message->event().alert().alert_id());
          continue;
        }
        if (zonecast::IsSessionLost(message.status())) {
          ++t.lost;
          continue;
        }
        break;  // nothing now (or a Goodbye, an error: keep going)
      }
    }
    if (!got_any) absl::SleepFor(sweep);
  }
}

// --wire mode: every terminal of the process on one context and one loop.
class WireFleet {
 public:
  WireFleet(std::vector<Terminal>& all, std::string broker, uint32_t seed)
      : all_(all),
        broker_(std::move(broker)),
        rng_(seed),
        epoll_(epoll_create1(EPOLL_CLOEXEC)),
        queued_(all.size(), false) {
    // A replaced socket counts until ZeroMQ's reaper has closed it: room
    // for a few generations of every terminal's socket.
    context_.set(zmq::ctxopt::max_sockets, static_cast<int>(all.size()) * 8 + 64);
  }

  // The sockets go before the context, whose end waits for them.
  ~WireFleet() {
    for (Terminal& t : all_) t.wire.socket.reset();
    close(epoll_);
  }
  WireFleet(const WireFleet&) = delete;
  WireFleet& operator=(const WireFleet&) = delete;

  // Says Hello for every terminal and serves them until all are welcomed
  // and subscribed, or until `deadline`. Returns how many are.
  size_t Connect(absl::Time deadline) {
    // First Hellos spread over --connect_spread_ms, as terminals switched
    // on through a shift would come.
    const absl::Time now = absl::Now();
    const absl::Duration spread = absl::Milliseconds(absl::GetFlag(FLAGS_connect_spread_ms));
    for (size_t i = 0; i < all_.size(); ++i) {
      all_[i].wire.next_hello = now + spread * static_cast<double>(i) / all_.size();
    }
    size_t ready = 0;
    while (!stop_requested && absl::Now() < deadline) {
      Turn(/*respect_lazy=*/false);
      ready = 0;
      for (const Terminal& t : all_) ready += t.wire.subscribed ? 1 : 0;
      if (ready == all_.size()) break;
    }
    return ready;
  }

  // Serves the terminals until asked to stop or `deadline`.
  void Run(absl::Time deadline) {
    while (!stop_requested && absl::Now() < deadline) Turn(/*respect_lazy=*/true);
  }

 private:
  // The pause before the next Hello after `unanswered` went unanswered:
  // doubling from 2 s to 16 s, each drawn from its upper half, so that
  // terminals which lost the broker together do not all come back together
  // (a Hello waiting in the socket still goes as soon as it connects).
  absl::Duration HelloDelay(int unanswered) {
    const int64_t ceiling_ms = std::min<int64_t>(16000, int64_t{2000} << std::min(unanswered, 3));
    return absl::Milliseconds(
        std::uniform_int_distribution<int64_t>(ceiling_ms / 2, ceiling_ms)(rng_));
  }

  // A fresh DEALER (the old one's queued Hellos and beats are dropped).
  void Open(size_t i) {
    WireSession& w = all_[i].wire;
    if (w.socket != nullptr) {
      epoll_ctl(epoll_, EPOLL_CTL_DEL, w.socket->get(zmq::sockopt::fd), nullptr);
      w.socket->set(zmq::sockopt::linger, 0);
    }
    w.socket = std::make_unique<zmq::socket_t>(context_, zmq::socket_type::dealer);
    w.socket->set(zmq::sockopt::linger, 0);
    w.socket->set(zmq::sockopt::reconnect_ivl, 100);
    w.socket->set(zmq::sockopt::reconnect_ivl_max, 2000);
    w.socket->set(zmq::sockopt::rcvhwm, 100000);
    w.socket->set(zmq::sockopt::sndhwm, 10000);
    w.socket->connect(broker_);
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u64 = i;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, w.socket->get(zmq::sockopt::fd), &event);
  }

  // Without waiting: a full queue drops housekeeping, as the library does.
  void Send(size_t i, const zonecast::v1::Frame& frame, absl::Time now) {
    WireSession& w = all_[i].wire;
    scratch_.clear();
    frame.SerializeToString(&scratch_);
    try {
      if (w.socket->send(zmq::buffer(scratch_), zmq::send_flags::dontwait)) w.last_sent = now;
    } catch (const zmq::error_t&) {
      // EINTR and the like: the next heartbeat or Hello goes again.
    }
    MarkIfReadable(i);
  }

  // Puts socket i in line to be read, once.
  void MarkReady(size_t i) {
    if (queued_[i]) return;
    queued_[i] = true;
    ready_.push_back(i);
  }

  // A ZeroMQ socket's descriptor signals only changes: any call on the
  // socket may take in frames without the descriptor saying so again, so
  // after each one the socket is asked, and read on the next turn if it
  // holds frames.
  void MarkIfReadable(size_t i) {
    try {
      if ((all_[i].wire.socket->get(zmq::sockopt::events) & ZMQ_POLLIN) != 0) MarkReady(i);
    } catch (const zmq::error_t&) {
      // Judged again on the next call.
    }
  }

  void SendHello(size_t i, absl::Time now) {
    Terminal& t = all_[i];
    WireSession& w = t.wire;
    // Retries on the same socket, as the library does (or a fresh one per
    // retry, to compare).
    if (w.socket == nullptr || w.fresh_socket_due || w.hellos_on_socket >= 3 ||
        (fresh_socket_per_hello_ && w.last_hello != absl::InfinitePast())) {
      Open(i);
      w.fresh_socket_due = false;
      w.hellos_on_socket = 0;
    }
    ++w.hellos_on_socket;
    zonecast::v1::Frame frame;
    zonecast::v1::Hello* hello = frame.mutable_hello();
    hello->set_protocol_version(zonecast::kProtocolVersion);
    hello->set_role(zonecast::v1::TERMINAL);
    hello->set_unit_id(t.unit_id);
    hello->set_zone(t.zone);
    hello->set_client_name("soak_terminals --wire");
    hello->set_instance(w.instance);
    hello->set_attempt(++w.hellos_sent);
    Send(i, frame, now);
    w.last_hello = now;
    w.next_hello = now + HelloDelay(w.hellos_unanswered++);
  }

  // The session is gone: a new Hello after a short random pause.
  void Lose(size_t i, absl::Time now) {
    WireSession& w = all_[i].wire;
    if (w.connected) ++all_[i].lost;
    w.connected = false;
    w.fresh_socket_due = true;
    w.subscribed = false;
    w.hellos_unanswered = 0;
    w.next_hello = now + absl::Milliseconds(std::uniform_int_distribution<int64_t>(0, 500)(rng_));
  }

  void OnFrame(size_t i, zonecast::v1::Frame& frame, absl::Time now) {
    Terminal& t = all_[i];
    WireSession& w = t.wire;
    w.last_heard = now;
    switch (frame.body_case()) {
      case zonecast::v1::Frame::kWelcome: {
        const zonecast::v1::Welcome& welcome = frame.welcome();
        w.connected = true;
        w.hellos_unanswered = 0;
        if (welcome.heartbeat_ms() > 0) w.heartbeat = absl::Milliseconds(welcome.heartbeat_ms());
        if (welcome.heartbeat_misses() > 0) w.heartbeat_misses = welcome.heartbeat_misses();
        zonecast::v1::Frame subscribe;
        w.subscribe_request = ++next_request_;
        subscribe.mutable_subscribe()->set_request_id(w.subscribe_request);
        subscribe.mutable_subscribe()->add_patterns("alert.jincheng." + t.zone);
        Send(i, subscribe, now);
        return;
      }
      case zonecast::v1::Frame::kSubscribed:
        if (frame.subscribed().request_id() == w.subscribe_request && w.connected) {
          w.subscribed = true;
          t.ever_connected = true;
        }
        return;
      case zonecast::v1::Frame::kDeliver: {
        const zonecast::v1::Deliver& deliver = frame.deliver();
        const bool alert = deliver.event().has_alert();
        if (alert) t.alerts.insert(deliver.event().alert().alert_id());
        if (deliver.seq() != 0) {
          zonecast::v1::Frame ack;
          zonecast::v1::AckFrame* a = ack.mutable_ack();
          a->set_seq(deliver.seq());
          a->set_topic(deliver.topic());
          a->set_level(zonecast::v1::RECEIVED);
          if (alert) a->set_alert_id(deliver.event().alert().alert_id());
          Send(i, ack, now);
        }
        return;
      }
      case zonecast::v1::Frame::kError:
        switch (frame.error().code()) {
          case zonecast::v1::HELLO_REQUIRED:
            // The broker no longer knows the session (it restarted, or
            // heard nothing for too long): one Hello answers every frame
            // that drew this.
            if (w.connected) {
              Lose(i, now);
              w.next_hello = now;
              w.fresh_socket_due = false;  // this connection works
            }
            return;
          case zonecast::v1::SESSION_TAKEN_OVER:
            // Nobody else uses this unit id: what took over was this
            // terminal's own stale Hello, from a socket it replaced, that
            // reached the broker late. Take the session back.
            Lose(i, now);
            return;
          case zonecast::v1::KEY_REVOKED:
            w.ended = true;
            w.connected = false;
            w.subscribed = false;
            return;
          default:
            return;
        }
      case zonecast::v1::Frame::kGoodbye:
        Lose(i, now);
        return;
      default:
        return;  // heartbeats, and nothing else is meant for terminals
    }
  }

  // Reads what terminal i's socket holds, up to `max` frames.
  void Drain(size_t i, int max, absl::Time now) {
    for (int n = 0; n < max; ++n) {
      zmq::message_t message;
      bool got = false;
      try {
        got = all_[i].wire.socket->recv(message, zmq::recv_flags::dontwait).has_value();
      } catch (const zmq::error_t&) {
        got = false;
      }
      if (!got) return;
      if (!frame_.ParseFromArray(message.data(), static_cast<int>(message.size()))) continue;
      OnFrame(i, frame_, now);
    }
    MarkIfReadable(i);  // more than `max` waited
  }

  // Heartbeats, a silent broker noticed, Hellos retried.
  void Maintain(size_t i, absl::Time now) {
    WireSession& w = all_[i].wire;
    if (w.ended) return;
    if (w.connected && now - w.last_heard > w.heartbeat * w.heartbeat_misses) {
      // Frames waiting unread are this process being behind, not a silent
      // broker (the library judges the same way).
      if ((w.socket->get(zmq::sockopt::events) & ZMQ_POLLIN) != 0) {
        w.last_heard = now;
      } else {
        Lose(i, now);
      }
    }
    if (!w.connected) {
      if (now >= w.next_hello) SendHello(i, now);
      return;
    }
    if (now - w.last_sent >= w.heartbeat) {
      zonecast::v1::Frame beat;
      beat.mutable_heartbeat()->set_unix_ms(absl::ToUnixMillis(now));
      Send(i, beat, now);
    }
    if (position_every_ > absl::ZeroDuration() && w.subscribed && now >= w.next_position) {
      SendPosition(i, now);
    }
  }

  // A best-effort radio POSITION a step from the last one, inside the
  // terminal's zone of the Jincheng outlines (jincheng_grid.h).
  void SendPosition(size_t i, absl::Time now) {
    Terminal& t = all_[i];
    WireSession& w = t.wire;
    std::uniform_real_distribution<double> anywhere(0, 1);
    std::uniform_real_distribution<double> step(-0.08, 0.08);
    if (w.walk_u < 0) {
      w.walk_u = anywhere(rng_);
      w.walk_v = anywhere(rng_);
    }
    w.walk_u = std::clamp(w.walk_u + step(rng_), 0.0, 1.0);
    w.walk_v = std::clamp(w.walk_v + step(rng_), 0.0, 1.0);
    int zone = 1;
    (void)absl::SimpleAtoi(t.zone.substr(1), &zone);
    const int z = (zone - 1) % 10;
    zonecast::v1::Frame frame;
    zonecast::v1::Publish* publish = frame.mutable_publish();
    publish->set_topic(absl::StrCat("radio.jincheng.", t.zone, ".", t.unit_id));
    publish->set_sent_unix_ms(absl::ToUnixMillis(now));
    zonecast::v1::RadioEvent* radio = publish->mutable_event()->mutable_radio();
    radio->set_unit(t.unit_id);
    radio->set_kind(zonecast::v1::RadioEvent::POSITION);
    const auto [lat, lon] = zonecast::bench::PointInZone(z, w.walk_u, w.walk_v);
    radio->mutable_position()->set_lat(lat);
    radio->mutable_position()->set_lon(lon);
    radio->set_event_unix_ms(absl::ToUnixMillis(now));
    Send(i, frame, now);
    w.next_position = now + position_every_ * (0.5 + anywhere(rng_));
  }

  // Waits (epoll, at most 10 ms) for sockets with frames, reads each in a
  // bounded slice (so no terminal starves the others), and every 50 ms
  // beats, judges liveness, retries Hellos and reads the lazy terminals
  // whose pause is over.
  void Turn(bool respect_lazy) {
    std::array<epoll_event, 512> events;
    const int n =
        epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), ready_.empty() ? 10 : 0);
    const absl::Time now = absl::Now();
    for (int k = 0; k < n; ++k) MarkReady(static_cast<size_t>(events[k].data.u64));
    // At most 64 sockets of 64 frames a turn, so heartbeats go out on time
    // however much arrives; the others wait in line for the next turns.
    for (int budget = 64; budget > 0 && !ready_.empty(); --budget) {
      const size_t i = ready_.front();
      ready_.pop_front();
      queued_[i] = false;
      Terminal& t = all_[i];
      if (t.wire.socket == nullptr) continue;
      if (respect_lazy && t.lazy) {
        // Read below, when its pause is over; asking quiets the descriptor.
        (void)t.wire.socket->get(zmq::sockopt::events);
        continue;
      }
      Drain(i, 64, now);
    }
    if (now - last_upkeep_ < absl::Milliseconds(50)) return;
    last_upkeep_ = now;
    const absl::Duration lazy_pause = absl::Milliseconds(absl::GetFlag(FLAGS_lazy_pause_ms));
    for (size_t i = 0; i < all_.size(); ++i) {
      Terminal& t = all_[i];
      if (respect_lazy && t.lazy && t.wire.socket != nullptr && now >= t.next_read) {
        Drain(i, 1 << 20, now);  // everything that piled up, then a pause
        t.next_read = now + lazy_pause;
      }
      Maintain(i, now);
    }
  }

  std::vector<Terminal>& all_;
  const std::string broker_;
  std::mt19937 rng_;
  zmq::context_t context_{1};
  const int epoll_;
  std::deque<size_t> ready_;   // sockets known to hold frames, in line to be read
  std::vector<bool> queued_;   // by terminal: in ready_
  zonecast::v1::Frame frame_;  // reused for every frame read
  std::string scratch_;        // reused for every frame sent
  uint64_t next_request_ = 0;
  absl::Time last_upkeep_ = absl::InfinitePast();
  const bool fresh_socket_per_hello_ = absl::GetFlag(FLAGS_fresh_socket_per_hello);
  const absl::Duration position_every_ = absl::Milliseconds(absl::GetFlag(FLAGS_position_every_ms));
};

void WriteReport(const std::vector<Terminal>& all, int zones, std::ostream& out) {
  size_t connected = 0;
  uint64_t lost = 0;
  std::map<std::string, size_t> per_zone;
  std::map<std::string, std::pair<std::string, size_t>> per_alert;  // id -> zone, terminals
  for (const Terminal& t : all) {
    if (!t.ever_connected) continue;
    ++connected;
    lost += t.lost;
    ++per_zone[t.zone];
    for (const std::string& id : t.alerts) {
      auto& entry = per_alert[id];
      entry.first = t.zone;
      ++entry.second;
    }
  }
  out << "terminals " << all.size() << " " << connected << "\n";
  out << "lost " << lost << "\n";
  for (int z = 0; z < zones; ++z) {
    const std::string zone = ZoneName(z, zones);
    out << "zone " << zone << " " << per_zone[zone] << "\n";
  }
  for (const auto& [id, entry] : per_alert) {
    out << "alert " << id << " " << entry.first << " " << entry.second << "\n";
  }
}

}  // namespace

// Runs the terminals; main() turns a ZeroMQ failure (no descriptors left,
// a bad endpoint) into a message and exit status 1.
int Run(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "soak_terminals --broker EP --terminals N --first_index K [--report FILE]\n"
      "One process's share of bench/soak.sh's patrol terminals.");
  absl::ParseCommandLine(argc, argv);
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  const int count = absl::GetFlag(FLAGS_terminals);
  const int zones = absl::GetFlag(FLAGS_zones);
  const int first = absl::GetFlag(FLAGS_first_index);
  const int lazy_every = absl::GetFlag(FLAGS_lazy_every);
  if (count < 1 || zones < 1) {
    std::cerr << "soak_terminals: --terminals and --zones must be >= 1\n";
    return 2;
  }
  std::vector<Terminal> all(static_cast<size_t>(count));
  const uint64_t instance = (uint64_t{std::random_device{}()} << 32) | std::random_device{}() | 1;
  for (int i = 0; i < count; ++i) {
    all[i].unit_id = absl::StrCat("soak-t", first + i);
    all[i].zone = ZoneName(first + i, zones);
    all[i].lazy = lazy_every > 0 && (first + i) % lazy_every == lazy_every - 1;
    all[i].wire.instance = instance;
  }
  const absl::Time started = absl::Now();
  const absl::Time deadline = started + absl::Seconds(absl::GetFlag(FLAGS_duration_s));
  const std::string broker = absl::GetFlag(FLAGS_broker);
  std::unique_ptr<WireFleet> fleet;
  size_t connected = 0;
  if (absl::GetFlag(FLAGS_wire)) {
    fleet = std::make_unique<WireFleet>(all, broker,
                                        static_cast<uint32_t>(absl::GetFlag(FLAGS_seed) + first));
    connected = fleet->Connect(std::min(deadline, started + absl::Seconds(120)));
  } else {
    const size_t threads = std::max(1, absl::GetFlag(FLAGS_connectors));
    std::vector<std::thread> connectors;
    for (size_t k = 0; k < threads; ++k) {
      const size_t begin = all.size() * k / threads;
      const size_t end = all.size() * (k + 1) / threads;
      connectors.emplace_back(ConnectRange, std::ref(all), begin, end, broker);
    }
    for (std::thread& t : connectors) t.join();
    for (const Terminal& t : all) connected += t.client != nullptr ? 1 : 0;
  }
  // The driver waits for this line before it starts publishing.
  std::cout << "connected " << connected << " of " << count << " in "
            << absl::FormatDuration(absl::Now() - started) << std::endl;

  if (fleet != nullptr) {
    fleet->Run(deadline);
  } else {
    const size_t threads = std::max(1, absl::GetFlag(FLAGS_readers));
    std::vector<std::thread> readers;
    for (size_t k = 0; k < threads; ++k) {
      const size_t begin = all.size() * k / threads;
      const size_t end = all.size() * (k + 1) / threads;
      readers.emplace_back(ReadRange, std::ref(all), begin, end, deadline);
    }
    for (std::thread& t : readers) t.join();
  }
  const std::string report = absl::GetFlag(FLAGS_report);
  if (report.empty()) {
    WriteReport(all, zones, std::cout);
  } else {
    std::ofstream out(report);
    WriteReport(all, zones, out);
    if (!out) {
      std::cerr << "soak_terminals: cannot write " << report << "\n";
      return 1;
    }
  }
  // Library clients say Goodbye as they go; wire terminals just close
  // (the broker notices the silence, as with a terminal switched off).
  return 0;
}

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "soak_terminals: " << e.what() << "\n";
    return 1;
  }
}
