// The read commands and the previews of the mutating ones, against the fakes of
// tests/unit/bot/fakes.h: status, alerts, ack, silence, unsilence, backup list / run / restore,
// fim accept, progress, report, whoami, audit.
#include <gtest/gtest.h>

#include "tests/unit/bot/fakes.h"

namespace beacon::bot {
namespace {

using testing::BotHarness;
using testing::kNow;
using testing::MakeAlert;
using testing::MakeVersion;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

HostSummary Host(std::string name, bool up, int64_t last_seen_ms) {
  HostSummary h;
  h.name = std::move(name);
  h.up = up;
  h.last_seen_ms = last_seen_ms;
  return h;
}

class Commands : public ::testing::Test {
 protected:
  void SetUp() override {
    HostSummary web = Host("web-01", true, kNow - 12'000);
    web.agent_version = "0.1.0";
    web.groups = {"web"};
    web.key_metrics = {{"cpu.usage", 37.25, "percent"},
                       {"mem.used", 3.0 * 1024 * 1024 * 1024, "bytes"}};
    web.open_alerts = 2;
    web.last_backup = LastBackup{kNow - 3'600'000, "/etc/nginx/nginx.conf", "nginx", 4};
    web.findings = {{"web-01", "fim.changed", "/etc/passwd", kNow - 600'000},
                    {"web-01", "port.unexpected", "tcp/0.0.0.0:8081 java", kNow - 60'000}};
    h.hosts.hosts = {web, Host("db-01", false, kNow - 2 * 3'600'000)};
    h.hosts.groups = {HostGroup{"web", {"web-01", "web-02"}}};
  }
  BotHarness h;
};

TEST_F(Commands, StatusListsEveryHost) {
  Reply r = h.Say("viewer1", "status");
  EXPECT_TRUE(Has(r.body, "2 hosts, 1 up")) << r.body;
  EXPECT_TRUE(Has(r.body, "🟢 web-01 up, seen 12s ago, 2 alerts, 2 findings")) << r.body;
  EXPECT_TRUE(Has(r.body, "🔴 db-01 stale, seen 2h ago")) << r.body;
  Reply zh = h.Say("viewer1", "状态");
  EXPECT_TRUE(Has(zh.body, "主机 2 台，在线 1 台")) << zh.body;
  EXPECT_TRUE(Has(zh.body, "db-01 失联，最近上报 2小时前")) << zh.body;
}

TEST_F(Commands, StatusOfAHostShowsEverythingInTheConfiguredZone) {
  Reply r = h.Say("viewer1", "status web-01");
  EXPECT_TRUE(Has(r.body, "last seen: 2026-11-26 13:56:29 CST")) << r.body;
  EXPECT_TRUE(Has(r.body, "metrics: cpu.usage 37.2%, mem.used 3.0 GiB")) << r.body;
  EXPECT_TRUE(Has(r.body, "open alerts: 2")) << r.body;
  EXPECT_TRUE(Has(r.body,
                  "last backup: 2026-11-26 12:56:41 CST /etc/nginx/nginx.conf (nginx), "
                  "4 versions in 24h"))
      << r.body;
  EXPECT_TRUE(Has(r.body, "findings: 2")) << r.body;
  EXPECT_TRUE(Has(r.body, "fim.changed /etc/passwd (10m ago)")) << r.body;
  EXPECT_TRUE(Has(r.body, "groups: web")) << r.body;
  Reply db = h.Say("viewer1", "status db-01");
  EXPECT_TRUE(Has(db.body, "last backup: none")) << db.body;
}

TEST_F(Commands, StatusOfAGroupListsItsHostsAndNamesTheMissingOnes) {
  Reply r = h.Say("viewer1", "status web");
  EXPECT_TRUE(Has(r.body, "group web (2)")) << r.body;
  EXPECT_TRUE(Has(r.body, "🟢 web-01 up")) << r.body;
  EXPECT_TRUE(Has(r.body, "⚪ web-02 no host 'web-02'")) << r.body;
  Reply none = h.Say("viewer1", "status nope");
  EXPECT_TRUE(Has(none.body, "no host or group named 'nope'")) << none.body;
}

TEST_F(Commands, LongListsAreCutToTheReplyBudgetAndSayHowManyWereLeftOut) {
  for (int i = 0; i < 300; ++i) {
    h.hosts.hosts.push_back(Host("host-" + std::to_string(i), true, kNow));
  }
  Reply r = h.Say("viewer1", "status");
  EXPECT_LE(r.body.size(), 2048u);
  EXPECT_TRUE(Has(r.body, "more")) << r.body;
}

TEST_F(Commands, AlertsFilterByHostAndSeverity) {
  h.alerts.alerts = {MakeAlert(1, "web-01", "disk full", alerting::Severity::kHigh, kNow - 300'000),
                     MakeAlert(2, "db-01", "slow queries", alerting::Severity::kWarning, kNow),
                     MakeAlert(3, "web-01", "cert expires", alerting::Severity::kWarning, kNow)};
  Reply all = h.Say("viewer1", "alerts");
  EXPECT_TRUE(Has(all.body, "3 firing alerts")) << all.body;
  EXPECT_TRUE(Has(all.body, "🟠 #1 High web-01 disk full (5m)")) << all.body;

  Reply host = h.Say("viewer1", "alerts web-01");
  EXPECT_EQ(h.alerts.last_filter.host.value_or(""), "web-01");
  EXPECT_FALSE(h.alerts.last_filter.min_severity.has_value());
  EXPECT_TRUE(Has(host.body, "2 firing alerts")) << host.body;

  h.Say("viewer1", "alerts high");
  EXPECT_FALSE(h.alerts.last_filter.host.has_value());
  EXPECT_EQ(h.alerts.last_filter.min_severity, alerting::Severity::kHigh);

  Reply both = h.Say("viewer1", "告警 web-01 warning");
  EXPECT_EQ(h.alerts.last_filter.host.value_or(""), "web-01");
  EXPECT_EQ(h.alerts.last_filter.min_severity, alerting::Severity::kWarning);
  EXPECT_TRUE(Has(both.body, "未恢复告警 2 条")) << both.body;
  EXPECT_TRUE(Has(both.body, "严重")) << both.body;

  EXPECT_TRUE(Has(h.Say("viewer1", "alerts web-01 loud").body, "unknown severity 'loud'"));
}

TEST_F(Commands, AckMarksTheAlertWithTheSender) {
  h.alerts.alerts = {MakeAlert(7, "web-01", "disk full")};
  EXPECT_TRUE(Has(h.Say("op1", "ack #7").body, "alert #7 acknowledged"));
  EXPECT_EQ(h.alerts.alerts[0].acked_by, "op1");
  EXPECT_EQ(h.alerts.alerts[0].acked_ms, kNow);
  EXPECT_TRUE(Has(h.Say("op1", "alerts").body, "acked by op1"));
  EXPECT_TRUE(Has(h.Say("op1", "ack 8").body, "no alert #8"));
  EXPECT_TRUE(Has(h.Say("op1", "ack seven").body, "ID: expected a number, got 'seven'"));
  EXPECT_TRUE(Has(h.Say("op1", "ack 0").body, "expected a number"));
}

TEST_F(Commands, SilenceTakesMatchersADurationAndAReason) {
  Reply r = h.Say("op1", "silence host=web-01 severity<=warning 2h disk cleanup tonight");
  ASSERT_EQ(h.alerts.silences.size(), 1u) << r.body;
  const SilenceItem& s = h.alerts.silences[0];
  ASSERT_EQ(s.matchers.size(), 2u);
  EXPECT_EQ(alerting::FormatMatcher(s.matchers[0]), "host=web-01");
  EXPECT_EQ(alerting::FormatMatcher(s.matchers[1]), "severity<=warning");
  EXPECT_EQ(s.starts_ms, kNow);
  EXPECT_EQ(s.ends_ms, kNow + 2 * 3'600'000);
  EXPECT_EQ(s.created_by, "op1");
  EXPECT_EQ(s.reason, "disk cleanup tonight");
  EXPECT_TRUE(
      Has(r.body, "silence #1: host=web-01 severity<=warning until 2026-11-26 15:56:41 CST"))
      << r.body;
  EXPECT_TRUE(Has(r.body, "undo: unsilence 1")) << r.body;

  Reply quoted = h.Say("op1", "静默 “title=~*backup job*” 30m “夜间 维护”");
  ASSERT_EQ(h.alerts.silences.size(), 2u) << quoted.body;
  EXPECT_EQ(h.alerts.silences[1].matchers[0].value, "*backup job*");
  EXPECT_EQ(h.alerts.silences[1].reason, "夜间 维护");
  EXPECT_TRUE(Has(quoted.body, "已创建静默 #2")) << quoted.body;
}

TEST_F(Commands, SilenceRejectsWhatItCannotRead) {
  EXPECT_TRUE(Has(h.Say("op1", "silence 2h because reasons").body, "at least one matcher"));
  EXPECT_TRUE(Has(h.Say("op1", "silence host=a because of it").body, "has no operator"));
  EXPECT_TRUE(Has(h.Say("op1", "silence host=a owner=me 2h x").body, "unknown field 'owner'"));
  EXPECT_TRUE(Has(h.Say("op1", "silence host=a severity=x 1h y").body, "matcher 'severity=x'"));
  EXPECT_TRUE(Has(h.Say("op1", "silence host=a 2h").body, "usage"));  // arity: no reason
  EXPECT_TRUE(Has(h.Say("op1", "silence host=a host=b 2h").body, "REASON"));
  EXPECT_TRUE(Has(h.Say("op1", "silence host=a 31d too long").body, "at most 30d"));
  EXPECT_TRUE(Has(h.Say("op1", "silence host=a 0s nothing").body, "more than 0"));
  EXPECT_TRUE(h.alerts.silences.empty());
}

TEST_F(Commands, UnsilenceEndsTheSilenceNow) {
  h.Say("op1", "silence host=a 1h x");
  EXPECT_TRUE(Has(h.Say("op2", "unsilence 1", kNow + 60'000).body, "silence #1 ended"));
  EXPECT_EQ(h.alerts.silences[0].ends_ms, kNow + 60'000);
  EXPECT_TRUE(Has(h.Say("op2", "解除静默 9").body, "no silence #9"));
}

TEST_F(Commands, BackupListShowsVersionsNewestFirst) {
  h.backups.versions = {{"web-01", MakeVersion(12, "/etc/hosts", kNow - 60'000, 812)},
                        {"web-01", MakeVersion(9, "/etc/hosts", kNow - 86'400'000, 1536)},
                        {"web-02", MakeVersion(4, "/etc/hosts", kNow)}};
  Reply r = h.Say("viewer1", "backup list web-01 /etc/hosts");
  EXPECT_TRUE(Has(r.body, "web-01:/etc/hosts, 2 versions")) << r.body;
  EXPECT_TRUE(Has(r.body, "#12 2026-11-26 13:55:41 CST 812 B sha256 9f86d081884c (etc)")) << r.body;
  EXPECT_TRUE(Has(r.body, "#9 2026-11-25 13:56:41 CST 1.5 KiB")) << r.body;
  EXPECT_LT(r.body.find("#12"), r.body.find("#9"));
  EXPECT_TRUE(Has(h.Say("viewer1", "备份列表 web-01 /etc/hosts").body, "的备份版本 2 个"));
}

TEST_F(Commands, BackupRestorePreviewNamesTheExactVersionAndTheFileItOverwrites) {
  h.backups.versions = {{"web-01", MakeVersion(12, "/etc/hosts", kNow - 60'000, 812)},
                        {"web-01", MakeVersion(9, "/etc/hosts", kNow - 86'400'000)}};
  Reply newest = h.Say("op1", "backup restore web-01 /etc/hosts");
  EXPECT_TRUE(Has(newest.body,
                  "Restore web-01:/etc/hosts to version #12 2026-11-26 13:55:41 CST "
                  "812 B sha256 9f86d081884c (etc): the agent overwrites /etc/hosts "
                  "on web-01 with that version's content."))
      << newest.body;
  EXPECT_TRUE(Has(newest.body, "Send `confirm 100001` within 2m to apply it, or `cancel`."))
      << newest.body;
  EXPECT_TRUE(h.backups.requests.empty());  // nothing happens before confirm

  Reply older = h.Say("op1", "backup restore web-01 /etc/hosts 9");
  EXPECT_TRUE(Has(older.body, "to version #9 ")) << older.body;
  h.Say("op1", "confirm " + BotHarness::CodeIn(older));
  ASSERT_EQ(h.backups.requests.size(), 1u);
  EXPECT_EQ(h.backups.requests[0].kind, kAgentCommandRestore);
  EXPECT_EQ(h.backups.requests[0].host, "web-01");
  EXPECT_EQ(h.backups.requests[0].arg, "/etc/hosts");
  EXPECT_EQ(h.backups.requests[0].version_id, 9);
  EXPECT_EQ(h.backups.requests[0].by, "op1");

  EXPECT_TRUE(Has(h.Say("op1", "backup restore web-01 /etc/hosts 10").body,
                  "no version #10 of web-01:/etc/hosts"));
  EXPECT_TRUE(Has(h.Say("op1", "backup restore web-01 /etc/shadow").body,
                  "no backup of web-01:/etc/shadow"));
  EXPECT_TRUE(
      Has(h.Say("op1", "backup restore web-01 /etc/hosts v2").body, "VERSION: expected a number"));
}

TEST_F(Commands, BackupRunAndFimAcceptQueueAgentCommandsAfterConfirm) {
  Reply run = h.Say("op1", "backup run web-01 nginx");
  EXPECT_TRUE(Has(run.body, "Back up set 'nginx' on host web-01 now")) << run.body;
  Reply done = h.Say("op1", "confirm " + BotHarness::CodeIn(run));
  EXPECT_TRUE(Has(done.body, "backup queued for the agent as command #1; `progress 1`"))
      << done.body;
  Reply fim = h.Say("op1", "接受变更 web-01 /etc/passwd");
  EXPECT_TRUE(Has(fim.body, "接受主机 web-01 上 /etc/passwd 的当前状态作为文件完整性基线"))
      << fim.body;
  EXPECT_TRUE(Has(fim.body, "请在 2分 内发送“确认 100002”执行")) << fim.body;
  Reply fim_done = h.Say("op1", "确认 " + BotHarness::CodeIn(fim));
  EXPECT_TRUE(Has(fim_done.body, "接受变更已下发，命令 #2")) << fim_done.body;
  ASSERT_EQ(h.backups.requests.size(), 2u);
  EXPECT_EQ(h.backups.requests[0].kind, kAgentCommandBackupRun);
  EXPECT_EQ(h.backups.requests[0].arg, "nginx");
  EXPECT_EQ(h.backups.requests[1].kind, kAgentCommandFimAccept);
  EXPECT_EQ(h.backups.requests[1].arg, "/etc/passwd");
}

TEST_F(Commands, ProgressShowsTheAgentsReport) {
  h.backups.versions = {{"web-01", MakeVersion(12, "/etc/hosts")}};
  h.Say("op1", "confirm " + BotHarness::CodeIn(h.Say("op1", "backup restore web-01 /etc/hosts")));
  Reply r = h.Say("viewer1", "progress 1");
  EXPECT_TRUE(Has(r.body, "#1 restore web-01: running 512 B / 2.0 KiB (25%)")) << r.body;
  EXPECT_TRUE(Has(r.body, "restoring")) << r.body;
  EXPECT_TRUE(Has(h.Say("viewer1", "进度 5").body, "no command #5"));
}

TEST_F(Commands, ReportIsMarkdownOverTheRequestedWindow) {
  ReportData& d = h.reports.data;
  d.alerts_by_severity = {{"high", 3}, {"warning", 5}};
  d.alerts_by_source = {{"zabbix", 6}, {"agent", 2}};
  d.noisiest_hosts = {{"web-01", 4}, {"db_01", 2}};
  d.resolved = 6;
  d.mttr_ms = 25 * 60'000;
  d.backups_done = 40;
  d.backups_failed = 1;
  d.backup_bytes = 5ull * 1024 * 1024;
  d.fim_findings = 2;
  d.port_findings = 1;
  d.top_findings = {{"web-01", "fim.changed", "/etc/passwd", kNow}};
  Reply r = h.Say("viewer1", "report");
  EXPECT_EQ(r.format, Reply::Format::kMarkdown);
  ASSERT_EQ(h.reports.windows.size(), 1u);
  // today: local midnight (2026-11-26 00:00 CST = 2026-11-25 16:00 UTC) until now.
  EXPECT_EQ(h.reports.windows[0].first, 1795622400000);
  EXPECT_EQ(h.reports.windows[0].second, kNow);
  EXPECT_TRUE(Has(r.body, "## Ops report: today")) << r.body;
  EXPECT_TRUE(Has(r.body, "> total: 8")) << r.body;
  EXPECT_TRUE(Has(r.body, "> by severity: 🟠High 3, 🔵Warning 5")) << r.body;
  EXPECT_TRUE(Has(r.body, "> by source: zabbix 6, agent 2")) << r.body;
  EXPECT_TRUE(Has(r.body, "> noisiest hosts: web-01 4, db\\_01 2")) << r.body;  // escaped
  EXPECT_TRUE(Has(r.body, "> mean time to resolve: 25m (6 resolved)")) << r.body;
  EXPECT_TRUE(Has(r.body, "> failed: <font color=\"warning\">1</font>")) << r.body;
  EXPECT_TRUE(Has(r.body, "> bytes: 5.0 MiB")) << r.body;
  EXPECT_TRUE(Has(r.body, "- web-01 fim.changed /etc/passwd")) << r.body;

  Reply weekly = h.Say("viewer1", "报告 周报");
  EXPECT_TRUE(Has(weekly.body, "## 运维周报")) << weekly.body;
  EXPECT_TRUE(Has(weekly.body, "> 平均恢复时间: 25分")) << weekly.body;
  EXPECT_EQ(h.reports.windows[1].second, 1795622400000);
  EXPECT_EQ(h.reports.windows[1].first, 1795622400000 - 7 * 86'400'000LL);
  h.Say("viewer1", "report daily");
  EXPECT_EQ(h.reports.windows[2].first, 1795622400000 - 86'400'000LL);
  EXPECT_TRUE(Has(h.Say("viewer1", "report monthly").body, "expected today, daily or weekly"));
}

TEST_F(Commands, WhoamiShowsDepartmentsAndTagsForWecomSenders) {
  ChatRequest r;
  r.sender = Sender{"op1", kChannelWecomApp, {"42", "7"}, {"oncall"}, ""};
  r.text = "whoami";
  r.now_ms = kNow;
  Reply reply = h.engine->Handle(r);
  EXPECT_EQ(reply.body,
            "user: op1\nrole: operator\nchannel: wecom_app\ndepartments: 42, 7\n"
            "tags: oncall");
  EXPECT_EQ(h.Say("bob", "whoami", kNow, kChannelCli).body,
            "user: local:bob\nrole: viewer\nchannel: cli");
}

TEST_F(Commands, AuditShowsTheNewestRowsAndVerifiesTheChain) {
  h.Say("viewer1", "status");
  h.Say("stranger", "status");
  Reply r = h.Say("admin1", "audit 2");
  EXPECT_TRUE(Has(r.body, "#2 2026-11-26 13:56:41 CST stranger (wecom_app) status → refused"))
      << r.body;
  EXPECT_TRUE(Has(r.body, "#1 2026-11-26 13:56:41 CST viewer1 (wecom_app) status → read"))
      << r.body;
  EXPECT_TRUE(Has(h.Say("admin1", "审计 verify").body, "审计日志完整：3 行"));
  EXPECT_TRUE(Has(h.Say("admin1", "audit 0").body, "N: expected 1..50 or verify"));
  EXPECT_TRUE(Has(h.Say("admin1", "audit 51").body, "N: expected 1..50"));
}

}  // namespace
}  // namespace beacon::bot
