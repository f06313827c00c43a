// `status [HOST|GROUP]`: every host in one line each, one host in detail (up/stale, last seen,
// key metrics, open alerts, last backup, FIM/port findings), or the hosts of a group.
#include <cstdio>

#include "bot/commands/format.h"
#include "bot/commands/registry.h"

namespace beacon::bot {
namespace {

constexpr size_t kFindingsShown = 5;

Status StatusUnavailable(const CommandContext& ctx) {
  return Status::FailedPrecondition(
      std::string(ctx.Say("host status is not available here", "此处无法查询主机状态")));
}

std::string Metric(const HostMetric& m) {
  char buf[64];
  if (m.unit == "percent") {
    std::snprintf(buf, sizeof buf, "%.1f%%", m.value);
  } else if (m.unit == "bytes") {
    return m.name + " " + FormatSize(m.value < 0 ? 0 : static_cast<uint64_t>(m.value));
  } else if (m.unit == "seconds") {
    std::snprintf(buf, sizeof buf, "%.1fs", m.value);
  } else {
    std::snprintf(buf, sizeof buf, "%g", m.value);
  }
  return m.name + " " + buf;
}

std::string OneLine(const CommandContext& ctx, const HostSummary& h) {
  std::string line = (h.up ? "🟢 " : "🔴 ") + h.name + " " +
                     (h.up ? std::string(ctx.Say("up", "在线")) : ctx.Say("stale", "失联")) +
                     ctx.Say(", seen ", "，最近上报 ") +
                     (h.last_seen_ms ? FormatAgo(ctx, h.last_seen_ms) : "-");
  if (h.open_alerts > 0) {
    line += ctx.zh ? "，告警 " + std::to_string(h.open_alerts)
                   : ", " + std::to_string(h.open_alerts) + " alerts";
  }
  if (!h.findings.empty()) {
    line += ctx.zh ? "，发现 " + std::to_string(h.findings.size())
                   : ", " + std::to_string(h.findings.size()) + " findings";
  }
  return line;
}

std::string Detail(const CommandContext& ctx, const HostSummary& h) {
  std::vector<std::string> lines;
  lines.push_back(OneLine(ctx, h));
  if (h.last_seen_ms) {
    lines.push_back(std::string(ctx.Say("last seen: ", "最近上报：")) +
                    FormatTime(ctx, h.last_seen_ms));
  }
  if (!h.agent_version.empty()) lines.push_back("agent: " + h.agent_version);
  if (!h.groups.empty()) {
    lines.push_back(std::string(ctx.Say("groups: ", "分组：")) + Join(h.groups, ", "));
  }
  if (!h.key_metrics.empty()) {
    std::vector<std::string> metrics;
    for (const HostMetric& metric : h.key_metrics) metrics.push_back(Metric(metric));
    lines.push_back(std::string(ctx.Say("metrics: ", "指标：")) + Join(metrics, ", "));
  }
  lines.push_back(std::string(ctx.Say("open alerts: ", "未恢复告警：")) +
                  std::to_string(h.open_alerts));
  if (h.last_backup) {
    const LastBackup& b = *h.last_backup;
    lines.push_back(std::string(ctx.Say("last backup: ", "最近备份：")) +
                    FormatTime(ctx, b.created_ms) + " " + b.path + " (" + b.set + ")" +
                    (ctx.zh ? "，24 小时内 " + std::to_string(b.versions_24h) + " 个版本"
                            : ", " + std::to_string(b.versions_24h) + " versions in 24h"));
  } else {
    lines.push_back(std::string(ctx.Say("last backup: none", "最近备份：无")));
  }
  lines.push_back(std::string(ctx.Say("findings: ", "巡检发现：")) +
                  std::to_string(h.findings.size()));
  for (size_t i = 0; i < h.findings.size() && i < kFindingsShown; ++i) {
    const Finding& f = h.findings[i];
    lines.push_back("  " + f.kind + " " + f.subject + " (" + FormatAgo(ctx, f.ts_ms) + ")");
  }
  return JoinBounded(lines, ctx.max_reply_bytes, ctx.zh);
}

Result<CommandOutcome> StatusCommand(CommandContext& ctx, const std::vector<std::string>& args) {
  HostStatusPort* hosts = ctx.ports.hosts;
  if (!hosts) return StatusUnavailable(ctx);
  const int64_t now = ctx.request.now_ms;
  if (args.empty()) {
    BEACON_ASSIGN_OR_RETURN(std::vector<HostSummary> all, hosts->ListHosts(now));
    std::vector<std::string> lines;
    size_t up = 0;
    for (const HostSummary& h : all) up += h.up ? 1 : 0;
    lines.push_back(ctx.zh ? "主机 " + std::to_string(all.size()) + " 台，在线 " +
                                 std::to_string(up) + " 台"
                           : std::to_string(all.size()) + " hosts, " + std::to_string(up) + " up");
    for (const HostSummary& h : all) lines.push_back(OneLine(ctx, h));
    return CommandOutcome(
        Reply{Reply::Format::kText, JoinBounded(lines, ctx.max_reply_bytes, ctx.zh)});
  }
  const std::string& name = args[0];
  Result<HostSummary> host = hosts->GetHost(name, now);
  if (host.ok()) return CommandOutcome(Reply{Reply::Format::kText, Detail(ctx, *host)});
  if (host.status().code() != StatusCode::kNotFound) return host.status();
  BEACON_ASSIGN_OR_RETURN(std::vector<HostGroup> groups, hosts->ListGroups());
  for (const HostGroup& g : groups) {
    if (g.name != name) continue;
    std::vector<std::string> lines;
    lines.push_back(std::string(ctx.Say("group ", "分组 ")) + g.name + " (" +
                    std::to_string(g.hosts.size()) + ")");
    for (const std::string& member : g.hosts) {
      Result<HostSummary> h = hosts->GetHost(member, now);
      if (h.ok()) {
        lines.push_back(OneLine(ctx, *h));
      } else {
        lines.push_back("⚪ " + member + " " + h.status().message());
      }
    }
    return CommandOutcome(
        Reply{Reply::Format::kText, JoinBounded(lines, ctx.max_reply_bytes, ctx.zh)});
  }
  return Status::NotFound(std::string(ctx.Say("no host or group named '", "没有名为 '")) + name +
                          ctx.Say("'", "' 的主机或分组"));
}

}  // namespace

std::vector<CommandSpec> StatusCommands() {
  return {CommandSpec("status", Role::kViewer, "[HOST|GROUP]", StatusCommand)
              .Zh({"状态"})
              .En({"st"})
              .Help("hosts up or stale; one host in detail (metrics, alerts, backups, findings)",
                    "主机在线情况；指定主机时显示详情（指标、告警、备份、巡检发现）")
              .Example("status web-01")};
}

}  // namespace beacon::bot
