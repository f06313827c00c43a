// The chat bot's ports (bot/ports.h) over the collector's stores: host status from the event
// store (last seen against hosts.stale_after, key metrics from the latest samples, FIM and port
// findings from events) with open alerts and the last backup; alerts, acknowledgements and
// silences from the alert store; backup versions and agent commands from the backup catalog and
// its command queue; report figures from all three. The stores outlive the adapters. Thread-safe
// (the stores are; the adapters keep no state of their own).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bot/ports.h"
#include "collector/alerts/alert_store.h"
#include "collector/backups/catalog.h"
#include "collector/store/event_store.h"

namespace beacon::collector::bot_host {

// Metrics shown as a host's key metrics, in this order, when its latest samples have them
// (series with labels, such as per-filesystem ones, are left out).
struct KeyMetric {
  const char* metric;
  const char* unit;
};
extern const std::vector<KeyMetric> kKeyMetrics;

// At most this many findings per host, newest first.
inline constexpr int kMaxHostFindings = 10;

class HostStatusAdapter final : public bot::HostStatusPort {
 public:
  HostStatusAdapter(EventStore* events, alerts::AlertStore* alerts, backups::Catalog* catalog,
                    int64_t stale_after_ms);
  Result<std::vector<bot::HostSummary>> ListHosts(int64_t now_ms) override;
  Result<bot::HostSummary> GetHost(const std::string& name, int64_t now_ms) override;
  // No host groups are configured in the collector yet: always empty.
  Result<std::vector<bot::HostGroup>> ListGroups() override;

 private:
  Result<bot::HostSummary> Summarize(const AgentInfo& agent, int64_t now_ms);
  EventStore* events_;
  alerts::AlertStore* alerts_;
  backups::Catalog* catalog_;
  const int64_t stale_after_ms_;
};

class AlertsAdapter final : public bot::AlertsPort {
 public:
  explicit AlertsAdapter(alerts::AlertStore* alerts) : alerts_(alerts) {}
  Result<std::vector<bot::AlertItem>> ListAlerts(const bot::AlertFilter& filter) override;
  Status Ack(int64_t alert_id, const std::string& by, int64_t now_ms) override;
  Result<bot::SilenceItem> CreateSilence(const bot::SilenceRequest& request) override;
  Status ExpireSilence(int64_t silence_id, int64_t now_ms) override;

 private:
  alerts::AlertStore* alerts_;
};

class BackupsAdapter final : public bot::BackupsPort {
 public:
  // on_archive_restore_requested: as BackupsApiOptions (wakes the archive restorer); may be
  // empty. now_ms gives the time commands are created at.
  BackupsAdapter(backups::Catalog* catalog, EventStore* events,
                 std::function<void()> on_archive_restore_requested,
                 std::function<int64_t()> now_ms);
  Result<std::vector<bot::BackupVersionItem>> ListVersions(const std::string& host,
                                                           const std::string& path,
                                                           int limit) override;
  Result<int64_t> RequestBackupRun(const std::string& host, const std::string& set,
                                   const std::string& requested_by) override;
  Result<int64_t> RequestRestore(const std::string& host, const std::string& path,
                                 int64_t version_id, const std::string& requested_by) override;
  Result<int64_t> RequestFimAccept(const std::string& host, const std::string& path,
                                   const std::string& requested_by) override;
  Result<bot::AgentCommandProgress> GetCommand(int64_t command_id) override;

 private:
  Status RequireHost(const std::string& host);
  backups::Catalog* catalog_;
  EventStore* events_;
  std::function<void()> on_archive_restore_requested_;
  std::function<int64_t()> now_ms_;
};

class ReportsAdapter final : public bot::ReportsPort {
 public:
  ReportsAdapter(EventStore* events, alerts::AlertStore* alerts, backups::Catalog* catalog)
      : events_(events), alerts_(alerts), catalog_(catalog) {}
  // Alerts that started in the window (by severity, source, host), alerts resolved in it and
  // their mean time to resolve, backup versions stored in it (and `backup.failed` events), FIM
  // and port findings. Each list is read up to kMaxReportRows rows.
  Result<bot::ReportData> Collect(int64_t from_ms, int64_t to_ms) override;

 private:
  EventStore* events_;
  alerts::AlertStore* alerts_;
  backups::Catalog* catalog_;
};

inline constexpr int kMaxReportRows = 100000;
inline constexpr size_t kReportNoisiestHosts = 5;
inline constexpr size_t kReportTopFindings = 5;

}  // namespace beacon::collector::bot_host
