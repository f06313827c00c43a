// beacon-agent commands: argument parsing, wiring of config -> spool -> scheduler -> uplink,
// signal handling, and the `emit` path that lets operators' scripts raise events.
#include "agent/cli.h"

#include <fmt/ranges.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "agent/backup/backup_once.h"
#include "agent/backup/backup_service.h"
#include "agent/backup/rate_limiter.h"
#include "agent/backup/restore_handler.h"
#include "agent/backup/state.h"
#include "agent/backup/uploader.h"
#include "agent/config.h"
#include "agent/inputs/fim/command.h"
#include "agent/inputs/scheduler.h"
#include "agent/spool/spool.h"
#include "agent/uplink/command_channel.h"
#include "agent/uplink/uplink.h"
#include "common/clock.h"
#include "common/cloud/objstore/store_config.h"
#include "common/http/client.h"
#include "common/json/parse.h"
#include "common/log/log.h"

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

SpoolOptions SpoolOptionsOf(const AgentConfig& cfg) {
  SpoolOptions options;
  options.path = cfg.spool.path;
  options.max_bytes = cfg.spool.max_bytes;
  options.max_event_bytes = cfg.spool.max_event_bytes;
  return options;
}

// Empty when collector.insecure is not what lets the agent talk to the collector.
std::string InsecureWarning(const AgentConfig& cfg) {
  if (!cfg.collector.insecure || !SendsInClearOverTheNetwork(cfg.collector.url)) return "";
  return "warning: collector.insecure is true: the agent token and every record go to " +
         cfg.collector.url +
         " unencrypted; anyone on the path can read them and act as this "
         "agent. Use https:// in collector.url";
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
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
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

// What the backup pipeline needs at run time: the stores its sets use, the state database and
// one Uploader per store.
struct BackupRuntime {
  std::unique_ptr<backup::BackupState> state;
  std::unique_ptr<backup::RateLimiter> limiter;
  std::map<std::string, std::unique_ptr<objstore::ObjectStore>> stores;
  std::vector<std::unique_ptr<backup::Uploader>> owned_uploaders;
  std::map<std::string, backup::Uploader*> uploaders;  // by store name
};

Result<std::unique_ptr<BackupRuntime>> OpenBackup(const AgentConfig& cfg, const Clock& clock) {
  auto runtime = std::make_unique<BackupRuntime>();
  const std::string state_path = cfg.data_dir + "/backup/state.db";
  auto state = backup::BackupState::Open(state_path);
  if (!state.ok()) return state.status().WithContext("opening " + state_path);
  runtime->state = std::move(*state);
  if (cfg.backup.bandwidth_limit > 0) {
    runtime->limiter = std::make_unique<backup::RateLimiter>(cfg.backup.bandwidth_limit, clock);
  }
  // Every configured store is opened, not only those of the current sets: a restore may name
  // a version stored under an earlier configuration.
  for (const auto& [name, store_config] : cfg.backup.stores) {
    auto store = objstore::NewObjectStore(store_config);
    if (!store.ok()) return store.status().WithContext("store " + name);
    runtime->stores[name] = std::move(*store);
  }
  for (const backup::BackupSetConfig& set : cfg.backup.sets) {
    if (runtime->uploaders.count(set.store)) continue;
    auto uploader = std::make_unique<backup::Uploader>(
        *runtime->stores.at(set.store), *runtime->state, clock, cfg.name, runtime->limiter.get(),
        backup::UploaderOptionsFor(cfg.backup.stores.at(set.store)));
    runtime->uploaders[set.store] = uploader.get();
    runtime->owned_uploaders.push_back(std::move(uploader));
  }
  return runtime;
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

std::string InputsSummary(const AgentConfig& cfg) {
  std::string out;
  for (const InputSettings& in : cfg.inputs) {
    if (!in.enabled) continue;
    if (!out.empty()) out += ", ";
    out += in.name + " every " + std::to_string(in.interval_ms / 1000.0).substr(0, 6);
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
    out += "s";
  }
  return out.empty() ? "none" : out;
}

// Fault injection for the crash tests (tests/integration/test_backup_faults.py): with
// BEACON_AGENT_FAULT_POINT=backup.before_spool the agent SIGKILLs itself after a backup version
// is stored and synced and before its catalog record is spooled. Read once, before any thread
// starts; empty (no hook) unless the variable names that point.
std::function<void()> BackupBeforeSpoolFault() {
  const char* point = std::getenv("BEACON_AGENT_FAULT_POINT");
  if (point == nullptr || std::string_view(point) != "backup.before_spool") return {};
  spdlog::warn("fault injection: the agent kills itself at backup.before_spool");
  return [] {
    spdlog::critical("fault injection: SIGKILL at backup.before_spool");
    spdlog::default_logger()->flush();
    raise(SIGKILL);
  };
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

  // Block the stop signals in every thread (threads inherit the mask); main waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const Clock& clock = SystemClock::Instance();
  auto spool = Spool::Open(SpoolOptionsOf(*cfg), clock);
  if (!spool.ok()) {
    spdlog::critical("cannot open the spool: {}", spool.status().ToString());
    return 1;
  }
  auto stats = (*spool)->Stats();
  spdlog::info(
      "beacon-agent {} starting: name={} collector={} token from {} spool={} "
      "({} records pending) inputs: {}",
      BEACON_VERSION, cfg->name, cfg->collector.url, cfg->collector.token.source, cfg->spool.path,
      stats.ok() ? stats->pending_records : -1, InputsSummary(*cfg));
  if (!cfg->collector.tls_verify) {
    spdlog::warn("collector.tls_verify is false: the collector's certificate is NOT checked");
  }
  if (std::string warning = InsecureWarning(*cfg); !warning.empty()) {
    spdlog::warn("{}", warning.substr(std::string("warning: ").size()));
  }

  http::CurlClientOptions http_options;
  http_options.timeout_ms = cfg->collector.timeout_ms;
  http_options.connect_timeout_ms = std::min<int64_t>(cfg->collector.timeout_ms, 5000);
  http_options.verify_tls = cfg->collector.tls_verify;
  http_options.ca_file = cfg->collector.ca_file;
  http_options.client_cert_file = cfg->collector.tls_cert_file;
  http_options.client_key_file = cfg->collector.tls_key_file;
  http_options.user_agent = std::string("beacon-agent/") + BEACON_VERSION;
  auto client = http::NewCurlHttpClient(http_options);

  UplinkOptions uplink_options;
  uplink_options.collector_url = cfg->collector.url;
  uplink_options.token = cfg->collector.token.value();
  uplink_options.agent_name = cfg->name;
  uplink_options.timeout_ms = cfg->collector.timeout_ms;
  uplink_options.batch_max_records = static_cast<size_t>(cfg->uplink.batch_max_records);
  uplink_options.batch_max_bytes = cfg->uplink.batch_max_bytes;
  uplink_options.flush_interval_ms = cfg->uplink.flush_interval_ms;
  uplink_options.compress_threshold = cfg->uplink.compress_threshold;
  uplink_options.backoff_initial_ms = cfg->uplink.backoff_initial_ms;
  uplink_options.backoff_max_ms = cfg->uplink.backoff_max_ms;
  Uplink uplink(uplink_options, spool->get(), client.get(), &clock);

  std::vector<inputs::ScheduledInput> scheduled;
  for (const InputSettings& in : cfg->inputs) {
    if (in.enabled) {
      scheduled.push_back(
          {in.name, in.interval_ms, in.input, cfg->data_dir + "/inputs/" + in.name});
    }
  }
  Spool* spool_ptr = spool->get();
  inputs::Scheduler scheduler(
      std::move(scheduled),
      [spool_ptr, &uplink](std::vector<wire::Record> records) {
        // An input gathers again next interval and has no one to tell: at spool.max_event_bytes
        // its events are dropped and counted, its samples still kept.
        auto appended = spool_ptr->Append(std::move(records), EventCapPolicy::kDropEvents);
        if (appended.ok()) uplink.Notify();
        return appended.status();
      },
      clock);

  // Backups: a failure to open the state or a store stops the start (a silently absent backup
  // is the failure ModuleAB had).
  std::unique_ptr<BackupRuntime> backup_runtime;
  std::unique_ptr<backup::BackupService> backup_service;
  if (cfg->backup.enabled) {
    auto runtime = OpenBackup(*cfg, clock);
    if (!runtime.ok()) {
      spdlog::critical("cannot start backups: {}", runtime.status().ToString());
      return 1;
    }
    backup_runtime = std::move(*runtime);
    backup::BackupServiceOptions backup_options;
    backup_options.before_spool = BackupBeforeSpoolFault();
    backup_service = std::make_unique<backup::BackupService>(
        cfg->backup, backup_runtime->uploaders, *backup_runtime->state, clock, backup_options);
  }

  std::thread uplink_thread([&uplink] { uplink.Run(); });
  scheduler.Start();
  if (backup_service) {
    Status started = backup_service->Start([spool_ptr, &uplink](std::vector<wire::Record> records) {
      auto appended = spool_ptr->Append(std::move(records));
      if (appended.ok()) uplink.Notify();
      return appended.status();
    });
    if (!started.ok()) spdlog::error("backups not started: {}", started.ToString());
    spdlog::info("backups: {} set(s), state {}/backup/state.db", cfg->backup.sets.size(),
                 cfg->data_dir);
  }

  // The command channel (restores) runs whenever backups are configured.
  std::unique_ptr<CommandChannel> command_channel;
  std::unique_ptr<backup::RestoreHandler> restore_handler;
  std::thread command_thread;
  if (backup_runtime) {
    std::map<std::string, objstore::ObjectStore*> stores;
    for (const auto& [name, store] : backup_runtime->stores) stores[name] = store.get();
    backup::RestoreOptions restore_options;
    restore_options.roots = cfg->backup.restore_roots;
    restore_options.allow_setid = cfg->restore.allow_setid;
    for (const backup::BackupSetConfig& set : cfg->backup.sets) {
      if (set.encryption.enabled) {
        restore_options.keys_by_id[set.encryption.key_id] = set.encryption.key;
      }
    }
    restore_handler = std::make_unique<backup::RestoreHandler>(stores, restore_options, clock);
    command_channel = std::make_unique<CommandChannel>(
        cfg->collector.url, cfg->collector.token.value(),
        std::shared_ptr<http::HttpClient>(http::NewCurlHttpClient(http_options)), clock);
    command_channel->RegisterHandler("restore", restore_handler->AsCommandHandler());
    command_thread = std::thread([&command_channel] { command_channel->Run(); });
    spdlog::info("command channel: restores allowed under {}",
                 cfg->backup.restore_roots.empty()
                     ? std::string("(no restore_roots: none)")
                     : fmt::format("{}", fmt::join(cfg->backup.restore_roots, ", ")));
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received {}: stopping (finishing the send in progress)",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  if (command_channel) {
    command_channel->Stop();
    command_thread.join();
  }
  if (backup_service) backup_service->Stop();
  scheduler.Stop();
  uplink.Stop();
  uplink_thread.join();
  auto final_stats = (*spool)->Stats();
  spdlog::info("beacon-agent stopped; {} records left in the spool for the next start",
               final_stats.ok() ? final_stats->pending_records : -1);
  return 0;
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
  auto runtime = OpenBackup(*cfg, clock);
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
