// beaconctl argument parsing and help texts.
#include "ctl/args.h"

#include <algorithm>
#include <charconv>

#include "common/clock.h"
#include "common/strings.h"
#include "common/url.h"

namespace beacon::ctl {
namespace {

struct CommandSpec {
  std::vector<std::string> words;
  std::vector<std::string> value_options;  // without dashes
  size_t min_args = 0;
  size_t max_args = 0;
  std::vector<std::string> flag_options;  // without dashes; stored as "true" when given
};

constexpr char kZabbixChecksHelp[] =
    "  rds.discovery         RDS instances as Zabbix LLD JSON ({#DBINSTANCEID},\n"
    "                        {#DBINSTANCEDESCRIPTION}, {#ENGINE}, {#REGIONID}, ...)\n"
    "  rds.perf ID           one JSON object: every performance key by its ValueFormat names\n"
    "                        and the CloudMonitor usage metrics (a master item)\n"
    "  rds.usage ID          one JSON object: DescribeResourceUsage sizes in bytes\n"
    "  host.lastseen HOST    when the collector last heard from HOST (unix seconds)\n"
    "  backup.age HOST SET   seconds since the newest backup of SET on HOST\n"
    "  alerts.open [HOST]    firing alerts (of HOST; all hosts without it), at most 1000\n";

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> kCommands = {
      {{"version"}, {}, 0, 0, {}},
      {{"status"}, {}, 0, 1, {}},
      {{"events"}, {"host", "kind", "since", "until", "limit"}, 0, 0, {}},
      {{"token", "create"}, {}, 1, 1, {}},
      {{"token", "list"}, {}, 0, 0, {}},
      {{"token", "revoke"}, {}, 1, 1, {}},
      {{"backups", "list"}, {"host", "path", "set", "since", "until", "limit"}, 0, 0, {}},
      {{"backups", "lifecycle"}, {}, 0, 0, {"dry-run"}},
      {{"restore"}, {"version", "at", "to", "timeout-wait"}, 2, 2, {"no-wait"}},
      {{"backup", "run"}, {"timeout-wait"}, 2, 2, {"wait"}},
      {{"fim", "accept"}, {"timeout-wait"}, 2, 2, {"wait"}},
      {{"alerts"}, {"status", "source", "host", "since", "limit"}, 0, 0, {"undelivered"}},
      {{"alerts", "show"}, {}, 1, 1, {}},
      {{"silence", "add"}, {"for", "until", "reason", "by"}, 1, 64, {}},
      {{"silence", "list"}, {}, 0, 0, {"all"}},
      {{"silence", "expire"}, {}, 1, 1, {}},
      {{"deliveries"}, {"state", "limit"}, 0, 0, {}},
      {{"deliveries", "retry"}, {}, 1, 1, {}},
      {{"zabbix", "alert"}, {"zabbix-token-file"}, 3, 3, {}},
      {{"zabbix", "rds.discovery"}, {"aliyun-config", "state-dir"}, 0, 0, {}},
      {{"zabbix", "rds.perf"}, {"aliyun-config", "state-dir"}, 1, 1, {}},
      {{"zabbix", "rds.usage"}, {"aliyun-config", "state-dir"}, 1, 1, {}},
      {{"zabbix", "host.lastseen"}, {}, 1, 1, {}},
      {{"zabbix", "backup.age"}, {}, 2, 2, {}},
      {{"zabbix", "alerts.open"}, {}, 0, 1, {}},
      {{"chat"}, {"as"}, 1, 256, {}},
      {{"audit"}, {"since", "user", "limit"}, 0, 0, {}},
      {{"audit", "verify"}, {}, 0, 0, {}},
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
  for (const char* key : {"since", "until", "at"}) {
    it = inv.options.find(key);
    if (it == inv.options.end()) continue;
    // A silence's --until is a future time, checked by the command with its own message.
    if (CommandName(inv.command) == "silence add") continue;
    // Only the form is checked here (any now will do); the command resolves the value.
    if (!ParseTimeOrAgo(key, it->second, /*now_ms=*/0).ok()) {
      return UsageError(std::string("--") + key +
                            " takes a duration ago (30m, 1h, 7d) or an RFC 3339 time, got '" +
                            it->second + "'",
                        inv.command);
    }
  }
  if (inv.options.count("version") != 0 && inv.options.count("at") != 0) {
    return UsageError("--version and --at exclude each other", inv.command);
  }
  it = inv.options.find("version");
  if (it != inv.options.end()) {
    int64_t id = 0;
    const std::string& text = it->second;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id < 1) {
      return UsageError(
          "--version takes a version id from 'beaconctl backups list', got '" + text + "'",
          inv.command);
    }
  }
  it = inv.options.find("status");
  if (it != inv.options.end() && it->second != "firing" && it->second != "resolved") {
    return UsageError("--status takes firing or resolved, got '" + it->second + "'", inv.command);
  }
  it = inv.options.find("state");
  if (it != inv.options.end() && it->second != "pending" && it->second != "failed" &&
      it->second != "delivered") {
    return UsageError("--state takes pending, failed or delivered, got '" + it->second + "'",
                      inv.command);
  }
  it = inv.options.find("to");
  if (it != inv.options.end() && (it->second.empty() || it->second[0] != '/')) {
    return UsageError("--to takes an absolute directory, got '" + it->second + "'", inv.command);
  }
  it = inv.options.find("timeout-wait");
  if (it != inv.options.end()) {
    auto ms = ParseDurationMs(it->second);
    if (!ms.ok() || *ms <= 0) {
      return UsageError(
          "--timeout-wait takes a duration such as 10m or 1h, got '" + it->second + "'",
          inv.command);
    }
  }
  if (CommandName(inv.command) == "restore" && !inv.args.empty() && inv.args.size() == 2 &&
      (inv.args[1].empty() || inv.args[1][0] != '/')) {
    return UsageError(
        "PATH must be the absolute path of the file on the host, got '" + inv.args[1] + "'",
        inv.command);
  }
  if (CommandName(inv.command) == "fim accept" && inv.args.size() == 2) {
    const std::string& path = inv.args[1];
    if (path.empty() || path[0] != '/') {
      return UsageError("PATH must be an absolute path on the host, got '" + path + "'",
                        inv.command);
    }
    for (size_t i = 0; i < path.size();) {
      const size_t length = Utf8SequenceLength(path, i);
      if (length == 0) return UsageError("PATH is not valid UTF-8", inv.command);
      i += length;
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
        // "alerts show": a command that is also the start of a longer one takes the longer.
        std::vector<std::string> longer = words;
        longer.push_back(arg);
        if (inv.args.empty() && IsPrefixOfSomeCommand(longer)) {
          words = std::move(longer);
          spec = FindCommand(words);
          continue;
        }
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
    if (spec != nullptr && std::find(spec->flag_options.begin(), spec->flag_options.end(), name) !=
                               spec->flag_options.end()) {
      if (inline_value) return UsageError("--" + name + " takes no value", words);
      inv.options[name] = "true";
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
  if (!IsHttpUrl(global.url)) {
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
  } else if (name == "backups") {
    text =
        "Usage: beaconctl backups list [filters] | lifecycle [--dry-run]\n\n"
        "The backup catalog: every stored version of every backed-up file.\n"
        "  list        versions, newest first (see 'beaconctl backups list --help')\n"
        "  lifecycle   apply the lifecycle policies now (archive, thin, delete)\n";
  } else if (name == "backups list") {
    text =
        "Usage: beaconctl backups list [--host H] [--path P] [--set S] [--since T] [--until T]\n"
        "                              [--limit N]\n\n"
        "Backed-up versions, newest first: created, host, path, size, stored size, storage\n"
        "class (with its archive restore state), SHA-256 prefix and the version id that\n"
        "'beaconctl restore --version' takes.\n"
        "  --host H    only versions from host H\n"
        "  --path P    only this file; '/etc/*' matches a prefix\n"
        "  --set S     only backup set S\n"
        "  --since T   created at or after T: a duration ago (30m, 1h, 7d) or an RFC 3339 time\n"
        "  --until T   created at or before T, same forms\n"
        "  --limit N   at most N versions (1..10000, collector default 100)\n";
  } else if (name == "backups lifecycle") {
    text =
        "Usage: beaconctl backups lifecycle [--dry-run]\n\n"
        "Applies the lifecycle policies of collector.yaml now: moves old versions to an\n"
        "archive class, thins versions and deletes expired ones (never the newest K of a\n"
        "file). Prints every action with its reason and outcome, then a summary.\n"
        "  --dry-run   only show what would be done; change nothing\n"
        "Exits 1 when an action failed (it is retried by the collector and stays visible).\n";
  } else if (name == "restore") {
    text =
        "Usage: beaconctl restore HOST PATH [--version ID | --at TIME] [--to DIR] [--no-wait]\n"
        "                         [--timeout-wait D]\n\n"
        "Restores a backed-up file on HOST: the agent downloads the version, verifies its\n"
        "SHA-256, and writes it atomically with its mode and mtime, only below the agent's\n"
        "restore roots. An archived version is first restored from the archive class\n"
        "(minutes to hours). Progress is printed on every change, then the result.\n"
        "  --version ID       the version id from 'beaconctl backups list' (default: newest)\n"
        "  --at TIME          the newest version created at or before TIME: an RFC 3339 time\n"
        "                     or a duration ago (2h, 1d)\n"
        "  --to DIR           write below DIR (DIR/PATH) instead of over PATH\n"
        "  --no-wait          print the command id and return at once\n"
        "  --timeout-wait D   stop waiting after D (default 10m); the restore goes on\n"
        "Exits 0 when the restore succeeded, 1 when it failed (the reason on stderr).\n";
  } else if (name == "backup" || name == "backup run") {
    text =
        "Usage: beaconctl backup run HOST SET [--wait] [--timeout-wait D]\n\n"
        "Backs up backup set SET (backup.sets in the host's agent.yaml) on HOST now, through\n"
        "the agent's command channel: every file of the set that changed since its last\n"
        "backup is stored and catalogued, as the running agent would after a change. Files\n"
        "the agent is backing up already are finished first; a second run of the same set\n"
        "while one is in progress is refused.\n"
        "  --wait             follow the run: progress (files and bytes) on every change, then\n"
        "                     the versions stored (path, size, stored size, SHA-256, key)\n"
        "  --timeout-wait D   with --wait, stop waiting after D (default 30m); the run goes on\n"
        "Without --wait prints the command id and returns; 'beaconctl backups list --host HOST\n"
        "--set SET' shows the versions once it is done.\n"
        "Exits 0 when queued (with --wait: when every changed file was stored), 1 when the\n"
        "collector refused it, the set is unknown to the agent, or files failed (reasons on\n"
        "stderr).\n";
  } else if (name == "fim" || name == "fim accept") {
    text =
        "Usage: beaconctl fim accept HOST PATH [--wait] [--timeout-wait D]\n\n"
        "Accepts the current state of PATH on HOST into the agent's file integrity baseline\n"
        "(a file, or a directory with everything below it), so the next fim check is clean\n"
        "for it: use it after an intended change. PATH must lie under the agent's\n"
        "inputs.fim.paths, not through a symbolic link and not in an excluded part; the\n"
        "agent refuses anything else.\n"
        "  --wait             follow it and print what the baseline took: every entry\n"
        "                     updated, added or removed, and entries that could not be read\n"
        "  --timeout-wait D   with --wait, stop waiting after D (default 30m)\n"
        "Exits 0 when queued (with --wait: when accepted), 1 when the collector or the agent\n"
        "refused it (the reason on stderr).\n";
  } else if (name == "alerts") {
    text =
        "Usage: beaconctl alerts [--status firing|resolved] [--source S] [--host H] [--since T]\n"
        "                        [--undelivered] [--limit N]\n"
        "       beaconctl alerts show ID\n\n"
        "Alerts from Zabbix, Splunk and agent events, newest first: start time, severity,\n"
        "status, id, host, title and the delivery to each receiver (\"robot:pending(3)\" =\n"
        "3 attempts so far, then the last error).\n"
        "  --status S      only firing or only resolved alerts\n"
        "  --source S      only alerts from zabbix, splunk, agent or api\n"
        "  --host H        only alerts of host H (exact name)\n"
        "  --since T       received at or after T: a duration ago (30m, 1h, 7d) or an RFC 3339\n"
        "                  time\n"
        "  --undelivered   only alerts with a delivery not yet delivered (pending or failed)\n"
        "  --limit N       at most N alerts (1..1000, collector default 100)\n"
        "  show ID         one alert with its message, tags and every delivery attempt\n";
  } else if (name == "alerts show") {
    text =
        "Usage: beaconctl alerts show ID\n\n"
        "One alert (ID as printed by 'beaconctl alerts', with or without '#'): status, severity,\n"
        "host, times, tags, link, message, and per receiver the delivery state, attempts,\n"
        "delivery time and last error.\n";
  } else if (name == "silence") {
    text =
        "Usage: beaconctl silence add MATCHER... (--for D | --until T) --reason TEXT [--by NAME]\n"
        "       beaconctl silence list [--all]\n"
        "       beaconctl silence expire ID\n\n"
        "Silences mute notifications of the alerts they match; alerts are still recorded.\n"
        "  add      create a silence (see 'beaconctl silence add --help')\n"
        "  list     active and pending silences; --all adds expired ones\n"
        "  expire   end a silence now\n";
  } else if (name == "silence add") {
    text =
        "Usage: beaconctl silence add MATCHER... (--for D | --until T) --reason TEXT\n"
        "                             [--by NAME]\n\n"
        "Mutes notifications of every alert matching ALL matchers until the silence ends.\n"
        "A matcher is FIELD OP VALUE:\n"
        "  FIELD  source, host, severity, title, fingerprint, status, or tag:NAME\n"
        "  OP     = (equal), != (not equal), =~ (glob, e.g. host=~db-*), !~ (glob does not\n"
        "         match); for severity also >= and <= (severity<=average)\n"
        "Quote matchers with * or ! for the shell: 'host=~db-*'.\n"
        "  --for D        how long, e.g. 30m, 2h, 1d\n"
        "  --until T      until an RFC 3339 time, e.g. 2026-11-26T18:00:00+08:00\n"
        "  --reason TEXT  why (required; shown with the silence)\n"
        "  --by NAME      who (default: the login name)\n";
  } else if (name == "silence list") {
    text =
        "Usage: beaconctl silence list [--all]\n\n"
        "Silences: id, state (active with the time left, pending, expired), matchers, start,\n"
        "end, creator and reason.\n"
        "  --all   include expired silences\n";
  } else if (name == "silence expire") {
    text =
        "Usage: beaconctl silence expire ID\n\n"
        "Ends silence ID now; the alerts it matched are notified again.\n";
  } else if (name == "deliveries" || name == "deliveries retry") {
    text =
        "Usage: beaconctl deliveries [--state pending|failed|delivered] [--limit N]\n"
        "       beaconctl deliveries retry RECEIVER\n\n"
        "The outbox: one delivery per notification and receiver, newest first, with its\n"
        "state, attempts, next try, the alerts it carries and the last error.\n"
        "  --state S         only pending, failed (gave up) or delivered ones\n"
        "  --limit N         at most N deliveries (1..1000, collector default 100)\n"
        "  retry RECEIVER    put RECEIVER's failed deliveries back to pending (after fixing\n"
        "                    its credentials or the IP allow list, for example)\n";
  } else if (name == "zabbix") {
    text =
        "Usage: beaconctl zabbix alert SENDTO SUBJECT MESSAGE\n"
        "       beaconctl zabbix CHECK [ARGS]\n\n"
        "  alert                 the command of a Zabbix script media type\n"
        "                        (see 'beaconctl zabbix alert --help')\n"
        "Zabbix external checks (see 'beaconctl zabbix rds.perf --help'):\n" +
        std::string(kZabbixChecksHelp);
  } else if (name.starts_with("zabbix ") && name != "zabbix alert") {
    text =
        "Usage: beaconctl zabbix CHECK [ARGS]   (as an external check: "
        "beacon_zabbix[CHECK,ARGS])\n\n" +
        std::string(kZabbixChecksHelp) +
        "\nrds.* read the Alibaba Cloud settings from --aliyun-config FILE (env\n"
        "BEACON_ALIYUN_CONFIG, default /etc/beacon/aliyun.yaml: region, credentials_file,\n"
        "endpoints, timeout, retry, cache_ttl 50s, window 20m, cloudmonitor true, period 60) and\n"
        "cache answers under --state-dir DIR (env BEACON_ZABBIX_STATE_DIR, default\n"
        "/var/cache/beacon-zabbix) for cache_ttl, so one interval costs one API call per\n"
        "instance and action whoever asks. The others ask the collector with the admin token.\n"
        "Prints the value, or one line {\"error\":\"reason\"} (exit 1): Zabbix ignores exit "
        "codes,\n"
        "so a numeric item cannot take it and a JSON item's \"Check for error in JSON\" step\n"
        "shows the reason (docs/zabbix.md#rds).\n";
  } else if (name == "zabbix alert") {
    text =
        "Usage: beaconctl zabbix alert [--zabbix-token-file FILE] [--] SENDTO SUBJECT MESSAGE\n\n"
        "The command of a Zabbix *script* media type (templates/zabbix/beacon_media_script.yaml;\n"
        "the webhook media type beacon_media_webhook.yaml needs no beaconctl). Zabbix passes\n"
        "{ALERT.SENDTO} {ALERT.SUBJECT} {ALERT.MESSAGE}; the message templates write the event\n"
        "as \"Key: value\" lines (Event ID, Event value, Severity, Host, Host IP, Trigger ID,\n"
        "Trigger status, Event tags, Event date, Recovery date, Item value, Update status,\n"
        "Event source); other lines are the message text. SENDTO becomes the tag \"sendto\".\n"
        "The alert is posted to POST /api/v1/alerts/zabbix.\n"
        "  --zabbix-token-file FILE  file with the collector's Zabbix source token\n"
        "                            (alerts.zabbix.token_file; env BEACON_ZABBIX_TOKEN_FILE).\n"
        "                            The admin token is not used.\n"
        "Prints one line (Zabbix shows it as the alert's error when the exit code is not 0):\n"
        "exit 0 when the collector stored the alert, 1 otherwise.\n";
  } else if (name == "chat") {
    text =
        "Usage: beaconctl chat [--as USER] [--] TEXT...\n\n"
        "Sends one line to the collector's chat bot, as WeCom users talk to it, and prints the\n"
        "reply. The words of TEXT are joined by spaces: beaconctl chat \"status web-01\".\n"
        "USER must be one of bot.local_users in collector.yaml; its role applies, and a\n"
        "mutating command answers with a preview and a code: run beaconctl chat \"confirm CODE\"\n"
        "as the same user within bot.confirm_ttl. Every attempt is in the audit log.\n"
        "  --as USER   the local user (default: env BEACON_CHAT_USER, else USER / LOGNAME)\n"
        "Exits 0 when the bot answered (a refusal is an answer too), 1 on a collector error.\n";
  } else if (name == "audit") {
    text =
        "Usage: beaconctl audit [--since T] [--user U] [--limit N]\n"
        "       beaconctl audit verify\n\n"
        "The chat bot's audit log, newest first: id, time, user (WeCom UserID or local:NAME),\n"
        "channel, command, arguments, decision and result.\n"
        "  --since T   at or after T: a duration ago (30m, 1h, 7d) or an RFC 3339 time\n"
        "  --user U    only this user (exact, e.g. zhangsan or local:alice)\n"
        "  --limit N   at most N rows (1..10000, collector default 100)\n"
        "  verify      check the hash chain (see 'beaconctl audit verify --help')\n";
  } else if (name == "audit verify") {
    text =
        "Usage: beaconctl audit verify\n\n"
        "Recomputes the audit log's hash chain on the collector: every row's hash, the link to\n"
        "the previous row and the anchor naming the newest row. Exits 0 when intact; 1 and\n"
        "the first broken row (edited, deleted or inserted rows) otherwise.\n";
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
        "  backups list [--host H] ...   backed-up file versions, newest first\n"
        "  backups lifecycle [--dry-run] apply the backup lifecycle policies now\n"
        "  restore HOST PATH [--at T]    restore a backed-up file on a host\n"
        "  backup run HOST SET [--wait]  back up a set on a host now\n"
        "  fim accept HOST PATH [--wait] accept a path's current state into the fim baseline\n"
        "  alerts [--undelivered] ...    alerts with their delivery state, newest first\n"
        "  alerts show ID                one alert with every delivery attempt\n"
        "  silence add MATCHER... --for D --reason TEXT\n"
        "                                mute matching alerts for a while\n"
        "  silence list [--all]          list silences\n"
        "  silence expire ID             end a silence now\n"
        "  deliveries [--state failed]   notifications per receiver and their state\n"
        "  deliveries retry RECEIVER     retry a receiver's failed deliveries\n"
        "  zabbix alert SENDTO SUBJECT MESSAGE\n"
        "                                send a Zabbix alert (script media type)\n"
        "  zabbix CHECK [ARGS]           a Zabbix external check: rds.discovery, rds.perf ID,\n"
        "                                rds.usage ID, host.lastseen HOST, backup.age HOST SET,\n"
        "                                alerts.open [HOST]\n"
        "  chat [--as USER] TEXT         send a line to the chat bot as a local user\n"
        "  audit [--since T] [--user U]  the chat bot's audit log\n"
        "  audit verify                  check the audit log's hash chain\n"
        "  version                       print the version\n"
        "  help [COMMAND]                this help, or a command's\n";
  }
  return text + kGlobal;
}

}  // namespace beacon::ctl
