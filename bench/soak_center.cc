// soak_center: the command center of bench/soak.sh. Publishes --bursts
// bursts of --burst alerts (zones alert.jincheng.z01.. in turn, every
// --p1_every-th a P1, the rest P2) as fast as a window of --window async
// publishes allows, --gap_ms apart. An alert refused (STORAGE_BUSY, a
// timeout while the broker restarts) is published again with the same id
// until it is acknowledged or --give_up_s passes. Measures publish ->
// PubAck per priority on its own clock, and writes to --report:
//
//   published <alert id> <zone> <P1|P2>      (each acknowledged alert)
//   failed <alert id> <zone> <last error>    (never acknowledged)
//
// and to stdout, per priority: "puback P1 n=.. p50_ms=.. p99_ms=.. max_ms=..".
//
// With --flooders N, as many hostile peers run beside it for the whole run:
// each says Hello, then sends --flood_rate frames a second, malformed bytes
// (each drawing an error) and history requests for every alert, and never
// reads a byte of the answers (see README, "Limits").
#include <algorithm>
#include <atomic>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "shared/protocol_version.h"
#include "zmq.hpp"
#include "zonecast/client.h"
#include "zonecast/wire.pb.h"

ABSL_FLAG(std::string, broker, "tcp://127.0.0.1:7400", "zonecastd endpoint");
ABSL_FLAG(int32_t, bursts, 5, "Bursts of alerts");
ABSL_FLAG(int32_t, burst, 1000, "Alerts per burst");
ABSL_FLAG(int32_t, gap_ms, 5000, "Pause between bursts");
ABSL_FLAG(int32_t, zones, 10, "Zones alert.jincheng.z01..");
ABSL_FLAG(int32_t, p1_every, 10, "Every K-th alert is a P1");
ABSL_FLAG(int32_t, window, 256, "Publishes outstanding at most");
ABSL_FLAG(int32_t, body_bytes, 256, "Alert body size");
ABSL_FLAG(int32_t, give_up_s, 120, "Stop retrying an alert after this long");
ABSL_FLAG(std::string, id_prefix, "soak-", "Alert id prefix");
ABSL_FLAG(std::string, report, "", "Where the published ids go (default: stdout)");
ABSL_FLAG(int32_t, console_every_ms, 200,
          "A second console publishes one P1 alert this often, each waiting for its PubAck, "
          "for the whole run (0: none): the latency a dispatcher sees while the bursts load "
          "the broker");
ABSL_FLAG(int32_t, flooders, 0,
          "Hostile peers that flood the broker with bad frames and history requests and never "
          "read (0: none)");
ABSL_FLAG(int32_t, flood_rate, 500, "Frames a second each flooder sends");
ABSL_FLAG(std::string, flood_broker, "",
          "Where the flooders connect (default: --broker); the terminals' endpoint, when the "
          "center uses the consoles' one");
ABSL_FLAG(std::string, console_report, "",
          "Where the console writes '<unix ms sent> <PubAck ms or error>' per alert");

namespace {

struct Pending {
  std::string id;
  std::string zone;
  zonecast::v1::Priority priority = zonecast::v1::P2;
  absl::Time first_sent = absl::InfinitePast();
  std::string last_error;
};

struct Outcome {
  std::vector<Pending> published;
  std::vector<Pending> failed;
  std::map<zonecast::v1::Priority, std::vector<double>> puback_ms;
  std::vector<double> console_ms;
  uint64_t retries = 0;
};

zonecast::v1::Event AlertEvent(const Pending& p, int body_bytes) {
  zonecast::v1::Event event;
  zonecast::v1::Alert* alert = event.mutable_alert();
  alert->set_alert_id(p.id);
  alert->set_priority(p.priority);
  alert->set_title("soak: person on the Lanhua bridge railing");
  alert->set_body(std::string(static_cast<size_t>(body_bytes), 'x'));
  return event;
}

// Takes in the acks (and anything else) that arrived, as a center's wall
// does: the broker sends each alert's publisher every ack of it, and a
// center that left them unread would hold its own PubAcks up behind them.
void ReadAcks(zonecast::Client& client) {
  while (client.Next(absl::ZeroDuration()).ok()) {
  }
}

// Publishes everything in `queue` with a window, retrying refusals.
// `lock` guards `out` (the console thread adds to it too): held while the
// client may run callbacks, released while sleeping.
void PublishAll(zonecast::Client& client, std::deque<Pending> queue, Outcome& out,
                std::unique_lock<std::mutex>& lock) {
  const size_t window = static_cast<size_t>(std::max(1, absl::GetFlag(FLAGS_window)));
  const int body = absl::GetFlag(FLAGS_body_bytes);
  const absl::Duration give_up = absl::Seconds(absl::GetFlag(FLAGS_give_up_s));
  std::deque<Pending> retry;
  while (!queue.empty() || !retry.empty() || client.outstanding_publishes() > 0) {
    if (queue.empty() && !retry.empty()) {
      absl::SleepFor(absl::Milliseconds(100));  // let a busy journal or a restart pass
      queue.swap(retry);
    }
    lock.lock();
    while (!queue.empty() && client.outstanding_publishes() < window) {
      Pending p = std::move(queue.front());
      queue.pop_front();
      // Latency runs from the first send, retries included.
      if (p.first_sent == absl::InfinitePast()) p.first_sent = absl::Now();
      auto done = [&out, &retry, p,
                   give_up](const absl::StatusOr<zonecast::PublishResult>& result) {
        if (result.ok()) {
          out.puback_ms[p.priority].push_back(
              absl::ToDoubleMilliseconds(absl::Now() - p.first_sent));
          out.published.push_back(p);
          return;
        }
        Pending again = p;
        again.last_error = std::string(result.status().message());
        static absl::Time last_said = absl::InfinitePast();
        if (absl::Now() - last_said > absl::Seconds(1)) {
          std::cerr << "publish of " << p.id << " failed: " << result.status() << "\n";
          last_said = absl::Now();
        }
        if (absl::Now() - p.first_sent > give_up) {
          out.failed.push_back(std::move(again));
        } else {
          ++out.retries;
          retry.push_back(std::move(again));
        }
      };
      const std::string topic = "alert.jincheng." + p.zone;
      absl::Status sent = client.PublishAsync(topic, AlertEvent(p, body), p.priority, done);
      if (!sent.ok()) {
        // No session right now (the broker restarts): try again shortly.
        static absl::Time last_said = absl::InfinitePast();
        if (absl::Now() - last_said > absl::Seconds(1)) {
          std::cerr << "publish refused by the library: " << sent << "\n";
          last_said = absl::Now();
        }
        p.last_error = std::string(sent.message());
        retry.push_back(std::move(p));
        // The rest wait too (the retry pass pauses first).
        while (!queue.empty()) {
          retry.push_back(std::move(queue.front()));
          queue.pop_front();
        }
        break;
      }
    }
    (void)client.AwaitPubAcks(window > 1 ? window - 1 : 0, absl::Milliseconds(200));
    ReadAcks(client);
    if (queue.empty() && retry.empty()) (void)client.AwaitPubAcks(0, absl::Seconds(1));
    ReadAcks(client);
    lock.unlock();
  }
}

// The second console: one P1 at a time, until `stop`. Its alerts count as
// published too (they go to zone z01's terminals).
void RunConsole(const std::string& broker, const std::atomic<bool>& stop, Outcome& out,
                std::mutex& out_mutex) {
  zonecast::ClientOptions options;
  options.broker = broker;
  options.role = zonecast::v1::CENTER;
  options.unit_id = "soak-console";
  options.request_timeout = absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<zonecast::Client>> client = zonecast::Client::Connect(options);
  if (!client.ok()) {
    std::cerr << "soak_center: console: " << client.status() << "\n";
    return;
  }
  std::ofstream report;
  if (!absl::GetFlag(FLAGS_console_report).empty())
    report.open(absl::GetFlag(FLAGS_console_report));
  const absl::Duration every = absl::Milliseconds(absl::GetFlag(FLAGS_console_every_ms));
  for (int n = 0; !stop.load(); ++n) {
    Pending p;
    p.id = absl::StrCat(absl::GetFlag(FLAGS_id_prefix), "console-", n);
    p.zone = "z01";
    p.priority = zonecast::v1::P1;
    p.first_sent = absl::Now();
    // Retried with the same id until stored (a stall, a restart).
    bool stored = false;
    while (!stored && !stop.load()) {
      absl::StatusOr<zonecast::PublishResult> result =
          (*client)->Publish("alert.jincheng.z01", AlertEvent(p, 64), zonecast::v1::P1);
      stored = result.ok();
      if (stored) break;
      p.last_error = std::string(result.status().message());
      report << absl::ToUnixMillis(absl::Now()) << " retry " << p.id << ": " << p.last_error
             << "\n";
      absl::SleepFor(absl::Milliseconds(100));
    }
    // Only what was acknowledged is owed to the terminals.
    if (!stored) break;
    const double ms = absl::ToDoubleMilliseconds(absl::Now() - p.first_sent);
    report << absl::ToUnixMillis(p.first_sent) << " " << ms << "\n";
    ReadAcks(**client);
    {
      std::lock_guard<std::mutex> lock(out_mutex);
      out.published.push_back(p);
      out.console_ms.push_back(ms);
    }
    absl::SleepFor(every);
  }
}

// The flooders: `count` DEALERs that never read, until `stop`. A broker
// that cuts one (REPLIES_NOT_READ) gets its next frames answered
// HELLO_REQUIRED, which it cannot deliver either; so the Hello is repeated
// every few seconds, to come back and ask again.
void RunFlooders(const std::string& broker, int count, int rate, const std::atomic<bool>& stop) {
  zmq::context_t context(1);
  std::vector<zmq::socket_t> peers;
  for (int i = 0; i < count; ++i) {
    peers.emplace_back(context, zmq::socket_type::dealer);
    peers.back().set(zmq::sockopt::linger, 0);
    peers.back().set(zmq::sockopt::sndhwm, 100000);
    peers.back().connect(broker);
  }
  auto send = [](zmq::socket_t& peer, const std::string& bytes) {
    (void)peer.send(zmq::buffer(bytes), zmq::send_flags::dontwait);  // full: dropped
  };
  std::string hello;
  std::string history;
  const std::string garbage(200, '\xff');  // no Frame parses from this
  uint64_t request_id = 0;
  const absl::Duration tick = absl::Milliseconds(20);
  const int per_tick = std::max(1, rate / 50);
  absl::Time next_hello = absl::InfinitePast();
  while (!stop.load()) {
    const absl::Time now = absl::Now();
    for (int i = 0; i < count; ++i) {
      if (now >= next_hello) {
        zonecast::v1::Frame frame;
        zonecast::v1::Hello* h = frame.mutable_hello();
        h->set_protocol_version(zonecast::kProtocolVersion);
        h->set_role(zonecast::v1::CENTER);
        h->set_unit_id(absl::StrCat("soak-flood-", i));
        frame.SerializeToString(&hello);
        send(peers[static_cast<size_t>(i)], hello);
      }
      for (int k = 0; k < per_tick; ++k) {
        if (k % 10 == 0) {
          zonecast::v1::Frame frame;
          zonecast::v1::HistoryRequest* request = frame.mutable_history_request();
          request->set_request_id(++request_id);
          request->set_pattern("alert.>");
          request->set_limit(10000);
          frame.SerializeToString(&history);
          send(peers[static_cast<size_t>(i)], history);
        } else {
          send(peers[static_cast<size_t>(i)], garbage);
        }
      }
    }
    if (now >= next_hello) next_hello = now + absl::Seconds(5);
    absl::SleepFor(tick);
  }
}

double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t at = std::min(values.size() - 1, static_cast<size_t>(q * values.size()));
  return values[at];
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "soak_center --broker EP [--bursts B --burst N --gap_ms MS --report FILE]\n"
      "The command center of bench/soak.sh: bursts of alerts, PubAck latency per priority.");
  absl::ParseCommandLine(argc, argv);
  zonecast::ClientOptions options;
  options.broker = absl::GetFlag(FLAGS_broker);
  options.role = zonecast::v1::CENTER;
  options.unit_id = "soak-center";
  options.request_timeout = absl::Seconds(10);
  absl::StatusOr<std::unique_ptr<zonecast::Client>> client = zonecast::Client::Connect(options);
  if (!client.ok()) {
    std::cerr << "soak_center: " << client.status() << "\n";
    return 1;
  }
  const int zones = std::max(1, absl::GetFlag(FLAGS_zones));
  const int p1_every = std::max(1, absl::GetFlag(FLAGS_p1_every));
  Outcome out;
  std::mutex out_mutex;  // the console adds to `out` from its own thread
  std::atomic<bool> stop_console{false};
  std::thread flooders;
  if (absl::GetFlag(FLAGS_flooders) > 0) {
    const std::string flood_broker = absl::GetFlag(FLAGS_flood_broker);
    flooders = std::thread(RunFlooders, flood_broker.empty() ? options.broker : flood_broker,
                           absl::GetFlag(FLAGS_flooders), absl::GetFlag(FLAGS_flood_rate),
                           std::cref(stop_console));
  }
  std::thread console;
  if (absl::GetFlag(FLAGS_console_every_ms) > 0) {
    console = std::thread(RunConsole, options.broker, std::cref(stop_console), std::ref(out),
                          std::ref(out_mutex));
  }
  int n = 0;
  for (int burst = 0; burst < absl::GetFlag(FLAGS_bursts); ++burst) {
    if (burst > 0) {
      // Between bursts the center goes on reading the acks of the last one,
      // as its wall would: unread, they would wait in the socket ahead of
      // the next burst's PubAcks.
      const absl::Time until = absl::Now() + absl::Milliseconds(absl::GetFlag(FLAGS_gap_ms));
      while (absl::Now() < until)
        (void)(*client)->Next(std::min(until - absl::Now(), absl::Milliseconds(100)));
    }
    std::deque<Pending> queue;
    for (int i = 0; i < absl::GetFlag(FLAGS_burst); ++i, ++n) {
      Pending p;
      p.id = absl::StrCat(absl::GetFlag(FLAGS_id_prefix), n);
      p.zone = absl::StrFormat("z%02d", n % zones + 1);
      p.priority = n % p1_every == 0 ? zonecast::v1::P1 : zonecast::v1::P2;
      queue.push_back(std::move(p));
    }
    size_t p1_before = 0;
    {
      std::lock_guard<std::mutex> lock(out_mutex);
      p1_before = out.puback_ms[zonecast::v1::P1].size();
    }
    {
      // Callbacks add to `out` inside PublishAll: hold the lock across it,
      // the console takes it only between its publishes.
      std::unique_lock<std::mutex> lock(out_mutex, std::defer_lock);
      PublishAll(**client, std::move(queue), out, lock);
    }
    const std::vector<double>& p1 = out.puback_ms[zonecast::v1::P1];
    const std::vector<double> this_burst(p1.begin() + static_cast<ptrdiff_t>(p1_before), p1.end());
    // One line per burst, flushed: the driver times its chaos by them.
    std::cout << absl::StrFormat(
                     "burst %d: %d acknowledged, %d failed, %d retries; P1 puback p99_ms=%.1f\n",
                     burst + 1, out.published.size(), out.failed.size(), out.retries,
                     Percentile(this_burst, 0.99))
              << std::flush;
  }
  stop_console = true;
  if (console.joinable()) console.join();
  if (flooders.joinable()) flooders.join();
  std::cout << absl::StrFormat("console P1 n=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
                               out.console_ms.size(), Percentile(out.console_ms, 0.5),
                               Percentile(out.console_ms, 0.99), Percentile(out.console_ms, 1.0));
  for (const auto& [priority, values] : out.puback_ms) {
    std::cout << absl::StrFormat("puback %s n=%d p50_ms=%.1f p99_ms=%.1f max_ms=%.1f\n",
                                 zonecast::v1::Priority_Name(priority), values.size(),
                                 Percentile(values, 0.5), Percentile(values, 0.99),
                                 Percentile(values, 1.0));
  }
  std::cout << "retries " << out.retries << "\n";
  std::ofstream file;
  const std::string report = absl::GetFlag(FLAGS_report);
  if (!report.empty()) file.open(report);
  std::ostream& sink = report.empty() ? std::cout : file;
  for (const Pending& p : out.published) {
    sink << "published " << p.id << " " << p.zone << " " << zonecast::v1::Priority_Name(p.priority)
         << "\n";
  }
  for (const Pending& p : out.failed) {
    sink << "failed " << p.id << " " << p.zone << " " << p.last_error << "\n";
  }
  return out.failed.empty() ? 0 : 1;
}
