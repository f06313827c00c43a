// Gray-release commands: `release gray SERVER` (out of production into the gray load balancer),
// `release promote SERVER` and `release abort SERVER` (back to the remembered production weights,
// out of the gray load balancer), planned and applied by bot/release/slb_actions.h.
#include "bot/commands/registry.h"
#include "bot/commands/slb_command.h"

namespace beacon::bot {
namespace {

Result<CommandOutcome> Gray(CommandContext& ctx, const std::vector<std::string>& words) {
  if (!ctx.ports.slb) return SlbNotConfigured(ctx);
  std::vector<std::string> args = words;
  BEACON_ASSIGN_OR_RETURN(bool force, TakeForce(ctx, args));
  if (args.size() != 1) return Status::InvalidArgument("expected SERVER");
  return SlbPlanOutcome(ctx, ctx.ports.slb, ctx.ports.slb->PlanGray(args[0], force));
}

Result<CommandOutcome> Promote(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.slb) return SlbNotConfigured(ctx);
  return SlbPlanOutcome(ctx, ctx.ports.slb, ctx.ports.slb->PlanPromote(args[0], false));
}

Result<CommandOutcome> Abort(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.slb) return SlbNotConfigured(ctx);
  return SlbPlanOutcome(ctx, ctx.ports.slb, ctx.ports.slb->PlanPromote(args[0], true));
}

}  // namespace

std::vector<CommandSpec> ReleaseCommands() {
  std::vector<CommandSpec> c;
  c.push_back(CommandSpec("release gray", Role::kOperator, "SERVER [--force]", Gray)
                  .Zh({"灰度", "发布 灰度"})
                  .Mutating()
                  .Help("drain a server from production and add it to the gray load balancer",
                        "把服务器从生产负载均衡摘流并加入灰度负载均衡")
                  .Example("release gray web-01"));
  c.push_back(CommandSpec("release promote", Role::kOperator, "SERVER", Promote)
                  .Zh({"全量发布", "发布 全量"})
                  .Mutating()
                  .Help("back to the production weights, out of the gray load balancer",
                        "恢复生产权重并移出灰度负载均衡（灰度通过）")
                  .Example("release promote web-01"));
  c.push_back(CommandSpec("release abort", Role::kOperator, "SERVER", Abort)
                  .Zh({"回滚灰度", "发布 回滚"})
                  .Mutating()
                  .Help("end a gray release: out of the gray load balancer first, then back to "
                        "the production weights",
                        "放弃灰度：先移出灰度负载均衡，再恢复生产权重")
                  .Example("release abort web-01"));
  return c;
}

}  // namespace beacon::bot
