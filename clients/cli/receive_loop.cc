#include "receive_loop.h"

#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli_common.h"
#include "cli_flags.h"
#include "output.h"

namespace zonecast::cli {
namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

// Lines typed on standard input, read without blocking between two waits
// for the broker, so one thread serves both.
class StdinLines {
 public:
  explicit StdinLines(bool enabled) : open_(enabled) {}

  // The complete lines typed since the last call.
  std::vector<std::string> Take() {
    std::vector<std::string> lines;
    while (open_) {
      pollfd item{STDIN_FILENO, POLLIN, 0};
      if (::poll(&item, 1, 0) <= 0 || (item.revents & (POLLIN | POLLHUP)) == 0) break;
      char chunk[4096];
      const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
      if (n <= 0) {
        open_ = false;  // end of input: the receive loop goes on without it
        break;
      }
      pending_.append(chunk, static_cast<size_t>(n));
    }
    for (size_t end; (end = pending_.find('\n')) != std::string::npos;) {
      lines.push_back(pending_.substr(0, end));
      pending_.erase(0, end + 1);
    }
    if (!open_ && !pending_.empty()) lines.push_back(std::exchange(pending_, ""));
    return lines;
  }

 private:
  bool open_;
  std::string pending_;
};

// A line the officer typed ("on_scene arrived"): the response and its text,
// or nullopt (with the reason on stderr) if it is not one.
std::optional<std::pair<v1::AckLevel, std::string>> ParseResponse(const std::string& command,
                                                                  const std::string& line) {
  const std::string trimmed(absl::StripAsciiWhitespace(line));
  if (trimmed.empty()) return std::nullopt;
  const size_t space = trimmed.find(' ');
  const std::string word = absl::AsciiStrToUpper(trimmed.substr(0, space));
  std::string text = space == std::string::npos
                         ? ""
                         : std::string(absl::StripAsciiWhitespace(trimmed.substr(space)));
  v1::AckLevel level;
  if (!v1::AckLevel_Parse(word, &level) || level == v1::RECEIVED ||
      level == v1::ACK_LEVEL_UNSPECIFIED) {
    std::cerr << "zonecast " << command << ": '" << word
              << "' is not a response (accepted, en_route, on_scene, resolved, declined) nor "
                 "a radio event (emergency, status, position, text)"
              << std::endl;
    return std::nullopt;
  }
  return std::make_pair(level, std::move(text));
}

// A radio event the officer typed ("emergency shots fired", "status 10-8",
// "position 35.49 112.85", "text need backup"), or nullopt if the line is
// not one (then it may be a response).
std::optional<v1::RadioEvent> ParseRadio(const std::string& line, std::string* problem) {
  const std::string trimmed(absl::StripAsciiWhitespace(line));
  const size_t space = trimmed.find(' ');
  const std::string word = absl::AsciiStrToLower(trimmed.substr(0, space));
  const std::string rest = space == std::string::npos
                               ? ""
                               : std::string(absl::StripAsciiWhitespace(trimmed.substr(space)));
  v1::RadioEvent radio;
  radio.set_event_unix_ms(absl::ToUnixMillis(absl::Now()));
  if (word == "emergency") {
    radio.set_kind(v1::RadioEvent::EMERGENCY);
    radio.set_text(rest);
  } else if (word == "text") {
    if (rest.empty()) *problem = "text needs a message";
    radio.set_kind(v1::RadioEvent::TEXT);
    radio.set_text(rest);
  } else if (word == "status") {
    const size_t gap = rest.find(' ');
    radio.set_kind(v1::RadioEvent::STATUS);
    radio.set_status_code(rest.substr(0, gap));
    if (gap != std::string::npos) {
      radio.set_text(std::string(absl::StripAsciiWhitespace(rest.substr(gap))));
    }
    if (radio.status_code().empty()) *problem = "status needs a CODE";
  } else if (word == "position") {
    const size_t gap = rest.find(' ');
    double lat = 0;
    double lon = 0;
    if (gap == std::string::npos || !ParseCoordinate(rest.substr(0, gap), &lat) ||
        !ParseCoordinate(std::string(absl::StripAsciiWhitespace(rest.substr(gap))), &lon)) {
      *problem = "position needs LAT LON in degrees";
    }
    radio.set_kind(v1::RadioEvent::POSITION);
    radio.mutable_position()->set_lat(lat);
    radio.mutable_position()->set_lon(lon);
  } else {
    return std::nullopt;
  }
  return radio;
}

// Sends what the officer typed: a radio event, or the response to the last
// alert shown.
void SendTypedLines(const std::string& command, Client& client, StdinLines& typed,
                    const std::optional<Message>& last_alert, const std::string& radio_topic) {
  for (const std::string& line : typed.Take()) {
    std::string problem;
    if (std::optional<v1::RadioEvent> radio = ParseRadio(line, &problem)) {
      if (!problem.empty()) {
        std::cerr << "zonecast " << command << ": " << problem << std::endl;
      } else if (radio_topic.empty()) {
        std::cerr << "zonecast " << command
                  << ": give --zone CITY.ZONE (jincheng.z03) to send radio events" << std::endl;
      } else {
        const v1::RadioEvent::Kind kind = radio->kind();
        absl::StatusOr<PublishResult> sent = client.PublishRadio(radio_topic, *std::move(radio));
        std::cerr << "zonecast " << command << ": "
                  << (sent.ok() ? absl::StrCat(v1::RadioEvent::Kind_Name(kind), " sent")
                                : absl::StrCat("cannot send ", v1::RadioEvent::Kind_Name(kind),
                                               ": ", sent.status().message()))
                  << std::endl;
      }
      continue;
    }
    std::optional<std::pair<v1::AckLevel, std::string>> response = ParseResponse(command, line);
    if (!response) continue;
    if (!last_alert) {
      std::cerr << "zonecast " << command << ": no alert to respond to yet" << std::endl;
      continue;
    }
    const absl::Status status = client.SendAck(*last_alert, response->first, response->second);
    std::cerr << "zonecast " << command << ": "
              << (status.ok() ? absl::StrCat(v1::AckLevel_Name(response->first), " sent for alert ",
                                             last_alert->event().alert().alert_id())
                              : absl::StrCat("cannot send: ", status.message()))
              << std::endl;
  }
}

// Prints one delivery and sends the standing response for an alert.
void Show(const std::string& command, Client& client, const Message& deliver, bool json,
          v1::AckLevel respond) {
  std::cout << (json ? DeliveryJson(deliver) : DeliveryText(deliver)) << std::endl;
  if (respond == v1::ACK_LEVEL_UNSPECIFIED || !deliver.event().has_alert()) return;
  if (absl::Status status = client.SendAck(deliver, respond, absl::GetFlag(FLAGS_text));
      !status.ok()) {
    std::cerr << "zonecast " << command << ": cannot send response: " << status.message()
              << std::endl;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<Client>> ConnectWaiting(const std::string& command,
                                                       const ClientOptions& options,
                                                       absl::Duration give_up) {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  Client::WaitForBroker wait;
  if (give_up > absl::ZeroDuration()) wait.give_up = give_up;
  bool waited = false;
  wait.on_waiting = [&](int attempt, const absl::Status& why) {
    waited = true;
    std::cerr << "zonecast " << command << ": waiting for the broker at " << options.broker
              << " (attempt " << attempt << ": " << why.message() << ")" << std::endl;
  };
  wait.stop = [] { return g_stop != 0; };
  absl::StatusOr<std::unique_ptr<Client>> client = Client::ConnectWaiting(options, wait);
  if (client.ok() && waited) std::cerr << "zonecast " << command << ": connected" << std::endl;
  return client;
}

int ReceiveLoop(const std::string& command, Client& client, bool json, int32_t count,
                v1::AckLevel respond, bool interactive, const std::string& radio_topic) {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  StdinLines typed(interactive);
  if (interactive) {
    std::cerr << "zonecast " << command
              << ": type a response for the last alert: accepted | en_route | on_scene | "
                 "resolved | declined [text]; or a radio event: emergency [text] | status CODE "
                 "[text] | position LAT LON | text MESSAGE"
              << std::endl;
  }
  std::optional<Message> last_alert;
  int32_t seen = 0;
  bool was_connected = true;
  while (!g_stop && (count <= 0 || seen < count)) {
    SendTypedLines(command, client, typed, last_alert, radio_topic);
    absl::StatusOr<Message> next = client.Next(absl::Milliseconds(200));
    if (!was_connected && client.connected()) {
      std::cerr << "zonecast " << command << ": reconnected to the broker" << std::endl;
    }
    was_connected = client.connected();
    if (absl::IsDeadlineExceeded(next.status())) continue;
    if (IsTakenOver(next.status()) || IsKeyRevoked(next.status())) {
      return Failure(command, next.status());
    }
    if (IsSessionLost(next.status())) {
      std::cerr << "zonecast " << command << ": lost the broker (" << next.status().message()
                << "); retrying" << std::endl;
      continue;
    }
    if (!next.ok()) {
      std::cerr << "zonecast " << command << ": broker: " << next.status().message() << std::endl;
      continue;
    }
    Show(command, client, *next, json, respond);
    if (next->event().has_alert()) last_alert = *next;
    ++seen;
  }
  return kExitOk;
}

}  // namespace zonecast::cli
