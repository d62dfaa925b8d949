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
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
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
#include "zonecast/client.h"

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

namespace {

volatile std::sig_atomic_t stop_requested = 0;
void OnSignal(int) { stop_requested = 1; }

struct Terminal {
  std::unique_ptr<zonecast::Client> client;
  std::string zone;
  bool lazy = false;
  absl::Time next_read = absl::InfinitePast();
  std::set<std::string> alerts;  // distinct alert ids received
  uint64_t lost = 0;
};

std::string ZoneName(int index, int zones) { return absl::StrFormat("z%02d", index % zones + 1); }

// Connects terminals [begin, end) of `all`, one by one.
void ConnectRange(std::vector<Terminal>& all, size_t begin, size_t end, int first_index,
                  const std::string& broker) {
  for (size_t i = begin; i < end; ++i) {
    Terminal& t = all[i];
    zonecast::ClientOptions options;
    options.broker = broker;
    options.role = zonecast::v1::TERMINAL;
    options.unit_id = absl::StrCat("soak-t", first_index + static_cast<int>(i));
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

void WriteReport(const std::vector<Terminal>& all, int zones, std::ostream& out) {
  size_t connected = 0;
  uint64_t lost = 0;
  std::map<std::string, size_t> per_zone;
  std::map<std::string, std::pair<std::string, size_t>> per_alert;  // id -> zone, terminals
  for (const Terminal& t : all) {
    if (t.client == nullptr) continue;
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

int main(int argc, char** argv) {
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
  for (int i = 0; i < count; ++i) {
    all[i].zone = ZoneName(first + i, zones);
    all[i].lazy = lazy_every > 0 && (first + i) % lazy_every == lazy_every - 1;
  }
  const absl::Time started = absl::Now();
  {
    const size_t threads = std::max(1, absl::GetFlag(FLAGS_connectors));
    std::vector<std::thread> connectors;
    for (size_t k = 0; k < threads; ++k) {
      const size_t begin = all.size() * k / threads;
      const size_t end = all.size() * (k + 1) / threads;
      connectors.emplace_back(ConnectRange, std::ref(all), begin, end, first,
                              absl::GetFlag(FLAGS_broker));
    }
    for (std::thread& t : connectors) t.join();
  }
  size_t connected = 0;
  for (const Terminal& t : all) connected += t.client != nullptr ? 1 : 0;
  // The driver waits for this line before it starts publishing.
  std::cout << "connected " << connected << " of " << count << " in "
            << absl::FormatDuration(absl::Now() - started) << std::endl;

  const absl::Time deadline = started + absl::Seconds(absl::GetFlag(FLAGS_duration_s));
  {
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
  // Clients say Goodbye as they go.
  return 0;
}
