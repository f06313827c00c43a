// The bot's follow-ups on the agent commands it queued; see command_followups.h.
#include "collector/bot/command_followups.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "bot/chat.h"
#include "bot/commands/format.h"
#include "common/wire/agent_commands.h"
#include "notifier/render/render.h"

namespace beacon::collector::bot_host {
namespace {

// Follow-ups are short; a backup run's list of versions is cut to this.
constexpr size_t kFollowUpMaxBytes = 2048;
constexpr size_t kShownShaChars = 12;

std::string ArgText(const nlohmann::json& json, const char* key) {
  if (!json.is_object()) return "";
  auto it = json.find(key);
  return it != json.end() && it->is_string() ? it->get<std::string>() : "";
}

uint64_t ResultCount(const nlohmann::json& result, const char* key) {
  if (!result.is_object()) return 0;
  auto it = result.find(key);
  if (it == result.end()) return 0;
  if (it->is_number_unsigned()) return it->get<uint64_t>();
  return it->is_number_integer() && it->get<int64_t>() > 0 ? it->get<uint64_t>() : 0;
}

std::string Say(bool zh, const std::string& en, const std::string& zh_text) {
  return zh ? zh_text : en;
}

// "#12 restore of web-01:/etc/hosts" and the like, naming what the requester asked for.
std::string Title(const commands::StoredCommand& c, bool zh) {
  const std::string id = "#" + std::to_string(c.id) + " ";
  if (c.kind == "restore") {
    const std::string where = c.agent + ":" + ArgText(c.args, "target");
    return id + Say(zh, "restore of " + where, "恢复 " + where);
  }
  if (c.kind == wire::kBackupRunCommandKind) {
    const std::string set = ArgText(c.args, "set");
    return id + Say(zh, "backup run of set '" + set + "' on " + c.agent,
                    "在 " + c.agent + " 上立即备份备份集 '" + set + "'");
  }
  if (c.kind == wire::kFimAcceptCommandKind) {
    const std::string where = c.agent + ":" + ArgText(c.args, "path");
    return id + Say(zh, "fim accept of " + where, "接受 " + where + " 的变更");
  }
  return id + c.kind + " " + c.agent;
}

std::string ShortSha(const std::string& sha256) { return sha256.substr(0, kShownShaChars); }

std::string RestoreDone(const commands::StoredCommand& c, bool zh) {
  const std::string target = ArgText(c.result, "target");
  const std::string size = bot::FormatSize(ResultCount(c.result, "size"));
  const std::string sha = ShortSha(ArgText(c.result, "sha256"));
  return Title(c, zh) +
         Say(zh, " done: " + target + " written (" + size + "), sha256 " + sha + " verified",
             " 已完成：已写入 " + target + "（" + size + "），sha256 " + sha + " 校验一致");
}

std::string BackupRunDone(const commands::StoredCommand& c, const VersionIds& ids, bool zh) {
  const uint64_t stored = ResultCount(c.result, "stored");
  const uint64_t unchanged = ResultCount(c.result, "unchanged");
  std::vector<std::string> lines;
  lines.push_back(Title(c, zh) + Say(zh,
                                     " done: " + std::to_string(stored) +
                                         (stored == 1 ? " version" : " versions") + " stored, " +
                                         std::to_string(unchanged) + " unchanged",
                                     " 已完成：保存新版本 " + std::to_string(stored) +
                                         " 个，未变化 " + std::to_string(unchanged) + " 个"));
  const auto versions = c.result.is_object() ? c.result.find("versions") : c.result.end();
  if (versions != c.result.end() && versions->is_array()) {
    for (const nlohmann::json& v : *versions) {
      const std::string path = ArgText(v, "path"), sha = ArgText(v, "sha256");
      auto id = ids.find(VersionKey(path, sha));
      // "version #812 …" (what `backup restore HOST PATH VERSION` takes) once catalogued.
      lines.push_back(
          (id == ids.end() ? std::string()
                           : Say(zh, "version #", "版本 #") + std::to_string(id->second) + " ") +
          path + " " + bot::FormatSize(ResultCount(v, "size")) + " sha256 " + ShortSha(sha));
    }
  }
  if (const uint64_t omitted = ResultCount(c.result, "versions_omitted"); omitted > 0) {
    lines.push_back(Say(zh, "… and " + std::to_string(omitted) + " more versions",
                        "……另有 " + std::to_string(omitted) + " 个版本"));
  }
  if (stored > 0) {
    lines.push_back(Say(zh, "(`backup list HOST PATH` shows every version's #id)",
                        "（“备份列表 主机 路径”可查看每个版本的 #编号）"));
  }
  return bot::JoinBounded(lines, kFollowUpMaxBytes, zh);
}

std::string FimAcceptDone(const commands::StoredCommand& c, bool zh) {
  const std::string path = ArgText(c.result, "path");
  const uint64_t updated = ResultCount(c.result, "updated");
  const uint64_t added = ResultCount(c.result, "added");
  const uint64_t removed = ResultCount(c.result, "removed");
  if (updated + added + removed == 0) {
    return Title(c, zh) + Say(zh, " done: " + path + " already matched the baseline",
                              " 已完成：" + path + " 与基线一致，无需接受");
  }
  const std::string counts = Say(zh,
                                 std::to_string(updated) + " updated, " + std::to_string(added) +
                                     " added, " + std::to_string(removed) + " removed",
                                 "更新 " + std::to_string(updated) + "，新增 " +
                                     std::to_string(added) + "，删除 " + std::to_string(removed));
  return Title(c, zh) +
         Say(zh,
             " done: " + path + " re-baselined (" + counts +
                 "); the next check reports no change there",
             " 已完成：" + path + " 已重新建立基线（" + counts + "），之后的检查不再报告这些变更");
}

std::string Succeeded(const commands::StoredCommand& c, const VersionIds& ids, bool zh) {
  if (c.kind == "restore") return RestoreDone(c, zh);
  if (c.kind == wire::kBackupRunCommandKind) return BackupRunDone(c, ids, zh);
  if (c.kind == wire::kFimAcceptCommandKind) return FimAcceptDone(c, zh);
  return Title(c, zh) + Say(zh, " done", " 已完成") + (c.message.empty() ? "" : ": " + c.message);
}

// Every version a backup run reported has its catalog id in `ids`.
bool AllCatalogued(const commands::StoredCommand& c, const VersionIds& ids) {
  const auto versions = c.result.is_object() ? c.result.find("versions") : c.result.end();
  if (versions == c.result.end() || !versions->is_array()) return true;
  return std::all_of(versions->begin(), versions->end(), [&](const nlohmann::json& v) {
    return ids.count(VersionKey(ArgText(v, "path"), ArgText(v, "sha256"))) != 0;
  });
}

int Quarter(const commands::StoredCommand& c) {
  if (c.total_bytes == 0) return 0;
  const double done = static_cast<double>(std::min(c.done_bytes, c.total_bytes));
  return static_cast<int>(done / static_cast<double>(c.total_bytes) * 4);
}

bot::Reply Text(std::string body) { return bot::Reply{bot::Reply::Format::kText, std::move(body)}; }

}  // namespace

std::string VersionKey(const std::string& path, const std::string& sha256) {
  return path + '\n' + sha256;
}

FollowUpStep NextFollowUp(const CommandWatch& watch, const commands::StoredCommand& command,
                          const VersionIds& versions, int64_t now_ms,
                          const FollowUpOptions& options) {
  FollowUpStep step;
  step.watch = watch;
  const bool zh = watch.zh;
  if (command.state == commands::kCommandSucceeded) {
    if (command.kind == wire::kBackupRunCommandKind &&
        now_ms - command.updated_ms < options.catalog_wait_ms &&
        !AllCatalogued(command, versions)) {
      step.recheck_after_ms = options.recheck_ms;
      return step;
    }
    step.reply = Text(Succeeded(command, versions, zh));
    step.finished = true;
    return step;
  }
  if (command.state == commands::kCommandFailed) {
    step.reply = Text(Title(command, zh) + Say(zh, " failed: ", " 失败：") + command.message);
    step.finished = true;
    return step;
  }
  if (now_ms >= watch.expires_ms) {
    const std::string id = std::to_string(command.id);
    const std::string span =
        notifier::render::FormatDuration(watch.expires_ms - watch.created_ms, zh ? "zh" : "en");
    step.reply =
        Text(Title(command, zh) +
             Say(zh, ": no result after " + span + "; `progress " + id + "` shows where it stands",
                 "：" + span + "内没有结果；发送“进度 " + id + "”查看状态"));
    step.finished = true;
    return step;
  }
  if (command.state != commands::kCommandRunning) return step;  // not started yet
  if (!watch.told_started) {
    step.watch.told_started = true;
    step.watch.told_quarter = std::min(Quarter(command), 3);
    step.watch.told_ms = now_ms;
    step.reply = Text(Title(command, zh) + Say(zh, ": the agent started it", "：agent 已开始执行"));
    return step;
  }
  const int quarter = std::min(Quarter(command), 3);
  if (quarter > watch.told_quarter && now_ms - watch.told_ms >= options.progress_every_ms) {
    step.watch.told_quarter = quarter;
    step.watch.told_ms = now_ms;
    const std::string done =
        bot::FormatSize(command.done_bytes) + " / " + bot::FormatSize(command.total_bytes);
    const std::string pct = std::to_string(quarter * 25) + "%";
    step.reply = Text(Title(command, zh) + Say(zh, ": " + pct + " done (" + done + ")",
                                               "：已完成 " + pct + "（" + done + "）"));
  }
  return step;
}

bot::Reply CommandGoneFollowUp(const CommandWatch& watch) {
  const std::string id = std::to_string(watch.command_id);
  return Text(Say(watch.zh, "#" + id + ": the collector no longer has this command",
                  "#" + id + "：collector 中已没有这个命令"));
}

// ---- CommandFollowUps ----

CommandFollowUps::CommandFollowUps(ReplyQueue* replies, backups::Catalog* catalog,
                                   const Clock* clock, std::function<void()> on_reply_queued,
                                   FollowUpOptions options)
    : replies_(replies),
      catalog_(catalog),
      clock_(clock),
      on_reply_queued_(std::move(on_reply_queued)),
      options_(options) {}

CommandFollowUps::~CommandFollowUps() { Stop(); }

void CommandFollowUps::Start() {
  loop_.StartPaced([this] { return RunOnce(clock_->NowMs()); });
}

void CommandFollowUps::Stop() { loop_.Stop(); }

Result<bool> CommandFollowUps::Follow(int64_t command_id, const bot::Sender& requester, bool zh) {
  if (requester.channel != bot::kChannelWecomApp) return false;
  const int64_t now_ms = clock_->NowMs();
  CommandWatch watch;
  watch.command_id = command_id;
  watch.target_kind = kTargetAppUser;
  watch.target = requester.user_id;
  watch.zh = zh;
  watch.created_ms = now_ms;
  watch.expires_ms = now_ms + options_.watch_for_ms;
  const std::string key = watch.target_kind + ":" + watch.target;
  {
    // Unarmed before it is stored, so a pass in between leaves it alone.
    MutexLock lock(mu_);
    unarmed_[key].insert(command_id);
  }
  Status stored = replies_->AddWatch(watch);
  if (!stored.ok()) {
    MutexLock lock(mu_);
    unarmed_[key].erase(command_id);
    return stored;
  }
  return true;
}

void CommandFollowUps::Arm(const std::string& target_kind, const std::string& target) {
  {
    MutexLock lock(mu_);
    auto it = unarmed_.find(target_kind + ":" + target);
    if (it == unarmed_.end()) return;
    changed_.insert(it->second.begin(), it->second.end());
    unarmed_.erase(it);
  }
  loop_.Wake();
}

void CommandFollowUps::CommandChanged(int64_t command_id) {
  {
    MutexLock lock(mu_);
    changed_.insert(command_id);
  }
  loop_.Wake();
}

VersionIds CommandFollowUps::CatalogVersionIds(const commands::StoredCommand& command) {
  VersionIds ids;
  if (command.kind != wire::kBackupRunCommandKind || !command.result.is_object()) return ids;
  auto versions = command.result.find("versions");
  if (versions == command.result.end() || !versions->is_array()) return ids;
  for (const nlohmann::json& v : *versions) {
    const std::string path = ArgText(v, "path"), sha = ArgText(v, "sha256");
    Result<backups::CatalogVersion> found = catalog_->FindVersion(command.agent, path, {});
    if (found.ok() && found->version.sha256 == sha) ids[VersionKey(path, sha)] = found->id;
  }
  return ids;
}

int64_t CommandFollowUps::RunOnce(int64_t now_ms) {
  // Nothing is due before the next expiry unless the hook wakes the thread.
  constexpr int64_t kIdleWaitMs = 24 * 3600'000;
  constexpr int64_t kRetryMs = 5'000;
  bool all = false;
  std::set<int64_t> changed, unarmed;
  {
    MutexLock lock(mu_);
    all = check_all_;
    check_all_ = false;
    changed.swap(changed_);
    for (const auto& [target, ids] : unarmed_) unarmed.insert(ids.begin(), ids.end());
  }
  Result<std::vector<CommandWatch>> watches = replies_->Watches();
  if (!watches.ok()) {
    spdlog::warn("bot follow-ups: reading the watches failed: {}", watches.status().ToString());
    MutexLock lock(mu_);
    check_all_ = true;
    return kRetryMs;
  }
  int64_t wait_ms = kIdleWaitMs;
  bool queued = false;
  std::vector<int64_t> again;  // to look at again soon (a store error, a held result)
  for (const CommandWatch& watch : *watches) {
    const int64_t id = watch.command_id;
    if (unarmed.count(id) != 0) continue;  // Arm marks it changed
    if (!all && changed.count(id) == 0 && now_ms < watch.expires_ms) {
      wait_ms = std::min(wait_ms, watch.expires_ms - now_ms);
      continue;
    }
    FollowUpStep step;
    Result<commands::StoredCommand> command = catalog_->commands().GetCommand(id);
    if (command.ok()) {
      step = NextFollowUp(watch, *command, CatalogVersionIds(*command), now_ms, options_);
      if (step.recheck_after_ms > 0) {
        again.push_back(id);
        wait_ms = std::min(wait_ms, step.recheck_after_ms);
        continue;
      }
    } else if (command.status().code() == StatusCode::kNotFound) {
      step.watch = watch;
      step.reply = CommandGoneFollowUp(watch);
      step.finished = true;
    } else {
      spdlog::warn("bot follow-ups: reading command {} failed: {}", id,
                   command.status().ToString());
      again.push_back(id);
      continue;
    }
    if (step.reply || step.finished) {
      Result<int64_t> advanced =
          replies_->AdvanceWatch(step.watch, step.reply, step.finished, now_ms);
      if (!advanced.ok()) {
        spdlog::warn("bot follow-ups: recording the follow-up of command {} failed: {}", id,
                     advanced.status().ToString());
        again.push_back(id);
        continue;
      }
      queued = queued || *advanced > 0;
      if (step.finished) {
        spdlog::info("bot follow-ups: command {} ({}) told to {}", id,
                     command.ok() ? command->state : "gone", watch.target);
        continue;
      }
    }
    wait_ms = std::min(wait_ms, watch.expires_ms - now_ms);
  }
  if (!again.empty()) {
    MutexLock lock(mu_);
    changed_.insert(again.begin(), again.end());
    wait_ms = std::min(wait_ms, kRetryMs);
  }
  if (queued && on_reply_queued_) on_reply_queued_();
  return std::max<int64_t>(wait_ms, 0);
}

}  // namespace beacon::collector::bot_host
