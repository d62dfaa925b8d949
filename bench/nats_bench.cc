// nats_bench: the NATS side of bench/run-side-by-side.sh. A tiny client of
// the NATS text protocol (INFO, CONNECT, PUB, SUB, MSG, PING/PONG, +OK/-ERR)
// over a plain TCP socket; no NATS library, standard library only.
//
// --mode core: one connection publishes --messages payloads of --body_bytes
//   to one subject; a subscriber on that subject in a second connection
//   receives them. Core NATS has no publish acknowledgement, so the bounded
//   window counts messages published but not yet received by the subscriber.
//   Reports delivered msgs/s and publish->receive latency percentiles (the
//   payload starts with the publisher's steady_clock time; both ends are in
//   this process).
// --mode js: creates a JetStream stream (file storage) over the subject, then
//   publishes each message with a reply inbox, keeping at most --window
//   PubAcks ({"stream":..,"seq":..}) outstanding. Reports PubAcks/s. With
//   --subscribe, a core subscriber on the subject also measures delivery;
//   with --consumer, a durable push consumer with explicit acks does (each
//   delivery acked by the subscriber, its ack state kept by JetStream).
//
//   nats-server -js -sd /var/tmp/js -a 127.0.0.1 -p 4222 &
//   ./build-release/bench/nats_bench --port 4222 --mode js --messages 200000
//
// Output ends with one "RESULT key=value ..." line for the script to parse.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

struct Options {
  int port = 4222;
  std::string mode = "core";
  long messages = 200000;
  int window = 256;
  int body_bytes = 256;
  bool subscribe = false;
  bool consumer = false;
  std::string subject = "alert.jincheng.z01";
  double timeout_s = 30;
};

int64_t NowNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void OnAlarm(int) {
  constexpr char kMsg[] = "nats_bench: timed out (--timeout_s)\n";
  (void)!write(2, kMsg, sizeof kMsg - 1);
  _exit(1);
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "nats_bench: %s\n", what.c_str());
  std::exit(1);
}

// One NATS connection: buffered writes, a line/payload reader, and PING
// answered from inside the reader so the server never drops us.
class Conn {
 public:
  struct Msg {
    std::string subject;
    std::string reply;
    std::string payload;
  };

  explicit Conn(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) Die("socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // loopback only, by design
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      Die("cannot connect to 127.0.0.1:" + std::to_string(port));
    }
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::string line = ReadLine();
    if (line.rfind("INFO ", 0) != 0) Die("expected INFO, got: " + line);
    Write(R"(CONNECT {"verbose":false,"pedantic":false,"headers":true,"name":"nats_bench"})"
          "\r\n");
    Ping();
  }
  ~Conn() { close(fd_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  void Write(std::string_view s) { out_.append(s); }
  void Pub(std::string_view subject, std::string_view reply, std::string_view payload) {
    out_.append("PUB ").append(subject);
    if (!reply.empty()) out_.append(" ").append(reply);
    out_.append(" ").append(std::to_string(payload.size())).append("\r\n");
    out_.append(payload).append("\r\n");
  }
  void Flush() {
    size_t done = 0;
    while (done < out_.size()) {
      const ssize_t n = send(fd_, out_.data() + done, out_.size() - done, MSG_NOSIGNAL);
      if (n <= 0) Die("send failed");
      done += static_cast<size_t>(n);
    }
    out_.clear();
  }
  // Round trip: every command sent before it has been processed by the server.
  void Ping() {
    Write("PING\r\n");
    Flush();
    while (true) {
      auto msg = Next(true);
      if (!msg) return;  // the PONG
      pending_.push_back(std::move(*msg));
    }
  }
  // The next MSG/HMSG, or nullopt on PONG when want_pong. Blocks.
  std::optional<Msg> Next(bool want_pong = false) {
    if (!want_pong && !pending_.empty()) {
      Msg m = std::move(pending_.front());
      pending_.erase(pending_.begin());
      return m;
    }
    while (true) {
      std::string line = ReadLine();
      if (line == "PING") {
        Write("PONG\r\n");
        Flush();
      } else if (line == "PONG") {
        if (want_pong) return std::nullopt;
      } else if (line == "+OK" || line.rfind("INFO ", 0) == 0) {
      } else if (line.rfind("-ERR", 0) == 0) {
        Die("server: " + line);
      } else if (line.rfind("MSG ", 0) == 0 || line.rfind("HMSG ", 0) == 0) {
        return ParseMsg(line);
      } else {
        Die("unexpected line: " + line);
      }
    }
  }
  // True if a complete protocol line is already buffered or readable now.
  bool Readable() {
    if (!pending_.empty() || in_.find("\r\n", pos_) != std::string::npos) return true;
    char c;
    return recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
  }

 private:
  Msg ParseMsg(const std::string& line) {
    // MSG <subject> <sid> [reply] <#bytes>
    // HMSG <subject> <sid> [reply] <#header bytes> <#total bytes>
    std::vector<std::string> f;
    for (size_t i = 0; i < line.size();) {
      const size_t j = std::min(line.find(' ', i), line.size());
      if (j > i) f.push_back(line.substr(i, j - i));
      i = j + 1;
    }
    const bool h = f[0] == "HMSG";
    const size_t need = h ? 5 : 4;
    if (f.size() != need && f.size() != need + 1) Die("bad " + f[0] + ": " + line);
    Msg m;
    m.subject = f[1];
    if (f.size() == need + 1) m.reply = f[3];
    const size_t total = std::stoul(f.back());
    const size_t headers = h ? std::stoul(f[f.size() - 2]) : 0;
    Fill(total + 2);
    m.payload = in_.substr(pos_ + headers, total - headers);
    pos_ += total + 2;
    return m;
  }
  void Fill(size_t want) {
    while (in_.size() - pos_ < want) Read();
  }
  void Read() {
    if (pos_ > 0 && pos_ == in_.size()) {
      in_.clear();
      pos_ = 0;
    } else if (pos_ > (1 << 20)) {
      in_.erase(0, pos_);
      pos_ = 0;
    }
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) Die("connection closed by the server");
    in_.append(buf, static_cast<size_t>(n));
  }
  std::string ReadLine() {
    size_t end;
    while ((end = in_.find("\r\n", pos_)) == std::string::npos) Read();
    std::string line = in_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return line;
  }

  int fd_ = -1;
  std::string out_;
  std::string in_;
  size_t pos_ = 0;
  std::vector<Msg> pending_;
};

double Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return static_cast<double>(v[k]) / 1000.0;
}

// One JetStream API request/reply on the admin connection.
std::string Request(Conn& c, const std::string& subject, const std::string& body) {
  const std::string inbox = "_INBOX.bench_admin";
  c.Write("SUB " + inbox + " 9\r\n");
  c.Pub(subject, inbox, body);
  c.Write("UNSUB 9 1\r\n");
  c.Flush();
  auto reply = c.Next();
  return reply ? reply->payload : std::string();
}

void CreateStream(Conn& c, const Options& o) {
  // A stream left over from an earlier run against the same server goes first.
  Request(c, "$JS.API.STREAM.DELETE.BENCH", "");
  const std::string reply =
      Request(c, "$JS.API.STREAM.CREATE.BENCH",
              R"({"name":"BENCH","subjects":[")" + o.subject +
                  R"("],"storage":"file","retention":"limits","discard":"old",)"
                  R"("max_msgs":-1,"max_bytes":-1,"num_replicas":1})");
  if (reply.find("\"error\"") != std::string::npos) Die("stream create failed: " + reply);
}

// A durable push consumer with explicit acks delivering to deliver_subject:
// JetStream then stores each delivery's ack state, like a durable session.
void CreateConsumer(Conn& c, const Options& o, const std::string& deliver_subject) {
  const std::string reply =
      Request(c, "$JS.API.CONSUMER.DURABLE.CREATE.BENCH.bench_sub",
              R"({"stream_name":"BENCH","config":{"durable_name":"bench_sub","deliver_subject":")" +
                  deliver_subject +
                  R"(","deliver_policy":"all","ack_policy":"explicit","ack_wait":30000000000,)"
                  R"("max_ack_pending":65536,"replay_policy":"instant"}})");
  if (reply.find("\"error\"") != std::string::npos) Die("consumer create failed: " + reply);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value for " + a);
      return argv[++i];
    };
    if (a == "--port")
      o.port = std::stoi(value());
    else if (a == "--mode")
      o.mode = value();
    else if (a == "--messages")
      o.messages = std::stol(value());
    else if (a == "--window")
      o.window = std::stoi(value());
    else if (a == "--body_bytes")
      o.body_bytes = std::stoi(value());
    else if (a == "--subscribe")
      o.subscribe = true;
    else if (a == "--consumer")
      o.consumer = o.subscribe = true;
    else if (a == "--subject")
      o.subject = value();
    else if (a == "--timeout_s")
      o.timeout_s = std::stod(value());
    else {
      std::fprintf(stderr,
                   "usage: nats_bench --port P [--mode core|js] [--messages N] [--window W]\n"
                   "                  [--body_bytes B] [--subscribe | --consumer] [--subject S]\n");
      return 2;
    }
  }
  if (o.mode != "core" && o.mode != "js") Die("--mode must be core or js");
  if (o.consumer && o.mode != "js") Die("--consumer needs --mode js");
  if (o.body_bytes < 8) Die("--body_bytes must be at least 8 (the timestamp)");
  const bool js = o.mode == "js";
  // A stalled broker ends the run with an error instead of hanging it.
  std::signal(SIGALRM, OnAlarm);
  alarm(static_cast<unsigned>(o.timeout_s));
  const bool subscribe = !js || o.subscribe;

  // Subscriber: its own connection and thread; SUB is confirmed by a PING
  // round trip before the publisher starts.
  std::atomic<long> received{0};
  std::vector<int64_t> latencies;
  int64_t last_receive = 0;
  std::optional<Conn> sub;
  std::thread sub_thread;
  const std::string deliver_subject = "_INBOX.bench_deliver";
  if (subscribe) {
    sub.emplace(o.port);
    sub->Write("SUB " + (o.consumer ? deliver_subject : o.subject) + " 1\r\n");
    sub->Ping();
    latencies.reserve(static_cast<size_t>(o.messages));
    sub_thread = std::thread([&] {
      while (received.load() < o.messages) {
        auto m = sub->Next();
        if (!m || m->payload.size() < sizeof(int64_t)) continue;
        if (o.consumer) {
          // Ack each delivery ($JS.ACK... reply subject); acks are written
          // once no more input is waiting.
          sub->Pub(m->reply, "", "");
          if (!sub->Readable()) sub->Flush();
        }
        int64_t sent_at = 0;
        std::memcpy(&sent_at, m->payload.data(), sizeof sent_at);
        last_receive = NowNanos();
        latencies.push_back(last_receive - sent_at);
        received.fetch_add(1);
        received.notify_one();
      }
    });
  }

  Conn pub(o.port);
  if (js) CreateStream(pub, o);
  if (o.consumer) CreateConsumer(pub, o, deliver_subject);
  const std::string inbox = "_INBOX.bench_acks";
  if (js) {
    pub.Write("SUB " + inbox + ".* 2\r\n");
    pub.Ping();
  }
  std::string payload(static_cast<size_t>(o.body_bytes), 'x');
  long sent = 0, acked = 0, ack_errors = 0;
  const int64_t start = NowNanos();
  std::string reply;
  while (sent < o.messages || (js && acked < o.messages)) {
    const long in_flight = js ? sent - acked : sent - received.load();
    if (sent < o.messages && in_flight < o.window) {
      // Fill the window, then write it with one send().
      const long room = std::min<long>(o.window - in_flight, o.messages - sent);
      for (long k = 0; k < room; ++k, ++sent) {
        const int64_t now = NowNanos();
        std::memcpy(payload.data(), &now, sizeof now);
        if (js) reply = inbox + "." + std::to_string(sent);
        pub.Pub(o.subject, reply, payload);
      }
      pub.Flush();
      continue;
    }
    if (js) {
      // Drain every PubAck that is already here, then go refill.
      do {
        auto m = pub.Next();
        if (!m) continue;
        ++acked;
        if (m->payload.find("\"seq\"") == std::string::npos) {
          if (++ack_errors == 1)
            std::fprintf(stderr, "nats_bench: PubAck: %s\n", m->payload.c_str());
        }
      } while (acked < sent && pub.Readable());
    } else {
      const long seen = received.load();
      if (sent - seen >= o.window) received.wait(seen);
    }
  }
  const int64_t acked_at = NowNanos();
  if (subscribe) sub_thread.join();
  if (ack_errors > 0) Die(std::to_string(ack_errors) + " PubAcks carried an error");

  std::printf("nats %s: messages=%ld window=%d body=%dB\n", o.mode.c_str(), o.messages, o.window,
              o.body_bytes);
  std::string result = "RESULT";
  if (js) {
    const double rate = static_cast<double>(acked) / (static_cast<double>(acked_at - start) / 1e9);
    std::printf("published+acked (JetStream PubAck): %.0f msgs/s\n", rate);
    result += " acked_per_s=" + std::to_string(static_cast<long>(rate));
  }
  if (subscribe) {
    const double rate =
        static_cast<double>(received.load()) / (static_cast<double>(last_receive - start) / 1e9);
    const double p50 = Percentile(latencies, 0.5), p90 = Percentile(latencies, 0.9),
                 p99 = Percentile(latencies, 0.99), p999 = Percentile(latencies, 0.999),
                 max = Percentile(latencies, 1.0);
    std::printf("delivered: %.0f msgs/s\n", rate);
    std::printf("publish->subscriber latency us: p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f max=%.1f\n",
                p50, p90, p99, p999, max);
    char buf[256];
    std::snprintf(buf, sizeof buf, " delivered_per_s=%ld p50_us=%.1f p99_us=%.1f",
                  static_cast<long>(rate), p50, p99);
    result += buf;
  }
  std::printf("%s\n", result.c_str());
  return 0;
}
