// SLB commands: `slb show LB` (read), and the mutating `slb weight LB SERVER WEIGHT`,
// `slb drain SERVER` and `slb undrain SERVER`, planned and applied by bot/release/slb_actions.h.
// The plan helpers here are shared with bot/commands/release.cpp (slb_command.h).
#include <charconv>

#include "bot/commands/format.h"
#include "bot/commands/slb_command.h"

namespace beacon::bot {

Status SlbNotConfigured(const CommandContext& ctx) {
  return Status::FailedPrecondition(std::string(
      ctx.Say("SLB commands are not configured here (bot.slb)", "此处未配置 SLB 命令（bot.slb）")));
}

Result<bool> TakeForce(const CommandContext& ctx, std::vector<std::string>& args) {
  bool force = false;
  for (auto it = args.begin(); it != args.end();) {
    if (*it == "--force") {
      force = true;
      it = args.erase(it);
    } else {
      ++it;
    }
  }
  if (force && ctx.role < Role::kAdmin) {
    return Status::PermissionDenied(
        std::string(ctx.Say("--force needs the admin role", "--force 需要管理员角色")));
  }
  return force;
}

Result<CommandOutcome> SlbPlanOutcome(CommandContext& ctx, release::SlbActions* slb,
                                      Result<release::SlbPlan> planned) {
  BEACON_ASSIGN_OR_RETURN(release::SlbPlan plan, std::move(planned));
  if (!plan.breaches.empty() && !plan.force) {
    return Status::FailedPrecondition(release::FormatRefusal(plan, ctx.zh));
  }
  if (plan.changes.empty() && plan.forget.empty()) {
    return CommandOutcome(Reply{
        Reply::Format::kText,
        release::FormatPreview(plan, ctx.zh) + ctx.Say("\nNothing to change.", "\n无需更改。")});
  }
  Plan out;
  out.preview = release::FormatPreview(plan, ctx.zh);
  const bool zh = ctx.zh;
  const std::string by = ctx.principal;
  const int64_t at_ms = ctx.request.now_ms;
  out.apply = [slb, plan = std::move(plan), zh, by, at_ms]() -> Result<ApplyResult> {
    BEACON_ASSIGN_OR_RETURN(release::SlbOutcome outcome, slb->Apply(plan, by, at_ms));
    ApplyResult result;
    result.text = release::FormatOutcome(plan, outcome, zh);
    result.request_ids = outcome.request_ids;
    result.failed = !outcome.ok();
    return result;
  };
  return CommandOutcome(std::move(out));
}

namespace {

Result<CommandOutcome> Show(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.slb) return SlbNotConfigured(ctx);
  BEACON_ASSIGN_OR_RETURN(std::string text, ctx.ports.slb->Show(args[0], ctx.zh));
  return CommandOutcome(Reply{Reply::Format::kText, std::move(text)});
}

Result<CommandOutcome> Weight(CommandContext& ctx, const std::vector<std::string>& words) {
  if (!ctx.ports.slb) return SlbNotConfigured(ctx);
  std::vector<std::string> args = words;
  BEACON_ASSIGN_OR_RETURN(bool force, TakeForce(ctx, args));
  if (args.size() != 3) return Status::InvalidArgument("expected LB SERVER WEIGHT");
  int weight = -1;
  auto [end, ec] = std::from_chars(args[2].data(), args[2].data() + args[2].size(), weight);
  if (ec != std::errc() || end != args[2].data() + args[2].size() || weight < 0 || weight > 100) {
    return Status::InvalidArgument("WEIGHT: expected a number from 0 to 100, got '" +
                                   args[2].substr(0, 16) + "'");
  }
  return SlbPlanOutcome(ctx, ctx.ports.slb,
                        ctx.ports.slb->PlanWeight(args[0], args[1], weight, force));
}

Result<CommandOutcome> Drain(CommandContext& ctx, const std::vector<std::string>& words) {
  if (!ctx.ports.slb) return SlbNotConfigured(ctx);
  std::vector<std::string> args = words;
  BEACON_ASSIGN_OR_RETURN(bool force, TakeForce(ctx, args));
  if (args.size() != 1) return Status::InvalidArgument("expected SERVER");
  return SlbPlanOutcome(ctx, ctx.ports.slb, ctx.ports.slb->PlanDrain(args[0], force));
}

Result<CommandOutcome> Undrain(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.slb) return SlbNotConfigured(ctx);
  return SlbPlanOutcome(ctx, ctx.ports.slb, ctx.ports.slb->PlanUndrain(args[0]));
}

}  // namespace

std::vector<CommandSpec> SlbCommands() {
  std::vector<CommandSpec> c;
  c.push_back(CommandSpec("slb show", Role::kViewer, "LB", Show)
                  .Zh({"负载均衡 查看", "查看负载均衡"})
                  .Help("backends of a configured load balancer with weights and health",
                        "查看已配置负载均衡的后端、权重和健康状态")
                  .Example("slb show web"));
  c.push_back(CommandSpec("slb weight", Role::kOperator, "LB SERVER WEIGHT [--force]", Weight)
                  .Zh({"负载均衡 权重", "调权重"})
                  .Mutating()
                  .Help("set a server's weight (0-100) on a load balancer or VServer group",
                        "设置服务器在负载均衡或虚拟服务器组中的权重（0-100）")
                  .Example("slb weight web web-01 50"));
  c.push_back(CommandSpec("slb drain", Role::kOperator, "SERVER [--force]", Drain)
                  .Zh({"摘流", "负载均衡 摘流"})
                  .Mutating()
                  .Help("weight 0 on every production load balancer and group that has the "
                        "server; the weights are remembered",
                        "在所有包含该服务器的生产负载均衡和服务器组上把权重设为 0，并记住原权重")
                  .Example("slb drain web-01"));
  c.push_back(CommandSpec("slb undrain", Role::kOperator, "SERVER", Undrain)
                  .Zh({"恢复流量", "负载均衡 恢复"})
                  .Mutating()
                  .Help("restore the weights `slb drain` remembered", "恢复摘流前记住的权重")
                  .Example("slb undrain web-01"));
  return c;
}

}  // namespace beacon::bot
