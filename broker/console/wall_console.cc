#include "console/wall_console.h"

#include <memory>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "shared/curve_keys.h"
#include "zonecast/client.h"
#include "zonecast/version.h"

namespace zonecast {
namespace {

// A wildcard address the broker bound to is reached on loopback.
std::string Reachable(absl::string_view endpoint) {
  return absl::StrReplaceAll(endpoint, {{"tcp://0.0.0.0:", "tcp://127.0.0.1:"},
                                        {"tcp://*:", "tcp://127.0.0.1:"},
                                        {"tcp://[::]:", "tcp://[::1]:"}});
}

// "w-<unix ms>-<random>", as the CLI makes them; the page sends its own so
// that a retry reuses it.
std::string NewAlertId() {
  absl::BitGen gen;
  return absl::StrCat("w-", absl::ToUnixMillis(absl::Now()), "-",
                      absl::Uniform<uint32_t>(gen, 0, 1u << 20));
}

absl::Status Missing(absl::string_view what, absl::string_view action) {
  return absl::InvalidArgumentError(absl::StrCat(action, " needs ", what));
}

// What the action lacks, before anything connects.
absl::Status CheckRequest(ConsoleAction action, const v1::ConsoleRequest& request) {
  if (request.topic().empty()) return Missing("the topic (alert.<city>.<zone>)", "every action");
  if (action == ConsoleAction::kPublish) {
    if (request.title().empty()) return Missing("a title", "publish");
    if (request.priority() == v1::PRIORITY_UNSPECIFIED) return Missing("a priority", "publish");
    return absl::OkStatus();
  }
  if (request.alert_id().empty()) return Missing("the alert_id", "an update");
  switch (action) {
    case ConsoleAction::kAmend:
      if (request.title().empty() && request.body().empty() &&
          request.priority() == v1::PRIORITY_UNSPECIFIED && !request.has_location()) {
        return Missing("what changes (title, body, priority or location)", "amend");
      }
      break;
    case ConsoleAction::kAssign:
      if (request.unit().empty()) return Missing("the unit sent", "assign");
      break;
    case ConsoleAction::kCancel:
      if (request.text().empty()) return Missing("the reason the units are told (text)", "cancel");
      break;
    default:
      break;
  }
  return absl::OkStatus();
}

absl::StatusOr<PublishResult> Carry(Client& client, ConsoleAction action,
                                    v1::ConsoleRequest& request) {
  const std::string& topic = request.topic();
  switch (action) {
    case ConsoleAction::kPublish: {
      v1::Alert alert;
      alert.set_alert_id(request.alert_id().empty() ? NewAlertId() : request.alert_id());
      alert.set_priority(request.priority());
      alert.set_title(request.title());
      alert.set_body(request.body());
      if (request.has_location()) *alert.mutable_location() = request.location();
      alert.set_created_unix_ms(absl::ToUnixMillis(absl::Now()));
      return client.PublishAlert(topic, std::move(alert));
    }
    case ConsoleAction::kAmend: {
      Client::Amendment change;
      change.title = request.title();
      change.body = request.body();
      change.priority = request.priority();
      if (request.has_location()) change.location = request.location();
      return client.AmendAlert(topic, request.alert_id(), change);
    }
    case ConsoleAction::kAssign:
      return client.AssignAlert(topic, request.alert_id(), request.unit(), request.text());
    case ConsoleAction::kCancel:
      return client.CancelAlert(topic, request.alert_id(), request.text());
    case ConsoleAction::kClose:
      return client.CloseAlert(topic, request.alert_id(), request.text());
  }
  return absl::InternalError("unknown console action");
}

}  // namespace

std::optional<ConsoleAction> ParseConsoleAction(absl::string_view name) {
  if (name == "publish") return ConsoleAction::kPublish;
  if (name == "amend") return ConsoleAction::kAmend;
  if (name == "assign") return ConsoleAction::kAssign;
  if (name == "cancel") return ConsoleAction::kCancel;
  if (name == "close") return ConsoleAction::kClose;
  return std::nullopt;
}

std::optional<absl::StatusOr<v1::ConsoleReply>> ConsoleOutcome::Take() {
  AnnotatedLock lock(&mutex_);
  std::optional<absl::StatusOr<v1::ConsoleReply>> result = std::move(result_);
  result_.reset();
  return result;
}

void ConsoleOutcome::Set(absl::StatusOr<v1::ConsoleReply> result) {
  AnnotatedLock lock(&mutex_);
  result_ = std::move(result);
}

WallConsole::~WallConsole() {
  std::deque<Job> left;
  {
    AnnotatedLock lock(&mutex_);
    stopping_ = true;
    left.swap(jobs_);
    mutex_.Notify();
  }
  for (Job& job : left) job.outcome->Set(absl::UnavailableError("the broker is stopping"));
  if (worker_.joinable()) worker_.join();
}

std::shared_ptr<ConsoleOutcome> WallConsole::Submit(std::string operator_name, ConsoleAction action,
                                                    v1::ConsoleRequest request,
                                                    absl::Duration timeout) {
  auto outcome = std::make_shared<ConsoleOutcome>();
  AnnotatedLock lock(&mutex_);
  if (stopping_) {
    outcome->Set(absl::UnavailableError("the broker is stopping"));
  } else if (jobs_.size() >= kMaxQueued) {
    outcome->Set(absl::ResourceExhaustedError("too many console actions waiting; try again"));
  } else {
    jobs_.push_back(Job{std::move(operator_name), action, std::move(request), timeout, outcome});
    if (!worker_.joinable()) worker_ = std::thread([this] { Work(); });
    mutex_.Notify();
  }
  return outcome;
}

void WallConsole::Work() {
  while (true) {
    Job job;
    {
      AnnotatedLock lock(&mutex_);
      while (jobs_.empty() && !stopping_) mutex_.Wait();
      if (jobs_.empty()) return;  // stopping
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job.outcome->Set(Act(job.operator_name, job.action, std::move(job.request), job.timeout));
  }
}

void WallConsole::SetBroker(absl::string_view endpoint, std::string broker_public_key) {
  AnnotatedLock lock(&mutex_);
  endpoint_ = Reachable(endpoint);
  broker_public_key_ = std::move(broker_public_key);
}

absl::StatusOr<v1::ConsoleReply> WallConsole::Act(const std::string& operator_name,
                                                  ConsoleAction action, v1::ConsoleRequest request,
                                                  absl::Duration timeout) {
  if (absl::Status status = CheckRequest(action, request); !status.ok()) return status;
  ClientOptions options;
  {
    AnnotatedLock lock(&mutex_);
    options.broker = endpoint_;
    options.broker_public_key = broker_public_key_;
  }
  if (options.broker.empty()) return absl::UnavailableError("the broker is not serving yet");
  options.role = v1::CENTER;
  options.unit_id = operator_name;
  options.client_name = absl::StrCat("zonecastd-wall/", kVersion);
  // One deadline for the whole action: the HTTP thread waits for it.
  options.connect_timeout = timeout * 2 / 5;
  options.request_timeout = timeout - options.connect_timeout;
  // A key pair for this action alone, admitted as the operator while it runs.
  // Retired however the action ends.
  struct Admission {
    ConsoleSignIn& sign_in;
    std::string key;
    ~Admission() {
      if (!key.empty()) sign_in.RetireKey(key);
    }
  } admission{sign_in_, ""};
  if (!options.broker_public_key.empty()) {
    absl::StatusOr<CurveKeys> keys = GenerateCurveKeys();
    if (!keys.ok()) return keys.status();
    std::string key = CurveKeyBytes(keys->public_key);
    if (!sign_in_.AdmitKey(key, operator_name)) {
      return absl::ResourceExhaustedError("too many console actions at once; try again");
    }
    admission.key = std::move(key);
    options.public_key = keys->public_key;
    options.secret_key = keys->secret_key;
  }
  absl::StatusOr<PublishResult> result = absl::UnknownError("not carried out");
  {
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Connect(options);
    result = client.ok() ? Carry(**client, action, request) : client.status();
  }
  if (!result.ok()) return result.status();
  v1::ConsoleReply reply;
  reply.set_operator_name(operator_name);
  reply.set_seq(result->seq());
  reply.set_alert_id(result->alert_id());
  reply.set_duplicate(result->duplicate());
  reply.set_held(result->held());
  reply.set_recipients(result->recipients());
  return reply;
}

}  // namespace zonecast
