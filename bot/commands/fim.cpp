// `fim accept HOST PATH` (mutating): the agent takes the path's current state as its new FIM
// baseline, so the changes seen so far stop being reported.
#include "bot/commands/format.h"
#include "bot/commands/registry.h"

namespace beacon::bot {
namespace {

Result<CommandOutcome> Accept(CommandContext& ctx, const std::vector<std::string>& args) {
  BackupsPort* agent = ctx.ports.backups;
  if (!agent) {
    return Status::FailedPrecondition(
        std::string(ctx.Say("agent commands are not available here", "此处无法下发 agent 命令")));
  }
  const std::string host = args[0], path = args[1], by = ctx.principal;
  Plan plan;
  plan.preview = ctx.zh ? "接受主机 " + host + " 上 " + path +
                              " 的当前状态作为文件完整性基线：此前发现的变更不再告警。"
                        : "Accept the current state of " + path + " on " + host +
                              " as its FIM baseline: the changes seen so far stop being reported.";
  plan.apply = [agent, host, path, by, follow = FollowUpOf(ctx)]() -> Result<ApplyResult> {
    BEACON_ASSIGN_OR_RETURN(int64_t id, agent->RequestFimAccept(host, path, by));
    return QueuedCommand(follow, "fim accept", "接受变更", id);
  };
  return CommandOutcome(std::move(plan));
}

}  // namespace

std::vector<CommandSpec> FimCommands() {
  return {CommandSpec("fim accept", Role::kOperator, "HOST PATH", Accept)
              .Zh({"完整性 接受", "接受变更"})
              .Mutating()
              .Help("take a path's current state as the new FIM baseline",
                    "把路径的当前状态作为新的文件完整性基线")
              .Example("fim accept web-01 /etc/passwd")};
}

}  // namespace beacon::bot
