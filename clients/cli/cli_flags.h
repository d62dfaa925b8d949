#pragma once
// Flags of the zonecast CLI. They are defined once (cli_flags.cc) and shared
// by the subcommands; each subcommand's --help lists the ones it reads.
#include <string>
#include <vector>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, broker);
ABSL_DECLARE_FLAG(int32_t, timeout_ms);
ABSL_DECLARE_FLAG(std::string, key);
ABSL_DECLARE_FLAG(std::string, broker_key);
ABSL_DECLARE_FLAG(std::string, http_token_file);
ABSL_DECLARE_FLAG(bool, json);
ABSL_DECLARE_FLAG(std::string, topic);
ABSL_DECLARE_FLAG(std::string, priority);
ABSL_DECLARE_FLAG(std::string, title);
ABSL_DECLARE_FLAG(std::string, body);
ABSL_DECLARE_FLAG(std::string, category);
ABSL_DECLARE_FLAG(std::string, lat);
ABSL_DECLARE_FLAG(std::string, lon);
ABSL_DECLARE_FLAG(std::string, address);
ABSL_DECLARE_FLAG(std::string, id);
ABSL_DECLARE_FLAG(std::string, unit);
ABSL_DECLARE_FLAG(std::string, group);
ABSL_DECLARE_FLAG(std::string, zone);
ABSL_DECLARE_FLAG(std::string, role);
ABSL_DECLARE_FLAG(std::vector<std::string>, subscribe);
ABSL_DECLARE_FLAG(int32_t, count);
ABSL_DECLARE_FLAG(std::string, respond);
ABSL_DECLARE_FLAG(std::string, kind);
ABSL_DECLARE_FLAG(std::string, status);
ABSL_DECLARE_FLAG(std::string, text);
ABSL_DECLARE_FLAG(std::string, to);
ABSL_DECLARE_FLAG(uint64_t, since_seq);
ABSL_DECLARE_FLAG(std::string, since);
ABSL_DECLARE_FLAG(int32_t, limit);
ABSL_DECLARE_FLAG(std::string, near);
ABSL_DECLARE_FLAG(bool, interactive);
ABSL_DECLARE_FLAG(double, give_up_s);
ABSL_DECLARE_FLAG(std::string, tz);
// Monitoring: `zonecast probe` and `zonecast stats`.
ABSL_DECLARE_FLAG(std::string, http);
ABSL_DECLARE_FLAG(double, rate);
ABSL_DECLARE_FLAG(double, duration);
ABSL_DECLARE_FLAG(double, warn_p99_ms);
ABSL_DECLARE_FLAG(double, crit_p99_ms);
ABSL_DECLARE_FLAG(std::string, name);
