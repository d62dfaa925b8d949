#include "core/monitoring_routes.h"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "alerts/unit_positions.h"
#include "core/event_stream.h"
#include "google/protobuf/util/json_util.h"
#include "monitoring/prometheus_text.h"
#include "protocol/topic.h"
#include "shared/proto_json.h"
#include "wall/wall_files.h"

namespace zonecast {
namespace {

// Every request sees what happened before it (a test, or an operator who
// just saw a unit connect, must find it in /v1/sessions), so each asks the
// loop for a new snapshot. Requests are served one at a time on the HTTP
// thread, which bounds the loop's extra work to one snapshot per request.
constexpr absl::Duration kSnapshotMaxAge = absl::ZeroDuration();
// How long a request waits for the loop to build a fresh one.
constexpr absl::Duration kSnapshotWait = absl::Seconds(1);
// A loop that has not answered for this long is stuck: not ready.
constexpr absl::Duration kLoopStuckAfter = absl::Seconds(5);
constexpr absl::Duration kTimelineWait = absl::Seconds(10);
constexpr size_t kMaxAlertIdBytes = 256;
constexpr uint32_t kDefaultAlertLimit = 500;
constexpr uint32_t kMaxAlertLimit = 10000;
constexpr uint32_t kDefaultNearbyUnits = 10;
constexpr uint32_t kMaxNearbyUnits = 1000;

constexpr char kJson[] = "application/json";
constexpr char kBearer[] = "Bearer ";
// A console action waits this long for the broker's PubAck (after the disk).
constexpr absl::Duration kConsoleWait = absl::Seconds(5);

HttpResponse Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = kJson;
  response.body = std::move(body);
  response.body += "\n";
  return response;
}

// The request's &limit=N into `limit` (left as it is without one); false if
// it is not a number in 1..max.
bool LimitOf(const HttpRequest& request, uint32_t max, uint32_t* limit) {
  auto it = request.query.find("limit");
  if (it == request.query.end()) return true;
  return absl::SimpleAtoi(it->second, limit) && *limit != 0 && *limit <= max;
}

HttpResponse JsonError(int status, absl::string_view message) {
  return Json(status, JsonWithMember("{}", "error", JsonString(message)));
}

// The HTTP status of a console action's failure.
int HttpStatusOf(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

// A console action's HTTP answer, once the console's worker has it.
class ConsoleAnswer : public HttpDeferred {
 public:
  ConsoleAnswer(std::shared_ptr<ConsoleOutcome> outcome, JsonOptions options)
      : outcome_(std::move(outcome)), options_(options) {}

  std::optional<HttpResponse> Poll() override {
    std::optional<absl::StatusOr<v1::ConsoleReply>> reply = outcome_->Take();
    if (!reply.has_value()) return std::nullopt;
    if (!reply->ok()) return JsonError(HttpStatusOf(reply->status()), reply->status().message());
    return Json(200, ProtoToJson(**reply, options_));
  }

 private:
  std::shared_ptr<ConsoleOutcome> outcome_;
  JsonOptions options_;
};

// The token of "Authorization: Bearer <token>", or "".
absl::string_view BearerToken(const HttpRequest& request) {
  absl::string_view given = request.authorization;
  return absl::ConsumePrefix(&given, kBearer) ? given : absl::string_view();
}

// Compared in constant time: the token is a secret.
bool SameSecret(absl::string_view given, absl::string_view expected) {
  unsigned char differ = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    differ |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
  }
  return differ == 0;
}

JsonOptions OptionsFor(const HttpRequest& request) {
  JsonOptions options;
  options.pretty = request.query.contains("pretty");
  return options;
}

void AddServerCounters(const HttpServer::Counters* counters, v1::StatsSnapshot* stats) {
  if (counters == nullptr) return;
  auto& out = *stats->mutable_counters();
  out["http_connections"] = counters->connections.load();
  out["http_connections_rejected"] = counters->connections_rejected.load();
  out["http_accept_errors"] = counters->accept_errors.load();
  out["http_handler_errors"] = counters->handler_errors.load();
  out["http_requests"] = counters->requests.load();
  out["http_responses_2xx"] = counters->responses_2xx.load();
  out["http_responses_3xx"] = counters->responses_3xx.load();
  out["http_responses_4xx"] = counters->responses_4xx.load();
  out["http_responses_5xx"] = counters->responses_5xx.load();
  out["http_malformed"] = counters->malformed.load();
  out["http_timeouts"] = counters->timeouts.load();
  (*stats->mutable_gauges())["http_open_connections"] =
      static_cast<int64_t>(counters->open_connections.load());
}

constexpr char kIndex[] =
    "zonecastd monitoring endpoint\n"
    "  GET /healthz                 alive\n"
    "  GET /readyz                  200 ready, 503 with the reason\n"
    "  GET /metrics                 Prometheus text format 0.0.4\n"
    "  GET /v1/stats                counters, gauges and latency percentiles (JSON)\n"
    "  GET /v1/sessions             who is online (JSON)\n"
    "  GET /v1/alerts?state=open    alerts not yet resolved, oldest first (JSON; &limit=N, 500)\n"
    "  GET /v1/alerts/{alert_id}    one alert's timeline (JSON)\n"
    "  GET /v1/units                every unit's last position, online or not (JSON)\n"
    "  GET /v1/units?near=LAT,LON   the online units nearest a place (JSON; &limit=N, 10)\n"
    "  GET /v1/zones                the zones' outlines (GeoJSON)\n"
    "  GET /v1/events               live events for the wall (text/event-stream; ?after=N)\n"
    "  GET /wall                    the center's wall: map, open alerts, units, escalations\n"
    "  GET /v1/console/operator     who the bearer token signs in as (JSON)\n"
    "  POST /v1/console/{publish,amend,assign,cancel,close}\n"
    "                               a dispatcher's action (JSON ConsoleRequest)\n"
    "Add ?pretty to a /v1 request for indented JSON.\n";

}  // namespace

MonitoringRoutes::MonitoringRoutes(MonitoringExchange& exchange, std::string data_dir,
                                   std::string bearer_token, ConsoleSignIn* sign_in,
                                   WallConsole* console)
    : exchange_(exchange),
      data_dir_(std::move(data_dir)),
      bearer_token_(std::move(bearer_token)),
      sign_in_(sign_in),
      console_(console) {}

std::optional<std::string> MonitoringRoutes::OperatorOf(const HttpRequest& request) const {
  if (sign_in_ == nullptr) return std::nullopt;
  return sign_in_->OperatorOf(BearerToken(request));
}

std::optional<HttpResponse> MonitoringRoutes::Refusal(const HttpRequest& request,
                                                      absl::string_view path) const {
  // The wall's files hold no data (the page asks for the token itself).
  if (path == "/healthz" || FindWallFile(path) != nullptr) return std::nullopt;
  // A wall operator's own token opens what the endpoint's token opens.
  if (!bearer_token_.empty() &&
      SameSecret(request.authorization, absl::StrCat(kBearer, bearer_token_))) {
    return std::nullopt;
  }
  if (OperatorOf(request).has_value()) return std::nullopt;
  if (sign_in_ != nullptr && sign_in_->expects_keys() && !sign_in_->has_keys() &&
      !BearerToken(request).empty() && (path != "/readyz" && path != "/metrics")) {
    // An operator's token is known once the loop read the keys file.
    return Text(503, "starting: the keys file is not loaded yet; try again shortly\n");
  }
  const bool alert_data = absl::StartsWith(path, "/v1/alerts") || path == "/v1/sessions" ||
                          path == "/v1/units" || path == "/v1/events" || path == "/v1/zones" ||
                          absl::StartsWith(path, "/v1/console");
  if (bearer_token_.empty()) {
    if (!alert_data) return std::nullopt;
    return Text(403,
                "alert data is served only to a bearer token: start zonecastd with "
                "--http_token_file, or sign in with a wall operator's token (keys file)\n");
  }
  HttpResponse response = Text(401, "this endpoint needs Authorization: Bearer <token>\n");
  response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"zonecastd\"");
  return response;
}

HttpResponse MonitoringRoutes::Handle(const HttpRequest& request) {
  const std::string& path = request.path;
  if (std::optional<HttpResponse> refused = Refusal(request, path)) return *std::move(refused);
  if (request.method == "POST" && !absl::StartsWith(path, "/v1/console/")) {
    HttpResponse response = JsonError(
        405,
        absl::StrCat("POST is for /v1/console/{publish,amend,assign,cancel,close}, not ", path));
    response.headers.emplace_back("Allow", "GET, HEAD");
    return response;
  }
  if (path == "/healthz") return Text(200, "ok\n");
  if (path == "/readyz") return Ready();
  if (path == "/metrics") return Metrics();
  if (path == "/v1/stats") return Stats(request);
  if (path == "/v1/sessions") return Sessions(request);
  if (path == "/v1/units") return Units(request);
  if (path == "/v1/events") return Events(request);
  if (path == "/v1/zones") return Zones();
  if (absl::StartsWith(path, "/v1/console/")) {
    const absl::string_view action = absl::string_view(path).substr(std::strlen("/v1/console/"));
    if (action == "operator" && request.method != "POST") return ConsoleOperator(request);
    if (ParseConsoleAction(action).has_value()) {
      if (request.method == "POST") return ConsoleAct(request, action);
      HttpResponse response = JsonError(405, "a console action is a POST of a JSON request");
      response.headers.emplace_back("Allow", "POST");
      return response;
    }
  }
  if (const WallFile* file = FindWallFile(path)) {
    HttpResponse response;
    response.content_type = std::string(file->content_type);
    response.body = std::string(file->body);
    return response;
  }
  if (path == "/v1/alerts") return OpenAlerts(request);
  if (absl::StartsWith(path, "/v1/alerts/")) {
    return AlertTimeline(path.substr(std::strlen("/v1/alerts/")), OptionsFor(request));
  }
  if (path == "/") return Text(200, kIndex);
  if (absl::StartsWith(path, "/v1/")) {
    return JsonError(404, absl::StrCat("no such resource: ", path));
  }
  return Text(404, absl::StrCat("not found: ", path, "\n\n", kIndex));
}

std::shared_ptr<const MonitoringSnapshot> MonitoringRoutes::Snapshot(uint32_t parts) {
  return exchange_.Fresh(kSnapshotMaxAge, kSnapshotWait, parts);
}

std::string MonitoringRoutes::NotReadyReason(const MonitoringSnapshot* snapshot) const {
  const std::string detail = exchange_.PhaseDetail();
  auto with_detail = [&](absl::string_view reason) {
    return detail.empty() ? std::string(reason) : absl::StrCat(reason, ": ", detail);
  };
  switch (exchange_.phase()) {
    case MonitoringExchange::Phase::kStarting:
      return with_detail("starting");
    case MonitoringExchange::Phase::kRecovering:
      return with_detail("recovering the journal");
    case MonitoringExchange::Phase::kStopping:
      return with_detail("shutting down");
    case MonitoringExchange::Phase::kFailed:
      return with_detail("failed to start");
    case MonitoringExchange::Phase::kServing:
      break;
  }
  if (snapshot == nullptr) return "the core loop has not published its state yet";
  const MonoNanos age = exchange_.clock().NowMono() - snapshot->built_at;
  if (age > absl::ToInt64Nanoseconds(kLoopStuckAfter)) {
    return absl::StrFormat("the core loop has not answered for %.1f s",
                           static_cast<double>(age) / 1e9);
  }
  if (!snapshot->stats.ready()) return snapshot->stats.not_ready_reason();
  // The journal notices a full or read-only disk only when it next writes;
  // a probe should hear of it before an alert is refused.
  if (::access(data_dir_.c_str(), W_OK) != 0) {
    return absl::StrCat("journal directory ", data_dir_,
                        " is not writable: ", std::strerror(errno));
  }
  struct statvfs fs {};
  if (::statvfs(data_dir_.c_str(), &fs) == 0 && fs.f_bavail == 0) {
    return absl::StrCat("journal directory ", data_dir_, " is on a full file system");
  }
  return "";
}

HttpResponse MonitoringRoutes::Ready() {
  std::shared_ptr<const MonitoringSnapshot> snapshot;
  if (exchange_.phase() == MonitoringExchange::Phase::kServing) snapshot = Snapshot();
  const std::string reason = NotReadyReason(snapshot.get());
  if (reason.empty()) return Text(200, "ready\n");
  return Text(503, absl::StrCat("not ready: ", reason, "\n"));
}

v1::StatsSnapshot MonitoringRoutes::LiveStats(const MonitoringSnapshot* snapshot) const {
  // The loop's counters and gauges, joined by the HTTP server's own and by
  // the readiness as seen from here (which also checks the disk).
  v1::StatsSnapshot stats = snapshot != nullptr ? snapshot->stats : v1::StatsSnapshot();
  AddServerCounters(server_counters_.load(), &stats);
  const std::string reason = NotReadyReason(snapshot);
  stats.set_ready(reason.empty());
  stats.set_not_ready_reason(reason);
  return stats;
}

HttpResponse MonitoringRoutes::Metrics() {
  std::shared_ptr<const MonitoringSnapshot> snapshot = Snapshot();
  const MonitoringSnapshot empty;
  const MonitoringSnapshot& shown = snapshot != nullptr ? *snapshot : empty;
  HttpResponse response;
  response.content_type = std::string(kPrometheusContentType);
  response.body = RenderPrometheus(LiveStats(snapshot.get()), shown.labelled_gauges, shown.latency);
  return response;
}

HttpResponse MonitoringRoutes::Stats(const HttpRequest& request) {
  std::shared_ptr<const MonitoringSnapshot> snapshot = Snapshot();
  if (snapshot == nullptr) {
    return JsonError(503, absl::StrCat("no statistics yet: ", NotReadyReason(nullptr)));
  }
  v1::StatsSnapshot stats = LiveStats(snapshot.get());
  SummarizeLatency(snapshot->latency, &stats);
  return Json(200, ProtoToJson(stats, OptionsFor(request)));
}

HttpResponse MonitoringRoutes::Sessions(const HttpRequest& request) {
  std::shared_ptr<const MonitoringSnapshot> snapshot = Snapshot(kSnapshotSessions);
  if (snapshot == nullptr) {
    return JsonError(503, absl::StrCat("no sessions yet: ", NotReadyReason(nullptr)));
  }
  return Json(200, ProtoToJson(snapshot->sessions, OptionsFor(request)));
}

HttpResponse MonitoringRoutes::Units(const HttpRequest& request) {
  double lat = 0;
  double lon = 0;
  const auto near = request.query.find("near");
  if (near != request.query.end()) {
    std::vector<std::string> parts = absl::StrSplit(near->second, ',');
    if (parts.size() != 2 || !absl::SimpleAtod(parts[0], &lat) ||
        !absl::SimpleAtod(parts[1], &lon) || !(std::abs(lat) <= 90) || !(std::abs(lon) <= 180)) {
      return JsonError(400,
                       absl::StrCat("near '", near->second,
                                    "' is not LAT,LON in degrees (e.g. near=35.4907,112.8511)"));
    }
  }
  uint32_t limit = kDefaultNearbyUnits;
  if (!LimitOf(request, kMaxNearbyUnits, &limit)) {
    return JsonError(400, absl::StrCat("limit must be 1..", kMaxNearbyUnits));
  }
  std::shared_ptr<const MonitoringSnapshot> snapshot = Snapshot(kSnapshotSessions);
  if (snapshot == nullptr) {
    return JsonError(503, absl::StrCat("no units yet: ", NotReadyReason(nullptr)));
  }
  v1::UnitPositions units;
  units.set_unix_ms(snapshot->sessions.unix_ms());
  if (near == request.query.end()) {
    *units.mutable_units() = snapshot->sessions.positions();
  } else {
    for (v1::UnitPosition& unit : NearestOnline(snapshot->sessions.positions(), lat, lon, limit)) {
      *units.add_units() = std::move(unit);
    }
  }
  return Json(200, ProtoToJson(units, OptionsFor(request)));
}

HttpResponse MonitoringRoutes::Events(const HttpRequest& request) {
  uint64_t after = 0;
  const auto given = request.query.find("after");
  if (given != request.query.end() && !absl::SimpleAtoi(given->second, &after)) {
    return JsonError(400, absl::StrCat("after '", given->second, "' is not an event number"));
  }
  HttpResponse response;
  response.content_type = "text/event-stream; charset=utf-8";
  // A proxy in front must pass each event on at once.
  response.headers.emplace_back("X-Accel-Buffering", "no");
  response.stream = std::make_shared<EventStream>(exchange_.events(), exchange_.clock(), after,
                                                  /*from_newest=*/given == request.query.end());
  return response;
}

HttpResponse MonitoringRoutes::Zones() const {
  std::shared_ptr<const std::string> outlines = exchange_.zone_outlines();
  if (outlines == nullptr) {
    return JsonError(404,
                     "this broker has no zone outlines: name a GeoJSON file as \"shapes\" in its "
                     "zones file (--zones)");
  }
  HttpResponse response;
  response.content_type = "application/geo+json";
  response.body = *outlines;
  return response;
}

HttpResponse MonitoringRoutes::OpenAlerts(const HttpRequest& request) {
  auto state = request.query.find("state");
  if (state != request.query.end() && state->second != "open") {
    return JsonError(400, absl::StrCat("state '", state->second,
                                       "' is not supported: use state=open (alerts not yet "
                                       "resolved); GET /v1/alerts/{alert_id} for any one alert"));
  }
  uint32_t limit = kDefaultAlertLimit;
  if (!LimitOf(request, kMaxAlertLimit, &limit)) {
    return JsonError(400, absl::StrCat("limit must be 1..", kMaxAlertLimit));
  }
  std::shared_ptr<const MonitoringSnapshot> snapshot = Snapshot(kSnapshotOpenAlerts);
  if (snapshot == nullptr) {
    return JsonError(503, absl::StrCat("no alerts yet: ", NotReadyReason(nullptr)));
  }
  // The oldest first: they have waited longest. A center with thousands of
  // open alerts has a bigger problem than a long page; `total` says so.
  v1::AlertStatusList page;
  page.set_unix_ms(snapshot->open_alerts.unix_ms());
  page.set_total(static_cast<uint32_t>(snapshot->open_alerts.alerts_size()));
  for (const v1::AlertStatus& alert : snapshot->open_alerts.alerts()) {
    if (static_cast<uint32_t>(page.alerts_size()) == limit) break;
    *page.add_alerts() = alert;
  }
  return Json(200, ProtoToJson(page, OptionsFor(request)));
}

HttpResponse MonitoringRoutes::AlertTimeline(const std::string& alert_id, JsonOptions options) {
  if (alert_id.empty() || alert_id.size() > kMaxAlertIdBytes ||
      alert_id.find('/') != std::string::npos) {
    return JsonError(400, absl::StrCat("an alert id is 1-", kMaxAlertIdBytes,
                                       " bytes without '/': GET /v1/alerts/{alert_id}"));
  }
  if (exchange_.phase() != MonitoringExchange::Phase::kServing) {
    return JsonError(503,
                     absl::StrCat("the journal is not readable yet: ", NotReadyReason(nullptr)));
  }
  std::shared_ptr<const MonitoringSnapshot> snapshot = Snapshot(kSnapshotOpenAlerts);
  const v1::AlertStatus* status = nullptr;
  if (snapshot != nullptr) {
    for (const v1::AlertStatus& open : snapshot->open_alerts.alerts()) {
      if (open.alert_id() == alert_id) status = &open;
    }
  }
  auto promise = std::make_shared<std::promise<v1::TimelineReply>>();
  std::future<v1::TimelineReply> reply = promise->get_future();
  MonitoringExchange::TimelineQuery query;
  query.alert_id = alert_id;
  query.deadline_unix_ms = status != nullptr ? status->deadline_unix_ms() : 0;
  query.done = [promise](v1::TimelineReply r) { promise->set_value(std::move(r)); };
  exchange_.RequestTimeline(std::move(query));
  // Waited for in slices: a broker that starts stopping answers no more
  // queries, and stopping must not wait out this request.
  const absl::Time give_up = absl::Now() + kTimelineWait;
  while (reply.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    if (exchange_.phase() != MonitoringExchange::Phase::kServing) {
      return JsonError(503, "the broker is stopping");
    }
    if (absl::Now() >= give_up) {
      return JsonError(504, "reading the journal took too long; try again");
    }
  }
  const v1::TimelineReply timeline = reply.get();
  if (!timeline.found()) {
    return JsonError(404, absl::StrCat("no alert '", alert_id,
                                       "' in the journal (unknown, or older than retention)"));
  }
  // The journal's timeline, and beside it (as "status") what the broker
  // knows now of an alert that is still open.
  std::string body = ProtoToJson(timeline.timeline(), options);
  if (status != nullptr) body = JsonWithMember(body, "status", ProtoToJson(*status, options));
  return Json(200, std::move(body));
}

HttpResponse MonitoringRoutes::ConsoleOperator(const HttpRequest& request) const {
  v1::ConsoleOperator who;
  if (std::optional<std::string> name = OperatorOf(request)) {
    who.set_operator_name(*name);
    who.set_may_act(console_ != nullptr);
  } else if (sign_in_ != nullptr && sign_in_->expects_keys()) {
    // With a keys file only an operator's own token acts: the timeline
    // must name a person, not the endpoint's shared token.
    who.set_reason(
        "this token reads the wall but acts for nobody: sign in with your operator token "
        "(http_token_sha256 in the keys file)");
  } else {
    who.set_may_act(console_ != nullptr);
  }
  if (console_ == nullptr) who.set_reason("this broker runs without the console");
  return Json(200, ProtoToJson(who, OptionsFor(request)));
}

HttpResponse MonitoringRoutes::ConsoleAct(const HttpRequest& request, absl::string_view action) {
  if (console_ == nullptr) return JsonError(404, "this broker runs without the console");
  v1::ConsoleRequest console_request;
  google::protobuf::util::JsonParseOptions parse;
  parse.ignore_unknown_fields = false;
  if (const auto parsed =
          google::protobuf::util::JsonStringToMessage(request.body, &console_request, parse);
      !parsed.ok()) {
    return JsonError(400, absl::StrCat("the body is not a console request (JSON): ",
                                       std::string(parsed.message())));
  }
  std::string operator_name;
  if (std::optional<std::string> name = OperatorOf(request)) {
    operator_name = *std::move(name);
  } else if (sign_in_ != nullptr && sign_in_->expects_keys()) {
    return JsonError(403,
                     "only an operator's own token acts (http_token_sha256 in the keys file); "
                     "the endpoint's token reads the wall");
  } else {
    // No keys file: operators are who they say, as every client there.
    operator_name = console_request.operator_name();
    if (absl::Status valid = ValidateUnitId(operator_name); !valid.ok()) {
      return JsonError(400, absl::StrCat("say who acts (operator_name): ", valid.message()));
    }
    // The action's session would take over a unit's session of that name.
    if (std::shared_ptr<const MonitoringSnapshot> snapshot = Snapshot(kSnapshotSessions)) {
      for (const v1::SessionInfo& session : snapshot->sessions.sessions()) {
        if (session.unit() == operator_name && session.role() != "center") {
          return JsonError(409, absl::StrCat(operator_name, " is a ", session.role(),
                                             " online now: an operator acts under a name of "
                                             "their own"));
        }
      }
    }
  }
  // Carried out on the console's own thread: the HTTP thread goes on
  // serving /readyz and the wall's streams while the broker answers.
  HttpResponse response;
  response.deferred = std::make_shared<ConsoleAnswer>(
      console_->Submit(std::move(operator_name), *ParseConsoleAction(action),
                       std::move(console_request), kConsoleWait),
      OptionsFor(request));
  return response;
}

}  // namespace zonecast
