// Registry: name and alias lookup, argument specs and the built-in table; see registry.h.
#include "bot/commands/registry.h"

#include <algorithm>
#include <cstdint>

#include "common/strings.h"

namespace beacon::bot {

Result<Arity> ParseArgSpec(std::string_view spec) {
  Arity arity;
  bool seen_optional = false;
  bool repeats = false;
  for (std::string_view word : SplitWhitespace(spec)) {
    const bool optional = word.front() == '[';
    if (optional != (word.back() == ']') || (optional && word.size() < 3)) {
      return Status::InvalidArgument("argument spec '" + std::string(spec) +
                                     "': unbalanced brackets in '" + std::string(word) + "'");
    }
    if (optional) {
      seen_optional = true;
    } else if (seen_optional) {
      return Status::InvalidArgument("argument spec '" + std::string(spec) +
                                     "': a required word after an optional one");
    } else {
      ++arity.min;
    }
    // "MATCHER... DURATION REASON...": a repeated word takes one or more, so only the minimum
    // is known; the handler splits the words.
    repeats = repeats || word.ends_with("...") || word.ends_with("...]");
    ++arity.max;
  }
  if (repeats) arity.max = SIZE_MAX;
  return arity;
}

Registry::Registry(std::vector<CommandSpec> commands) : commands_(std::move(commands)) {
  for (const CommandSpec& spec : commands_) {
    auto add = [&](const std::string& phrase, bool zh) {
      std::vector<std::string> words;
      for (std::string_view w : SplitWhitespace(phrase)) words.push_back(Lower(w));
      names_.push_back(Name{std::move(words), &spec, zh});
    };
    add(spec.name, false);
    for (const std::string& a : spec.aliases_en) add(a, false);
    for (const std::string& a : spec.aliases_zh) add(a, true);
  }
  // Longest first, so "backup list" wins over a one-word name that starts the same line.
  std::stable_sort(names_.begin(), names_.end(),
                   [](const Name& a, const Name& b) { return a.words.size() > b.words.size(); });
}

CommandMatch Registry::Find(const std::vector<std::string>& line) const {
  for (const Name& n : names_) {
    if (n.words.size() > line.size()) continue;
    bool match = true;
    for (size_t i = 0; i < n.words.size() && match; ++i) match = Lower(line[i]) == n.words[i];
    if (match) return CommandMatch{n.spec, n.words.size(), n.zh};
  }
  return {};
}

std::vector<const CommandSpec*> Registry::Group(std::string_view first) const {
  const std::string word = Lower(first);
  std::vector<const CommandSpec*> out;
  for (const Name& n : names_) {
    if (n.words.size() < 2 || n.words[0] != word) continue;
    if (std::find(out.begin(), out.end(), n.spec) == out.end()) out.push_back(n.spec);
  }
  std::sort(out.begin(), out.end(), [this](const CommandSpec* a, const CommandSpec* b) {
    return a - commands_.data() < b - commands_.data();
  });
  return out;
}

Result<int64_t> AppendAudit(CommandContext& ctx, const std::string& command,
                            const std::vector<std::string>& args, const std::string& preview,
                            const std::string& decision, const std::string& result,
                            const std::vector<std::string>& request_ids) {
  AuditEntry e;
  e.time_ms = ctx.request.now_ms;
  e.user = ctx.principal;
  e.channel = ctx.request.sender.channel;
  e.command = command;
  e.arguments = args;
  e.preview = preview;
  e.decision = decision;
  e.result = std::string(TruncateUtf8(result, kAuditResultMaxBytes));
  e.request_ids = request_ids;
  return ctx.audit.Append(e);
}

std::string CommandSynopsis(const CommandSpec& spec) {
  std::string out = spec.name;
  if (!spec.args.empty()) out.append(" ").append(spec.args);
  return out;
}

std::string CommandUsage(const CommandSpec& spec, bool zh) {
  std::string out = CommandSynopsis(spec) + "\n";
  out += (zh ? spec.help_zh : spec.help_en) + "\n";
  const auto& aliases = zh ? spec.aliases_zh : spec.aliases_en;
  if (!aliases.empty()) {
    out += zh ? "别名：" : "aliases: ";
    for (size_t i = 0; i < aliases.size(); ++i) out.append(i ? ", " : "").append(aliases[i]);
    out += "\n";
  }
  out += zh ? "最低角色：" : "role: ";
  out += zh ? RoleNameZh(spec.min_role) : RoleName(spec.min_role);
  if (spec.mutating) out += zh ? "（需要确认）" : " (needs confirm CODE)";
  out += "\n";
  out += (zh ? "示例：" : "example: ") + spec.example;
  return out;
}

std::vector<CommandSpec> BuiltinCommands() {
  std::vector<CommandSpec> all;
  for (auto group : {GeneralCommands, StatusCommands, AlertCommands, BackupCommands, FimCommands,
                     ReportCommands, SlbCommands, ReleaseCommands, DnsCommands}) {
    for (CommandSpec& spec : group()) all.push_back(std::move(spec));
  }
  return all;
}

}  // namespace beacon::bot
