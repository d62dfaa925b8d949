// jincheng_night: the seed's night in one run (bench/jincheng-night.sh).
//
// Starts a real zonecastd (--zonecastd) on a free loopback port with the
// Jincheng zones map, its response deadlines divided by --speed, and plays
// --minutes of simulated night at --speed times real time:
//   - the command center: --operators consoles, each publishing its share
//     of a seeded incident mix drawn from the seed (P1 a woman outside the
//     Lanhua bridge railing, P2 a quarrel with a smashed car, P3 lost
//     property handed in, P4 a shop's fire-extinguisher check), retrying an
//     unanswered publish with the same id until it is acknowledged, and now
//     and then amending or cancelling one;
//   - 10 patrol groups tied to 10 stations, --units terminals each: each
//     receives its zone's alerts, some officers accept after a human-like
//     delay (log-normal, by priority), some never answer, those that hear
//     the alert taken stand down; accepted alerts go ON_SCENE and RESOLVED;
//     positions every 30 simulated seconds; terminals drop off the mobile
//     network and come back; one officer presses the emergency button;
//   - a probe sending a canary each second;
//   - one kill -9 of the broker at --kill_at of the night and a restart.
// Then it reads every alert's timeline back from the broker and writes to
// --out: report.txt, report.html with gnuplot's SVG plots, and the samples.
// Exit 0 when every P1 was accepted or escalated within its deadline + 1 s
// and every alert is accounted for; 1 otherwise; 2 on bad flags.
//
// Everything random comes from --seed: the same seed plays the same night
// (the broker's and the machine's timing still vary a little).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
#include "jincheng_grid.h"
#include "zonecast/client.h"
#include "zonecast/config.pb.h"

ABSL_FLAG(std::string, zonecastd, "build-release/broker/zonecastd", "The broker to run");
ABSL_FLAG(std::string, zones, "deploy/zones/jincheng.json", "The Jincheng zones map");
ABSL_FLAG(std::string, out, "jincheng-night", "Where the report and the broker's data go");
ABSL_FLAG(uint64_t, seed, 20260801, "Seed of everything random");
ABSL_FLAG(double, minutes, 10, "Simulated minutes of night");
ABSL_FLAG(double, speed, 10, "Simulated seconds per real second (deadlines are divided by it)");
ABSL_FLAG(int32_t, units, 10, "Terminals per patrol group (10 groups)");
ABSL_FLAG(int32_t, operators, 3, "Center consoles publishing in parallel");
ABSL_FLAG(double, incident_every_s, 12, "Mean simulated seconds between incidents");
ABSL_FLAG(double, kill_at, 0.5, "Fraction of the night at which the broker is killed (-9)");
ABSL_FLAG(double, silent_share, 0.2, "Share of officers who never answer");
ABSL_FLAG(double, drop_every_s, 400, "Mean simulated seconds between a terminal's network drops");
ABSL_FLAG(int32_t, p1_units, 2, "Units a P1 needs (zones map units_needed)");
ABSL_FLAG(std::string, gnuplot, "gnuplot", "gnuplot, for the plots (empty: no plots)");

namespace {

namespace v1 = zonecast::v1;
using zonecast::Client;
using zonecast::ClientOptions;
using zonecast::Message;
using zonecast::PublishResult;
using Clock = std::chrono::steady_clock;

constexpr int kZones = 10;
// Real milliseconds before and after the kill -9 in which an alert's
// delivery may include the outage (the terminals are back within ~3 s).
constexpr double kBeforeKillMs = 1000;
constexpr double kAfterKillMs = 4000;
constexpr char kCity[] = "jincheng";

std::string ZoneId(int zone) { return absl::StrFormat("z%02d", zone + 1); }
std::string AlertTopic(int zone) { return absl::StrCat("alert.", kCity, ".", ZoneId(zone)); }
std::string UnitId(int zone, int unit) {
  return absl::StrFormat("jc-z%02d-v%02d", zone + 1, unit + 1);
}

// The night's clock: simulated seconds since the start, --speed times real.
class NightClock {
 public:
  explicit NightClock(double speed) : speed_(speed), start_(Clock::now()) {}
  double Now() const {
    return std::chrono::duration<double>(Clock::now() - start_).count() * speed_;
  }
  absl::Duration Real(double sim_s) const { return absl::Seconds(sim_s / speed_); }
  // Sleeps until simulated time `sim_s` or until `stop`; false if stopped.
  bool SleepUntil(double sim_s, const std::atomic<bool>& stop) const {
    while (!stop.load()) {
      const double left = sim_s - Now();
      if (left <= 0) return true;
      absl::SleepFor(std::min(Real(left), absl::Milliseconds(50)));
    }
    return false;
  }
  double speed() const { return speed_; }

 private:
  double speed_;
  Clock::time_point start_;
};

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }
// Milliseconds with microseconds, for latencies measured in this process.
double NowMsFine() { return static_cast<double>(absl::ToUnixMicros(absl::Now())) / 1000; }

// ---------------------------------------------------------------- broker

// zonecastd as a child process, restarted on the same port and data.
// The broker running now, for a stop signal to take down with the driver
// (a watcher of `zonecast demo` ends the night with Ctrl-C or kill).
std::atomic<pid_t> g_broker_pid{0};

void StopBrokerAndDie(int signal) {
  if (const pid_t pid = g_broker_pid.load(); pid > 0) ::kill(pid, SIGTERM);
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

class Broker {
 public:
  Broker(std::string binary, std::vector<std::string> args)
      : binary_(std::move(binary)), args_(std::move(args)) {}
  ~Broker() { Stop(SIGTERM); }

  bool Start(const std::string& log_path) {
    std::vector<char*> argv;
    argv.push_back(binary_.data());
    for (std::string& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    const int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      std::cerr << "jincheng_night: cannot start " << binary_ << ": " << std::strerror(rc) << "\n";
      pid_ = 0;
      return false;
    }
    g_broker_pid = pid_;
    return true;
  }

  void Stop(int signal) {
    if (pid_ <= 0) return;
    g_broker_pid = 0;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  pid_t pid_ = 0;
};

// A loopback port the kernel hands out for an ephemeral bind: free right
// after (the broker binds it a moment later).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// ---------------------------------------------------------------- ledger

// What the driver saw, for the report. Guarded by one mutex: the night is
// small (tens of alerts, a hundred terminals).
struct AlertRecord {
  std::string id;
  int zone = 0;
  v1::Priority priority = v1::P4;
  std::string title;
  std::string op;
  double sim_at = 0;      // simulated time of the incident
  double sent_ms = -1;    // first publish attempt (driver wall clock)
  int64_t acked_ms = -1;  // PubAck
  int attempts = 0;
  std::string failure;  // never acknowledged: the last error
  bool amended = false;
  bool cancelled = false;
  std::vector<double> delivery_ms;  // each unit's first live receipt - sent
};

struct Ledger {
  std::mutex mu;
  std::map<std::string, AlertRecord> alerts;
  std::vector<double> canary_ms;
  int canaries_sent = 0;
  int drops = 0;
  int accepts = 0;
  int stand_downs = 0;
  int emergencies = 0;
  double kill_sim = -1;
  double kill_ms = -1;  // wall clock of the kill
  double restart_real_s = 0;
};

// ---------------------------------------------------------------- scenario

using zonecast::bench::PointInZone;

struct Incident {
  double at = 0;  // simulated seconds
  int zone = 0;
  v1::Priority priority = v1::P4;
  std::string category;
  std::string title;
  std::string address;
  double lat = 0;
  double lon = 0;
};

// The seed's kinds of calls, with their share of the night.
std::vector<Incident> DrawIncidents(std::mt19937_64& rng, double night_s, double every_s) {
  struct Kind {
    double share;
    v1::Priority priority;
    const char* category;
    const char* title;
    const char* address;
  };
  static const Kind kKinds[] = {
      {0.12, v1::P1, "suicide_risk", "Woman outside the railing on Lanhua bridge", "Lanhua bridge"},
      {0.25, v1::P2, "dispute", "Quarrel, a car smashed", "Zezhou road"},
      {0.30, v1::P3, "lost_property", "Lost wallet handed in", "Hongxing street"},
      {0.33, v1::P4, "inspection", "Shop fire-extinguisher check", "Fengtai street"},
  };
  std::exponential_distribution<double> gap(1.0 / every_s);
  std::uniform_real_distribution<double> unit(0, 1);
  std::uniform_int_distribution<int> zone(0, kZones - 1);
  std::vector<Incident> out;
  for (double t = gap(rng); t < night_s; t += gap(rng)) {
    double pick = unit(rng);
    const Kind* kind = &kKinds[3];
    for (const Kind& k : kKinds) {
      if (pick < k.share) {
        kind = &k;
        break;
      }
      pick -= k.share;
    }
    Incident incident;
    incident.at = t;
    incident.priority = kind->priority;
    // The bridge is in the tenth group's zone.
    incident.zone = kind->priority == v1::P1 ? kZones - 1 : zone(rng);
    incident.category = kind->category;
    incident.title = kind->title;
    incident.address = kind->address;
    const double u = unit(rng);
    std::tie(incident.lat, incident.lon) = PointInZone(incident.zone, u, unit(rng));
    out.push_back(incident);
  }
  return out;
}

// Median simulated seconds before a willing officer accepts, by priority.
double MedianAcceptS(v1::Priority priority) {
  switch (priority) {
    case v1::P1:
      return 8;
    case v1::P2:
      return 30;
    case v1::P3:
      return 90;
    default:
      return 240;
  }
}

struct Shared {
  Shared(const NightClock& c, Ledger& l, std::string endpoint, double night)
      : clock(c), ledger(l), broker(std::move(endpoint)), night_s(night) {}
  const NightClock& clock;
  Ledger& ledger;
  std::string broker;
  double night_s;
  std::atomic<bool> stop{false};
};

std::unique_ptr<Client> ConnectPatiently(const ClientOptions& options, const Shared& shared) {
  // Like a terminal in the field: wait for the broker (it may be
  // restarting), short pauses as the night runs fast.
  Client::WaitForBroker wait;
  wait.first_pause = absl::Milliseconds(100);
  wait.max_pause = absl::Seconds(1);
  wait.stop = [&shared] { return shared.stop.load(); };
  absl::StatusOr<std::unique_ptr<Client>> client = Client::ConnectWaiting(options, wait);
  return client.ok() ? *std::move(client) : nullptr;
}

// ---------------------------------------------------------------- terminal

class Terminal {
 public:
  Terminal(Shared& shared, int zone, int unit, uint64_t seed, bool silent, bool presses_emergency)
      : shared_(shared),
        zone_(zone),
        unit_id_(UnitId(zone, unit)),
        rng_(seed),
        // Its own generator: walking the map must not change the draws that
        // decide how the officer answers.
        walk_(static_cast<uint64_t>(zone * 1000 + unit)),
        silent_(silent),
        presses_emergency_(presses_emergency) {
    std::uniform_real_distribution<double> anywhere(0, 1);
    walk_u_ = anywhere(walk_);
    walk_v_ = anywhere(walk_);
  }

  void Run() {
    ClientOptions options;
    options.broker = shared_.broker;
    options.role = v1::TERMINAL;
    options.unit_id = unit_id_;
    options.patrol_group = absl::StrFormat("jc-pg%02d", zone_ + 1);
    options.zone = absl::StrCat(kCity, ".", ZoneId(zone_));
    std::exponential_distribution<double> drop_gap(1.0 / absl::GetFlag(FLAGS_drop_every_s));
    std::uniform_real_distribution<double> drop_length(10, 60);
    double next_drop = drop_gap(rng_);
    double next_position = std::uniform_real_distribution<double>(0, 30)(rng_);
    const double emergency_at = shared_.night_s * 0.7;
    std::unique_ptr<Client> client = Connect(options);
    while (client != nullptr && !shared_.stop.load()) {
      const double now = shared_.clock.Now();
      if (now >= next_drop) {
        // Off the mobile network for a while: the session is lost; the
        // broker keeps what it sends meanwhile and replays it.
        client.reset();
        {
          std::lock_guard<std::mutex> lock(shared_.ledger.mu);
          ++shared_.ledger.drops;
        }
        if (!shared_.clock.SleepUntil(now + drop_length(rng_), shared_.stop)) break;
        client = Connect(options);
        next_drop = shared_.clock.Now() + drop_gap(rng_);
        continue;
      }
      if (now >= next_position) {
        v1::Event event;
        v1::RadioEvent* radio = event.mutable_radio();
        radio->set_kind(v1::RadioEvent::POSITION);
        // A patrol's slow walk about its zone.
        std::uniform_real_distribution<double> step(-0.08, 0.08);
        walk_u_ = std::clamp(walk_u_ + step(walk_), 0.0, 1.0);
        walk_v_ = std::clamp(walk_v_ + step(walk_), 0.0, 1.0);
        const auto [lat, lon] = PointInZone(zone_, walk_u_, walk_v_);
        radio->mutable_position()->set_lat(lat);
        radio->mutable_position()->set_lon(lon);
        radio->set_event_unix_ms(NowMs());
        (void)client->PublishNoAck(RadioTopic(), std::move(event));
        next_position = now + 30;
      }
      if (presses_emergency_ && now >= emergency_at) {
        presses_emergency_ = false;
        v1::RadioEvent radio;
        radio.set_kind(v1::RadioEvent::EMERGENCY);
        radio.set_text("attacked while checking a car");
        radio.set_event_unix_ms(NowMs());
        if (client->PublishRadio(RadioTopic(), radio).ok()) {
          std::lock_guard<std::mutex> lock(shared_.ledger.mu);
          ++shared_.ledger.emergencies;
        }
      }
      ActOnDue(*client, now);
      absl::StatusOr<Message> message = client->Next(absl::Milliseconds(50));
      if (message.ok()) Handle(*message);
    }
  }

 private:
  struct Plan {
    Message message;
    double accept_at = 0;
    double on_scene_at = 0;
    double resolved_at = 0;
    int step = 0;  // 0 waiting to accept, 1 accepted, 2 on scene, 3 done
  };

  std::string RadioTopic() const {
    return absl::StrCat("radio.", kCity, ".", ZoneId(zone_), ".", unit_id_);
  }

  std::unique_ptr<Client> Connect(const ClientOptions& options) {
    std::unique_ptr<Client> client = ConnectPatiently(options, shared_);
    if (client != nullptr && !client->Subscribe({AlertTopic(zone_)}).ok()) return nullptr;
    return client;
  }

  void Handle(const Message& message) {
    const v1::Event& event = message.event();
    if (event.has_alert_update()) {
      const v1::AlertUpdate& update = event.alert_update();
      const bool stand_down = update.kind() == v1::AlertUpdate::CANCELLED ||
                              update.kind() == v1::AlertUpdate::CLOSED ||
                              (update.kind() == v1::AlertUpdate::TAKEN &&
                               update.units_taken() >= update.units_needed());
      auto it = plans_.find(update.alert_id());
      if (stand_down && it != plans_.end() && it->second.step == 0 && update.unit() != unit_id_) {
        plans_.erase(it);
        std::lock_guard<std::mutex> lock(shared_.ledger.mu);
        ++shared_.ledger.stand_downs;
      }
      if (stand_down) closed_.insert(update.alert_id());
      return;
    }
    if (!event.has_alert()) return;
    const v1::Alert& alert = event.alert();
    if (!seen_.insert(alert.alert_id()).second) return;
    const double now_ms = NowMsFine();
    {
      std::lock_guard<std::mutex> lock(shared_.ledger.mu);
      auto it = shared_.ledger.alerts.find(alert.alert_id());
      // Live copies to the alert's own zone only: a replay after a drop
      // measures the drop, an escalated copy the deadline.
      if (it != shared_.ledger.alerts.end() && it->second.sent_ms > 0 && !message.redelivered() &&
          alert.escalated_from_zone().empty()) {
        it->second.delivery_ms.push_back(now_ms - it->second.sent_ms);
      }
    }
    if (silent_ || closed_.contains(alert.alert_id())) return;
    // Not every officer who hears it volunteers; those who do take a while.
    if (std::uniform_real_distribution<double>(0, 1)(rng_) > 0.5) return;
    const double median = MedianAcceptS(message.priority());
    std::lognormal_distribution<double> delay(std::log(median), 0.6);
    const double now = shared_.clock.Now();
    Plan plan;
    plan.message = message;
    plan.accept_at = now + delay(rng_);
    plan.on_scene_at = plan.accept_at + std::uniform_real_distribution<double>(30, 120)(rng_);
    plan.resolved_at = plan.on_scene_at + std::uniform_real_distribution<double>(60, 300)(rng_);
    plans_.emplace(alert.alert_id(), std::move(plan));
  }

  void ActOnDue(Client& client, double now) {
    for (auto it = plans_.begin(); it != plans_.end();) {
      Plan& plan = it->second;
      const bool closed = closed_.contains(it->first);
      if (plan.step == 0 && now >= plan.accept_at) {
        if (client.SendAck(plan.message, v1::ACCEPTED, "on my way").ok()) {
          plan.step = 1;
          std::lock_guard<std::mutex> lock(shared_.ledger.mu);
          ++shared_.ledger.accepts;
        }
      } else if (plan.step == 1 && now >= plan.on_scene_at && !closed) {
        if (client.SendAck(plan.message, v1::ON_SCENE).ok()) plan.step = 2;
      } else if (plan.step == 2 && now >= plan.resolved_at && !closed) {
        if (client.SendAck(plan.message, v1::RESOLVED, "handled").ok()) plan.step = 3;
      }
      if (plan.step == 3 || (closed && plan.step > 0)) {
        it = plans_.erase(it);
      } else {
        ++it;
      }
    }
  }

  Shared& shared_;
  int zone_;
  std::string unit_id_;
  std::mt19937_64 rng_;
  std::mt19937_64 walk_;
  double walk_u_ = 0;
  double walk_v_ = 0;
  bool silent_;
  bool presses_emergency_;
  std::map<std::string, Plan> plans_;
  std::set<std::string> seen_;
  std::set<std::string> closed_;
};

// ---------------------------------------------------------------- center

void RunOperator(Shared& shared, int index, const std::vector<Incident>& incidents, uint64_t seed) {
  std::mt19937_64 rng(seed);
  ClientOptions options;
  options.broker = shared.broker;
  options.role = v1::CENTER;
  options.unit_id = absl::StrCat("center-op-", index + 1);
  options.request_timeout = absl::Seconds(2);
  std::unique_ptr<Client> client = ConnectPatiently(options, shared);
  if (client == nullptr) return;
  int n = 0;
  for (const Incident& incident : incidents) {
    if (!shared.clock.SleepUntil(incident.at, shared.stop)) return;
    const std::string id = absl::StrFormat("night-%d-%03d", index + 1, ++n);
    v1::Alert alert;
    alert.set_alert_id(id);
    alert.set_priority(incident.priority);
    alert.set_category(incident.category);
    alert.set_title(incident.title);
    alert.mutable_location()->set_lat(incident.lat);
    alert.mutable_location()->set_lon(incident.lon);
    alert.mutable_location()->set_address(incident.address);
    alert.set_created_unix_ms(NowMs());
    {
      std::lock_guard<std::mutex> lock(shared.ledger.mu);
      AlertRecord& record = shared.ledger.alerts[id];
      record.id = id;
      record.zone = incident.zone;
      record.priority = incident.priority;
      record.title = incident.title;
      record.op = options.unit_id;
      record.sim_at = incident.at;
      record.sent_ms = NowMsFine();
    }
    // A publish the broker did not answer (it is down, or restarting) is
    // sent again with the same id: it is stored and routed once.
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    absl::StatusOr<PublishResult> ack = absl::UnavailableError("not sent");
    int attempts = 0;
    while (!ack.ok() && absl::Now() < give_up) {
      ++attempts;
      ack = client->PublishAlert(AlertTopic(incident.zone), alert);
      if (!ack.ok()) absl::SleepFor(absl::Milliseconds(100));
    }
    {
      std::lock_guard<std::mutex> lock(shared.ledger.mu);
      AlertRecord& record = shared.ledger.alerts[id];
      record.attempts = attempts;
      if (ack.ok()) {
        record.acked_ms = NowMs();
      } else {
        record.failure = std::string(ack.status().message());
      }
    }
    if (!ack.ok()) continue;
    // Now and then the caller calls back: more detail, or a false alarm.
    const double roll = std::uniform_real_distribution<double>(0, 1)(rng);
    if (incident.priority == v1::P2 && roll < 0.2) {
      Client::Amendment change;
      change.body = "one of them has a knife";
      change.priority = v1::P1;
      if (client->AmendAlert(AlertTopic(incident.zone), id, change).ok()) {
        std::lock_guard<std::mutex> lock(shared.ledger.mu);
        shared.ledger.alerts[id].amended = true;
      }
    } else if (incident.priority == v1::P3 && roll < 0.15) {
      if (client->CancelAlert(AlertTopic(incident.zone), id, "owner found it").ok()) {
        std::lock_guard<std::mutex> lock(shared.ledger.mu);
        shared.ledger.alerts[id].cancelled = true;
      }
    }
  }
}

void RunProbe(Shared& shared) {
  ClientOptions options;
  options.broker = shared.broker;
  options.role = v1::PROBE;
  options.unit_id = "probe-1";
  std::unique_ptr<Client> client = ConnectPatiently(options, shared);
  if (client == nullptr || !client->Subscribe({"probe.night"}).ok()) return;
  uint64_t index = 0;
  absl::Time next = absl::Now();
  while (!shared.stop.load()) {
    if (absl::Now() >= next) {
      v1::Event event;
      event.mutable_canary()->set_probe("probe-1");
      event.mutable_canary()->set_index(++index);
      event.mutable_canary()->set_sent_unix_ns(absl::ToUnixNanos(absl::Now()));
      if (client->PublishNoAck("probe.night", std::move(event)).ok()) {
        std::lock_guard<std::mutex> lock(shared.ledger.mu);
        ++shared.ledger.canaries_sent;
      }
      next += absl::Seconds(1);
    }
    absl::StatusOr<Message> message = client->Next(absl::Milliseconds(50));
    if (message.ok() && message->event().has_canary()) {
      const double rtt_ms = static_cast<double>(absl::ToUnixNanos(absl::Now()) -
                                                message->event().canary().sent_unix_ns()) /
                            1e6;
      std::lock_guard<std::mutex> lock(shared.ledger.mu);
      shared.ledger.canary_ms.push_back(rtt_ms);
    }
  }
}

// ---------------------------------------------------------------- report

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const size_t rank = std::max<size_t>(1, static_cast<size_t>(std::ceil(q * v.size())));
  return v[std::min(v.size(), rank) - 1];
}

struct Outcome {
  std::string state;         // the timeline's
  int64_t published_ms = 0;  // broker clock
  int64_t first_accept_ms = -1;
  int64_t first_escalation_ms = -1;
  int escalation_steps = 0;
  int taken = 0;
  bool delivered = false;
  bool found = false;
};

Outcome ReadOutcome(Client& center, const std::string& id) {
  Outcome out;
  absl::StatusOr<v1::AlertTimeline> timeline = center.Timeline(id);
  if (!timeline.ok()) return out;
  out.found = true;
  out.state = timeline->state();
  for (const v1::TimelineEntry& e : timeline->entries()) {
    switch (e.kind()) {
      case v1::TimelineEntry::PUBLISHED:
        out.published_ms = e.unix_ms();
        break;
      case v1::TimelineEntry::DELIVERED:
        out.delivered = true;
        break;
      case v1::TimelineEntry::ACK:
        if (e.level() == v1::ACCEPTED && out.first_accept_ms < 0) out.first_accept_ms = e.unix_ms();
        break;
      case v1::TimelineEntry::ESCALATED:
        // One entry per step, then one per zone it was re-routed to.
        if (e.text().rfind("re-routed", 0) != 0) {
          ++out.escalation_steps;
          if (out.first_escalation_ms < 0) out.first_escalation_ms = e.unix_ms();
        }
        break;
      case v1::TimelineEntry::TAKEN:
        ++out.taken;
        break;
      default:
        break;
    }
  }
  return out;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out.flush());
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Plays the Jincheng night against a real zonecastd and writes a report.\n"
      "Usage: jincheng_night --zonecastd PATH --zones deploy/zones/jincheng.json --out DIR\n"
      "         [--seed N] [--minutes M] [--speed S] [--kill_at F]");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() > 1) {
    std::cerr << "jincheng_night: unexpected argument " << rest[1] << " (see --help)\n";
    return 2;
  }
  for (int stop : {SIGINT, SIGTERM, SIGHUP}) ::signal(stop, StopBrokerAndDie);
  const double speed = absl::GetFlag(FLAGS_speed);
  const double night_s = absl::GetFlag(FLAGS_minutes) * 60;
  if (speed <= 0 || night_s <= 0 || absl::GetFlag(FLAGS_units) < 1 ||
      absl::GetFlag(FLAGS_operators) < 1) {
    std::cerr << "jincheng_night: --speed, --minutes, --units and --operators must be positive\n";
    return 2;
  }
  const std::string out_dir = absl::GetFlag(FLAGS_out);
  std::system(absl::StrCat("rm -rf '", out_dir, "/data' && mkdir -p '", out_dir, "'").c_str());

  // The map, its deadlines divided by the speed: the night runs faster,
  // and the broker's deadlines with it.
  v1::ZoneMap map;
  {
    std::ifstream in(absl::GetFlag(FLAGS_zones));
    std::string json((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && json.empty()) {
      std::cerr << "jincheng_night: cannot read " << absl::GetFlag(FLAGS_zones) << "\n";
      return 2;
    }
    if (!google::protobuf::util::JsonStringToMessage(json, &map).ok()) {
      std::cerr << "jincheng_night: " << absl::GetFlag(FLAGS_zones) << " is not a zones map\n";
      return 2;
    }
  }
  v1::ResponseDeadlines* deadlines = map.mutable_response_deadlines();
  const double p1_deadline_s = deadlines->p1_s() / speed;
  deadlines->set_p1_s(deadlines->p1_s() / speed);
  deadlines->set_p2_s(deadlines->p2_s() / speed);
  deadlines->set_p3_s(deadlines->p3_s() / speed);
  deadlines->set_p4_s(deadlines->p4_s() / speed);
  map.mutable_units_needed()->set_p1(static_cast<uint32_t>(absl::GetFlag(FLAGS_p1_units)));
  // The copy lives elsewhere: its outlines are named from where they are.
  if (!map.shapes().empty()) {
    map.set_shapes(
        std::filesystem::absolute(std::filesystem::path(absl::GetFlag(FLAGS_zones)).parent_path() /
                                  map.shapes())
            .string());
  }
  std::string zones_json;
  (void)google::protobuf::util::MessageToJsonString(map, &zones_json);
  const std::string zones_path = out_dir + "/zones.json";
  WriteFile(zones_path, zones_json);

  const std::string endpoint = absl::StrCat("tcp://127.0.0.1:", FreePort());
  // The wall needs the HTTP endpoint's token: a fresh one for the night.
  std::string token;
  {
    std::random_device entropy;
    for (int i = 0; i < 24; ++i) token += "0123456789abcdef"[entropy() % 16];
  }
  const std::string token_path = out_dir + "/http-token";
  WriteFile(token_path, token + "\n");
  const std::string http = absl::StrCat("127.0.0.1:", FreePort());
  Broker broker(
      absl::GetFlag(FLAGS_zonecastd),
      {absl::StrCat("--listen=", endpoint), "--http=" + http, "--http_token_file=" + token_path,
       absl::StrCat("--data_dir=", out_dir, "/data"), "--zones=" + zones_path});
  const std::string log_path = out_dir + "/broker.log";
  if (!broker.Start(log_path)) return 1;
  // Signed in as the duty officer: this broker has no keys file, so the
  // console acts as whoever the page names.
  std::cerr << "jincheng_night: watch the night on the wall: http://" << http
            << "/wall#token=" << token << "&operator=duty-officer\n";

  std::mt19937_64 rng(absl::GetFlag(FLAGS_seed));
  std::vector<Incident> incidents =
      DrawIncidents(rng, night_s, absl::GetFlag(FLAGS_incident_every_s));
  Ledger ledger;
  NightClock clock(speed);
  Shared shared(clock, ledger, endpoint, night_s);

  std::vector<std::thread> threads;
  std::vector<std::unique_ptr<Terminal>> terminals;
  const int units = absl::GetFlag(FLAGS_units);
  std::uniform_real_distribution<double> coin(0, 1);
  for (int z = 0; z < kZones; ++z) {
    for (int u = 0; u < units; ++u) {
      const bool silent = coin(rng) < absl::GetFlag(FLAGS_silent_share);
      terminals.push_back(
          std::make_unique<Terminal>(shared, z, u, rng(), silent, z == 6 && u == 0));
    }
  }
  threads.reserve(terminals.size() + 8);
  for (auto& t : terminals) threads.emplace_back([&t] { t->Run(); });
  const int operators = absl::GetFlag(FLAGS_operators);
  std::vector<std::vector<Incident>> shares(operators);
  for (size_t i = 0; i < incidents.size(); ++i) shares[i % operators].push_back(incidents[i]);
  for (int i = 0; i < operators; ++i) {
    threads.emplace_back(
        [&shared, i, share = shares[i], seed = rng()] { RunOperator(shared, i, share, seed); });
  }
  threads.emplace_back([&shared] { RunProbe(shared); });

  // The live progress line, and the kill -9 in the middle.
  const double kill_at = night_s * absl::GetFlag(FLAGS_kill_at);
  bool killed = false;
  while (clock.Now() < night_s) {
    if (!killed && clock.Now() >= kill_at) {
      killed = true;
      const Clock::time_point down = Clock::now();
      broker.Stop(SIGKILL);
      broker.Start(log_path);
      std::lock_guard<std::mutex> lock(ledger.mu);
      ledger.kill_sim = clock.Now();
      ledger.kill_ms = NowMsFine();
      ledger.restart_real_s = std::chrono::duration<double>(Clock::now() - down).count();
    }
    {
      std::lock_guard<std::mutex> lock(ledger.mu);
      int acked = 0;
      for (const auto& [id, a] : ledger.alerts) acked += a.acked_ms > 0 ? 1 : 0;
      std::cerr << absl::StrFormat(
          "\rnight %5.0f/%0.f s  alerts %3d/%3zu acknowledged  accepts %3d  drops %3d  %s   ",
          clock.Now(), night_s, acked, incidents.size(), ledger.accepts, ledger.drops,
          killed ? "broker killed and restarted" : "");
    }
    absl::SleepFor(absl::Milliseconds(500));
  }
  // Let the last alerts reach their deadlines, then stop the night.
  absl::SleepFor(absl::Seconds(p1_deadline_s + 2));
  shared.stop = true;
  for (std::thread& t : threads) t.join();
  std::cerr << "\n";

  // Every alert, as the broker's journal tells it.
  ClientOptions options;
  options.broker = endpoint;
  options.role = v1::CENTER;
  options.unit_id = "center-report";
  options.request_timeout = absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<Client>> center = Client::Connect(options);
  if (!center.ok()) {
    std::cerr << "jincheng_night: cannot read the timelines: " << center.status() << "\n";
    return 1;
  }
  std::map<v1::Priority, std::vector<double>> delivery;
  // Alerts sent shortly before the kill (still on their way) or while the
  // broker restarted and the terminals came back: their delivery time
  // includes the outage, so they are shown apart.
  std::vector<double> delivery_after_outage;
  int retried = 0;
  std::map<v1::Priority, std::vector<double>> response;
  std::map<v1::Priority, int> count;
  std::map<v1::Priority, int> escalated;
  std::vector<std::string> unaccounted;
  std::vector<std::string> late_p1;
  std::map<std::string, int> states;  // each alert's last state, from its timeline
  int p1 = 0;
  int p1_in_time = 0;
  std::string alerts_dat =
      "# sim_s priority response_s escalation_steps state id sent_minus_kill_ms max_delivery_ms\n";
  const double deadline_ms[5] = {0, deadlines->p1_s() * 1000, deadlines->p2_s() * 1000,
                                 deadlines->p3_s() * 1000, deadlines->p4_s() * 1000};
  for (auto& [id, a] : ledger.alerts) {
    ++count[a.priority];
    if (a.acked_ms < 0) {
      unaccounted.push_back(absl::StrCat(id, ": never acknowledged (", a.failure, ")"));
      continue;
    }
    const Outcome o = ReadOutcome(**center, id);
    if (!o.found) {
      unaccounted.push_back(absl::StrCat(id, ": acknowledged, but the journal has no timeline"));
      continue;
    }
    ++states[o.state];
    if (!o.delivered && o.first_escalation_ms < 0) {
      unaccounted.push_back(absl::StrCat(id, ": neither delivered nor escalated"));
    }
    const bool around_kill = ledger.kill_ms > 0 && a.sent_ms > ledger.kill_ms - kBeforeKillMs &&
                             a.sent_ms < ledger.kill_ms + kAfterKillMs;
    if (a.attempts > 1 || around_kill) {
      ++retried;
      delivery_after_outage.insert(delivery_after_outage.end(), a.delivery_ms.begin(),
                                   a.delivery_ms.end());
    } else {
      for (double ms : a.delivery_ms) delivery[a.priority].push_back(ms);
    }
    if (o.first_accept_ms >= 0) {
      response[a.priority].push_back(static_cast<double>(o.first_accept_ms - o.published_ms));
    }
    if (o.escalation_steps > 0) ++escalated[a.priority];
    const bool amended_to_p1 = a.amended;
    if (a.priority == v1::P1) {
      ++p1;
      int64_t first = -1;
      for (int64_t t : {o.first_accept_ms, o.first_escalation_ms}) {
        if (t >= 0 && (first < 0 || t < first)) first = t;
      }
      const double waited = first < 0 ? INFINITY : static_cast<double>(first - o.published_ms);
      if (waited <= deadline_ms[1] + 1000) {
        ++p1_in_time;
      } else {
        late_p1.push_back(
            absl::StrFormat("%s: first accept or escalation after %.0f ms", id, waited));
      }
    }
    const double response_s =
        o.first_accept_ms >= 0 ? (o.first_accept_ms - o.published_ms) / 1000.0 : -1;
    const double max_delivery =
        a.delivery_ms.empty() ? -1 : *std::max_element(a.delivery_ms.begin(), a.delivery_ms.end());
    alerts_dat += absl::StrFormat(
        "%.1f %d %.3f %d %s%s %s %.0f %.1f\n", a.sim_at, a.priority, response_s, o.escalation_steps,
        o.state, amended_to_p1 ? "+amended" : "", id, a.sent_ms - ledger.kill_ms, max_delivery);
  }

  // The report.
  std::string text = absl::StrFormat(
      "Jincheng night: %.0f simulated minutes at %gx (%0.f s real), seed %d\n"
      "%d patrol groups x %d terminals, %d center operators, 1 probe; P1 needs %d units\n"
      "deadlines (real): P1 %.1f s, P2 %.1f s, P3 %.1f s; broker kill -9 at %.0f sim s, "
      "restarted in %.2f s\n\n",
      night_s / 60, speed, night_s / speed, absl::GetFlag(FLAGS_seed), kZones, units, operators,
      absl::GetFlag(FLAGS_p1_units), deadlines->p1_s(), deadlines->p2_s(), deadlines->p3_s(),
      ledger.kill_sim, ledger.restart_real_s);
  absl::StrAppend(&text,
                  "delivery: publish -> a terminal of the zone has it (live copies, this "
                  "machine's clock); response: publish -> first ACCEPTED (broker clock)\n");
  absl::StrAppend(
      &text, absl::StrFormat("%-4s %6s %10s %10s %10s %10s %10s %10s\n", "prio", "alerts", "deliv",
                             "deliv p50", "deliv p99", "resp p50", "resp p99", "escalated"));
  for (v1::Priority p : {v1::P1, v1::P2, v1::P3, v1::P4}) {
    absl::StrAppend(
        &text,
        absl::StrFormat("%-4s %6d %10zu %8.1fms %8.1fms %9.2fs %9.2fs %10d\n", v1::Priority_Name(p),
                        count[p], delivery[p].size(), Percentile(delivery[p], 0.5),
                        Percentile(delivery[p], 0.99), Percentile(response[p], 0.5) / 1000,
                        Percentile(response[p], 0.99) / 1000, escalated[p]));
  }
  absl::StrAppend(
      &text,
      absl::StrFormat(
          "%d alerts were sent from %.0f s before the kill -9 to %.0f s after (while the broker "
          "restarted and the terminals came back; apart from the table): %zu deliveries, "
          "p50 %.0f ms, max %.0f ms\n"
          "\nP1 accepted or escalated within deadline + 1 s: %d of %d\n"
          "alerts unaccounted for: %zu of %zu\n"
          "accepts %d, stand-downs after TAKEN %d, network drops %d, emergency buttons %d\n"
          "probe canaries: %zu of %d back, round trip p50 %.2f ms, p99 %.2f ms\n",
          retried, kBeforeKillMs / 1000, kAfterKillMs / 1000, delivery_after_outage.size(),
          Percentile(delivery_after_outage, 0.5), Percentile(delivery_after_outage, 1.0),
          p1_in_time, p1, unaccounted.size(), ledger.alerts.size(), ledger.accepts,
          ledger.stand_downs, ledger.drops, ledger.emergencies, ledger.canary_ms.size(),
          ledger.canaries_sent, Percentile(ledger.canary_ms, 0.5),
          Percentile(ledger.canary_ms, 0.99)));
  std::vector<std::string> state_counts;
  state_counts.reserve(states.size());
  for (const auto& [state, n] : states) state_counts.push_back(absl::StrCat(state, " ", n));
  absl::StrAppend(&text, "alerts by state at the end: ", absl::StrJoin(state_counts, ", "),
                  " (open: P3/P4 nobody took yet; P4 has no deadline)\n");
  for (const std::string& line : late_p1) absl::StrAppend(&text, "  late: ", line, "\n");
  for (const std::string& line : unaccounted) absl::StrAppend(&text, "  unaccounted: ", line, "\n");
  std::cout << text;
  WriteFile(out_dir + "/report.txt", text);
  WriteFile(out_dir + "/alerts.dat", alerts_dat);

  // Delivery latency CDFs, one file per priority.
  std::vector<std::string> plotted;
  for (v1::Priority p : {v1::P1, v1::P2, v1::P3, v1::P4}) {
    std::vector<double> v = delivery[p];
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    std::string dat;
    for (size_t i = 0; i < v.size(); ++i) {
      absl::StrAppend(&dat, absl::StrFormat("%.3f %.5f\n", v[i], (i + 1.0) / v.size()));
    }
    const std::string name = absl::StrCat("delivery-", v1::Priority_Name(p), ".dat");
    WriteFile(absl::StrCat(out_dir, "/", name), dat);
    plotted.push_back(
        absl::StrFormat("'%s' using 1:2 with steps lw 2 title '%s'", name, v1::Priority_Name(p)));
  }
  const std::string gnuplot = absl::GetFlag(FLAGS_gnuplot);
  bool plots = false;
  if (!gnuplot.empty() && !plotted.empty()) {
    const std::string script = absl::StrFormat(
        "set terminal svg size 720,420 dynamic font 'sans,12'\n"
        "set output 'delivery-cdf.svg'\n"
        "set title 'Publish to terminal, live copies, by priority (outside the outage)'\n"
        "set xlabel 'milliseconds (log)'\nset ylabel 'share of deliveries'\n"
        "set logscale x\nset key bottom right\nset grid\n"
        "plot %s\n"
        "set output 'responses.svg'\n"
        "unset logscale x\n"
        "set title 'First ACCEPTED after publish, by the time of the night'\n"
        "set xlabel 'simulated seconds into the night'\nset ylabel 'real seconds'\n"
        "set arrow from %.1f, graph 0 to %.1f, graph 1 nohead dt 2 lc rgb 'red'\n"
        "set label 'kill -9' at %.1f, graph 0.95 tc rgb 'red'\n"
        "plot for [p=1:4] 'alerts.dat' using ($2==p && $3>=0 ? $1 : 1/0):3 "
        "with points pt 7 ps 0.8 title sprintf('P%%d', p)\n",
        absl::StrJoin(plotted, ", "), ledger.kill_sim, ledger.kill_sim, ledger.kill_sim + 5);
    WriteFile(out_dir + "/plots.gnuplot", script);
    plots = std::system(
                absl::StrCat("cd '", out_dir, "' && '", gnuplot, "' plots.gnuplot").c_str()) == 0;
    if (!plots) std::cerr << "jincheng_night: gnuplot failed; the report has no plots\n";
  }
  std::string html = absl::StrCat(
      "<!doctype html><meta charset=utf-8><title>Jincheng night</title>\n"
      "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
      "pre{background:#f4f4f4;padding:1em}</style>\n"
      "<h1>A Jincheng night on zonecast</h1>\n<pre>",
      text, "</pre>\n");
  if (plots) {
    absl::StrAppend(&html, "<h2>Delivery latency</h2><img src=delivery-cdf.svg>\n",
                    "<h2>Response times</h2><img src=responses.svg>\n");
  }
  WriteFile(out_dir + "/report.html", html);
  const bool ok = p1 > 0 && p1_in_time == p1 && unaccounted.empty();
  std::cerr << "report: " << out_dir << "/report.html (" << (ok ? "PASS" : "FAIL") << ")\n";
  return ok ? 0 : 1;
}
