// beacon-agent commands: argument parsing and dispatch, `check`, the `emit` path that lets
// operators' scripts raise events, and `backup once`. `run` hands the loaded configuration to
// RunAgent (agent/service.h), which wires and runs the agent.
#include "agent/cli.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>

#include "agent/backup/backup_once.h"
#include "agent/config.h"
#include "agent/inputs/fim/command.h"
#include "agent/service.h"
#include "agent/spool/spool.h"
#include "common/clock.h"
#include "common/json/parse.h"
#include "common/log/log.h"
#include "common/strings.h"

namespace beacon::agent {
namespace {

constexpr const char* kDefaultConfig = "/etc/beacon/agent.yaml";
constexpr size_t kEmitTransaction = 1000;

constexpr const char* kUsage = R"(usage: beacon-agent <command> [options]

commands:
  run -c FILE      run the agent: gather inputs, spool, ship to the collector
  check -c FILE    validate the configuration without starting (exit 0 ok, 2 invalid)
  emit -c FILE     append an event to the spool for the running agent to ship
  fim init|check|accept -c FILE
                   file integrity: build the baseline, compare with it, accept changes
  backup once -c FILE [SET]
                   back up every changed file of the backup set(s) now and exit
  version          print the version

Run `beacon-agent <command> --help` for the options of a command.
)";

constexpr const char* kRunHelp = R"(usage: beacon-agent run [-c FILE]

Runs the agent in the foreground: every enabled input is gathered on its interval, records go
to the durable spool (spool.path) and the uplink ships them to collector.url. SIGTERM or SIGINT
stops gracefully (the send in progress is finished, the spool is closed).

  -c, --config FILE   configuration file (default /etc/beacon/agent.yaml)
)";

constexpr const char* kCheckHelp = R"(usage: beacon-agent check [-c FILE]

Validates the configuration and prints "config OK: FILE", or every error as
FILE:LINE: key.path: message. Exit 0 when valid, 2 when not.

  -c, --config FILE   configuration file (default /etc/beacon/agent.yaml)
)";

constexpr const char* kEmitHelp =
    R"(usage: beacon-agent emit [-c FILE] --kind KIND [--severity S] [--subject S]
                         [--message M] [--data JSON]
       beacon-agent emit [-c FILE] --stdin

Appends events straight into the agent's spool (durably, before returning); the running agent
ships them. Works while `beacon-agent run` is running.

  -c, --config FILE   configuration file (default /etc/beacon/agent.yaml)
  --kind KIND         event kind, e.g. deploy.finished ([A-Za-z0-9_.:-]{1,200})
  --severity S        not_classified|information|warning|average|high|disaster
                      (default information)
  --subject S         what the event is about, e.g. a service or a path
  --message M         one human line
  --data JSON         a JSON object with details
  --stdin             read one JSON object per line, an event
                      {"kind":"...","severity":"...","subject":"...","message":"...","data":{}}
                      or a sample {"metric":"app.queue.depth","value":12,"labels":{"q":"a"}}
                      appended in transactions of up to 1000; bad lines are reported with their
                      line number and skipped (exit 1)
)";

constexpr const char* kBackupHelp = R"(usage: beacon-agent backup once [-c FILE] [SET]

Backs up the backup sets of the configuration now, without waiting for files to be closed:
every file of the set (or of every set) that changed since its last stored version is read,
hashed, compressed and uploaded with backup.concurrency uploads at once; files whose content
equals their newest version are not uploaded again. The catalog records go into the spool (the
running agent or the next `beacon-agent run` ships them). Prints one summary line per set and
every failure. Exit 0 when every file was backed up, 1 when any failed, 2 for bad usage.

  -c, --config FILE   configuration file (default /etc/beacon/agent.yaml)
  SET                 the name of one backup set (default: all)
)";

struct Args {
  std::string command;
  std::string config = kDefaultConfig;
  bool help = false;
  bool use_stdin = false;
  std::map<std::string, std::string> values;  // --kind etc.
  std::vector<std::string> operands;          // after the command (`backup once SET`)
};

Result<Args> ParseArgs(const std::vector<std::string>& argv) {
  Args args;
  static const std::vector<std::string> kValued = {"--kind", "--severity", "--subject", "--message",
                                                   "--data"};
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-h" || a == "--help") {
      args.help = true;
    } else if (a == "-c" || a == "--config") {
      if (i + 1 >= argv.size()) return Status::InvalidArgument(a + " needs a file");
      args.config = argv[++i];
    } else if (a == "--stdin") {
      args.use_stdin = true;
    } else if (std::find(kValued.begin(), kValued.end(), a) != kValued.end()) {
      if (i + 1 >= argv.size()) return Status::InvalidArgument(a + " needs a value");
      args.values[a.substr(2)] = argv[++i];
    } else if (args.command.empty() && !a.empty() && a[0] != '-') {
      args.command = a;
    } else if (args.command == "backup" && !a.empty() && a[0] != '-') {
      args.operands.push_back(a);
    } else {
      return Status::InvalidArgument("unexpected argument '" + a + "'");
    }
  }
  return args;
}

Status ValidateEvent(const wire::Event& event) {
  if (!wire::IsValidMetricName(event.kind)) {
    return Status::InvalidArgument("kind '" + event.kind +
                                   "' is invalid (use [A-Za-z0-9_.:-], 1 to 200 characters)");
  }
  const auto& severities = wire::Severities();
  if (std::find(severities.begin(), severities.end(), event.severity) == severities.end()) {
    std::string list;
    for (const auto& s : severities) list += (list.empty() ? "" : ", ") + s;
    return Status::InvalidArgument("severity '" + event.severity + "' is not one of: " + list);
  }
  if (!event.data.is_object()) return Status::InvalidArgument("data must be a JSON object");
  return Status::Ok();
}

wire::Record EventRecord(wire::Event event, const Clock& clock) {
  wire::Record record;
  record.type = wire::RecordType::kEvent;
  record.ts_ms = clock.NowMs();
  record.event = std::move(event);
  return record;
}

Result<AgentConfig> LoadOrExplain(const std::string& path, std::ostream& err) {
  auto cfg = LoadAgentConfig(path);
  if (!cfg.ok()) err << cfg.status().message() << "\n";
  return cfg;
}

int CmdCheck(const Args& args, std::ostream& out, std::ostream& err) {
  auto cfg = LoadOrExplain(args.config, err);
  if (!cfg.ok()) return 2;
  out << "config OK: " << args.config << "\n";
  if (std::string warning = InsecureWarning(*cfg); !warning.empty()) err << warning << "\n";
  if (cfg->collector.token.empty()) {
    err << "note: collector.token_file / collector.token_env is not set; `beacon-agent run` "
           "needs a token (create one with `beaconctl token create "
        << cfg->name << "`)\n";
  }
  return 0;
}

// A full spool is a state the operator acts on, not a fault: its message alone says it all.
std::string AppendError(const Status& status) {
  return status.code() == StatusCode::kResourceExhausted ? status.message() : status.ToString();
}

int CmdEmit(const Args& args, std::istream& in, std::ostream& out, std::ostream& err) {
  if (!args.use_stdin && !args.values.count("kind")) {
    err << "emit: --kind or --stdin is required\n" << kEmitHelp;
    return 2;
  }
  if (args.use_stdin && !args.values.empty()) {
    err << "emit: --stdin cannot be combined with --kind/--severity/--subject/--message/--data\n";
    return 2;
  }
  std::optional<wire::Event> single;
  if (!args.use_stdin) {
    wire::Event event;
    event.kind = args.values.at("kind");
    if (args.values.count("severity")) event.severity = args.values.at("severity");
    if (args.values.count("subject")) event.subject = args.values.at("subject");
    if (args.values.count("message")) event.message = args.values.at("message");
    if (args.values.count("data")) {
      Result<nlohmann::json> data = ParseJson(args.values.at("data"));
      if (!data.ok()) {
        err << "emit: --data is not valid JSON: " << data.status().message() << "\n";
        return 2;
      }
      event.data = std::move(*data);
    }
    if (Status s = ValidateEvent(event); !s.ok()) {
      err << "emit: " << s.message() << "\n";
      return 2;
    }
    single = std::move(event);
  }

  auto cfg = LoadOrExplain(args.config, err);
  if (!cfg.ok()) return 2;
  if (Status s = log::Init(cfg->log, "agent"); !s.ok()) {
    err << "emit: " << s.message() << "\n";
    return 2;
  }
  const Clock& clock = SystemClock::Instance();
  auto spool = Spool::Open(SpoolOptionsOf(*cfg), clock);
  if (!spool.ok()) {
    err << "emit: " << spool.status().ToString() << "\n";
    return 1;
  }

  if (single) {
    std::vector<wire::Record> records;
    records.push_back(EventRecord(std::move(*single), clock));
    auto seqs = (*spool)->Append(std::move(records));
    if (!seqs.ok()) {
      err << "emit: " << AppendError(seqs.status()) << "\n";
      return 1;
    }
    out << "spooled 1 event (seq " << seqs->front() << ") into " << cfg->spool.path << "\n";
    return 0;
  }

  std::vector<wire::Record> pending;
  int64_t spooled = 0;
  int64_t bad = 0;
  int64_t line_no = 0;
  auto flush = [&]() -> bool {
    if (pending.empty()) return true;
    const size_t n = pending.size();
    auto seqs = (*spool)->Append(std::move(pending));
    pending.clear();
    if (!seqs.ok()) {
      err << "emit: " << AppendError(seqs.status()) << " (" << spooled
          << " records were spooled before this)\n";
      return false;
    }
    spooled += static_cast<int64_t>(n);
    return true;
  };
  std::string line;
  while (std::getline(in, line)) {
    ++line_no;
    if (TrimWhitespace(line).empty()) continue;
    auto record = ParseStdinLine(line, clock);
    if (!record.ok()) {
      err << "stdin:" << line_no << ": " << record.status().message() << "\n";
      ++bad;
    } else {
      pending.push_back(std::move(*record));
    }
    // Flush at the transaction size, and whenever the input has nothing more buffered so a
    // slow producer's events are durable as soon as they are read.
    if (pending.size() >= kEmitTransaction || in.rdbuf()->in_avail() <= 0) {
      if (!flush()) return 1;
    }
  }
  if (!flush()) return 1;
  out << "spooled " << spooled << " records into " << cfg->spool.path;
  if (bad > 0) out << " (" << bad << " bad lines skipped)";
  out << "\n";
  return bad > 0 ? 1 : 0;
}

// "57.8 MB" (decimal units, as the summary line compares sizes).
std::string HumanBytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB"};
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  if (unit == 0) return std::to_string(bytes) + " B";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f %s", value, kUnits[unit]);
  return buf;
}

int CmdRun(const Args& args, std::ostream& err) {
  auto cfg = LoadOrExplain(args.config, err);
  if (!cfg.ok()) return 2;
  if (cfg->collector.token.empty()) {
    err << args.config
        << ": collector.token_file or collector.token_env is required to run (create a token "
           "with `beaconctl token create "
        << cfg->name << "`)\n";
    return 2;
  }
  if (Status s = log::Init(cfg->log, "agent"); !s.ok()) {
    err << "run: " << s.message() << "\n";
    return 2;
  }
  return RunAgent(std::move(*cfg));
}

int CmdBackup(const Args& args, std::ostream& out, std::ostream& err) {
  if (args.operands.empty() || args.operands[0] != "once" || args.operands.size() > 2) {
    err << "backup: expected `backup once [SET]`\n" << kBackupHelp;
    return 2;
  }
  auto cfg = LoadOrExplain(args.config, err);
  if (!cfg.ok()) return 2;
  if (!cfg->backup.enabled) {
    err << "backup: no backup sets are configured in " << args.config << " (backup.sets)\n";
    return 2;
  }
  std::vector<std::string> names;
  if (args.operands.size() == 2) names.push_back(args.operands[1]);
  for (const std::string& name : names) {
    bool known = false;
    std::string list;
    for (const auto& set : cfg->backup.sets) {
      known = known || set.name == name;
      list += (list.empty() ? "" : ", ") + set.name;
    }
    if (!known) {
      err << "backup: unknown backup set '" << name << "' (known: " << list << ")\n";
      return 2;
    }
  }
  if (Status s = log::Init(cfg->log, "agent"); !s.ok()) {
    err << "backup: " << s.message() << "\n";
    return 2;
  }
  const Clock& clock = SystemClock::Instance();
  auto spool = Spool::Open(SpoolOptionsOf(*cfg), clock);
  if (!spool.ok()) {
    err << "backup: " << spool.status().ToString() << "\n";
    return 1;
  }
  auto runtime = OpenBackupRuntime(*cfg, clock);
  if (!runtime.ok()) {
    err << "backup: " << runtime.status().ToString() << "\n";
    return 1;
  }
  Spool* spool_ptr = spool->get();
  backup::BackupOnce once(cfg->backup, (*runtime)->uploaders, *(*runtime)->state, clock,
                          [spool_ptr](std::vector<wire::Record> records) {
                            return spool_ptr->Append(std::move(records)).status();
                          });
  auto summaries = once.Run(names);
  if (!summaries.ok()) {
    err << "backup: " << summaries.status().ToString() << "\n";
    return 1;
  }
  bool failed = false;
  for (const backup::OnceSetSummary& s : *summaries) {
    for (const std::string& failure : s.failures) err << "backup: " << failure << "\n";
    out << "set " << s.set << ": " << s.scanned << " files scanned, " << s.stored << " stored ("
        << HumanBytes(s.bytes_read) << " -> " << HumanBytes(s.bytes_stored) << "), " << s.unchanged
        << " unchanged, " << s.failed << " failed\n";
    failed = failed || s.failed > 0;
  }
  return failed ? 1 : 0;
}

}  // namespace

Result<wire::Event> ParseEventLine(std::string_view line) {
  Result<nlohmann::json> parsed = ParseJson(line);
  if (!parsed.ok()) return parsed.status().WithContext("not valid JSON");
  nlohmann::json& json = *parsed;
  if (!json.is_object()) return Status::InvalidArgument("expected a JSON object");
  wire::Event event;
  bool has_kind = false;
  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string& key = it.key();
    if (key == "data") {
      event.data = it.value();
      continue;
    }
    std::string* target = key == "kind"       ? &event.kind
                          : key == "severity" ? &event.severity
                          : key == "subject"  ? &event.subject
                          : key == "message"  ? &event.message
                                              : nullptr;
    if (target == nullptr) {
      return Status::InvalidArgument("unknown field '" + key +
                                     "' (known: kind, severity, subject, message, data)");
    }
    if (!it.value().is_string()) {
      return Status::InvalidArgument("field '" + key + "' must be a string");
    }
    *target = it.value().get<std::string>();
    has_kind = has_kind || key == "kind";
  }
  if (!has_kind) return Status::InvalidArgument("field 'kind' is required");
  BEACON_RETURN_IF_ERROR(ValidateEvent(event));
  return event;
}

Result<wire::Sample> ParseSampleLine(std::string_view line) {
  Result<nlohmann::json> parsed = ParseJson(line);
  if (!parsed.ok()) return parsed.status().WithContext("not valid JSON");
  nlohmann::json& json = *parsed;
  if (!json.is_object()) return Status::InvalidArgument("expected a JSON object");
  wire::Sample sample;
  for (auto it = json.begin(); it != json.end(); ++it) {
    const std::string& key = it.key();
    if (key == "metric") {
      if (!it.value().is_string())
        return Status::InvalidArgument("field 'metric' must be a string");
      sample.metric = it.value().get<std::string>();
    } else if (key == "value") {
      if (!it.value().is_number()) return Status::InvalidArgument("field 'value' must be a number");
      sample.value = it.value().get<double>();
    } else if (key == "labels") {
      if (!it.value().is_object())
        return Status::InvalidArgument("field 'labels' must be an object");
      for (auto l = it.value().begin(); l != it.value().end(); ++l) {
        if (!wire::IsValidMetricName(l.key()) || !l.value().is_string()) {
          return Status::InvalidArgument("label '" + l.key() +
                                         "' needs a name of [A-Za-z0-9_.:-] and a string value");
        }
        sample.labels[l.key()] = l.value().get<std::string>();
      }
    } else {
      return Status::InvalidArgument("unknown field '" + key + "' (known: metric, value, labels)");
    }
  }
  if (!wire::IsValidMetricName(sample.metric)) {
    return Status::InvalidArgument(
        "field 'metric' is required ([A-Za-z0-9_.:-], 1 to 200 characters)");
  }
  if (!json.contains("value")) return Status::InvalidArgument("field 'value' is required");
  return sample;
}

Result<wire::Record> ParseStdinLine(std::string_view line, const Clock& clock) {
  // An object with a "metric" key is a sample; anything else must be an event.
  Result<nlohmann::json> probe = ParseJson(line);
  if (probe.ok() && probe->is_object() && probe->contains("metric")) {
    BEACON_ASSIGN_OR_RETURN(wire::Sample sample, ParseSampleLine(line));
    wire::Record record;
    record.type = wire::RecordType::kSample;
    record.ts_ms = clock.NowMs();
    record.sample = std::move(sample);
    return record;
  }
  BEACON_ASSIGN_OR_RETURN(wire::Event event, ParseEventLine(line));
  return EventRecord(std::move(event), clock);
}

int RunCli(const std::vector<std::string>& argv, std::istream& in, std::ostream& out,
           std::ostream& err) {
  // `fim` has its own subcommands and options (PATH... for accept).
  if (!argv.empty() && argv[0] == "fim") {
    return fim::RunFimCommand(std::vector<std::string>(argv.begin() + 1, argv.end()), out, err);
  }
  auto args = ParseArgs(argv);
  if (!args.ok()) {
    err << "beacon-agent: " << args.status().message() << "\n" << kUsage;
    return 2;
  }
  const std::string& cmd = args->command;
  if (cmd.empty()) {
    (args->help ? out : err) << kUsage;
    return args->help ? 0 : 2;
  }
  if (cmd == "version") {
    out << "beacon-agent " << BEACON_VERSION << " (wire protocol " << wire::kProtocolVersion
        << ")\n";
    return 0;
  }
  if (cmd == "help") {
    out << kUsage;
    return 0;
  }
  if (cmd == "check") {
    if (args->help) return (out << kCheckHelp), 0;
    return CmdCheck(*args, out, err);
  }
  if (cmd == "emit") {
    if (args->help) return (out << kEmitHelp), 0;
    return CmdEmit(*args, in, out, err);
  }
  if (cmd == "backup") {
    if (args->help) return (out << kBackupHelp), 0;
    return CmdBackup(*args, out, err);
  }
  if (cmd == "run") {
    if (args->help) return (out << kRunHelp), 0;
    return CmdRun(*args, err);
  }
  err << "beacon-agent: unknown command '" << cmd << "'\n" << kUsage;
  return 2;
}

int RunCli(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // lets `emit --stdin` see what is already buffered
  std::vector<std::string> args(argv + 1, argv + argc);
  return RunCli(args, std::cin, std::cout, std::cerr);
}

}  // namespace beacon::agent
