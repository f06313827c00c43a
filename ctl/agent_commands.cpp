// beaconctl backup run / fim accept: queue, follow, show the result.
#include "ctl/agent_commands.h"

#include <algorithm>

#include "common/url.h"
#include "ctl/call.h"
#include "ctl/format.h"

namespace beacon::ctl {
namespace {

using nlohmann::json;

constexpr int64_t kDefaultCommandWaitMs = 30 * 60 * 1000;

const json* ResultField(const json& command, const char* key) {
  auto result = command.find("result");
  if (result == command.end() || !result->is_object()) return nullptr;
  auto it = result->find(key);
  return it == result->end() ? nullptr : &*it;
}

uint64_t ResultCount(const json& command, const char* key) {
  const json* value = ResultField(command, key);
  return value != nullptr && value->is_number_unsigned() ? value->get<uint64_t>() : 0;
}

// Queues `kind` with `args` for `host`, then prints or follows it; `render` shows the result of
// a succeeded command (not with --json).
int QueueAndFollow(CommandContext& ctx, const std::string& host, const std::string& kind,
                   const json& args, const std::string& what_suffix,
                   const std::map<std::string, std::string>& options,
                   Result<std::string> (*render)(const json&)) {
  const int64_t wait_ms = TimeoutWaitMs(options, kDefaultCommandWaitMs);
  const json request = {{"kind", kind}, {"args", args}};
  CallResult call =
      Call(ctx, "POST", "/api/v1/agents/" + PercentEncode(host) + "/commands", {}, request.dump(),
           "this collector cannot queue " + kind + " commands; is it older than beaconctl?");
  if (!call.ok()) return call.exit_code;
  json command = CommandOf(call.body);
  const std::optional<int64_t> id = CommandIdOf(ctx, command, "the reply");
  if (!id) return kExitCollectorError;
  const std::string what =
      kind + " #" + std::to_string(*id) + " " + SanitizeCell(host) + what_suffix;
  if (options.count("wait") == 0) {
    if (ctx.json) return PrintJson(ctx, call);
    ctx.out << what << ": " << AgentCommandProgressText(command) << "\n";
    return kExitOk;
  }
  json final;
  const int code =
      WaitForCommand(ctx, std::move(command), what, wait_ms, AgentCommandProgressText, &final);
  if (code != kExitOk || ctx.json) return code;
  auto rendered = render(final);
  if (!rendered.ok()) return PrintRendered(ctx, rendered);
  ctx.out << *rendered;
  return kExitOk;
}

}  // namespace

std::string AgentCommandProgressText(const json& command) {
  const std::string message = Text(command, "message");
  if (Text(command, "state") != "running" || message == "-" || message.empty() ||
      message == "started") {
    return RestoreProgressText(command);
  }
  std::string text = "running: " + SanitizeCell(message);
  auto total = command.find("total_bytes");
  auto done = command.find("done_bytes");
  if (total != command.end() && total->is_number_unsigned() && total->get<uint64_t>() > 0) {
    const uint64_t all = total->get<uint64_t>();
    const uint64_t part = done != command.end() && done->is_number_unsigned()
                              ? std::min(done->get<uint64_t>(), all)
                              : 0;
    text += " (" + HumanBytes(static_cast<double>(part)) + " / " +
            HumanBytes(static_cast<double>(all)) + ", " + std::to_string(part * 100 / all) + "%)";
  }
  return text;
}

Result<std::string> RenderBackupRunResult(const json& command) {
  const json* versions = ResultField(command, "versions");
  if (versions == nullptr || !versions->is_array()) {
    return Status::InvalidArgument("no result.versions in the backup.run command");
  }
  if (versions->empty()) return std::string();
  Table table({"PATH", "SIZE", "STORED", "SHA256", "KEY"});
  table.SetMaxWidth(0, kPathWidth);
  for (const json& v : *versions) {
    std::string sha = Text(v, "sha256");
    if (sha.size() > kShaPrefix) sha.resize(kShaPrefix);
    auto size = v.find("size");
    auto stored = v.find("stored_size");
    table.AddRow(
        {Text(v, "path"),
         size != v.end() && size->is_number() ? HumanBytes(size->get<double>()) : "-",
         stored != v.end() && stored->is_number() ? HumanBytes(stored->get<double>()) : "-", sha,
         Text(v, "key")});
  }
  std::string out = table.Render();
  if (uint64_t omitted = ResultCount(command, "versions_omitted"); omitted > 0) {
    out += "... and " + std::to_string(omitted) +
           " more (beaconctl backups list --host HOST --set SET shows them all)\n";
  }
  return out;
}

Result<std::string> RenderFimAcceptResult(const json& command) {
  const json* changes = ResultField(command, "changes");
  if (changes == nullptr || !changes->is_array()) {
    return Status::InvalidArgument("no result.changes in the fim.accept command");
  }
  std::string out;
  if (!changes->empty()) {
    Table table({"BASELINE", "PATH"});
    for (const json& change : *changes) table.AddRow({Text(change, "kind"), Text(change, "path")});
    out = table.Render();
  }
  if (uint64_t omitted = ResultCount(command, "changes_omitted"); omitted > 0) {
    out += "... and " + std::to_string(omitted) + " more\n";
  }
  if (const json* errors = ResultField(command, "errors");
      errors != nullptr && errors->is_array()) {
    for (const json& error : *errors) {
      out += "not readable: " + SanitizeCell(Text(error, "path")) + ": " +
             SanitizeCell(Text(error, "message")) + "\n";
    }
  }
  return out;
}

int RunBackupRun(CommandContext& ctx, const std::string& host, const std::string& set,
                 const std::map<std::string, std::string>& options) {
  return QueueAndFollow(ctx, host, "backup.run", {{"set", set}}, " set " + SanitizeCell(set),
                        options, RenderBackupRunResult);
}

int RunFimAccept(CommandContext& ctx, const std::string& host, const std::string& path,
                 const std::map<std::string, std::string>& options) {
  // Appended rather than `":" + ...`: GCC 12 at -O3 reports a false stringop-overflow there.
  std::string what = ":";
  what += SanitizeCell(path);
  return QueueAndFollow(ctx, host, "fim.accept", {{"path", path}}, what, options,
                        RenderFimAcceptResult);
}

}  // namespace beacon::ctl
