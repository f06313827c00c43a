// Alert commands: `alerts [HOST] [SEVERITY]`, `ack ID`, `silence MATCHER... DURATION REASON...`,
// `unsilence ID`. ack and silence change the alert state directly (no confirmation: they only
// quieten notifications and are undone by `unsilence`), so they need the operator role.
#include "bot/commands/format.h"
#include "bot/commands/registry.h"
#include "common/alerting/matcher.h"
#include "common/clock.h"
#include "notifier/render/render.h"

namespace beacon::bot {
namespace {

constexpr int kAlertsShown = 20;
constexpr int64_t kMaxSilenceMs = 30LL * 24 * 3600 * 1000;

Status AlertsUnavailable(const CommandContext& ctx) {
  return Status::FailedPrecondition(
      std::string(ctx.Say("alerts are not available here", "此处无法查询告警")));
}

Result<CommandOutcome> Alerts(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.alerts) return AlertsUnavailable(ctx);
  AlertFilter filter;
  filter.limit = kAlertsShown;
  // One word is a severity when it names one ("high", "4"), else a host.
  if (args.size() == 2) {
    filter.host = args[0];
    filter.min_severity = alerting::ParseSeverity(args[1]);
    if (!filter.min_severity) {
      return Status::InvalidArgument("SEVERITY: unknown severity '" + args[1] +
                                     "' (disaster, high, average, warning, information)");
    }
  } else if (args.size() == 1) {
    filter.min_severity = alerting::ParseSeverity(args[0]);
    if (!filter.min_severity) filter.host = args[0];
  }
  BEACON_ASSIGN_OR_RETURN(std::vector<AlertItem> alerts, ctx.ports.alerts->ListAlerts(filter));
  const std::string lang = ctx.zh ? "zh" : "en";
  std::vector<std::string> lines;
  lines.push_back(ctx.zh ? "未恢复告警 " + std::to_string(alerts.size()) + " 条"
                         : std::to_string(alerts.size()) + " firing alerts");
  for (const AlertItem& a : alerts) {
    std::string line = std::string(notifier::render::SeverityMarker(a.severity)) + " #" +
                       std::to_string(a.id) + " " +
                       std::string(notifier::render::SeverityLabel(a.severity, lang)) + " " +
                       (a.host.empty() ? std::string() : a.host + " ") + a.title + " (" +
                       FormatSpan(ctx, ctx.request.now_ms - a.starts_ms) +
                       (a.occurrences > 1 ? ", ×" + std::to_string(a.occurrences) : "") + ")";
    if (!a.acked_by.empty()) line += std::string(ctx.Say(" acked by ", " 已认领：")) + a.acked_by;
    lines.push_back(std::move(line));
  }
  return CommandOutcome(TextReply(JoinBounded(lines, ctx.max_reply_bytes, ctx.zh)));
}

Result<CommandOutcome> Ack(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.alerts) return AlertsUnavailable(ctx);
  BEACON_ASSIGN_OR_RETURN(int64_t id, ParseId("ID", args[0]));
  BEACON_RETURN_IF_ERROR(ctx.ports.alerts->Ack(id, ctx.principal, ctx.request.now_ms));
  return CommandOutcome(TextReply(ctx.zh ? "已认领告警 #" + std::to_string(id)
                                         : "alert #" + std::to_string(id) + " acknowledged"));
}

Result<CommandOutcome> Silence(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.alerts) return AlertsUnavailable(ctx);
  SilenceRequest request;
  size_t i = 0;
  // Matchers up to the first word that is a duration (a matcher always has an operator).
  for (; i < args.size(); ++i) {
    if (!alerting::MatcherProblem(args[i]).has_value()) {
      BEACON_ASSIGN_OR_RETURN(alerting::Matcher m, alerting::ParseMatcher(args[i]));
      request.matchers.push_back(std::move(m));
      continue;
    }
    if (ParseDurationMs(args[i]).ok()) break;
    return Status::InvalidArgument("matcher '" + args[i] + "' " +
                                   *alerting::MatcherProblem(args[i]));
  }
  if (request.matchers.empty()) {
    return Status::InvalidArgument("MATCHER: at least one matcher, like host=web-01");
  }
  if (i == args.size()) {
    return Status::InvalidArgument("DURATION: expected a duration like 2h after the matchers");
  }
  BEACON_ASSIGN_OR_RETURN(int64_t duration_ms, ParseDurationMs(args[i]));
  if (duration_ms <= 0 || duration_ms > kMaxSilenceMs) {
    return Status::InvalidArgument("DURATION: expected more than 0 and at most 30d, got '" +
                                   args[i] + "'");
  }
  request.reason =
      Join(std::vector<std::string>(args.begin() + static_cast<ptrdiff_t>(i) + 1, args.end()), " ");
  if (request.reason.empty()) {
    return Status::InvalidArgument("REASON: say why, after the duration");
  }
  request.starts_ms = ctx.request.now_ms;
  request.ends_ms = ctx.request.now_ms + duration_ms;
  request.created_by = ctx.principal;
  BEACON_ASSIGN_OR_RETURN(SilenceItem s, ctx.ports.alerts->CreateSilence(request));
  std::vector<std::string> parts;
  for (const alerting::Matcher& m : s.matchers) parts.push_back(alerting::FormatMatcher(m));
  const std::string matchers = Join(parts, " ");
  return CommandOutcome(TextReply(
      ctx.zh ? "已创建静默 #" + std::to_string(s.id) + "：" + matchers + "，至 " +
                   FormatTime(ctx, s.ends_ms) + "（解除：unsilence " + std::to_string(s.id) + "）"
             : "silence #" + std::to_string(s.id) + ": " + matchers + " until " +
                   FormatTime(ctx, s.ends_ms) + " (undo: unsilence " + std::to_string(s.id) + ")"));
}

Result<CommandOutcome> Unsilence(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.alerts) return AlertsUnavailable(ctx);
  BEACON_ASSIGN_OR_RETURN(int64_t id, ParseId("ID", args[0]));
  BEACON_RETURN_IF_ERROR(ctx.ports.alerts->ExpireSilence(id, ctx.request.now_ms));
  return CommandOutcome(TextReply(ctx.zh ? "已解除静默 #" + std::to_string(id)
                                         : "silence #" + std::to_string(id) + " ended"));
}

}  // namespace

std::vector<CommandSpec> AlertCommands() {
  std::vector<CommandSpec> c;
  c.push_back(CommandSpec("alerts", Role::kViewer, "[HOST] [SEVERITY]", Alerts)
                  .Zh({"告警"})
                  .Help("firing alerts, of one host and/or at least a severity",
                        "未恢复的告警，可按主机和最低级别筛选")
                  .Example("alerts web-01 high"));
  c.push_back(CommandSpec("ack", Role::kOperator, "ID", Ack)
                  .Zh({"认领"})
                  .Writes()
                  .Help("acknowledge a firing alert (you are looking at it)",
                        "认领一条未恢复的告警（表示你在处理）")
                  .Example("ack 1234"));
  c.push_back(CommandSpec("silence", Role::kOperator, "MATCHER... DURATION REASON...", Silence)
                  .Zh({"静默"})
                  .Writes()
                  .Help("mute notifications of matching alerts for a while (docs/alerts.md "
                        "matchers)",
                        "在一段时间内静默匹配的告警通知（匹配规则见 docs/alerts.md）")
                  .Example("silence host=web-01 severity<=warning 2h disk cleanup"));
  c.push_back(CommandSpec("unsilence", Role::kOperator, "ID", Unsilence)
                  .Zh({"解除静默"})
                  .Writes()
                  .Help("end a silence now", "立即结束一条静默")
                  .Example("unsilence 17"));
  return c;
}

}  // namespace beacon::bot
