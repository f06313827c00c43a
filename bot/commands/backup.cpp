// Backup commands: `backup list HOST PATH` (the catalog), and the mutating `backup run HOST SET`
// and `backup restore HOST PATH [VERSION]`, which queue agent commands after `confirm CODE`;
// `progress ID` reads any agent command's progress back.
#include "bot/commands/format.h"
#include "bot/commands/registry.h"

namespace beacon::bot {
namespace {

constexpr int kVersionsShown = 20;
// How far back `backup restore` looks for the named version (and the newest one).
constexpr int kVersionsSearched = 200;

Status BackupsUnavailable(const CommandContext& ctx) {
  return Status::FailedPrecondition(
      std::string(ctx.Say("backups are not available here", "此处无法使用备份功能")));
}

std::string VersionLine(const CommandContext& ctx, const BackupVersionItem& v) {
  return std::string("#") + std::to_string(v.id) + " " + FormatTime(ctx, v.created_ms) + " " +
         FormatSize(v.size) + " sha256 " + v.sha256.substr(0, 12) + " (" + v.set +
         (v.storage_class.empty() || v.storage_class == "standard" ? std::string()
                                                                   : ", " + v.storage_class) +
         ")";
}

Result<CommandOutcome> List(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.backups) return BackupsUnavailable(ctx);
  BEACON_ASSIGN_OR_RETURN(std::vector<BackupVersionItem> versions,
                          ctx.ports.backups->ListVersions(args[0], args[1], kVersionsShown));
  std::vector<std::string> lines;
  lines.push_back(args[0] + ":" + args[1] +
                  (ctx.zh ? " 的备份版本 " + std::to_string(versions.size()) + " 个"
                          : ", " + std::to_string(versions.size()) + " versions"));
  for (const BackupVersionItem& v : versions) lines.push_back(VersionLine(ctx, v));
  return CommandOutcome(
      Reply{Reply::Format::kText, JoinBounded(lines, ctx.max_reply_bytes, ctx.zh)});
}

Result<CommandOutcome> Run(CommandContext& ctx, const std::vector<std::string>& args) {
  BackupsPort* backups = ctx.ports.backups;
  if (!backups) return BackupsUnavailable(ctx);
  Plan plan;
  const std::string host = args[0], set = args[1], by = ctx.principal;
  plan.preview = ctx.zh
                     ? "在主机 " + host + " 上立即备份备份集 '" + set +
                           "'：agent 读取该集合的每个文件并保存新版本（不删除、不覆盖任何文件）。"
                     : "Back up set '" + set + "' on host " + host +
                           " now: the agent reads every file of the set and stores new "
                           "versions (nothing is deleted or overwritten).";
  plan.apply = [backups, host, set, by, follow = FollowUpOf(ctx)]() -> Result<ApplyResult> {
    BEACON_ASSIGN_OR_RETURN(int64_t id, backups->RequestBackupRun(host, set, by));
    return QueuedCommand(follow, "backup", "备份", id);
  };
  return CommandOutcome(std::move(plan));
}

Result<CommandOutcome> Restore(CommandContext& ctx, const std::vector<std::string>& args) {
  BackupsPort* backups = ctx.ports.backups;
  if (!backups) return BackupsUnavailable(ctx);
  const std::string host = args[0], path = args[1], by = ctx.principal;
  std::optional<int64_t> wanted;
  if (args.size() == 3) {
    BEACON_ASSIGN_OR_RETURN(wanted, ParseId("VERSION", args[2]));
  }
  BEACON_ASSIGN_OR_RETURN(std::vector<BackupVersionItem> versions,
                          backups->ListVersions(host, path, kVersionsSearched));
  const BackupVersionItem* version = nullptr;
  for (const BackupVersionItem& v : versions) {
    if (!wanted || v.id == *wanted) {
      version = &v;
      break;
    }
  }
  if (!version) {
    return Status::NotFound(wanted
                                ? "no version #" + std::to_string(*wanted) + " of " + host + ":" +
                                      path + " (`backup list " + host + " " + path + "` shows them)"
                                : "no backup of " + host + ":" + path);
  }
  Plan plan;
  plan.preview = ctx.zh ? "恢复 " + host + ":" + path + " 到版本 " + VersionLine(ctx, *version) +
                              "：agent 用该版本的内容覆盖主机 " + host + " 上的 " + path + "。"
                        : "Restore " + host + ":" + path + " to version " +
                              VersionLine(ctx, *version) + ": the agent overwrites " + path +
                              " on " + host + " with that version's content.";
  const int64_t version_id = version->id;
  plan.apply = [backups, host, path, version_id, by,
                follow = FollowUpOf(ctx)]() -> Result<ApplyResult> {
    BEACON_ASSIGN_OR_RETURN(int64_t id, backups->RequestRestore(host, path, version_id, by));
    return QueuedCommand(follow, "restore", "恢复", id);
  };
  return CommandOutcome(std::move(plan));
}

Result<CommandOutcome> Progress(CommandContext& ctx, const std::vector<std::string>& args) {
  if (!ctx.ports.backups) return BackupsUnavailable(ctx);
  BEACON_ASSIGN_OR_RETURN(int64_t id, ParseId("ID", args[0]));
  BEACON_ASSIGN_OR_RETURN(AgentCommandProgress p, ctx.ports.backups->GetCommand(id));
  std::string body =
      std::string("#") + std::to_string(p.id) + " " + p.kind + " " + p.host + ": " + p.state;
  if (p.total_bytes > 0) {
    body += std::string(" ") + FormatSize(p.done_bytes) + " / " + FormatSize(p.total_bytes) + " (" +
            std::to_string(p.done_bytes * 100 / p.total_bytes) + "%)";
  }
  if (!p.message.empty()) body += "\n" + p.message;
  if (p.updated_ms) {
    body += std::string(ctx.Say("\nupdated ", "\n更新于 ")) + FormatAgo(ctx, p.updated_ms);
  }
  return CommandOutcome(Reply{Reply::Format::kText, std::move(body)});
}

}  // namespace

std::vector<CommandSpec> BackupCommands() {
  std::vector<CommandSpec> c;
  c.push_back(
      CommandSpec("backup list", Role::kViewer, "HOST PATH", List)
          .Zh({"备份 列表", "备份列表"})
          .Help("stored versions of one file, newest first", "某个文件的备份版本，最新的在前")
          .Example("backup list web-01 /etc/nginx/nginx.conf"));
  c.push_back(CommandSpec("backup run", Role::kOperator, "HOST SET", Run)
                  .Zh({"备份 执行", "立即备份"})
                  .Mutating()
                  .Help("back up a backup set on a host now", "立即在主机上备份一个备份集")
                  .Example("backup run web-01 nginx"));
  c.push_back(CommandSpec("backup restore", Role::kOperator, "HOST PATH [VERSION]", Restore)
                  .Zh({"备份 恢复", "恢复备份"})
                  .Mutating()
                  .Help("overwrite a file with a stored version (default: the newest)",
                        "用某个备份版本覆盖文件（默认最新版本）")
                  .Example("backup restore web-01 /etc/nginx/nginx.conf 812"));
  c.push_back(CommandSpec("progress", Role::kViewer, "ID", Progress)
                  .Zh({"进度"})
                  .Help("progress of an agent command (backup run, restore, fim accept)",
                        "agent 命令（立即备份、恢复、接受变更）的进度")
                  .Example("progress 42"));
  return c;
}

}  // namespace beacon::bot
