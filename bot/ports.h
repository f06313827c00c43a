// The bot's ports: the narrow interfaces its commands need from the collector (host status,
// alerts and silences, the backup catalog and the agent command channel, report figures). The
// collector implements them over its stores and injects them; the bot never includes collector
// headers, and the unit tests use the fakes in tests/unit/bot/fakes.h. Implementations must be
// thread-safe: the dispatcher calls them from several workers at once. Every call returns a
// Status/Result; NotFound means the named host, alert, silence, version or command does not
// exist, and the message says which.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bot/chat.h"
#include "common/alerting/matcher.h"
#include "common/alerting/severity.h"
#include "common/status.h"

namespace beacon::bot {

namespace release {
class SlbActions;  // bot/release/slb_actions.h: SLB weights and gray release (bot.slb)
}  // namespace release
namespace dns {
class DnsZones;  // bot/dns/provider.h
}

// ---- Host status ----

// One key metric as the host's latest sample has it ("cpu.usage" 37.5 "percent").
struct HostMetric {
  std::string name;
  double value = 0;
  std::string unit;  // "percent" | "bytes" | "seconds" | "count" | ""
};

// An inspection finding: a FIM change or an unexpected listening port.
struct Finding {
  std::string host;
  std::string kind;     // the event kind: "fim.changed", "port.unexpected", ...
  std::string subject;  // the path or "tcp/0.0.0.0:8080 java"
  int64_t ts_ms = 0;
};

struct LastBackup {
  int64_t created_ms = 0;  // newest version's upload time
  std::string path;
  std::string set;
  int64_t versions_24h = 0;  // versions stored in the 24 hours before now
};

struct HostSummary {
  std::string name;
  bool up = false;  // reported within the collector's stale window
  int64_t last_seen_ms = 0;
  std::string agent_version;
  std::vector<std::string> groups;
  std::vector<HostMetric> key_metrics;
  int64_t open_alerts = 0;  // firing alerts naming the host
  std::optional<LastBackup> last_backup;
  std::vector<Finding> findings;  // recent FIM and port findings, newest first (bounded)
};

struct HostGroup {
  std::string name;
  std::vector<std::string> hosts;
};

class HostStatusPort {
 public:
  virtual ~HostStatusPort() = default;
  // Every known host, by name.
  virtual Result<std::vector<HostSummary>> ListHosts(int64_t now_ms) = 0;
  // NotFound when no host has that name.
  virtual Result<HostSummary> GetHost(const std::string& name, int64_t now_ms) = 0;
  // The configured host groups (may be empty).
  virtual Result<std::vector<HostGroup>> ListGroups() = 0;
};

// ---- Alerts and silences ----

struct AlertFilter {
  std::optional<std::string> host;  // exact
  std::optional<alerting::Severity> min_severity;
  bool firing_only = true;
  int limit = 20;  // newest first
};

struct AlertItem {
  int64_t id = 0;
  std::string source;
  alerting::Severity severity = alerting::Severity::kNotClassified;
  alerting::AlertStatus status = alerting::AlertStatus::kFiring;
  std::string host;
  std::string title;
  int64_t starts_ms = 0;
  int64_t ends_ms = 0;
  int64_t occurrences = 1;
  std::string acked_by;  // "" when not acknowledged
  int64_t acked_ms = 0;
};

struct SilenceRequest {
  std::vector<alerting::Matcher> matchers;  // all must match
  int64_t starts_ms = 0;
  int64_t ends_ms = 0;
  std::string created_by;  // the sender's principal
  std::string reason;
};

struct SilenceItem {
  int64_t id = 0;
  std::vector<alerting::Matcher> matchers;
  int64_t starts_ms = 0;
  int64_t ends_ms = 0;
  std::string created_by;
  std::string reason;
};

class AlertsPort {
 public:
  virtual ~AlertsPort() = default;
  virtual Result<std::vector<AlertItem>> ListAlerts(const AlertFilter& filter) = 0;
  // Marks a firing alert acknowledged by `by`; NotFound, FailedPrecondition when resolved.
  virtual Status Ack(int64_t alert_id, const std::string& by, int64_t now_ms) = 0;
  virtual Result<SilenceItem> CreateSilence(const SilenceRequest& request) = 0;
  // Ends a silence now; NotFound.
  virtual Status ExpireSilence(int64_t silence_id, int64_t now_ms) = 0;
};

// ---- Backup catalog and agent commands ----

struct BackupVersionItem {
  int64_t id = 0;  // catalog version id: what `backup restore HOST PATH VERSION` names
  std::string set;
  std::string path;
  uint64_t size = 0;
  std::string sha256;
  std::string storage_class;
  int64_t created_ms = 0;
};

// Progress of one agent command as the agent last reported it.
struct AgentCommandProgress {
  int64_t id = 0;
  std::string host;
  std::string kind;   // kAgentCommand*
  std::string state;  // queued | delivered | running | succeeded | failed | waiting_archive_restore
  uint64_t done_bytes = 0;
  uint64_t total_bytes = 0;
  std::string message;
  int64_t updated_ms = 0;
};

// Agent command kinds the bot requests (the agent side is wired by the collector).
inline constexpr char kAgentCommandBackupRun[] = "backup_run";
inline constexpr char kAgentCommandRestore[] = "restore";
inline constexpr char kAgentCommandFimAccept[] = "fim_accept";

class BackupsPort {
 public:
  virtual ~BackupsPort() = default;
  // Stored versions of exactly `path` on `host`, newest first, at most `limit`.
  virtual Result<std::vector<BackupVersionItem>> ListVersions(const std::string& host,
                                                              const std::string& path,
                                                              int limit) = 0;
  // Queue an agent command; each returns the command id. `requested_by` is the principal.
  virtual Result<int64_t> RequestBackupRun(const std::string& host, const std::string& set,
                                           const std::string& requested_by) = 0;
  // Restores `version_id` (a version of host:path) over the file at its original path.
  virtual Result<int64_t> RequestRestore(const std::string& host, const std::string& path,
                                         int64_t version_id, const std::string& requested_by) = 0;
  virtual Result<int64_t> RequestFimAccept(const std::string& host, const std::string& path,
                                           const std::string& requested_by) = 0;
  virtual Result<AgentCommandProgress> GetCommand(int64_t command_id) = 0;
};

// ---- Follow-ups ----

// Tells the person who queued an agent command how it goes, in their conversation and language:
// when the agent starts it, its progress, and its result (the collector's follow-ups).
class FollowUpsPort {
 public:
  virtual ~FollowUpsPort() = default;
  // Starts following command_id for `requester` (the sender of the command that queued it).
  // true: follow-ups will come to the requester's conversation; false: the requester's channel
  // takes none (the robot's response_url answers once, `beaconctl chat` is one request and one
  // answer), so `progress ID` is the way to follow it. An error: the watch was not stored.
  virtual Result<bool> Follow(int64_t command_id, const Sender& requester, bool zh) = 0;
};

// ---- Reports ----

struct CountBy {
  std::string key;
  int64_t count = 0;
};

// The figures of one report window [from_ms, to_ms).
struct ReportData {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::vector<CountBy> alerts_by_severity;  // severity name -> alerts that started
  std::vector<CountBy> alerts_by_source;
  std::vector<CountBy> noisiest_hosts;  // most alerts first, bounded by the adapter
  int64_t resolved = 0;                 // alerts resolved in the window
  std::optional<int64_t> mttr_ms;       // mean time to resolve of those; nullopt when none
  int64_t backups_done = 0;
  int64_t backups_failed = 0;
  uint64_t backup_bytes = 0;  // plaintext bytes of the versions stored
  int64_t fim_findings = 0;
  int64_t port_findings = 0;
  std::vector<Finding> top_findings;  // newest first, bounded by the adapter
};

class ReportsPort {
 public:
  virtual ~ReportsPort() = default;
  virtual Result<ReportData> Collect(int64_t from_ms, int64_t to_ms) = 0;
};

// Every port a command may use; any may be null when the host process has not wired it (the
// commands that need it then answer that the feature is not configured).
struct Ports {
  HostStatusPort* hosts = nullptr;
  AlertsPort* alerts = nullptr;
  BackupsPort* backups = nullptr;
  ReportsPort* reports = nullptr;
  release::SlbActions* slb = nullptr;  // built from bot.slb over aliyun::slb::RpcApi
  const dns::DnsZones* dns = nullptr;  // the zones of bot.dns (dns show, dns set)
  FollowUpsPort* followups = nullptr;  // null: agent commands are followed with `progress ID`
};

}  // namespace beacon::bot
