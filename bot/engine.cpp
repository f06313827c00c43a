// Engine::Handle: role, words, lookup, checks, handler, plan parking and audit; see engine.h.
#include "bot/engine.h"

#include <spdlog/spdlog.h>

#include "bot/commands/format.h"
#include "bot/tokenize.h"

namespace beacon::bot {
namespace {

Reply Text(std::string body) { return Reply{Reply::Format::kText, std::move(body)}; }

}  // namespace

Engine::Engine(Registry registry, EngineDeps deps)
    : registry_(std::move(registry)), deps_(std::move(deps)) {}

Reply Engine::Handle(const ChatRequest& request) {
  const std::string principal = request.sender.Principal();
  std::optional<Role> role = deps_.rbac->RoleOf(request.sender);
  Result<std::vector<std::string>> words = Tokenize(request.text);

  // The context of this request; role and language are filled in as they become known.
  CommandContext ctx{request,
                     role.value_or(Role::kViewer),
                     principal,
                     false,
                     deps_.ports,
                     deps_.tz,
                     deps_.max_reply_bytes,
                     registry_,
                     *deps_.confirmations,
                     *deps_.audit};
  const std::vector<std::string> no_words;
  const std::vector<std::string>& line = words.ok() ? *words : no_words;
  auto audit = [&](const std::string& command, const std::vector<std::string>& args,
                   const std::string& preview, const std::string& decision,
                   const std::string& result) -> bool {
    Result<int64_t> id = AppendAudit(ctx, command, args, preview, decision, result);
    if (!id.ok()) spdlog::error("bot audit: {}", id.status().ToString());
    return id.ok();
  };

  if (!role) {
    const std::vector<std::string> rest(line.empty() ? line.end() : line.begin() + 1, line.end());
    audit(line.empty() ? std::string() : line[0], rest, "", kDecisionRefused, "unknown user");
    return Text("Sorry, you may not use this bot yet: ask an administrator to add your user (" +
                request.sender.user_id +
                ") to bot.roles. / 抱歉，你还没有使用权限：请联系管理员把你的账号（" +
                request.sender.user_id + "）加入 bot.roles。");
  }
  if (!words.ok()) {
    audit("", {std::string(request.text.substr(0, 200))}, "", kDecisionFailed,
          words.status().message());
    return Text("Could not read that: " + words.status().message() + " / 无法解析该命令。");
  }
  if (line.empty()) {
    return Text("Send `help` for the commands. / 发送“帮助”查看命令。");
  }

  CommandMatch match = registry_.Find(line);
  if (!match.spec) {
    std::vector<const CommandSpec*> group = registry_.Group(line[0]);
    if (!group.empty()) {
      std::vector<std::string> usages;
      for (const CommandSpec* spec : group) usages.push_back(CommandSynopsis(*spec));
      audit(line[0], std::vector<std::string>(line.begin() + 1, line.end()), "", kDecisionRead,
            "group help");
      return Text(JoinBounded(usages, deps_.max_reply_bytes, false));
    }
    audit(line[0], std::vector<std::string>(line.begin() + 1, line.end()), "", kDecisionFailed,
          "unknown command");
    return Text("Unknown command '" + line[0] + "': send `help`. / 未知命令，发送“帮助”查看。");
  }
  const CommandSpec& spec = *match.spec;
  ctx.zh = match.zh;
  const std::vector<std::string> args(line.begin() + static_cast<ptrdiff_t>(match.words),
                                      line.end());

  if (*role < spec.min_role) {
    audit(spec.name, args, "", kDecisionRefused,
          "needs role " + std::string(RoleName(spec.min_role)) + ", has " +
              std::string(RoleName(*role)));
    return Text("`" + spec.name + "` needs the " + std::string(RoleName(spec.min_role)) +
                " role; you are " + std::string(RoleName(*role)) + ". / 该命令需要" +
                std::string(RoleNameZh(spec.min_role)) + "角色，你的角色是" +
                std::string(RoleNameZh(*role)) + "。");
  }
  Result<Arity> arity = ParseArgSpec(spec.args);
  if (!arity.ok() || args.size() < arity->min || args.size() > arity->max) {
    audit(spec.name, args, "", kDecisionFailed, "usage");
    return Text(std::string(ctx.Say("usage: ", "用法：")) + CommandSynopsis(spec) +
                ctx.Say("\nexample: ", "\n示例：") + spec.example);
  }

  Result<CommandOutcome> outcome = spec.handler(ctx, args);
  if (!outcome.ok()) {
    audit(spec.name, args, "", kDecisionFailed, outcome.status().ToString());
    std::string body = "❌ " + outcome.status().message();
    if (outcome.status().code() == StatusCode::kInvalidArgument) {
      body += std::string(ctx.Say("\nusage: ", "\n用法：")) + CommandSynopsis(spec);
    }
    return Text(std::move(body));
  }
  if (Reply* reply = std::get_if<Reply>(&*outcome)) {
    if (!spec.audits_itself) {
      audit(spec.name, args, "", spec.writes ? kDecisionExecuted : kDecisionRead, reply->body);
    }
    return std::move(*reply);
  }

  // A mutating command's plan: audited as proposed, parked under a code, applied by `confirm`.
  Plan& plan = std::get<Plan>(*outcome);
  if (!audit(spec.name, args, plan.preview, kDecisionProposed, "")) {
    return Text(
        "❌ The audit log cannot be written, so nothing will be changed. / "
        "审计日志无法写入，不执行任何更改。");
  }
  PendingPlan pending;
  pending.principal = principal;
  pending.channel = request.sender.channel;
  pending.command = spec.name;
  pending.arguments = args;
  pending.plan = std::move(plan);
  const std::string preview = pending.plan.preview;
  Confirmations::Proposed proposed =
      deps_.confirmations->Propose(std::move(pending), request.now_ms);
  if (proposed.replaced) {
    const PendingPlan& old = *proposed.replaced;
    audit(old.command, old.arguments, old.plan.preview, kDecisionCancelled,
          "replaced by a newer command");
  }
  const std::string ttl = FormatSpan(ctx, deps_.confirmations->ttl_ms());
  std::string body = preview + "\n\n";
  body += ctx.zh
              ? "请在 " + ttl + " 内发送“确认 " + proposed.code + "”执行，或发送“取消”放弃。"
              : "Send `confirm " + proposed.code + "` within " + ttl + " to apply it, or `cancel`.";
  return Text(std::move(body));
}

}  // namespace beacon::bot
