#include "core/snapshot_builder.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "routing/access_policy.h"
#include "zonecast/version.h"

namespace zonecast {
namespace {

// The zone label of a session's metrics: the zone's own token, as in the
// latency metrics (from the topic), whether the Hello said "jincheng.z03"
// or "z03"; so one Grafana zone filter selects both.
std::string ZoneLabel(const std::string& zone) {
  if (zone.empty()) return "none";
  const size_t dot = zone.rfind('.');
  return dot == std::string::npos ? zone : zone.substr(dot + 1);
}

}  // namespace

SnapshotBuilder::SnapshotBuilder(LoopState loop) : loop_(loop) {}

void SnapshotBuilder::FillCountersAndGauges(v1::StatsSnapshot* stats) const {
  auto& counters = *stats->mutable_counters();
  loop_.counters->ForEach(
      [&](absl::string_view name, uint64_t value) { counters[std::string(name)] = value; });
  const MatchCache::Counters& cache = loop_.router->cache().counters();
  counters["match_cache_hits"] = cache.hits;
  counters["match_cache_misses"] = cache.misses;
  counters["match_cache_evictions"] = cache.evictions;
  counters["match_cache_invalidations"] = cache.invalidations;
  counters["latency_negative_cross_clock"] = loop_.latency->negative_cross_clock();
  auto& gauges = *stats->mutable_gauges();
  int64_t by_role[4] = {0, 0, 0, 0};
  int64_t queued_messages = 0;
  int64_t queued_bytes = 0;
  int64_t slow = 0;
  int64_t replaying = 0;
  loop_.sessions->ForEach([&](const Session& s) {
    ++by_role[s.role()];
    replaying += s.replaying ? 1 : 0;
    queued_messages += static_cast<int64_t>(s.queue().messages());
    queued_bytes += static_cast<int64_t>(s.queue().bytes());
    slow += s.queue().slow() ? 1 : 0;
  });
  gauges["sessions"] = static_cast<int64_t>(loop_.sessions->size());
  gauges["sessions.center"] = by_role[v1::CENTER];
  gauges["sessions.terminal"] = by_role[v1::TERMINAL];
  gauges["sessions.probe"] = by_role[v1::PROBE];
  gauges["sessions_slow"] = slow;
  gauges["sessions_replaying"] = replaying;
  gauges["queued_messages"] = queued_messages;
  gauges["queued_bytes"] = queued_bytes;
  gauges["subscriptions"] = static_cast<int64_t>(loop_.router->trie().subscription_count());
  gauges["trie_nodes"] = static_cast<int64_t>(loop_.router->trie().node_count());
  gauges["match_cache_entries"] = static_cast<int64_t>(loop_.router->cache().size());
  gauges["last_seq"] = static_cast<int64_t>(loop_.journal->last_seq());
  // Publishes read and given a seq whose batch is not on disk yet.
  gauges["durable_lag"] =
      static_cast<int64_t>(loop_.journal->last_seq() - loop_.journal->last_durable_seq());
  const journal::WriterStats journal_stats = FillJournal(stats);
  gauges["pending_acks"] = static_cast<int64_t>(loop_.durable->tracker().pending());
  // Open means one thing everywhere: not resolved, cancelled or closed (the
  // list /v1/alerts?state=open shows); of those, the ones nobody took yet.
  gauges["open_alerts"] = static_cast<int64_t>(loop_.unresolved_alerts->size());
  gauges["alerts_awaiting_response"] = static_cast<int64_t>(loop_.escalator->open());
  gauges["alerts_held_unstored"] =
      loop_.held_alerts != nullptr ? static_cast<int64_t>(loop_.held_alerts->size()) : 0;
  gauges["latency_tracked_messages"] = static_cast<int64_t>(loop_.latency->tracked_messages());
  gauges["journal_inflight_bytes"] = static_cast<int64_t>(loop_.journal->inflight_bytes());
  const bool backlogged = loop_.journal->Backlogged();
  stats->set_ready(journal_stats.healthy && !backlogged);
  if (!journal_stats.healthy) {
    stats->set_not_ready_reason(
        absl::StrCat("the journal cannot write: ", journal_stats.last_error));
  } else if (backlogged) {
    stats->set_not_ready_reason(absl::StrCat(
        "the journal is ", loop_.journal->inflight_bytes() >> 20,
        " MiB behind the disk (writes slow or stalled): durable publishes get STORAGE_BUSY"));
  }
}

journal::WriterStats SnapshotBuilder::FillJournal(v1::StatsSnapshot* stats) const {
  auto& counters = *stats->mutable_counters();
  auto& gauges = *stats->mutable_gauges();
  const journal::WriterStats journal_stats = loop_.journal->WriterStats();
  counters["journal_batches"] = journal_stats.batches;
  counters["journal_records"] = journal_stats.records;
  counters["journal_bytes_written"] = journal_stats.bytes;
  counters["journal_fsyncs"] = journal_stats.fsyncs;
  counters["journal_failures"] = journal_stats.failures;
  counters["journal_segments_deleted"] = journal_stats.segments_deleted;
  gauges["journal_bytes"] = static_cast<int64_t>(journal_stats.total_bytes);
  gauges["journal_segments"] = static_cast<int64_t>(journal_stats.segment_count);
  gauges["journal_healthy"] = journal_stats.healthy ? 1 : 0;
  gauges["dedup_entries"] = static_cast<int64_t>(loop_.journal->dedup_size());
  gauges["durable_sessions"] = static_cast<int64_t>(loop_.journal->durable_sessions().size());
  const journal::RecoveryReport& recovery = loop_.journal->status().report;
  gauges["recovery_records"] = static_cast<int64_t>(recovery.records);
  gauges["recovery_torn_tails"] = static_cast<int64_t>(recovery.torn_tails);
  gauges["recovery_torn_bytes"] = static_cast<int64_t>(recovery.torn_bytes);
  gauges["recovery_damaged_segments"] = static_cast<int64_t>(recovery.damaged_segments);
  gauges["recovery_losses"] = static_cast<int64_t>(recovery.losses);
  gauges["recovery_ms"] = absl::ToInt64Milliseconds(recovery.took);
  return journal_stats;
}

std::shared_ptr<MonitoringSnapshot> SnapshotBuilder::Build(uint32_t parts) {
  auto snapshot = std::make_shared<MonitoringSnapshot>();
  const MonoNanos now = loop_.clock->NowMono();
  const int64_t now_ms = absl::ToUnixMillis(loop_.clock->NowWall());
  snapshot->generation = ++generation_;
  snapshot->built_at = now;
  snapshot->parts = parts;
  v1::StatsSnapshot& stats = snapshot->stats;
  stats.set_broker_id(loop_.broker_id);
  stats.set_version(kVersion);
  stats.set_unix_ms(now_ms);
  stats.set_uptime_s(static_cast<double>(now - loop_.started_at) / 1e9);
  FillCountersAndGauges(&stats);

  AddSessions(now, now_ms, (parts & kSnapshotSessions) != 0, snapshot.get());

  snapshot->latency = loop_.latency->Series();
  if ((parts & kSnapshotOpenAlerts) == 0) return snapshot;
  loop_.unresolved_alerts->Fill(
      now_ms,
      [this](const std::string& id) -> int64_t {
        const OpenAlert* open = loop_.escalator->Find(id);
        return open != nullptr ? open->deadline_unix_ms : 0;
      },
      &snapshot->open_alerts);
  return snapshot;
}

void SnapshotBuilder::AddSessions(MonoNanos now, int64_t now_ms, bool list_sessions,
                                  MonitoringSnapshot* snapshot) const {
  // Sessions online by role and zone, and the list of them.
  absl::flat_hash_map<std::pair<int, std::string>, int64_t> online;
  v1::SessionList& sessions = snapshot->sessions;
  sessions.set_unix_ms(now_ms);
  loop_.sessions->ForEach([&](const Session& s) {
    ++online[{s.role(), ZoneLabel(s.zone())}];
    if (!list_sessions) return;
    v1::SessionInfo* info = sessions.add_sessions();
    info->set_unit(s.unit_id());
    info->set_role(std::string(RoleName(s.role())));
    info->set_zone(s.zone());
    info->set_patrol_group(s.patrol_group());
    info->set_session_id(s.id());
    info->set_online_since_unix_ms(s.online_since_unix_ms);
    info->set_last_heard_unix_ms(now_ms - (now - s.last_heard()) / 1'000'000);
    info->set_queued_messages(s.queue().messages());
    info->set_queued_bytes(s.queue().bytes());
    info->set_slow(s.queue().slow());
    info->set_subscriptions(static_cast<uint32_t>(s.patterns().size()));
    info->set_pending_acks(loop_.durable->tracker().PendingFor(s.id()));
  });
  std::sort(sessions.mutable_sessions()->begin(), sessions.mutable_sessions()->end(),
            [](const v1::SessionInfo& a, const v1::SessionInfo& b) { return a.unit() < b.unit(); });
  if (list_sessions && loop_.unit_positions != nullptr) {
    loop_.unit_positions->Fill(sessions.mutable_positions());
    for (v1::UnitPosition& position : *sessions.mutable_positions()) {
      position.set_online(loop_.sessions->FindByUnit(position.unit()) != nullptr);
    }
  }
  // Every role appears, with zero when nobody of it is online, so that a
  // dashboard's "terminals online" drops to 0 rather than vanishing.
  for (v1::Role role : {v1::CENTER, v1::TERMINAL, v1::PROBE}) online.try_emplace({role, "none"}, 0);
  for (const auto& [key, count] : online) {
    LabelledGauge gauge;
    gauge.name = "sessions";
    gauge.labels = {{"role", std::string(RoleName(static_cast<v1::Role>(key.first)))},
                    {"zone", key.second}};
    gauge.value = count;
    snapshot->labelled_gauges.push_back(std::move(gauge));
  }
  std::sort(snapshot->labelled_gauges.begin(), snapshot->labelled_gauges.end(),
            [](const LabelledGauge& a, const LabelledGauge& b) { return a.labels < b.labels; });
}

}  // namespace zonecast
