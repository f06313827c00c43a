// UserParameters: parsing and substitution are pure; RunUserCommand uses posix_spawn with a
// process group of its own and poll(2) on the output pipe against the deadline.
#include "agent/zabbix/user_parameters.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "agent/zabbix/item_key.h"
#include "common/posix.h"

extern char** environ;

namespace beacon::agent::zabbix {
namespace {

constexpr std::string_view kUnsafeChars = "\\'\"`*?[]{}~$!&;()<>|#@\n";

bool IsKeyNameChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '.' || c == '-';
}

std::string UnsafeMessage() {
  std::string list;
  for (char c : kUnsafeChars) {
    if (!list.empty()) list += ", ";
    if (c == '\n') {
      list += "0x0a";
    } else {
      list += c;
    }
  }
  return "Special characters \"" + list + "\" are not allowed in the parameters.";
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Result<std::vector<std::string>> SplitCommandWords(std::string_view command) {
  const auto shell_syntax = [](std::string what) {
    return Status::InvalidArgument("the command uses shell syntax (" + what +
                                   "): set shell: true to run it through /bin/sh");
  };
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  size_t i = 0;
  const auto dollar_ok = [&](size_t at) {
    // $0..$9 and $$ are the parameters; $NAME, ${...} and $(...) would need a shell.
    if (at + 1 >= command.size()) return true;
    const char next = command[at + 1];
    return (next >= '0' && next <= '9') || next == '$' || next == ' ' || next == '\t' ||
           next == '"' || next == '\'' || next == '-';
  };
  while (i < command.size()) {
    const char c = command[i];
    if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      ++i;
      continue;
    }
    if (c == '\'') {
      const size_t close = command.find('\'', i + 1);
      if (close == std::string_view::npos) return Status::InvalidArgument("unterminated ' quote");
      word.append(command.substr(i + 1, close - i - 1));
      in_word = true;
      i = close + 1;
      continue;
    }
    if (c == '"') {
      ++i;
      for (;;) {
        if (i >= command.size()) return Status::InvalidArgument("unterminated \" quote");
        const char d = command[i];
        if (d == '"') break;
        if (d == '\\' && i + 1 < command.size() &&
            std::string_view("\"\\$`").find(command[i + 1]) != std::string_view::npos) {
          word.push_back(command[i + 1]);
          i += 2;
          continue;
        }
        if (d == '`') return shell_syntax("`");
        if (d == '$' && !dollar_ok(i)) return shell_syntax("$ expansion");
        if (d == '$' && i + 1 < command.size() && command[i + 1] == '$') {
          word.append("$$");  // kept for the substitution, which makes it one $
          i += 2;
          continue;
        }
        word.push_back(d);
        ++i;
      }
      in_word = true;
      ++i;
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= command.size()) return Status::InvalidArgument("a trailing backslash");
      word.push_back(command[i + 1]);
      in_word = true;
      i += 2;
      continue;
    }
    if (std::string_view("|&;<>()`\n").find(c) != std::string_view::npos) {
      return shell_syntax(c == '\n' ? std::string("newline") : std::string(1, c));
    }
    if (std::string_view("*?[{").find(c) != std::string_view::npos) {
      return shell_syntax(std::string(1, c));
    }
    if (!in_word && (c == '~' || c == '#')) return shell_syntax(std::string(1, c));
    if (c == '$' && !dollar_ok(i)) return shell_syntax("$ expansion");
    if (c == '=' && !in_word) return shell_syntax("=");
    if (c == '=' && words.empty()) return shell_syntax("an environment assignment");
    if (c == '$' && i + 1 < command.size() && command[i + 1] == '$') {
      word.append("$$");
      in_word = true;
      i += 2;
      continue;
    }
    word.push_back(c);
    in_word = true;
    ++i;
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) return Status::InvalidArgument("the command is empty");
  return words;
}

Result<UserParameter> MakeUserParameter(std::string key, std::string command, bool shell) {
  UserParameter p;
  p.shell = shell;
  if (key.size() > 3 && key.compare(key.size() - 3, 3, "[*]") == 0) {
    p.flexible = true;
    key.resize(key.size() - 3);
  }
  if (key.empty() || !std::all_of(key.begin(), key.end(), IsKeyNameChar)) {
    return Status::InvalidArgument("key \"" + key.substr(0, 64) +
                                   "\" is not an item key name or name[*]");
  }
  p.name = std::move(key);
  const size_t start = command.find_first_not_of(" \t");
  if (start == std::string::npos) return Status::InvalidArgument("the command is empty");
  p.command = command.substr(start);
  if (!shell) {
    BEACON_ASSIGN_OR_RETURN(p.words, SplitCommandWords(p.command));
  }
  return p;
}

Result<UserParameter> ParseUserParameter(std::string_view text, bool shell) {
  const size_t comma = text.find(',');
  if (comma == std::string_view::npos) {
    return Status::InvalidArgument("expected key,command");
  }
  std::string key(text.substr(0, comma));
  while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
  while (!key.empty() && (key.front() == ' ' || key.front() == '\t')) key.erase(0, 1);
  return MakeUserParameter(std::move(key), std::string(text.substr(comma + 1)), shell);
}

IncludedParameters ParseUserParameterFile(std::string_view text, const std::string& file,
                                          bool shell) {
  IncludedParameters out;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos) continue;
    line.remove_prefix(first);
    constexpr std::string_view kPrefix = "UserParameter";
    if (line.substr(0, kPrefix.size()) != kPrefix) continue;
    std::string_view rest = line.substr(kPrefix.size());
    const size_t eq = rest.find_first_not_of(" \t");
    if (eq == std::string_view::npos || rest[eq] != '=') continue;  // UserParameterDir=...
    rest.remove_prefix(eq + 1);
    const std::string origin = file + ":" + std::to_string(line_no);
    Result<UserParameter> parameter = ParseUserParameter(rest, shell);
    if (!parameter.ok()) {
      out.errors.push_back(origin + ": " + parameter.status().message());
      continue;
    }
    parameter->origin = origin;
    out.parameters.push_back(std::move(*parameter));
  }
  return out;
}

Result<std::string> SubstituteUserParams(std::string_view text, std::string_view whole,
                                         const std::vector<std::string>& params, bool unsafe) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    const size_t dollar = text.find('$', pos);
    if (dollar == std::string_view::npos) break;
    out.append(text.substr(pos, dollar - pos));
    if (dollar + 1 >= text.size()) {
      out.push_back('$');
      pos = dollar + 1;
      break;
    }
    const char c = text[dollar + 1];
    if (c == '0') {
      out.append(whole);
    } else if (c >= '1' && c <= '9') {
      const size_t index = static_cast<size_t>(c - '1');
      if (index < params.size()) {
        const std::string& param = params[index];
        if (!unsafe && param.find_first_of(kUnsafeChars) != std::string::npos) {
          return Status::InvalidArgument(UnsafeMessage());
        }
        out.append(param);
      }
    } else {
      if (c != '$') out.push_back('$');
      out.push_back(c);
    }
    pos = dollar + 2;
  }
  if (pos < text.size()) out.append(text.substr(pos));
  return out;
}

ItemResult RunUserCommand(const std::vector<std::string>& argv, int64_t timeout_ms,
                          const std::string& path) {
  if (argv.empty()) return ItemResult::NotSupported("Cannot execute command: empty command.");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return ItemResult::NotSupported("Cannot create a pipe: " + ZbxErrno(errno));
  }
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, write_end.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  posix_spawnattr_setsigmask(&attr, &none);  // the agent blocks SIGTERM/SIGINT in its threads
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = path.empty()
                     ? ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ)
                     : ::posix_spawn(&pid, path.c_str(), &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  write_end.reset();
  if (rc != 0) return ItemResult::NotSupported("Cannot execute command: " + ZbxErrno(rc));

  const int64_t deadline = NowMs() + timeout_ms;
  std::string output;
  bool timed_out = false, too_big = false;
  char buffer[16 * 1024];
  for (;;) {
    const int64_t left = deadline - NowMs();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;  // the deadline check above ends it
    const ssize_t got = ::read(read_end.get(), buffer, sizeof(buffer));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // every writer closed the pipe
    output.append(buffer, static_cast<size_t>(got));
    if (output.size() > kMaxUserCommandOutput) {
      too_big = true;
      break;
    }
  }
  // The child has closed its output: wait for it within what is left of the timeout.
  bool reaped = false;
  while (!timed_out && !too_big) {
    const pid_t done = ::waitpid(pid, nullptr, WNOHANG);
    if (done == pid || (done < 0 && errno != EINTR)) {
      reaped = true;
      break;
    }
    if (NowMs() >= deadline) {
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (!reaped) {
    ::kill(-pid, SIGKILL);  // the whole group: a shell's children too
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  if (timed_out) return ItemResult::NotSupported("Timeout while executing a shell script.");
  if (too_big) {
    return ItemResult::NotSupported("Command output exceeded limit of " +
                                    std::to_string(kMaxUserCommandOutput / 1024) + " KB.");
  }
  const size_t end = output.find_last_not_of(" \t\r\n");
  output.resize(end == std::string::npos ? 0 : end + 1);
  return ItemResult::Value(std::move(output));
}

Status AddUserParameters(ItemTable* table, const std::vector<UserParameter>& parameters,
                         bool unsafe) {
  for (const UserParameter& p : parameters) {
    if (table->Find(p.name) != nullptr) {
      return Status::InvalidArgument("UserParameter " + p.name + " (" + p.origin + "): the key " +
                                     p.name + " is already defined");
    }
    ItemDef def;
    def.name = p.name;
    def.cost = ItemCost::kSlow;
    def.handler = [p, unsafe](const ItemKey& key, const ItemContext& context) -> ItemResult {
      ItemResult refused;
      if (!p.flexible && RejectParams(key, &refused)) return refused;
      std::vector<std::string> params;
      for (const KeyParam& param : key.params) params.push_back(param.value);
      std::vector<std::string> argv;
      if (p.shell) {
        auto command = SubstituteUserParams(p.command, p.command, params, unsafe);
        if (!command.ok()) return ItemResult::NotSupported(command.status().message());
        // As zabbix_agentd runs it: execl("/bin/sh", "sh", "-c", command), so $0 reads "sh".
        argv = {"sh", "-c", std::move(*command)};
      } else {
        for (const std::string& word : p.words) {
          auto substituted = SubstituteUserParams(word, p.command, params, unsafe);
          if (!substituted.ok()) return ItemResult::NotSupported(substituted.status().message());
          argv.push_back(std::move(*substituted));
        }
      }
      int64_t timeout_ms = context.timeout_ms;
      if (context.deadline_ms > 0) {
        timeout_ms = std::min(timeout_ms, context.deadline_ms - context.clock->MonotonicMs());
      }
      return RunUserCommand(argv, std::max<int64_t>(timeout_ms, 1), p.shell ? "/bin/sh" : "");
    };
    table->Add(std::move(def));
  }
  return Status::Ok();
}

}  // namespace beacon::agent::zabbix
