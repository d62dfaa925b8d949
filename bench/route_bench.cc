// route_bench: how many alerts per second a zonecastd routes, and how long an
// alert takes from the center's publish to a terminal's receipt.
//
// One center publishes --alerts alerts round-robin over --zones zone topics,
// keeping at most --window publishes outstanding (PubAcks drained as they
// come). --terminals_per_zone terminals per zone, each a libzonecast client
// in its own thread, receive them. Publisher and terminals share this
// process, so one monotonic clock times every alert (the index in the alert
// id points at its send time).
//
// With --scrape_url, a scraper thread GETs that URL (the broker's /metrics)
// every --scrape_interval_ms while the alerts are published and delivered,
// and one more line reports the scrapes: bench/scrape-overhead.sh compares
// runs with and without it.
//
//   ./build/broker/zonecastd --listen tcp://127.0.0.1:7400 --http 127.0.0.1:7480 &
//   ./build/bench/route_bench --broker tcp://127.0.0.1:7400 --alerts 200000
//   ./build/bench/route_bench --alerts 200000 --scrape_url http://127.0.0.1:7480/metrics
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "http_get.h"
#include "zonecast/client.h"

ABSL_FLAG(std::string, broker, "tcp://127.0.0.1:7400", "zonecastd endpoint");
ABSL_FLAG(int64_t, alerts, 100000, "Alerts to publish");
ABSL_FLAG(int32_t, window, 256, "Publishes outstanding at most");
ABSL_FLAG(int32_t, zones, 10, "Zone topics alert.jincheng.z01..");
ABSL_FLAG(int32_t, terminals_per_zone, 1,
          "Subscribed terminals per zone; 0 measures publish + durable PubAck only");
ABSL_FLAG(int32_t, body_bytes, 256, "Alert body size");
ABSL_FLAG(std::string, priority, "P2", "Alert priority");
ABSL_FLAG(
    std::string, id_prefix, "",
    "Alert id prefix; default b<unix ms>- so that runs against one broker are not duplicates");
ABSL_FLAG(std::string, scrape_url, "",
          "If set (e.g. http://127.0.0.1:PORT/metrics), GET it every --scrape_interval_ms while "
          "the alerts are published and delivered; empty: no scraping");
ABSL_FLAG(int32_t, scrape_interval_ms, 100, "Scrape period (fixed rate), in milliseconds");
ABSL_FLAG(std::string, keys_dir, "",
          "If set, connect over CURVE with the key files there (zonecast keygen): "
          "bench-center.key, bench-t<N>.key for terminal N, and broker.pub");

namespace {

// The options of a client named `unit_id`, with its keys from --keys_dir.
zonecast::ClientOptions BenchOptions(const std::string& broker, zonecast::v1::Role role,
                                     const std::string& unit_id) {
  zonecast::ClientOptions options;
  options.broker = broker;
  options.role = role;
  options.unit_id = unit_id;
  if (const std::string dir = absl::GetFlag(FLAGS_keys_dir); !dir.empty()) {
    absl::Status keys = zonecast::LoadKeyFiles(absl::StrCat(dir, "/", unit_id, ".key"),
                                               absl::StrCat(dir, "/broker.pub"), &options);
    if (!keys.ok()) {
      std::cerr << "route_bench: " << keys << "\n";
      std::exit(2);
    }
  }
  return options;
}

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return static_cast<double>(v[k]) / 1000.0;  // microseconds
}

// GETs one URL at a fixed rate on its own thread, from Start() until Stop(),
// the way a Prometheus server scrapes /metrics. The k-th scrape is due at
// start + k * interval whatever the previous ones took; a scrape that
// overruns its slot makes the scraper skip the slots it missed (counted)
// rather than fire a burst to catch up. Start/Stop/Print are for the owning
// thread; the counters are read only after Stop() has joined the thread.
class Scraper {
 public:
  // A scrape that has no complete answer within this is a failure; it also
  // bounds how long Stop() can wait for an in-flight one.
  static constexpr absl::Duration kTimeout = absl::Seconds(2);

  Scraper(std::string url, absl::Duration interval) : url_(std::move(url)), interval_(interval) {}
  ~Scraper() { Stop(); }
  Scraper(const Scraper&) = delete;
  Scraper& operator=(const Scraper&) = delete;

  void Start() {
    thread_ = std::thread([this] { Loop(); });
  }

  void Stop() {
    if (!thread_.joinable()) return;
    stop_.Notify();
    thread_.join();
  }

  // REQUIRES: Stop() was called.
  // "scrapes: N ok, M failed, p50 X ms, max Y ms, body Z bytes", where
  // failed = no HTTP answer + a status other than 200, and the times are
  // those of the ok scrapes. Details of failures and skipped slots go to
  // stderr.
  void Print() {
    std::printf("scrapes: %lld ok, %lld failed, p50 %.2f ms, max %.2f ms, body %zu bytes\n",
                static_cast<long long>(ok_nanos_.size()),
                static_cast<long long>(errors_ + non_200_), Percentile(ok_nanos_, 0.5) / 1000.0,
                Percentile(ok_nanos_, 1.0) / 1000.0, last_body_bytes_);
    if (errors_ > 0) {
      std::cerr << "route_bench: " << errors_ << " scrapes got no answer; last: " << last_error_
                << "\n";
    }
    if (non_200_ > 0) {
      std::cerr << "route_bench: " << non_200_ << " scrapes answered HTTP " << last_bad_status_
                << " (the last one)\n";
    }
    if (skipped_slots_ > 0) {
      std::cerr << "route_bench: " << skipped_slots_
                << " scrape slots skipped because a scrape overran the interval\n";
    }
  }

 private:
  void Loop() {
    absl::Time due = absl::Now();
    while (!stop_.WaitForNotificationWithDeadline(due)) {
      ScrapeOnce();
      due += interval_;
      const absl::Time now = absl::Now();
      if (due <= now) {
        const int64_t missed = (now - due) / interval_ + 1;
        skipped_slots_ += missed;
        due += missed * interval_;
      }
    }
  }

  void ScrapeOnce() {
    const int64_t begin = NowNanos();
    absl::StatusOr<zonecast::cli::HttpGetResult> result = zonecast::cli::HttpGet(url_, kTimeout);
    const int64_t took = NowNanos() - begin;
    if (!result.ok()) {
      ++errors_;
      last_error_ = result.status().ToString();
    } else if (result->status != 200) {
      ++non_200_;
      last_bad_status_ = result->status;
    } else {
      ok_nanos_.push_back(took);
      last_body_bytes_ = result->body.size();
    }
  }

  const std::string url_;
  const absl::Duration interval_;
  absl::Notification stop_;
  std::thread thread_;
  // Written by the scraper thread only; read after the join.
  std::vector<int64_t> ok_nanos_;
  int64_t errors_ = 0;
  int64_t non_200_ = 0;
  int64_t skipped_slots_ = 0;
  int last_bad_status_ = 0;
  std::string last_error_;
  size_t last_body_bytes_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "route_bench --broker EP [--alerts N --window W --zones Z --terminals_per_zone K]");
  absl::ParseCommandLine(argc, argv);
  const std::string broker = absl::GetFlag(FLAGS_broker);
  const int64_t alerts = absl::GetFlag(FLAGS_alerts);
  const int zones = absl::GetFlag(FLAGS_zones);
  const int per_zone = absl::GetFlag(FLAGS_terminals_per_zone);
  const std::string scrape_url = absl::GetFlag(FLAGS_scrape_url);
  const int scrape_interval_ms = absl::GetFlag(FLAGS_scrape_interval_ms);
  if (!scrape_url.empty()) {
    if (scrape_interval_ms <= 0) {
      std::cerr << "route_bench: --scrape_interval_ms must be positive\n";
      return 2;
    }
    // One GET before anything is measured: a wrong URL fails here, not as
    // a run whose every scrape failed.
    absl::StatusOr<zonecast::cli::HttpGetResult> probe =
        zonecast::cli::HttpGet(scrape_url, Scraper::kTimeout);
    if (!probe.ok() || probe->status != 200) {
      std::cerr << "route_bench: --scrape_url " << scrape_url << ": "
                << (probe.ok() ? absl::StrCat("HTTP ", probe->status) : probe.status().ToString())
                << "\n";
      return probe.ok() || absl::IsInvalidArgument(probe.status()) ? 2 : 1;
    }
  }
  zonecast::v1::Priority priority;
  if (!zonecast::v1::Priority_Parse(absl::GetFlag(FLAGS_priority), &priority)) {
    std::cerr << "route_bench: bad --priority\n";
    return 2;
  }
  std::string id_prefix = absl::GetFlag(FLAGS_id_prefix);
  if (id_prefix.empty()) {
    id_prefix = absl::StrCat("b",
                             std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count(),
                             "-");
  }
  std::vector<std::atomic<int64_t>> sent_at(static_cast<size_t>(alerts));
  std::atomic<int> ready{0};
  std::atomic<bool> failed{false};
  const int terminals = zones * per_zone;
  std::vector<std::vector<int64_t>> latencies(static_cast<size_t>(terminals));
  std::vector<std::thread> threads;
  for (int t = 0; t < terminals; ++t) {
    threads.emplace_back([&, t] {
      const int zone = t % zones + 1;
      auto client = zonecast::Client::Connect(
          BenchOptions(broker, zonecast::v1::TERMINAL, absl::StrCat("bench-t", t)));
      if (!client.ok() ||
          !(*client)
               ->Subscribe({absl::StrCat("alert.jincheng.z", zone < 10 ? "0" : "", zone)})
               .ok()) {
        failed = true;
        ready++;
        return;
      }
      ready++;
      const int64_t expected = alerts / zones + (zone <= alerts % zones ? 1 : 0);
      auto& mine = latencies[static_cast<size_t>(t)];
      mine.reserve(static_cast<size_t>(expected));
      while (static_cast<int64_t>(mine.size()) < expected && !failed) {
        absl::StatusOr<zonecast::Message> message = (*client)->Next(absl::Seconds(10));
        if (!message.ok()) {
          std::cerr << "terminal " << t << ": stalled after " << mine.size() << ": "
                    << message.status() << "\n";
          failed = true;
          return;
        }
        const std::string& id = message->event().alert().alert_id();
        int64_t index = 0;
        if (absl::StartsWith(id, id_prefix) &&
            absl::SimpleAtoi(absl::string_view(id).substr(id_prefix.size()), &index) &&
            index < alerts) {
          mine.push_back(NowNanos() - sent_at[static_cast<size_t>(index)].load());
        }
      }
    });
  }
  // Waiting for the terminals' threads to connect is set-up, not measurement.
  while (ready < terminals) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (failed) {
    std::cerr << "route_bench: terminals could not connect to " << broker << "\n";
    for (auto& th : threads) th.join();
    return 1;
  }
  auto center =
      zonecast::Client::Connect(BenchOptions(broker, zonecast::v1::CENTER, "bench-center"));
  if (!center.ok()) {
    std::cerr << "route_bench: " << center.status() << "\n";
    failed = true;
    for (auto& th : threads) th.join();
    return 1;
  }
  const std::string body(static_cast<size_t>(absl::GetFlag(FLAGS_body_bytes)), 'x');
  // What the PubAck callbacks count. They hold only its address, so that
  // std::function keeps them without an allocation per publish.
  struct Tally {
    int64_t outstanding = 0;
    int64_t acked = 0;
    std::atomic<bool>* failed = nullptr;
  };
  Tally counts;
  counts.failed = &failed;
  Tally* const tally = &counts;
  int64_t& outstanding = counts.outstanding;
  int64_t& acked = counts.acked;
  std::unique_ptr<Scraper> scraper;
  if (!scrape_url.empty()) {
    scraper = std::make_unique<Scraper>(scrape_url, absl::Milliseconds(scrape_interval_ms));
    scraper->Start();
  }
  const int64_t start = NowNanos();
  int64_t cycles = 0;  // window refills
  for (int64_t i = 0; i < alerts || outstanding > 0;) {
    while (i < alerts && outstanding < absl::GetFlag(FLAGS_window)) {
      const int zone = static_cast<int>(i % zones) + 1;
      const std::string topic = absl::StrCat("alert.jincheng.z", zone < 10 ? "0" : "", zone);
      zonecast::v1::Event event;
      zonecast::v1::Alert* alert = event.mutable_alert();
      alert->set_alert_id(absl::StrCat(id_prefix, i));
      alert->set_priority(priority);
      alert->set_title("bench");
      alert->set_body(body);
      sent_at[static_cast<size_t>(i)] = NowNanos();
      auto on_ack = [tally](absl::StatusOr<zonecast::PublishResult> result) {
        --tally->outstanding;
        if (result.ok()) {
          ++tally->acked;
        } else {
          std::cerr << "route_bench: " << result.status() << "\n";
          *tally->failed = true;
        }
      };
      if (!(*center)->PublishAsync(topic, std::move(event), priority, on_ack).ok()) {
        std::cerr << "route_bench: publish failed\n";
        failed = true;
        break;
      }
      ++outstanding;
      ++i;
    }
    if (failed) break;
    // Room in the window, or the last answers.
    const size_t room = i < alerts ? static_cast<size_t>(absl::GetFlag(FLAGS_window)) - 1 : 0;
    if (absl::Status status = (*center)->AwaitPubAcks(room, absl::Seconds(10)); !status.ok()) {
      std::cerr << "route_bench: no PubAck within 10 s (" << acked << " acked): " << status << "\n";
      failed = true;
      break;
    }
    if (failed) break;
    // The publisher hears of every ack (RECEIVED from the terminals): read
    // and drop them now and then, as a console would show them.
    if (++cycles % 64 == 0 || i == alerts) {
      while ((*center)->Next(absl::ZeroDuration()).ok()) {
      }
    }
  }
  const int64_t acked_at = NowNanos();
  for (auto& th : threads) th.join();
  const int64_t done_at = NowNanos();
  // The scrapes cover the whole measured phase, publish to last delivery.
  if (scraper != nullptr) scraper->Stop();
  if (failed) return 1;
  std::vector<int64_t> all;
  for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  const double ack_seconds = static_cast<double>(acked_at - start) / 1e9;
  const double all_seconds = static_cast<double>(done_at - start) / 1e9;
  std::printf("alerts=%lld zones=%d terminals=%d window=%d body=%dB\n",
              static_cast<long long>(alerts), zones, terminals, absl::GetFlag(FLAGS_window),
              absl::GetFlag(FLAGS_body_bytes));
  std::printf("published+acked: %.0f alerts/s   delivered: %.0f deliveries/s\n",
              static_cast<double>(acked) / ack_seconds,
              static_cast<double>(all.size()) / all_seconds);
  if (!all.empty()) {
    std::printf("publish->terminal latency us: p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f max=%.1f\n",
                Percentile(all, 0.5), Percentile(all, 0.9), Percentile(all, 0.99),
                Percentile(all, 0.999), Percentile(all, 1.0));
  }
  if (scraper != nullptr) scraper->Print();
  return 0;
}
