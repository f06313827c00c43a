// UserParameters like zabbix_agentd 6.0's UserParameter=key,command: a key name, or name[*]
// whose parameters replace $1..$9 in the command ($0: the command itself, $$: a literal $),
// each parameter refused when it holds one of \ ' " ` * ? [ ] { } ~ $ ! & ; ( ) < > | # @ or a
// newline unless unsafe_user_parameters is on. Unlike zabbix_agentd the command runs without a
// shell unless the entry says shell: the configured command is split into words once ('...'
// and "..." quoting, no expansions, no operators) and the parameters are substituted inside
// the words, so a parameter is always exactly one argument. Either way it runs in a process
// group of its own, killed as a whole at the timeout; its stdout and stderr together, trailing
// whitespace trimmed, are the value whatever its exit code. Parsing is pure; running blocks
// the calling worker. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "agent/zabbix/items.h"
#include "common/status.h"

namespace beacon::agent::zabbix {

// zabbix_agentd's output limit; more is not supported.
inline constexpr size_t kMaxUserCommandOutput = 512 * 1024;

struct UserParameter {
  std::string name;       // "mysql.status" of "mysql.status[*]"
  bool flexible = false;  // the key ends in [*]
  std::string command;
  bool shell = false;              // run through /bin/sh -c, like zabbix_agentd
  std::string origin;              // where it was configured, for messages
  std::vector<std::string> words;  // without shell: the command split into words
};

// "key,command" (the value of a UserParameter= line). InvalidArgument when there is no comma,
// the key is not a name or name[*], or the command is empty; without `shell`, when the command
// uses shell syntax (pipes, redirections, ;, &&, $(...), backquotes, globs) or an unterminated
// quote: such a command needs shell: true.
Result<UserParameter> ParseUserParameter(std::string_view text, bool shell);
// Same for a separate key and command.
Result<UserParameter> MakeUserParameter(std::string key, std::string command, bool shell);

// Every "UserParameter=key,command" line of a zabbix_agentd configuration file's text, with
// `origin` "<file>:<line>"; other lines (comments, other settings) are ignored. Lines that do
// not parse are returned in `errors` as "<file>:<line>: <why>".
struct IncludedParameters {
  std::vector<UserParameter> parameters;
  std::vector<std::string> errors;
};
IncludedParameters ParseUserParameterFile(std::string_view text, const std::string& file,
                                          bool shell);

// Splits a command into words without a shell: blanks separate words, '...' is literal, "..."
// takes \" \\ \$ \` escapes, a backslash outside quotes escapes the next character.
// InvalidArgument for an unterminated quote and for unquoted shell syntax: | & ; < > ( ) `
// * ? ~ # at a word start, and $( (a shell would treat these specially).
Result<std::vector<std::string>> SplitCommandWords(std::string_view command);

// zabbix_agentd's substitution into `text`: $1..$9 by the parameters (missing ones: empty),
// $0 by `whole`, $$ by $, any other $ kept. NotSupported-style InvalidArgument with
// zabbix_agentd's "Special characters ... are not allowed in the parameters." when a used
// parameter holds one and `unsafe` is false.
Result<std::string> SubstituteUserParams(std::string_view text, std::string_view whole,
                                         const std::vector<std::string>& params, bool unsafe);

// Runs `path` (argv[0] searched in PATH when empty) with argv in a new process group, stdin from
// /dev/null, stdout and stderr into one pipe, until it exits and the pipe is closed or until
// timeout_ms: then the whole group is killed ("Timeout while executing a shell script."). The
// output with trailing " \t\r\n" removed; not supported when it cannot start or writes more than
// kMaxUserCommandOutput.
ItemResult RunUserCommand(const std::vector<std::string>& argv, int64_t timeout_ms,
                          const std::string& path = "");

// Adds one slow item per parameter. InvalidArgument naming both when a name is already in
// the table (a built-in item or an earlier parameter), as zabbix_agentd refuses to start.
Status AddUserParameters(ItemTable* table, const std::vector<UserParameter>& parameters,
                         bool unsafe);

}  // namespace beacon::agent::zabbix
