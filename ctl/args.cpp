// beaconctl argument parsing and help texts.
#include "ctl/args.h"

#include <algorithm>
#include <charconv>

#include "common/clock.h"

namespace beacon::ctl {
namespace {

struct CommandSpec {
  std::vector<std::string> words;
  std::vector<std::string> value_options;  // without dashes
  size_t min_args = 0;
  size_t max_args = 0;
};

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> kCommands = {
      {{"version"}, {}, 0, 0},
      {{"status"}, {}, 0, 1},
      {{"events"}, {"host", "kind", "since", "until", "limit"}, 0, 0},
      {{"token", "create"}, {}, 1, 1},
      {{"token", "list"}, {}, 0, 0},
      {{"token", "revoke"}, {}, 1, 1},
  };
  return kCommands;
}

const CommandSpec* FindCommand(const std::vector<std::string>& words) {
  for (const auto& spec : Commands()) {
    if (spec.words == words) return &spec;
  }
  return nullptr;
}

bool IsPrefixOfSomeCommand(const std::vector<std::string>& words) {
  return std::any_of(Commands().begin(), Commands().end(), [&](const CommandSpec& spec) {
    return spec.words.size() >= words.size() &&
           std::equal(words.begin(), words.end(), spec.words.begin());
  });
}

std::string SeeHelp(const std::vector<std::string>& command) {
  std::string name = CommandName(command);
  return " (see 'beaconctl " + (name.empty() ? "" : name + " ") + "--help')";
}

Status UsageError(const std::string& message, const std::vector<std::string>& command) {
  return Status::InvalidArgument(message + SeeHelp(command));
}

// "10s", "500ms", "2m" or a plain number of seconds.
Result<int64_t> ParseTimeout(const std::string& text) {
  int64_t seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size()) {
    if (seconds <= 0 || seconds > 86400) return Status::InvalidArgument("out of range");
    return seconds * 1000;
  }
  BEACON_ASSIGN_OR_RETURN(int64_t ms, ParseDurationMs(text));
  if (ms <= 0) return Status::InvalidArgument("must be positive");
  return ms;
}

Status ValidateCommandOptions(const Invocation& inv) {
  auto it = inv.options.find("limit");
  if (it != inv.options.end()) {
    int64_t limit = 0;
    const std::string& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || end != text.data() + text.size() || limit < 1 || limit > 10000) {
      return UsageError("--limit must be a number from 1 to 10000, got '" + text + "'",
                        inv.command);
    }
  }
  for (const char* key : {"since", "until"}) {
    it = inv.options.find(key);
    if (it == inv.options.end()) continue;
    if (!ParseDurationMs(it->second).ok() && !ParseRfc3339(it->second).ok()) {
      return UsageError(std::string("--") + key +
                            " takes a duration ago (30m, 1h, 7d) or an RFC 3339 time, got '" +
                            it->second + "'",
                        inv.command);
    }
  }
  return Status::Ok();
}

}  // namespace

std::string CommandName(const std::vector<std::string>& command) {
  std::string name;
  for (const auto& word : command) name += (name.empty() ? "" : " ") + word;
  return name;
}

Result<Invocation> ParseArgs(const std::vector<std::string>& argv, const Getenv& getenv) {
  Invocation inv;
  GlobalOptions& global = inv.global;
  if (auto v = getenv("BEACON_URL"); v && !v->empty()) global.url = *v;
  if (auto v = getenv("BEACON_TOKEN_FILE"); v && !v->empty()) global.token_file = *v;
  if (auto v = getenv("BEACON_TOKEN"); v && !v->empty()) global.env_token = *v;
  if (auto v = getenv("BEACON_TZ"); v && !v->empty()) global.tz = *v;

  const CommandSpec* spec = nullptr;
  std::vector<std::string> words;
  bool only_positionals = false;
  std::optional<std::string> timeout_text;

  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    const bool is_option = !only_positionals && arg.size() > 1 && arg[0] == '-';
    if (!is_option) {
      if (spec != nullptr) {
        inv.args.push_back(arg);
        continue;
      }
      words.push_back(arg);
      if (arg == "help" && words.size() == 1) {
        // "beaconctl help [command...]" is "beaconctl [command...] --help".
        inv.help = true;
        words.clear();
        continue;
      }
      if (!IsPrefixOfSomeCommand(words)) {
        words.pop_back();
        if (words.empty()) return UsageError("unknown command '" + arg + "'", {});
        return UsageError("unknown command '" + CommandName(words) + " " + arg + "'", words);
      }
      spec = FindCommand(words);
      continue;
    }
    if (arg == "--") {
      only_positionals = true;
      continue;
    }
    if (arg == "-h" || arg == "--help") {
      inv.help = true;
      continue;
    }
    std::string name = arg.substr(arg[1] == '-' ? 2 : 1);
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    if (name == "json") {
      if (inline_value) return UsageError("--json takes no value", words);
      global.json = true;
      continue;
    }
    const bool is_global =
        name == "url" || name == "token-file" || name == "timeout" || name == "tz";
    const bool is_command_option =
        spec != nullptr && std::find(spec->value_options.begin(), spec->value_options.end(),
                                     name) != spec->value_options.end();
    if (!is_global && !is_command_option) {
      std::string where = words.empty() ? "" : " for '" + CommandName(words) + "'";
      return UsageError("unknown option '" + arg + "'" + where, words);
    }
    std::string value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < argv.size()) {
      value = argv[++i];
    } else {
      return UsageError("option --" + name + " needs a value", words);
    }
    if (name == "url") {
      global.url = value;
    } else if (name == "token-file") {
      global.token_file = value;
    } else if (name == "timeout") {
      timeout_text = value;
    } else if (name == "tz") {
      global.tz = value;
    } else {
      inv.options[name] = value;
    }
  }

  inv.command = words;
  if (inv.help) return inv;  // help never fails on what else is on the line
  if (words.empty()) return UsageError("missing command", {});
  if (spec == nullptr) {
    return UsageError("'" + CommandName(words) + "' needs a subcommand", words);
  }
  if (inv.args.size() < spec->min_args) {
    return UsageError("missing argument", words);
  }
  if (inv.args.size() > spec->max_args) {
    return UsageError("unexpected argument '" + inv.args[spec->max_args] + "'", words);
  }

  while (global.url.size() > 1 && global.url.back() == '/') global.url.pop_back();
  if (global.url.rfind("http://", 0) != 0 && global.url.rfind("https://", 0) != 0) {
    return UsageError("--url must start with http:// or https://, got '" + global.url + "'", words);
  }
  if (timeout_text) {
    auto timeout = ParseTimeout(*timeout_text);
    if (!timeout.ok()) {
      return UsageError(
          "--timeout takes a duration such as 10s or 500ms, got '" + *timeout_text + "'", words);
    }
    global.timeout_ms = *timeout;
  }
  BEACON_RETURN_IF_ERROR(ValidateCommandOptions(inv));
  return inv;
}

std::string HelpText(const std::vector<std::string>& command) {
  static const char kGlobal[] =
      "\nGlobal options (accepted anywhere on the line):\n"
      "  --url URL          collector base URL (env BEACON_URL, default http://127.0.0.1:8470)\n"
      "  --token-file FILE  file holding the admin token (env BEACON_TOKEN_FILE; or the token\n"
      "                     itself in env BEACON_TOKEN)\n"
      "  --json             print the collector's JSON instead of tables\n"
      "  --timeout DUR      request timeout, e.g. 10s (default 10s)\n"
      "  --tz ZONE          display time zone (env BEACON_TZ, default Asia/Shanghai)\n"
      "  -h, --help         help for beaconctl or for a command\n"
      "\nExit codes: 0 ok, 1 the collector returned an error, 2 usage, 3 cannot connect.\n";
  const std::string name = CommandName(command);
  std::string text;
  if (name == "version") {
    text = "Usage: beaconctl version\n\nPrints the version of beaconctl.\n";
  } else if (name == "status") {
    text =
        "Usage: beaconctl status [HOST]\n\n"
        "Without HOST: every host the collector knows, with state (up or stale), when it was\n"
        "last seen, its agent version and how many events it sent.\n"
        "With HOST: that host's details, the latest value of every metric and its recent\n"
        "events.\n";
  } else if (name == "events") {
    text =
        "Usage: beaconctl events [--host H] [--kind K] [--since D] [--until D] [--limit N]\n\n"
        "Events, newest first.\n"
        "  --host H    only events from host H\n"
        "  --kind K    only events of kind K; 'fim.*' matches a prefix\n"
        "  --since D   newer than D: a duration ago (30m, 1h, 7d) or an RFC 3339 time\n"
        "  --until D   older than D, same forms\n"
        "  --limit N   at most N events (1..10000, collector default 100)\n";
  } else if (name == "token") {
    text =
        "Usage: beaconctl token create AGENT | list | revoke AGENT\n\n"
        "Agent tokens (needs the admin token).\n"
        "  create AGENT   create a token for AGENT; prints it once on stdout\n"
        "  list           list tokens (never the token values)\n"
        "  revoke AGENT   revoke every token of AGENT; it gets 401 at once\n";
  } else if (name == "token create") {
    text =
        "Usage: beaconctl token create AGENT\n\n"
        "Creates a token for agent AGENT. The token is printed once on stdout (nothing else\n"
        "goes to stdout, so `beaconctl token create web-01 > agent.token` works); the\n"
        "collector keeps only its SHA-256. With --json prints the whole reply object.\n";
  } else if (name == "token list") {
    text =
        "Usage: beaconctl token list\n\nLists agent tokens: id, agent, created, last used, "
        "state.\n";
  } else if (name == "token revoke") {
    text = "Usage: beaconctl token revoke AGENT\n\nRevokes every token of AGENT.\n";
  } else {
    text =
        "Usage: beaconctl [global options] COMMAND [args]\n\n"
        "The operator CLI of Beacon: talks to beacon-collector's REST API.\n\n"
        "Commands:\n"
        "  status [HOST]                 hosts, or one host's metrics and recent events\n"
        "  events [--host H] [--since D] events, newest first\n"
        "  token create AGENT            create an agent token (printed once)\n"
        "  token list                    list agent tokens\n"
        "  token revoke AGENT            revoke an agent's tokens\n"
        "  version                       print the version\n"
        "  help [COMMAND]                this help, or a command's\n";
  }
  return text + kGlobal;
}

}  // namespace beacon::ctl
