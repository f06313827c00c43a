// The bot's ports over the collector's stores; see adapters.h.
#include "collector/bot/adapters.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <utility>

#include "collector/backups/backups_api.h"
#include "collector/commands/command_queue.h"
#include "common/wire/agent_commands.h"

namespace beacon::collector::bot_host {

const std::vector<KeyMetric> kKeyMetrics = {
    {"system.cpu.util", "percent"}, {"system.mem.util", "percent"}, {"system.load1", ""},
    {"system.load5", ""},           {"system.uptime", "seconds"},   {"system.processes", "count"},
};

namespace {

constexpr int64_t kDayMs = 24 * 3600 * 1000;
// Resolved alerts are looked for among those received this long before a report's window.
constexpr int64_t kResolvedLookbackMs = 30 * kDayMs;

bool IsFinding(const std::string& kind) {
  return kind.rfind("fim.", 0) == 0 || kind == "port.unexpected";
}

bot::Finding ToFinding(const StoredEvent& e) {
  return bot::Finding{e.agent, e.kind, e.subject, e.ts_ms};
}

// Events of `kind` ("fim.*" or exact) in [from, to) for `agent` (all when empty).
Result<std::vector<StoredEvent>> Events(EventStore& events, std::optional<std::string> agent,
                                        const std::string& kind, int64_t from_ms, int64_t to_ms,
                                        int limit) {
  EventQuery q;
  q.agent = std::move(agent);
  q.kind = kind;
  q.since_ms = from_ms;
  q.until_ms = to_ms - 1;
  q.limit = limit;
  return events.QueryEvents(q);
}

std::vector<bot::CountBy> Sorted(const std::map<std::string, int64_t>& counts, size_t max) {
  std::vector<bot::CountBy> out;
  for (const auto& [key, count] : counts) out.push_back({key, count});
  std::stable_sort(out.begin(), out.end(),
                   [](const bot::CountBy& a, const bot::CountBy& b) { return a.count > b.count; });
  if (out.size() > max) out.resize(max);
  return out;
}

bot::AlertItem ToItem(const alerts::StoredAlert& stored) {
  const notifier::AlertView& a = stored.alert;
  bot::AlertItem item;
  item.id = a.id;
  item.source = a.source;
  item.severity = a.severity;
  item.status = a.status;
  item.host = a.host;
  item.title = a.title;
  item.starts_ms = a.starts_ms;
  item.ends_ms = a.ends_ms;
  item.occurrences = a.occurrences;
  return item;
}

std::string BotKind(const std::string& kind) {
  if (kind == wire::kBackupRunCommandKind) return bot::kAgentCommandBackupRun;
  if (kind == wire::kFimAcceptCommandKind) return bot::kAgentCommandFimAccept;
  return kind;
}

}  // namespace

// ---- HostStatusAdapter ----

HostStatusAdapter::HostStatusAdapter(EventStore* events, alerts::AlertStore* alerts,
                                     backups::Catalog* catalog, int64_t stale_after_ms)
    : events_(events), alerts_(alerts), catalog_(catalog), stale_after_ms_(stale_after_ms) {}

Result<bot::HostSummary> HostStatusAdapter::Summarize(const AgentInfo& agent, int64_t now_ms) {
  bot::HostSummary h;
  h.name = agent.name;
  h.last_seen_ms = agent.last_seen_ms;
  h.up = now_ms - agent.last_seen_ms <= stale_after_ms_;
  h.agent_version = agent.agent_version;

  BEACON_ASSIGN_OR_RETURN(std::vector<LatestValue> latest, events_->LatestValues(agent.name));
  for (const KeyMetric& key : kKeyMetrics) {
    for (const LatestValue& v : latest) {
      if (v.metric == key.metric && v.labels.empty()) {
        h.key_metrics.push_back({v.metric, v.value, key.unit});
        break;
      }
    }
  }

  alerts::AlertQuery firing;
  firing.status = alerting::AlertStatus::kFiring;
  firing.host = agent.name;
  firing.limit = kMaxReportRows;
  BEACON_ASSIGN_OR_RETURN(std::vector<alerts::StoredAlert> open, alerts_->ListAlerts(firing));
  h.open_alerts = static_cast<int64_t>(open.size());

  backups::VersionQuery newest;
  newest.agent = agent.name;
  newest.limit = 1;
  BEACON_ASSIGN_OR_RETURN(std::vector<backups::CatalogVersion> versions,
                          catalog_->ListVersions(newest));
  if (!versions.empty()) {
    bot::LastBackup last;
    last.created_ms = versions[0].version.created_ms;
    last.path = versions[0].version.path;
    last.set = versions[0].version.set;
    backups::VersionQuery day;
    day.agent = agent.name;
    day.since_ms = now_ms - kDayMs;
    day.limit = backups::kMaxVersionLimit;
    BEACON_ASSIGN_OR_RETURN(std::vector<backups::CatalogVersion> recent,
                            catalog_->ListVersions(day));
    last.versions_24h = static_cast<int64_t>(recent.size());
    h.last_backup = last;
  }

  for (const char* kind : {"fim.*", "port.unexpected"}) {
    EventQuery q;
    q.agent = agent.name;
    q.kind = kind;
    q.limit = kMaxHostFindings;
    BEACON_ASSIGN_OR_RETURN(std::vector<StoredEvent> found, events_->QueryEvents(q));
    for (const StoredEvent& e : found) {
      if (IsFinding(e.kind)) h.findings.push_back(ToFinding(e));
    }
  }
  std::stable_sort(h.findings.begin(), h.findings.end(),
                   [](const bot::Finding& a, const bot::Finding& b) { return a.ts_ms > b.ts_ms; });
  if (h.findings.size() > static_cast<size_t>(kMaxHostFindings)) {
    h.findings.resize(kMaxHostFindings);
  }
  return h;
}

Result<std::vector<bot::HostSummary>> HostStatusAdapter::ListHosts(int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(std::vector<AgentInfo> agents, events_->ListAgents());
  std::sort(agents.begin(), agents.end(),
            [](const AgentInfo& a, const AgentInfo& b) { return a.name < b.name; });
  std::vector<bot::HostSummary> out;
  for (const AgentInfo& agent : agents) {
    BEACON_ASSIGN_OR_RETURN(bot::HostSummary h, Summarize(agent, now_ms));
    out.push_back(std::move(h));
  }
  return out;
}

Result<bot::HostSummary> HostStatusAdapter::GetHost(const std::string& name, int64_t now_ms) {
  Result<AgentInfo> agent = events_->GetAgent(name);
  if (!agent.ok()) {
    if (agent.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no host named " + name);
    }
    return agent.status();
  }
  return Summarize(*agent, now_ms);
}

Result<std::vector<bot::HostGroup>> HostStatusAdapter::ListGroups() {
  return std::vector<bot::HostGroup>{};
}

// ---- AlertsAdapter ----

Result<std::vector<bot::AlertItem>> AlertsAdapter::ListAlerts(const bot::AlertFilter& filter) {
  alerts::AlertQuery q;
  if (filter.firing_only) q.status = alerting::AlertStatus::kFiring;
  q.host = filter.host;
  // The severity floor is applied here, so read enough rows to fill the limit after it.
  q.limit = filter.min_severity ? kMaxReportRows : std::max(filter.limit, 0);
  BEACON_ASSIGN_OR_RETURN(std::vector<alerts::StoredAlert> stored, alerts_->ListAlerts(q));
  std::vector<bot::AlertItem> out;
  std::vector<int64_t> ids;
  for (const alerts::StoredAlert& s : stored) {
    if (filter.min_severity && s.alert.severity < *filter.min_severity) continue;
    if (static_cast<int>(out.size()) >= filter.limit) break;
    out.push_back(ToItem(s));
    ids.push_back(s.alert.id);
  }
  BEACON_ASSIGN_OR_RETURN(auto acks, alerts_->Acks(ids));
  for (bot::AlertItem& item : out) {
    auto it = acks.find(item.id);
    if (it == acks.end()) continue;
    item.acked_by = it->second.by;
    item.acked_ms = it->second.acked_ms;
  }
  return out;
}

Status AlertsAdapter::Ack(int64_t alert_id, const std::string& by, int64_t now_ms) {
  return alerts_->Ack(alert_id, by, now_ms);
}

Result<bot::SilenceItem> AlertsAdapter::CreateSilence(const bot::SilenceRequest& request) {
  alerts::Silence silence;
  silence.matchers = request.matchers;
  silence.starts_ms = request.starts_ms;
  silence.ends_ms = request.ends_ms;
  silence.created_by = request.created_by;
  silence.reason = request.reason;
  silence.created_ms = request.starts_ms;
  BEACON_ASSIGN_OR_RETURN(alerts::Silence created, alerts_->CreateSilence(silence));
  return bot::SilenceItem{created.id,      created.matchers,   created.starts_ms,
                          created.ends_ms, created.created_by, created.reason};
}

Status AlertsAdapter::ExpireSilence(int64_t silence_id, int64_t now_ms) {
  return alerts_->ExpireSilence(silence_id, now_ms);
}

// ---- BackupsAdapter ----

BackupsAdapter::BackupsAdapter(backups::Catalog* catalog, EventStore* events,
                               std::function<void()> on_archive_restore_requested,
                               std::function<int64_t()> now_ms)
    : catalog_(catalog),
      events_(events),
      on_archive_restore_requested_(std::move(on_archive_restore_requested)),
      now_ms_(std::move(now_ms)) {}

Status BackupsAdapter::RequireHost(const std::string& host) {
  Result<AgentInfo> agent = events_->GetAgent(host);
  if (agent.ok()) return Status::Ok();
  if (agent.status().code() == StatusCode::kNotFound) {
    return Status::NotFound("no host named " + host);
  }
  return agent.status();
}

Result<std::vector<bot::BackupVersionItem>> BackupsAdapter::ListVersions(const std::string& host,
                                                                         const std::string& path,
                                                                         int limit) {
  backups::VersionQuery q;
  q.agent = host;
  // An exact path: a trailing '*' would make it a prefix, so such a path matches nothing here.
  if (!path.empty() && path.back() == '*') return std::vector<bot::BackupVersionItem>{};
  q.path = path;
  q.limit = std::clamp(limit, 1, backups::kMaxVersionLimit);
  BEACON_ASSIGN_OR_RETURN(std::vector<backups::CatalogVersion> versions, catalog_->ListVersions(q));
  std::vector<bot::BackupVersionItem> out;
  for (const backups::CatalogVersion& v : versions) {
    out.push_back({v.id, v.version.set, v.version.path, v.version.size, v.version.sha256,
                   v.version.storage_class, v.version.created_ms});
  }
  return out;
}

Result<int64_t> BackupsAdapter::RequestBackupRun(const std::string& host, const std::string& set,
                                                 const std::string& requested_by) {
  BEACON_RETURN_IF_ERROR(RequireHost(host));
  // The agent decodes the arguments strictly (common/wire/agent_commands.h): exactly {set}.
  // Who asked is in the bot's audit row and the collector's log, not in the command.
  const nlohmann::json args = wire::BackupRunArgsToJson({set});
  BEACON_RETURN_IF_ERROR(wire::BackupRunArgsFromJson(args).status());
  BEACON_ASSIGN_OR_RETURN(
      int64_t id, catalog_->commands().CreateCommand(host, std::string(wire::kBackupRunCommandKind),
                                                     args, commands::kCommandQueued, 0, now_ms_()));
  spdlog::info("bot: backup.run command {} queued for {} (set {}) by {}", id, host, set,
               requested_by);
  return id;
}

Result<int64_t> BackupsAdapter::RequestRestore(const std::string& host, const std::string& path,
                                               int64_t version_id,
                                               const std::string& requested_by) {
  Result<backups::CatalogVersion> version = catalog_->GetVersion(version_id);
  if (!version.ok()) {
    if (version.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no backup version " + std::to_string(version_id));
    }
    return version.status();
  }
  if (version->agent != host || version->version.path != path ||
      version->state != backups::kVersionStored) {
    return Status::NotFound("version " + std::to_string(version_id) +
                            " is not a stored backup of " + path + " on " + host);
  }
  BEACON_ASSIGN_OR_RETURN(
      backups::QueuedRestore queued,
      backups::QueueRestore(*catalog_, *version, path, now_ms_(), on_archive_restore_requested_));
  (void)requested_by;  // the audit row records who asked; the restore args are the API's
  return queued.command.id;
}

Result<int64_t> BackupsAdapter::RequestFimAccept(const std::string& host, const std::string& path,
                                                 const std::string& requested_by) {
  BEACON_RETURN_IF_ERROR(RequireHost(host));
  const nlohmann::json args = wire::FimAcceptArgsToJson({path});
  BEACON_RETURN_IF_ERROR(wire::FimAcceptArgsFromJson(args).status());
  BEACON_ASSIGN_OR_RETURN(
      int64_t id, catalog_->commands().CreateCommand(host, std::string(wire::kFimAcceptCommandKind),
                                                     args, commands::kCommandQueued, 0, now_ms_()));
  spdlog::info("bot: fim.accept command {} queued for {} (path {}) by {}", id, host, path,
               requested_by);
  return id;
}

Result<bot::AgentCommandProgress> BackupsAdapter::GetCommand(int64_t command_id) {
  Result<commands::StoredCommand> c = catalog_->commands().GetCommand(command_id);
  if (!c.ok()) {
    if (c.status().code() == StatusCode::kNotFound) {
      return Status::NotFound("no agent command " + std::to_string(command_id));
    }
    return c.status();
  }
  return bot::AgentCommandProgress{c->id,         c->agent,       BotKind(c->kind), c->state,
                                   c->done_bytes, c->total_bytes, c->message,       c->updated_ms};
}

// ---- ReportsAdapter ----

Result<bot::ReportData> ReportsAdapter::Collect(int64_t from_ms, int64_t to_ms) {
  bot::ReportData d;
  d.from_ms = from_ms;
  d.to_ms = to_ms;

  alerts::AlertQuery started;
  started.since_ms = from_ms;
  started.limit = kMaxReportRows;
  BEACON_ASSIGN_OR_RETURN(std::vector<alerts::StoredAlert> received, alerts_->ListAlerts(started));
  std::map<std::string, int64_t> by_severity, by_source, by_host;
  for (const alerts::StoredAlert& s : received) {
    if (s.alert.starts_ms < from_ms || s.alert.starts_ms >= to_ms) continue;
    ++by_severity[std::string(alerting::SeverityName(s.alert.severity))];
    ++by_source[s.alert.source];
    if (!s.alert.host.empty()) ++by_host[s.alert.host];
  }
  d.alerts_by_severity = Sorted(by_severity, by_severity.size());
  d.alerts_by_source = Sorted(by_source, by_source.size());
  d.noisiest_hosts = Sorted(by_host, kReportNoisiestHosts);

  alerts::AlertQuery resolved;
  resolved.status = alerting::AlertStatus::kResolved;
  resolved.since_ms = from_ms - kResolvedLookbackMs;
  resolved.limit = kMaxReportRows;
  BEACON_ASSIGN_OR_RETURN(std::vector<alerts::StoredAlert> done, alerts_->ListAlerts(resolved));
  int64_t total_ms = 0;
  for (const alerts::StoredAlert& s : done) {
    if (s.alert.ends_ms < from_ms || s.alert.ends_ms >= to_ms) continue;
    ++d.resolved;
    total_ms += std::max<int64_t>(0, s.alert.ends_ms - s.alert.starts_ms);
  }
  if (d.resolved > 0) d.mttr_ms = total_ms / d.resolved;

  backups::VersionQuery versions;
  versions.since_ms = from_ms;
  versions.until_ms = to_ms - 1;
  versions.include_deleted = true;
  versions.limit = backups::kMaxVersionLimit;
  BEACON_ASSIGN_OR_RETURN(std::vector<backups::CatalogVersion> stored,
                          catalog_->ListVersions(versions));
  d.backups_done = static_cast<int64_t>(stored.size());
  for (const backups::CatalogVersion& v : stored) d.backup_bytes += v.version.size;
  BEACON_ASSIGN_OR_RETURN(
      std::vector<StoredEvent> failed,
      Events(*events_, std::nullopt, "backup.failed", from_ms, to_ms, kMaxReportRows));
  d.backups_failed = static_cast<int64_t>(failed.size());

  BEACON_ASSIGN_OR_RETURN(std::vector<StoredEvent> fim,
                          Events(*events_, std::nullopt, "fim.*", from_ms, to_ms, kMaxReportRows));
  BEACON_ASSIGN_OR_RETURN(
      std::vector<StoredEvent> ports,
      Events(*events_, std::nullopt, "port.unexpected", from_ms, to_ms, kMaxReportRows));
  for (const StoredEvent& e : fim) d.fim_findings += IsFinding(e.kind) ? 1 : 0;
  d.port_findings = static_cast<int64_t>(ports.size());
  std::vector<bot::Finding> all;
  for (const auto* list : {&fim, &ports}) {
    for (const StoredEvent& e : *list) {
      if (IsFinding(e.kind)) all.push_back(ToFinding(e));
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const bot::Finding& a, const bot::Finding& b) { return a.ts_ms > b.ts_ms; });
  if (all.size() > kReportTopFindings) all.resize(kReportTopFindings);
  d.top_findings = std::move(all);
  return d;
}

}  // namespace beacon::collector::bot_host
