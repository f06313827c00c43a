// The chat bot's ports over real stores in a temp dir (adapters.h): host summaries (up/stale,
// key metrics, open alerts, last backup, findings), alerts with acknowledgements and silences,
// backup versions and the agent commands the bot queues, and report figures for a window.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "collector/alerts/alert_store.h"
#include "collector/backups/catalog.h"
#include "collector/bot/adapters.h"
#include "collector/store/sqlite_event_store.h"
#include "common/wire/agent_commands.h"

namespace beacon::collector::bot_host {
namespace {

constexpr int64_t kT0 = 1'764'136'000'000;  // 2025-11-26T05:46:40Z
constexpr int64_t kMinute = 60'000;
constexpr int64_t kStale = 2 * kMinute;

wire::Record Sample(uint64_t seq, int64_t ts, const std::string& metric, double value,
                    std::map<std::string, std::string> labels = {}) {
  wire::Record r;
  r.seq = seq;
  r.ts_ms = ts;
  r.type = wire::RecordType::kSample;
  r.sample = {metric, value, std::move(labels)};
  return r;
}

wire::Record Event(uint64_t seq, int64_t ts, const std::string& kind, const std::string& subject) {
  wire::Record r;
  r.seq = seq;
  r.ts_ms = ts;
  r.type = wire::RecordType::kEvent;
  r.event.kind = kind;
  r.event.subject = subject;
  r.event.message = kind + " " + subject;
  return r;
}

wire::BackupVersion Version(const std::string& path, char sha, int64_t created_ms,
                            uint64_t size = 100) {
  wire::BackupVersion v;
  v.set = "etc";
  v.path = path;
  v.size = size;
  v.mtime_ns = created_ms * 1'000'000;
  v.mode = 0644;
  v.owner = "root";
  v.group = "root";
  v.sha256 = std::string(64, sha);
  v.stored_size = size / 2;
  v.store = "local";
  v.key = "beacon/web-01" + path + "@" + std::to_string(created_ms);
  v.created_ms = created_ms;
  return v;
}

class BotAdaptersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("bot_adapters_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto events = SqliteEventStore::Open((dir_ / "collector.db").string());
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    events_ = std::move(*events);
    auto alerts = alerts::AlertStore::Open((dir_ / "alerts.db").string());
    ASSERT_TRUE(alerts.ok()) << alerts.status().ToString();
    alerts_ = std::move(*alerts);
    auto catalog = backups::Catalog::Open((dir_ / "catalog.db").string());
    ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
    catalog_ = std::move(*catalog);
  }
  void TearDown() override {
    catalog_.reset();
    alerts_.reset();
    events_.reset();
    std::filesystem::remove_all(dir_);
  }

  void Ingest(const std::string& agent, std::vector<wire::Record> records, int64_t now) {
    wire::Batch batch{agent, "1.2.3", now, std::move(records)};
    ASSERT_TRUE(events_->IngestBatch(batch, now).ok());
  }

  int64_t Alert(const std::string& host, const std::string& key, alerting::Severity severity,
                int64_t at, const std::string& source = "zabbix") {
    alerts::AlertInput in;
    in.source = source;
    in.receipt_key = source + ":" + key + ":1";
    in.external_id = key;
    in.fingerprint = alerts::Fingerprint(source, host, key, "");
    in.severity = severity;
    in.host = host;
    in.title = "problem " + key;
    in.event_ms = at;
    auto recorded = alerts_->Record(in, {}, at);
    EXPECT_TRUE(recorded.ok()) << recorded.status().ToString();
    return recorded.ok() ? recorded->alert_id : 0;
  }

  void Resolve(const std::string& host, const std::string& key, int64_t at) {
    alerts::AlertInput in;
    in.source = "zabbix";
    in.receipt_key = "zabbix:" + key + ":0";
    in.external_id = key;
    in.fingerprint = alerts::Fingerprint("zabbix", host, key, "");
    in.status = alerting::AlertStatus::kResolved;
    in.host = host;
    in.event_ms = at;
    ASSERT_TRUE(alerts_->Record(in, {}, at).ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<SqliteEventStore> events_;
  std::unique_ptr<alerts::AlertStore> alerts_;
  std::unique_ptr<backups::Catalog> catalog_;
};

TEST_F(BotAdaptersTest, HostSummaryHasStateMetricsAlertsBackupAndFindings) {
  Ingest("web-01",
         {Sample(1, kT0, "system.cpu.util", 37.5), Sample(2, kT0, "system.mem.util", 61),
          Sample(3, kT0, "system.fs.util", 90, {{"mount", "/"}}),
          Event(4, kT0 - 2 * kMinute, "fim.changed", "/etc/hosts"),
          Event(5, kT0 - kMinute, "port.unexpected", "tcp/0.0.0.0:8080 java"),
          Event(6, kT0, "agent.input.error", "jmx")},
         kT0);
  Alert("web-01", "t1", alerting::Severity::kHigh, kT0);
  Alert("db-01", "t2", alerting::Severity::kHigh, kT0);
  ASSERT_TRUE(
      catalog_->AddVersion("web-01", 7, Version("/etc/hosts", 'a', kT0 - kMinute), kT0).ok());

  HostStatusAdapter hosts(events_.get(), alerts_.get(), catalog_.get(), kStale);
  auto h = hosts.GetHost("web-01", kT0 + kMinute);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_TRUE(h->up);
  EXPECT_EQ(h->last_seen_ms, kT0);
  EXPECT_EQ(h->agent_version, "1.2.3");
  ASSERT_EQ(h->key_metrics.size(), 2u);  // labelled series are not key metrics
  EXPECT_EQ(h->key_metrics[0].name, "system.cpu.util");
  EXPECT_DOUBLE_EQ(h->key_metrics[0].value, 37.5);
  EXPECT_EQ(h->key_metrics[0].unit, "percent");
  EXPECT_EQ(h->open_alerts, 1);
  ASSERT_TRUE(h->last_backup.has_value());
  EXPECT_EQ(h->last_backup->path, "/etc/hosts");
  EXPECT_EQ(h->last_backup->versions_24h, 1);
  ASSERT_EQ(h->findings.size(), 2u);                  // agent.input.error is not a finding
  EXPECT_EQ(h->findings[0].kind, "port.unexpected");  // newest first
  EXPECT_EQ(h->findings[1].subject, "/etc/hosts");

  // Past the stale window the host is down; an unknown host is NotFound by name.
  EXPECT_FALSE(hosts.GetHost("web-01", kT0 + kStale + 1)->up);
  auto missing = hosts.GetHost("nope", kT0);
  ASSERT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  auto all = hosts.ListHosts(kT0);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_TRUE(hosts.ListGroups()->empty());
}

TEST_F(BotAdaptersTest, AlertsFilterBySeverityAndCarryAcknowledgements) {
  const int64_t low = Alert("web-01", "a", alerting::Severity::kWarning, kT0);
  const int64_t high = Alert("web-01", "b", alerting::Severity::kDisaster, kT0 + 1);
  Alert("db-01", "c", alerting::Severity::kHigh, kT0 + 2);
  AlertsAdapter port(alerts_.get());

  bot::AlertFilter filter;
  filter.host = "web-01";
  auto listed = port.ListAlerts(filter);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  filter.min_severity = alerting::Severity::kHigh;
  listed = port.ListAlerts(filter);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, high);

  ASSERT_TRUE(port.Ack(low, "zhangsan", kT0 + 10).ok());
  filter = {};
  filter.limit = 1;
  listed = port.ListAlerts(filter);
  ASSERT_EQ(listed->size(), 1u);  // the limit holds
  filter.limit = 20;
  for (const bot::AlertItem& a : *port.ListAlerts(filter)) {
    EXPECT_EQ(a.acked_by, a.id == low ? "zhangsan" : "") << a.id;
    if (a.id == low) {
      EXPECT_EQ(a.acked_ms, kT0 + 10);
    }
  }
  EXPECT_EQ(port.Ack(999, "x", kT0).code(), StatusCode::kNotFound);
  Resolve("web-01", "b", kT0 + 20);
  EXPECT_EQ(port.Ack(high, "x", kT0 + 30).code(), StatusCode::kFailedPrecondition);

  bot::SilenceRequest silence;
  silence.matchers = {alerting::Matcher{"host", "=", "web-01"}};
  silence.starts_ms = kT0;
  silence.ends_ms = kT0 + 3600'000;
  silence.created_by = "lisi";
  silence.reason = "deploy";
  auto created = port.CreateSilence(silence);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->created_by, "lisi");
  EXPECT_TRUE(port.ExpireSilence(created->id, kT0 + 1).ok());
  EXPECT_EQ(port.ExpireSilence(12345, kT0).code(), StatusCode::kNotFound);
  EXPECT_TRUE(alerts_->ListSilences(kT0 + 2, false)->empty());
}

TEST_F(BotAdaptersTest, BackupsListVersionsAndQueueAgentCommands) {
  Ingest("web-01", {Sample(1, kT0, "system.cpu.util", 1)}, kT0);
  ASSERT_TRUE(catalog_->AddVersion("web-01", 2, Version("/etc/hosts", 'a', kT0 - 2), kT0).ok());
  ASSERT_TRUE(catalog_->AddVersion("web-01", 3, Version("/etc/hosts", 'b', kT0 - 1), kT0).ok());
  ASSERT_TRUE(catalog_->AddVersion("web-01", 4, Version("/etc/passwd", 'c', kT0), kT0).ok());
  int64_t now = kT0 + 5;
  BackupsAdapter port(catalog_.get(), events_.get(), nullptr, [&] { return now; });

  auto versions = port.ListVersions("web-01", "/etc/hosts", 10);
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].sha256, std::string(64, 'b'));           // newest first
  EXPECT_TRUE(port.ListVersions("web-01", "/etc/*", 10)->empty());  // exact paths only

  // A restore names a version of exactly that host and path.
  EXPECT_EQ(port.RequestRestore("db-01", "/etc/hosts", (*versions)[0].id, "lisi").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(port.RequestRestore("web-01", "/etc/hosts", 999, "lisi").status().code(),
            StatusCode::kNotFound);
  auto restore = port.RequestRestore("web-01", "/etc/hosts", (*versions)[1].id, "lisi");
  ASSERT_TRUE(restore.ok()) << restore.status().ToString();
  auto command = catalog_->commands().GetCommand(*restore);
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(command->kind, "restore");
  EXPECT_EQ(command->version_id, (*versions)[1].id);
  EXPECT_EQ(command->args["target"], "/etc/hosts");
  EXPECT_EQ(command->created_ms, now);

  EXPECT_EQ(port.RequestBackupRun("ghost", "etc", "lisi").status().code(), StatusCode::kNotFound);
  auto run = port.RequestBackupRun("web-01", "etc", "lisi");
  ASSERT_TRUE(run.ok());
  command = catalog_->commands().GetCommand(*run);
  EXPECT_EQ(command->kind, wire::kBackupRunCommandKind);
  // Exactly what the agent decodes strictly: {set}, nothing else.
  EXPECT_EQ(command->args, nlohmann::json({{"set", "etc"}}));
  EXPECT_EQ(command->state, commands::kCommandQueued);
  auto progress = port.GetCommand(*run);
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress->kind, bot::kAgentCommandBackupRun);
  EXPECT_EQ(progress->host, "web-01");
  EXPECT_EQ(progress->state, "queued");

  // A path the agent would refuse to decode is refused here, before anything is queued.
  EXPECT_EQ(port.RequestFimAccept("web-01", "etc/../hosts", "lisi").status().code(),
            StatusCode::kInvalidArgument);
  auto accept = port.RequestFimAccept("web-01", "/etc/hosts", "lisi");
  ASSERT_TRUE(accept.ok());
  EXPECT_EQ(catalog_->commands().GetCommand(*accept)->args["path"], "/etc/hosts");
  EXPECT_EQ(port.GetCommand(*accept)->kind, bot::kAgentCommandFimAccept);
  EXPECT_EQ(port.GetCommand(424242).status().code(), StatusCode::kNotFound);
}

TEST_F(BotAdaptersTest, ReportCountsWhatHappenedInTheWindow) {
  const int64_t from = kT0, to = kT0 + 24 * 3600'000;
  Alert("web-01", "before", alerting::Severity::kHigh, from - kMinute);
  Alert("web-01", "w1", alerting::Severity::kHigh, from + kMinute);
  Alert("web-01", "w2", alerting::Severity::kWarning, from + 2 * kMinute, "splunk");
  Alert("db-01", "w3", alerting::Severity::kHigh, from + 3 * kMinute);
  Resolve("web-01", "w1", from + 11 * kMinute);      // 10 minutes to resolve
  Resolve("web-01", "before", from + 21 * kMinute);  // 22 minutes
  Alert("web-01", "after", alerting::Severity::kHigh, to + kMinute);
  ASSERT_TRUE(catalog_->AddVersion("web-01", 1, Version("/a", 'a', from + 1, 1000), to).ok());
  ASSERT_TRUE(catalog_->AddVersion("web-01", 2, Version("/b", 'b', from + 2, 24), to).ok());
  ASSERT_TRUE(catalog_->AddVersion("web-01", 3, Version("/c", 'c', to + 1, 7), to).ok());
  Ingest(
      "web-01",
      {Event(10, from + 5, "fim.changed", "/etc/hosts"),
       Event(11, from + 6, "fim.added", "/etc/new"),
       Event(12, from + 7, "port.unexpected", "tcp/8080"),
       Event(13, from + 8, "backup.failed", "/var/x"), Event(14, from - 1, "fim.removed", "/old")},
      to);

  ReportsAdapter port(events_.get(), alerts_.get(), catalog_.get());
  auto d = port.Collect(from, to);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->from_ms, from);
  std::map<std::string, int64_t> severity, source;
  for (const auto& c : d->alerts_by_severity) severity[c.key] = c.count;
  for (const auto& c : d->alerts_by_source) source[c.key] = c.count;
  EXPECT_EQ(severity, (std::map<std::string, int64_t>{{"high", 2}, {"warning", 1}}));
  EXPECT_EQ(source, (std::map<std::string, int64_t>{{"splunk", 1}, {"zabbix", 2}}));
  ASSERT_EQ(d->noisiest_hosts.size(), 2u);
  EXPECT_EQ(d->noisiest_hosts[0].key, "web-01");
  EXPECT_EQ(d->noisiest_hosts[0].count, 2);
  EXPECT_EQ(d->resolved, 2);
  ASSERT_TRUE(d->mttr_ms.has_value());
  EXPECT_EQ(*d->mttr_ms, 16 * kMinute);
  EXPECT_EQ(d->backups_done, 2);
  EXPECT_EQ(d->backup_bytes, 1024u);
  EXPECT_EQ(d->backups_failed, 1);
  EXPECT_EQ(d->fim_findings, 2);
  EXPECT_EQ(d->port_findings, 1);
  ASSERT_EQ(d->top_findings.size(), 3u);
  EXPECT_EQ(d->top_findings[0].kind, "port.unexpected");

  auto empty = port.Collect(to + 10 * 24 * 3600'000, to + 11 * 24 * 3600'000);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->mttr_ms.has_value());
  EXPECT_EQ(empty->backups_done, 0);
}

}  // namespace
}  // namespace beacon::collector::bot_host
