// `report [today|daily|weekly]`: the ops report of bot/report.h as WeCom markdown.
#include "bot/report.h"

#include "bot/commands/format.h"
#include "bot/commands/registry.h"

namespace beacon::bot {
namespace {

Result<CommandOutcome> ReportCommand(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.reports) {
    return Status::FailedPrecondition(
        std::string(ctx.Say("reports are not available here", "此处无法生成报告")));
  }
  ReportPeriod period = ReportPeriod::kToday;
  if (!args.empty()) {
    std::optional<ReportPeriod> p = ParseReportPeriod(args[0]);
    if (!p) {
      return Status::InvalidArgument("PERIOD: expected today, daily or weekly, got '" + args[0] +
                                     "'");
    }
    period = *p;
  }
  BEACON_ASSIGN_OR_RETURN(auto window, ReportWindow(period, ctx.request.now_ms, ctx.tz));
  BEACON_ASSIGN_OR_RETURN(ReportData data, ctx.ports.reports->Collect(window.first, window.second));
  return CommandOutcome(Reply{Reply::Format::kMarkdown,
                              RenderReport(data, period, ctx.tz, ctx.zh, ctx.max_reply_bytes)});
}

}  // namespace

std::vector<CommandSpec> ReportCommands() {
  return {CommandSpec("report", Role::kViewer, "[today|daily|weekly]", ReportCommand)
              .Zh({"报告"})
              .Help("alerts, MTTR, backups and findings of today, yesterday or the last 7 days",
                    "今天、昨天或最近 7 天的告警、平均恢复时间、备份和巡检发现")
              .Example("report weekly")};
}

}  // namespace beacon::bot
