// The command table: one row per chat command (name, Chinese and English aliases, minimum role,
// argument spec, whether it needs a confirmation, help text in both languages, an example, the
// handler). `help` is generated from it and tests/unit/bot/commands_convention_test.cpp checks
// every row against docs/bot.md. Adding a command is one row in its group's file plus its
// handler; a new group file adds one line to BuiltinCommands() (registry.cpp). The table is
// immutable after construction; handlers run concurrently for different requests.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "bot/audit.h"
#include "bot/chat.h"
#include "bot/confirm.h"
#include "bot/ports.h"
#include "bot/rbac.h"
#include "common/status.h"
#include "common/timezone.h"

namespace beacon::bot {

class Registry;

// What a handler sees: who asks, with which role, in which language, and the services.
struct CommandContext {
  const ChatRequest& request;
  Role role;
  std::string principal;  // request.sender.Principal()
  bool zh = false;        // the command was typed in Chinese: answer in Chinese
  const Ports& ports;
  const TimeZone& tz;
  size_t max_reply_bytes;  // a reply's body should stay below this (lists are cut to fit)
  const Registry& registry;
  Confirmations& confirmations;
  AuditLog& audit;

  // "zh" or "en" text by the request's language.
  std::string Say(std::string_view en, std::string_view zh_text) const {
    return std::string(zh ? zh_text : en);
  }
};

// A read command's answer, or a mutating command's plan (applied after `confirm CODE`).
using CommandOutcome = std::variant<Reply, Plan>;
using CommandHandler = Result<CommandOutcome> (*)(CommandContext& ctx,
                                                  const std::vector<std::string>& args);

// One row of the table, written as
//   CommandSpec("backup restore", Role::kOperator, "HOST PATH [VERSION]", Restore)
//       .Zh({"备份 恢复"}).Mutating().Help("…", "…").Example("backup restore web-01 /etc/x 812")
struct CommandSpec {
  CommandSpec(std::string name_in, Role role, std::string args_in, CommandHandler handler_in)
      : name(std::move(name_in)), min_role(role), args(std::move(args_in)), handler(handler_in) {}
  CommandSpec& Zh(std::vector<std::string> aliases) {
    aliases_zh = std::move(aliases);
    return *this;
  }
  CommandSpec& En(std::vector<std::string> aliases) {
    aliases_en = std::move(aliases);
    return *this;
  }
  CommandSpec& Mutating() {
    mutating = true;
    return *this;
  }
  CommandSpec& Writes() {
    writes = true;
    return *this;
  }
  CommandSpec& AuditsItself() {
    audits_itself = true;
    return *this;
  }
  CommandSpec& Help(std::string en, std::string zh) {
    help_en = std::move(en);
    help_zh = std::move(zh);
    return *this;
  }
  CommandSpec& Example(std::string line) {
    example = std::move(line);
    return *this;
  }

  std::string name;  // one or two words: "status", "backup restore"
  Role min_role = Role::kViewer;
  // Words after the name: NAME required, [NAME] optional, NAME... one or more, [NAME...] any;
  // A|B alternatives inside one word. "" for none.
  std::string args;
  CommandHandler handler = nullptr;
  std::vector<std::string> aliases_zh;  // "状态", "备份 恢复" (words separated by one space)
  std::vector<std::string> aliases_en;  // "st"
  // True: the handler returns a Plan, applied only after `confirm CODE` (engine.cpp).
  bool mutating = false;
  // True: changes state without a confirmation (ack, silence): audited as "executed", not "read".
  bool writes = false;
  // True: the handler writes its own audit rows (confirm, cancel), the engine writes none.
  bool audits_itself = false;
  std::string help_en;
  std::string help_zh;
  std::string example;  // a full line, e.g. "backup list web-01 /etc/nginx/nginx.conf"
};

// How many words an argument spec accepts.
struct Arity {
  size_t min = 0;
  size_t max = 0;  // SIZE_MAX when the last word repeats
};
// Any repeated word makes max unbounded. InvalidArgument for a malformed spec (unbalanced
// brackets, a required word after an optional one).
Result<Arity> ParseArgSpec(std::string_view spec);

// A command found at the start of a line.
struct CommandMatch {
  const CommandSpec* spec = nullptr;
  size_t words = 0;  // how many words of the line named it
  bool zh = false;   // named by a Chinese alias
};

class Registry {
 public:
  explicit Registry(std::vector<CommandSpec> commands);

  // The command named by the first words of `line` (longest name or alias wins; English names
  // case-insensitive); spec null when none.
  CommandMatch Find(const std::vector<std::string>& line) const;
  // Commands whose name or alias starts with the word `first` ("backup" -> backup list, run,
  // restore), for answering a bare group word with its commands.
  std::vector<const CommandSpec*> Group(std::string_view first) const;
  const std::vector<CommandSpec>& commands() const { return commands_; }

 private:
  struct Name {
    std::vector<std::string> words;
    const CommandSpec* spec;
    bool zh;
  };
  std::vector<CommandSpec> commands_;
  std::vector<Name> names_;
};

// The groups' rows, one function per file in bot/commands/.
std::vector<CommandSpec> GeneralCommands();  // help, whoami, confirm, cancel, audit
std::vector<CommandSpec> StatusCommands();   // status
std::vector<CommandSpec> AlertCommands();    // alerts, ack, silence, unsilence
std::vector<CommandSpec> BackupCommands();   // backup list, run, restore, progress
std::vector<CommandSpec> FimCommands();      // fim accept
std::vector<CommandSpec> ReportCommands();   // report
std::vector<CommandSpec> SlbCommands();      // slb show, weight, drain, undrain
std::vector<CommandSpec> ReleaseCommands();  // release gray, promote, abort
std::vector<CommandSpec> DnsCommands();      // dns show, dns set

// Every built-in command, in the order `help` lists them.
std::vector<CommandSpec> BuiltinCommands();

// Appends an audit row about this request (user, channel and time from ctx.request); the result
// is cut to kAuditResultMaxBytes. Returns the row id.
inline constexpr size_t kAuditResultMaxBytes = 4096;
Result<int64_t> AppendAudit(CommandContext& ctx, const std::string& command,
                            const std::vector<std::string>& args, const std::string& preview,
                            const std::string& decision, const std::string& result,
                            const std::vector<std::string>& request_ids = {});

// "backup restore HOST PATH [VERSION]": the name and the argument spec.
std::string CommandSynopsis(const CommandSpec& spec);
// "help COMMAND"'s text for one row (usage, aliases, role, help, example) in one language.
std::string CommandUsage(const CommandSpec& spec, bool zh);

}  // namespace beacon::bot
