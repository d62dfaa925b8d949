#include "cli_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, broker, "tcp://127.0.0.1:7400", "ZeroMQ endpoint of zonecastd");
ABSL_FLAG(int32_t, timeout_ms, 5000, "How long to wait for the broker, in milliseconds");
ABSL_FLAG(std::string, key, "",
          "This client's secret key file (zonecast keygen), for a broker with a keys file; the "
          "broker then knows the client by the identity its keys file binds the key to");
ABSL_FLAG(std::string, broker_key, "", "The broker's public key file, with --key");
ABSL_FLAG(std::string, http_token_file, "",
          "File holding the bearer token of the broker's HTTP endpoint (its --http_token_file)");
ABSL_FLAG(bool, json, false, "Print one JSON object per line (proto field names)");
ABSL_FLAG(std::string, topic, "", "Topic, e.g. alert.jincheng.z03 or radio.jincheng.z03.UNIT");
ABSL_FLAG(std::string, priority, "",
          "Alert priority: P1 (life at risk) .. P4 (routine); publish defaults to P3");
ABSL_FLAG(std::string, title, "", "Alert title (required for publish)");
ABSL_FLAG(std::string, body, "", "Alert text");
ABSL_FLAG(std::string, category, "", "Alert category, e.g. suicide_risk, traffic, theft");
ABSL_FLAG(std::string, lat, "", "Latitude in degrees");
ABSL_FLAG(std::string, lon, "", "Longitude in degrees");
ABSL_FLAG(std::string, address, "", "Place in words, e.g. 'Lanhua bridge'");
ABSL_FLAG(std::string, id, "", "Alert id (idempotency key); generated when empty");
ABSL_FLAG(std::string, unit, "", "Unit id of this client, [a-z0-9_-] (e.g. jc-z03-v12)");
ABSL_FLAG(std::string, group, "", "Patrol group of the unit (e.g. jc-pg03)");
ABSL_FLAG(std::string, zone, "", "Home zone of the unit (e.g. jincheng.z03)");
ABSL_FLAG(std::string, role, "center", "Role of a watcher: center or probe");
ABSL_FLAG(std::vector<std::string>, subscribe, {},
          "Pattern to subscribe to; repeat the flag for more (e.g. alert.jincheng.z03, "
          "alert.jincheng.*, radio.>)");
ABSL_FLAG(int32_t, count, 0, "Exit after this many deliveries (0: run until interrupted)");
ABSL_FLAG(std::string, respond, "",
          "Response to send for each alert: ACCEPTED, EN_ROUTE, ON_SCENE, RESOLVED or DECLINED");
ABSL_FLAG(std::string, kind, "",
          "Radio event kind: POSITION, STATUS, EMERGENCY, PTT_START, "
          "PTT_END or TEXT");
ABSL_FLAG(std::string, status, "", "Status code for --kind STATUS (e.g. 10-8)");
ABSL_FLAG(std::string, text, "",
          "Free text for a radio event or a response; the reason of a cancel, the note of a close "
          "or an assignment");
ABSL_FLAG(std::string, to, "", "The unit an alert is assigned to (assign)");
ABSL_FLAG(uint64_t, since_seq, 0, "History from this broker sequence number on (inclusive)");
ABSL_FLAG(std::string, since, "",
          "History from this time on, RFC 3339 (e.g. 2026-11-29T04:00:00Z)");
ABSL_FLAG(int32_t, limit, 100,
          "At most this many messages (history; the broker caps it at 10000) or units (units)");
ABSL_FLAG(std::string, near, "", "units: the place to list the nearest online units to, LAT,LON");
ABSL_FLAG(bool, interactive, false,
          "Read responses from standard input, one per line, for the last alert shown: "
          "accepted | en_route | on_scene | resolved | declined [free text]");
ABSL_FLAG(double, give_up_s, 0,
          "terminal: stop waiting for a broker that is down after this many seconds (0: wait "
          "for as long as it takes)");
ABSL_FLAG(std::string, tz, "",
          "Time zone for times shown to people: an IANA name (Asia/Shanghai, from tzdata), "
          "UTC, or an offset (+08:00); default the system's. JSON stays in UTC ms");
ABSL_FLAG(std::string, http, "",
          "Monitoring HTTP endpoint of zonecastd, http://HOST:PORT (stats: default "
          "http://127.0.0.1:7480; probe: checks GET /readyz when given)");
ABSL_FLAG(double, rate, 20, "Canaries per second");
ABSL_FLAG(double, duration, 2, "How long to send canaries, in seconds");
ABSL_FLAG(double, warn_p99_ms, 50, "WARNING when the canaries' p99 round trip exceeds this (ms)");
ABSL_FLAG(double, crit_p99_ms, 250, "CRITICAL when the canaries' p99 round trip exceeds this (ms)");
ABSL_FLAG(std::string, name, "",
          "Probe name, [a-z0-9_-]: its unit id and topic probe.<name> "
          "(default probe-<hostname>-<pid>)");
