#pragma once
// MonitoringRoutes: the routes of the monitoring HTTP endpoint.
//
//   GET /healthz            200 while the process runs
//   GET /readyz             200 when the journal is recovered and writable and
//                           the ZeroMQ socket is bound; 503 with the reason
//   GET /metrics            Prometheus text format 0.0.4
//   GET /v1/stats           StatsSnapshot as JSON (counters, gauges, percentiles)
//   GET /v1/sessions        SessionList as JSON
//   GET /v1/alerts?state=open   AlertStatusList as JSON
//   GET /v1/alerts/{id}     the alert's timeline from the journal as JSON
//   GET /v1/console/operator      who the bearer token signs in as
//   POST /v1/console/{publish,amend,assign,cancel,close}
//                           a dispatcher's action from the wall (WallConsole)
//
// Runs on the HTTP server's thread. It reads the snapshots the core loop
// publishes on the MonitoringExchange and never touches the loop's state.
#include <atomic>
#include <string>

#include "auth/console_sign_in.h"
#include "console/wall_console.h"
#include "http/http_server.h"
#include "monitoring/monitoring_exchange.h"
#include "shared/proto_json.h"

namespace zonecast {

class MonitoringRoutes {
 public:
  // `data_dir` is checked for writability on /readyz. `server_counters`
  // (may be null) adds the HTTP server's own counters to /metrics.
  // `bearer_token`, when set, is asked of every request but /healthz
  // (Authorization: Bearer <token>). Alert data (/v1/alerts...,
  // /v1/sessions: names, places, units) is only ever served with it.
  //
  // `sign_in` (may be null) also lets in the bearer tokens of the keys
  // file's wall operators, and `console` (may be null: no console) carries
  // out their actions. Both must outlive the routes.
  MonitoringRoutes(MonitoringExchange& exchange, std::string data_dir,
                   std::string bearer_token = "", ConsoleSignIn* sign_in = nullptr,
                   WallConsole* console = nullptr);

  // Set once the server runs; requests may already be served meanwhile.
  void set_server_counters(const HttpServer::Counters* counters) { server_counters_ = counters; }
  HttpResponse Handle(const HttpRequest& request);

 private:
  // The latest snapshot, refreshed if older than a scrape can notice.
  std::shared_ptr<const MonitoringSnapshot> Snapshot(uint32_t parts = 0);
  // Empty if ready, else why not.
  std::string NotReadyReason(const MonitoringSnapshot* snapshot) const;
  // snapshot->stats with the HTTP server's counters and NotReadyReason.
  v1::StatsSnapshot LiveStats(const MonitoringSnapshot* snapshot) const;
  HttpResponse Ready();
  HttpResponse Metrics();
  HttpResponse Stats(const HttpRequest& request);
  HttpResponse Sessions(const HttpRequest& request);
  HttpResponse OpenAlerts(const HttpRequest& request);
  // GET /v1/units[?near=LAT,LON&limit=N].
  HttpResponse Units(const HttpRequest& request);
  // GET /v1/events[?after=N]: the live event stream (core/event_stream.h).
  HttpResponse Events(const HttpRequest& request);
  // GET /v1/zones: the zones' outlines as the zones file's GeoJSON.
  HttpResponse Zones() const;
  HttpResponse AlertTimeline(const std::string& alert_id, JsonOptions options);
  // GET /v1/console/operator.
  HttpResponse ConsoleOperator(const HttpRequest& request) const;
  // POST /v1/console/{action}.
  HttpResponse ConsoleAct(const HttpRequest& request, absl::string_view action);
  // The operator a request's bearer token signs in as (keys file), or
  // nullopt.
  std::optional<std::string> OperatorOf(const HttpRequest& request) const;

  // Null if `request` may have `path`, else the refusal.
  std::optional<HttpResponse> Refusal(const HttpRequest& request, absl::string_view path) const;

  MonitoringExchange& exchange_;
  std::string data_dir_;
  std::string bearer_token_;
  ConsoleSignIn* sign_in_;
  WallConsole* console_;
  std::atomic<const HttpServer::Counters*> server_counters_{nullptr};
};

}  // namespace zonecast
