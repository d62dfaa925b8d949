// mosquitto_bench: the Mosquitto side of bench/run-side-by-side.sh, with
// libmosquitto (Debian's libmosquitto-dev).
//
// One publisher sends --messages payloads of --body_bytes at QoS 1 to one
// topic, keeping at most --window publishes without PUBACK (its own window
// on the on_publish callback; libmosquitto's send maximum is raised to the
// same value so the library never queues behind it). Without --subscribe it
// reports PUBACKs/s. With --subscribe a QoS 1 subscriber (persistent session,
// clean_session=false) in its own connection receives them, and the
// publish->receive latency is measured (the payload starts with the
// publisher's steady_clock time; both ends are in this process).
//
//   mosquitto -c bench.conf &     # listener 1883 127.0.0.1, persistence true
//   ./build-release/bench/mosquitto_bench --port 1883 --subscribe
//
// Output ends with one "RESULT key=value ..." line for the script to parse.
#include <mosquitto.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "mosquitto_bench: %s\n", what.c_str());
  std::exit(1);
}

void OnAlarm(int) {
  constexpr char kMsg[] = "mosquitto_bench: timed out (--timeout_s)\n";
  (void)!write(2, kMsg, sizeof kMsg - 1);
  _exit(1);
}

double Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return static_cast<double>(v[k]) / 1000.0;
}

struct State {
  long messages = 0;
  std::atomic<long> acked{0};
  std::atomic<long> received{0};
  std::atomic<bool> subscribed{false};
  std::vector<int64_t> latencies;  // written by the subscriber's network thread only
  int64_t last_receive = 0;
};

void OnPublish(mosquitto*, void* obj, int) {
  auto* s = static_cast<State*>(obj);
  s->acked.fetch_add(1);
}

void OnSubscribe(mosquitto*, void* obj, int, int count, const int* granted) {
  auto* s = static_cast<State*>(obj);
  if (count != 1 || granted[0] != 1) Die("subscription not granted at QoS 1");
  s->subscribed = true;
  s->subscribed.notify_one();
}

void OnMessage(mosquitto*, void* obj, const mosquitto_message* m) {
  auto* s = static_cast<State*>(obj);
  if (m->payloadlen < 8) return;
  int64_t sent_at = 0;
  std::memcpy(&sent_at, m->payload, sizeof sent_at);
  s->last_receive = NowNanos();
  s->latencies.push_back(s->last_receive - sent_at);
  s->received.fetch_add(1);
}

mosquitto* NewClient(const char* id, bool clean, State* state, int port, int window) {
  mosquitto* m = mosquitto_new(id, clean, state);
  if (m == nullptr) Die("mosquitto_new failed");
  mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
  mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, window);
  mosquitto_int_option(m, MOSQ_OPT_RECEIVE_MAXIMUM, window);
  mosquitto_max_inflight_messages_set(m, static_cast<unsigned>(window));
  // Loopback only, by design.
  const int rc = mosquitto_connect(m, "127.0.0.1", port, 60);
  if (rc != MOSQ_ERR_SUCCESS) {
    Die(std::string("connect to 127.0.0.1:") + std::to_string(port) + ": " +
        mosquitto_strerror(rc));
  }
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 1883, window = 256, body_bytes = 256;
  long messages = 200000;
  bool subscribe = false;
  double timeout_s = 60;
  std::string topic = "alert/jincheng/z01";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--port")
      port = std::stoi(value());
    else if (a == "--messages")
      messages = std::stol(value());
    else if (a == "--window")
      window = std::stoi(value());
    else if (a == "--body_bytes")
      body_bytes = std::stoi(value());
    else if (a == "--subscribe")
      subscribe = true;
    else if (a == "--topic")
      topic = value();
    else if (a == "--timeout_s")
      timeout_s = std::stod(value());
    else {
      std::fprintf(stderr,
                   "usage: mosquitto_bench --port P [--messages N] [--window W] "
                   "[--body_bytes B] [--subscribe] [--topic T]\n");
      return 2;
    }
  }
  if (body_bytes < 8) Die("--body_bytes must be at least 8 (the timestamp)");
  std::signal(SIGALRM, OnAlarm);
  alarm(static_cast<unsigned>(timeout_s));
  mosquitto_lib_init();
  State state;
  state.messages = messages;

  mosquitto* sub = nullptr;
  if (subscribe) {
    state.latencies.reserve(static_cast<size_t>(messages));
    sub = NewClient("bench-sub", false, &state, port, window);
    mosquitto_subscribe_callback_set(sub, OnSubscribe);
    mosquitto_message_callback_set(sub, OnMessage);
    if (mosquitto_subscribe(sub, nullptr, topic.c_str(), 1) != MOSQ_ERR_SUCCESS) {
      Die("subscribe failed");
    }
    if (mosquitto_loop_start(sub) != MOSQ_ERR_SUCCESS) Die("loop_start failed");
    state.subscribed.wait(false);
  }

  // The publisher runs its network loop in this thread (no loop_start): each
  // mosquitto_publish writes its packet at once, and mosquitto_loop reads the
  // PUBACKs (on_publish runs inline), so no thread hand-off per message.
  mosquitto* pub = NewClient("bench-pub", true, &state, port, window);
  mosquitto_publish_callback_set(pub, OnPublish);
  auto pump = [&] {
    const int rc = mosquitto_loop(pub, 1000, 1);
    if (rc != MOSQ_ERR_SUCCESS) Die(std::string("loop: ") + mosquitto_strerror(rc));
  };

  std::string payload(static_cast<size_t>(body_bytes), 'x');
  const int64_t start = NowNanos();
  for (long sent = 0; sent < messages;) {
    while (sent < messages && sent - state.acked.load() < window) {
      const int64_t now = NowNanos();
      std::memcpy(payload.data(), &now, sizeof now);
      const int rc =
          mosquitto_publish(pub, nullptr, topic.c_str(), body_bytes, payload.data(), 1, false);
      if (rc != MOSQ_ERR_SUCCESS) Die(std::string("publish: ") + mosquitto_strerror(rc));
      ++sent;
    }
    pump();
  }
  while (state.acked.load() < messages) pump();
  const int64_t acked_at = NowNanos();
  if (subscribe) {
    while (state.received.load() < messages) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  std::printf("mosquitto QoS 1: messages=%ld window=%d body=%dB\n", messages, window, body_bytes);
  const double ack_rate =
      static_cast<double>(messages) / (static_cast<double>(acked_at - start) / 1e9);
  std::printf("published+acked (PUBACK): %.0f msgs/s\n", ack_rate);
  std::string result = "RESULT acked_per_s=" + std::to_string(static_cast<long>(ack_rate));
  if (subscribe) {
    // The subscriber's network thread is done writing: received == messages.
    auto& v = state.latencies;
    const double rate =
        static_cast<double>(messages) / (static_cast<double>(state.last_receive - start) / 1e9);
    const double p50 = Percentile(v, 0.5), p90 = Percentile(v, 0.9), p99 = Percentile(v, 0.99),
                 p999 = Percentile(v, 0.999), max = Percentile(v, 1.0);
    std::printf("delivered: %.0f msgs/s\n", rate);
    std::printf("publish->subscriber latency us: p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f max=%.1f\n",
                p50, p90, p99, p999, max);
    char buf[256];
    std::snprintf(buf, sizeof buf, " delivered_per_s=%ld p50_us=%.1f p99_us=%.1f",
                  static_cast<long>(rate), p50, p99);
    result += buf;
  }
  std::printf("%s\n", result.c_str());
  mosquitto_disconnect(pub);
  mosquitto_destroy(pub);
  if (sub != nullptr) {
    mosquitto_disconnect(sub);
    mosquitto_loop_stop(sub, false);
    mosquitto_destroy(sub);
  }
  mosquitto_lib_cleanup();
  return 0;
}
