// General commands: help, whoami, confirm, cancel, audit. confirm and cancel write their own
// audit rows (before and after applying a plan), since only they know the plan they act on.
#include <algorithm>
#include <charconv>

#include "bot/commands/format.h"
#include "bot/commands/registry.h"
#include "common/strings.h"

namespace beacon::bot {
namespace {

Result<CommandOutcome> Help(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!args.empty()) {
    CommandMatch m = ctx.registry.Find(args);
    std::vector<const CommandSpec*> specs;
    if (m.spec) {
      specs.push_back(m.spec);
    } else {
      specs = ctx.registry.Group(args[0]);
    }
    if (specs.empty()) {
      return Status::NotFound(
          std::string(ctx.Say("no command '" + args[0] + "'; `help` lists them",
                              "没有命令 '" + args[0] + "'，发送“帮助”查看全部命令")));
    }
    std::vector<std::string> parts;
    for (const CommandSpec* spec : specs) {
      std::string usage = CommandUsage(*spec, ctx.zh);
      if (spec->min_role > ctx.role) {
        usage += ctx.zh ? "\n（你的角色不能执行）" : "\n(your role may not run it)";
      }
      parts.push_back(std::move(usage));
    }
    return CommandOutcome(TextReply(JoinBounded(parts, ctx.max_reply_bytes, ctx.zh)));
  }
  // The list shows only what the sender's role may run; `help COMMAND` explains any command.
  std::vector<std::string> lines;
  lines.push_back(std::string(ctx.Say("Commands you may run (help COMMAND for details):",
                                      "你可以使用的命令（“帮助 命令”查看详情）：")));
  for (const CommandSpec& spec : ctx.registry.commands()) {
    if (spec.min_role > ctx.role) continue;
    std::string line = spec.name;
    if (!spec.args.empty()) line += " " + spec.args;
    if (ctx.zh && !spec.aliases_zh.empty()) line += "（" + spec.aliases_zh.front() + "）";
    line += " — " + (ctx.zh ? spec.help_zh : spec.help_en);
    if (spec.mutating) line += ctx.zh ? " [需确认]" : " [confirm]";
    lines.push_back(std::move(line));
  }
  return CommandOutcome(TextReply(JoinBounded(lines, ctx.max_reply_bytes, ctx.zh)));
}

std::string JoinList(const std::vector<std::string>& items) {
  return items.empty() ? "-" : Join(items, ", ");
}

Result<CommandOutcome> WhoAmI(CommandContext& ctx, const std::vector<std::string>&) {
  const Sender& s = ctx.request.sender;
  std::string body;
  if (ctx.zh) {
    body = "用户：" + ctx.principal + "\n角色：" + std::string(RoleNameZh(ctx.role)) + " (" +
           std::string(RoleName(ctx.role)) + ")\n渠道：" + s.channel;
  } else {
    body = "user: " + ctx.principal + "\nrole: " + std::string(RoleName(ctx.role)) +
           "\nchannel: " + s.channel;
  }
  if (s.channel != kChannelCli) {
    body += std::string(ctx.Say("\ndepartments: ", "\n部门：")) + JoinList(s.departments);
    body += std::string(ctx.Say("\ntags: ", "\n标签：")) + JoinList(s.tags);
  }
  return CommandOutcome(TextReply(std::move(body)));
}

// Refusals of `confirm`, audited with the reason; the reply says what to do next.
Result<CommandOutcome> RefuseConfirm(CommandContext& ctx, const std::vector<std::string>& args,
                                     const std::string& reason, const std::string& reply) {
  BEACON_RETURN_IF_ERROR(AppendAudit(ctx, "confirm", args, "", kDecisionRefused, reason).status());
  return CommandOutcome(TextReply(reply));
}

// A pending plan `confirm` dropped (expired, too many wrong codes), audited under its own
// command so the row sits beside its `proposed` one.
Result<CommandOutcome> Dropped(CommandContext& ctx, const PendingPlan& p, const char* decision,
                               const std::string& why, const std::string& reply) {
  BEACON_RETURN_IF_ERROR(
      AppendAudit(ctx, p.command, p.arguments, p.plan.preview, decision, why).status());
  return CommandOutcome(TextReply(reply));
}

Result<CommandOutcome> Confirm(CommandContext& ctx, const std::vector<std::string>& args) {
  using Outcome = Confirmations::Outcome;
  Confirmations::Taken taken =
      ctx.confirmations.Confirm(ctx.principal, args[0], ctx.request.now_ms);
  switch (taken.outcome) {
    case Outcome::kConfirmed:
      break;
    case Outcome::kNoPending:
      return RefuseConfirm(ctx, args, "no pending command",
                           "Nothing is waiting for your confirmation. / 没有等待你确认的操作。");
    case Outcome::kWrongCode:
      return RefuseConfirm(ctx, args, "wrong code",
                           "Wrong code; nothing was changed. / 确认码不对，未做任何更改。");
    case Outcome::kOtherUsersCode:
      return RefuseConfirm(ctx, args, "the code belongs to another user's command",
                           "That code belongs to another user's command: only they can confirm "
                           "it. / 这个确认码属于其他用户的操作，只有发起人可以确认。");
    case Outcome::kTooManyAttempts:
      return Dropped(ctx, *taken.plan, kDecisionRefused, "too many wrong codes; plan dropped",
                     "Too many wrong codes: the pending command was dropped. / "
                     "确认码错误次数过多，待确认的操作已作废。");
    case Outcome::kExpired:
      return Dropped(ctx, *taken.plan, kDecisionExpired, "confirmed after the deadline",
                     "The confirmation time ran out; nothing was changed. Send the command "
                     "again. / 确认已超时，未做任何更改，请重新发送命令。");
  }
  const PendingPlan& p = *taken.plan;
  // The "confirmed" row is written before anything changes: without it, nothing runs.
  BEACON_RETURN_IF_ERROR(
      AppendAudit(ctx, p.command, p.arguments, p.plan.preview, kDecisionConfirmed, "").status());
  Result<ApplyResult> applied = p.plan.apply();
  if (!applied.ok()) {
    const std::string error = applied.status().ToString();
    Status audited =
        AppendAudit(ctx, p.command, p.arguments, p.plan.preview, kDecisionFailed, error).status();
    std::string body = std::string(ctx.Say("Failed: ", "失败：")) + error;
    if (!audited.ok()) body += "\n(audit: " + audited.ToString() + ")";
    return CommandOutcome(TextReply(std::move(body)));
  }
  Status audited = AppendAudit(ctx, p.command, p.arguments, p.plan.preview,
                               applied->failed ? kDecisionFailed : kDecisionExecuted, applied->text,
                               applied->request_ids)
                       .status();
  std::string body = applied->text;
  if (!audited.ok()) body += "\n(audit: " + audited.ToString() + ")";
  return CommandOutcome(TextReply(std::move(body)));
}

Result<CommandOutcome> Cancel(CommandContext& ctx, const std::vector<std::string>& args) {
  std::optional<PendingPlan> dropped = ctx.confirmations.Cancel(ctx.principal);
  if (!dropped) {
    BEACON_RETURN_IF_ERROR(
        AppendAudit(ctx, "cancel", args, "", kDecisionRead, "nothing pending").status());
    return CommandOutcome(TextReply("Nothing to cancel. / 没有待确认的操作。"));
  }
  BEACON_RETURN_IF_ERROR(AppendAudit(ctx, dropped->command, dropped->arguments,
                                     dropped->plan.preview, kDecisionCancelled, "cancelled")
                             .status());
  return CommandOutcome(
      TextReply(std::string(ctx.Say("Cancelled: ", "已取消：")) + dropped->command));
}

constexpr int kAuditDefaultRows = 10;
constexpr int kAuditMaxRows = 50;

Result<CommandOutcome> Audit(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!args.empty() && Lower(args[0]) == "verify") {
    BEACON_ASSIGN_OR_RETURN(AuditVerifyReport report, ctx.audit.Verify());
    if (report.ok) {
      return CommandOutcome(TextReply(std::string(ctx.Say("audit log intact: ", "审计日志完整：")) +
                                      std::to_string(report.rows) +
                                      std::string(ctx.Say(" rows", " 行"))));
    }
    return CommandOutcome(
        TextReply(std::string(ctx.Say("AUDIT LOG BROKEN: ", "审计日志被篡改：")) + report.problem));
  }
  int n = kAuditDefaultRows;
  if (!args.empty()) {
    const std::string& a = args[0];
    auto [end, ec] = std::from_chars(a.data(), a.data() + a.size(), n);
    if (ec != std::errc() || end != a.data() + a.size() || n < 1 || n > kAuditMaxRows) {
      return Status::InvalidArgument("N: expected 1.." + std::to_string(kAuditMaxRows) +
                                     " or verify, got '" + a + "'");
    }
  }
  AuditQuery q;
  q.limit = n;
  BEACON_ASSIGN_OR_RETURN(std::vector<AuditRecord> rows, ctx.audit.Query(q));
  std::vector<std::string> lines;
  for (const AuditRecord& r : rows) {
    std::string line = std::string("#") + std::to_string(r.id) + " " +
                       FormatTime(ctx, r.entry.time_ms) + " " + r.entry.user + " (" +
                       r.entry.channel + ") " + r.entry.command;
    for (const std::string& a : r.entry.arguments) line += " " + a;
    line += " → " + r.entry.decision;
    lines.push_back(std::move(line));
  }
  if (lines.empty()) lines.push_back(std::string(ctx.Say("(no audit rows)", "（无审计记录）")));
  return CommandOutcome(TextReply(JoinBounded(lines, ctx.max_reply_bytes, ctx.zh)));
}

}  // namespace

std::vector<CommandSpec> GeneralCommands() {
  std::vector<CommandSpec> c;
  c.push_back(CommandSpec("help", Role::kViewer, "[COMMAND...]", Help)
                  .Zh({"帮助"})
                  .En({"?"})
                  .Help("list the commands you may run, or explain one",
                        "列出你可以使用的命令，或说明某个命令")
                  .Example("help backup restore"));
  c.push_back(CommandSpec("whoami", Role::kViewer, "", WhoAmI)
                  .Zh({"我是谁"})
                  .Help("show your user, role and channel", "显示你的用户、角色和渠道")
                  .Example("whoami"));
  c.push_back(CommandSpec("confirm", Role::kViewer, "CODE", Confirm)
                  .Zh({"确认"})
                  .AuditsItself()
                  .Help("apply your pending command (the code its preview showed)",
                        "执行你待确认的操作（预览中给出的确认码）")
                  .Example("confirm 123456"));
  c.push_back(CommandSpec("cancel", Role::kViewer, "", Cancel)
                  .Zh({"取消"})
                  .AuditsItself()
                  .Help("drop your pending command", "放弃你待确认的操作")
                  .Example("cancel"));
  c.push_back(CommandSpec("audit", Role::kAdmin, "[N|verify]", Audit)
                  .Zh({"审计"})
                  .Help("the newest N audit rows (default 10), or check the hash chain",
                        "最近 N 条审计记录（默认 10），或校验哈希链")
                  .Example("audit 20"));
  return c;
}

}  // namespace beacon::bot
