// The agent process without its CLI: config -> spool -> inputs and uplink, the backup pipeline
// and the command channel, and the stop signals around them.
#include "agent/service.h"

#include <fmt/ranges.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "common/cloud/objstore/store_config.h"
#include "common/wire/agent_commands.h"

namespace beacon::agent {
namespace {

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

// A start-up failure worded as the log line says it: "what: Code: cause".
Status StartError(const std::string& what, const Status& cause) {
  return Status(cause.code(), what + ": " + cause.ToString());
}

// Fault injection for the crash tests (tests/integration/test_backup_faults.py): with
// BEACON_AGENT_FAULT_POINT=backup.before_spool the agent SIGKILLs itself after a backup version
// is stored and synced and before its catalog record is spooled. Empty (no hook) unless the
// variable names that point.
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

}  // namespace

SpoolOptions SpoolOptionsOf(const AgentConfig& cfg) {
  SpoolOptions options;
  options.path = cfg.spool.path;
  options.max_bytes = cfg.spool.max_bytes;
  options.max_event_bytes = cfg.spool.max_event_bytes;
  return options;
}

Result<std::unique_ptr<BackupRuntime>> OpenBackupRuntime(const AgentConfig& cfg,
                                                         const Clock& clock) {
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

AgentService::AgentService(AgentConfig config, const Clock& clock, AgentServiceOptions options)
    : config_(std::move(config)), clock_(clock), options_(std::move(options)) {}

AgentService::~AgentService() { Stop(); }

Status AgentService::Start() {
  const AgentConfig& cfg = config_;
  auto spool = Spool::Open(SpoolOptionsOf(cfg), clock_);
  if (!spool.ok()) return StartError("cannot open the spool", spool.status());
  spool_ = std::move(*spool);
  auto stats = spool_->Stats();
  spdlog::info(
      "beacon-agent {} starting: name={} collector={} token from {} spool={} "
      "({} records pending) inputs: {}",
      BEACON_VERSION, cfg.name, cfg.collector.url, cfg.collector.token.source, cfg.spool.path,
      stats.ok() ? stats->pending_records : -1, InputsSummary(cfg));
  if (!cfg.collector.tls_verify) {
    spdlog::warn("collector.tls_verify is false: the collector's certificate is NOT checked");
  }
  if (std::string warning = InsecureWarning(cfg); !warning.empty()) {
    spdlog::warn("{}", warning.substr(std::string("warning: ").size()));
  }

  http::CurlClientOptions http_options;
  http_options.timeout_ms = cfg.collector.timeout_ms;
  http_options.connect_timeout_ms = std::min<int64_t>(cfg.collector.timeout_ms, 5000);
  http_options.verify_tls = cfg.collector.tls_verify;
  http_options.ca_file = cfg.collector.ca_file;
  http_options.client_cert_file = cfg.collector.tls_cert_file;
  http_options.client_key_file = cfg.collector.tls_key_file;
  http_options.user_agent = std::string("beacon-agent/") + BEACON_VERSION;
  uplink_http_ = http::NewCurlHttpClient(http_options);

  UplinkOptions uplink_options;
  uplink_options.collector_url = cfg.collector.url;
  uplink_options.token = cfg.collector.token.value();
  uplink_options.agent_name = cfg.name;
  uplink_options.timeout_ms = cfg.collector.timeout_ms;
  uplink_options.batch_max_records = static_cast<size_t>(cfg.uplink.batch_max_records);
  uplink_options.batch_max_bytes = cfg.uplink.batch_max_bytes;
  uplink_options.flush_interval_ms = cfg.uplink.flush_interval_ms;
  uplink_options.compress_threshold = cfg.uplink.compress_threshold;
  uplink_options.backoff_initial_ms = cfg.uplink.backoff_initial_ms;
  uplink_options.backoff_max_ms = cfg.uplink.backoff_max_ms;
  uplink_ = std::make_unique<Uplink>(uplink_options, spool_.get(), uplink_http_.get(), &clock_);

  if (cfg.zabbix.listen_enabled || !cfg.zabbix.server_active.empty()) {
    std::map<std::string, std::string> metric_inputs;
    for (const InputSettings& in : cfg.inputs) {
      for (const inputs::MetricSpec& metric : in.input->metrics())
        metric_inputs[metric.name] = in.name;
    }
    zabbix_ = std::make_unique<zabbix::ZabbixService>(cfg.zabbix, std::move(metric_inputs));
  }

  std::vector<inputs::ScheduledInput> scheduled;
  for (const InputSettings& in : cfg.inputs) {
    if (in.enabled) {
      scheduled.push_back({in.name, in.interval_ms, in.input, cfg.data_dir + "/inputs/" + in.name});
    }
  }
  scheduler_ = std::make_unique<inputs::Scheduler>(
      std::move(scheduled),
      [this](std::vector<wire::Record> records) {
        // An input gathers again next interval and has no one to tell: at spool.max_event_bytes
        // its events are dropped and counted, its samples still kept.
        if (zabbix_) zabbix_->Observe(records);
        auto appended = spool_->Append(std::move(records), EventCapPolicy::kDropEvents);
        if (appended.ok()) uplink_->Notify();
        return appended.status();
      },
      clock_);

  // Backups: a failure to open the state or a store stops the start (a silently absent backup
  // is the failure ModuleAB had).
  if (cfg.backup.enabled) {
    auto runtime = OpenBackupRuntime(cfg, clock_);
    if (!runtime.ok()) {
      Stop();
      return StartError("cannot start backups", runtime.status());
    }
    backup_runtime_ = std::move(*runtime);
    backup::BackupServiceOptions backup_options;
    backup_options.before_spool = options_.backup_before_spool;
    backup_service_ = std::make_unique<backup::BackupService>(
        cfg.backup, backup_runtime_->uploaders, *backup_runtime_->state, clock_, backup_options);
  }

  uplink_thread_ = std::thread([this] { uplink_->Run(); });
  scheduler_->Start();
  scheduler_started_ = true;
  if (backup_service_) {
    Status started = backup_service_->Start([this](std::vector<wire::Record> records) {
      if (zabbix_) zabbix_->Observe(records);
      auto appended = spool_->Append(std::move(records));
      if (appended.ok()) uplink_->Notify();
      return appended.status();
    });
    if (!started.ok()) spdlog::error("backups not started: {}", started.ToString());
    spdlog::info("backups: {} set(s), state {}/backup/state.db", cfg.backup.sets.size(),
                 cfg.data_dir);
  }
  // The command channel runs whenever there is something to command: backups (restore,
  // backup.run) or fim paths (fim.accept).
  inputs::FimInput* fim = ConfiguredFimInput();
  if (backup_runtime_ || fim != nullptr) StartCommandChannel(http_options, fim);
  if (zabbix_) {
    if (Status started = zabbix_->Start(ZabbixSources()); !started.ok()) {
      Stop();
      return StartError("cannot start the zabbix listener", started);
    }
  }
  return Status::Ok();
}

zabbix::BeaconSources AgentService::ZabbixSources() {
  zabbix::BeaconSources sources;
  Spool* spool = spool_.get();
  sources.spool_pending_bytes = [spool]() -> Result<int64_t> {
    BEACON_ASSIGN_OR_RETURN(SpoolStats stats, spool->Stats());
    return stats.pending_bytes;
  };
  if (backup_runtime_) {
    backup::BackupState* state = backup_runtime_->state.get();
    std::vector<std::string> sets;
    for (const backup::BackupSetConfig& set : config_.backup.sets) sets.push_back(set.name);
    sources.backup_last_success_ms =
        [state, sets](const std::string& set) -> Result<std::optional<int64_t>> {
      if (std::find(sets.begin(), sets.end(), set) == sets.end()) {
        return Status::NotFound("No backup set \"" + set + "\" is configured.");
      }
      return state->LastSuccessMs(set);
    };
  }
  return sources;
}

inputs::FimInput* AgentService::ConfiguredFimInput() {
  for (const InputSettings& in : config_.inputs) {
    if (in.name != "fim") continue;
    auto* fim = dynamic_cast<inputs::FimInput*>(in.input.get());
    if (fim == nullptr || fim->options().paths.empty()) return nullptr;
    // An enabled input was configured by its Start(); a disabled one only needs the paths
    // worked out, for fim.accept on the baseline that `beacon-agent fim init` builds.
    if (!in.enabled) fim->Configure(config_.data_dir + "/inputs/" + in.name);
    return fim;
  }
  return nullptr;
}

void AgentService::StartCommandChannel(const http::CurlClientOptions& http_options,
                                       inputs::FimInput* fim) {
  const AgentConfig& cfg = config_;
  command_channel_ = std::make_unique<CommandChannel>(
      cfg.collector.url, cfg.collector.token.value(),
      std::shared_ptr<http::HttpClient>(http::NewCurlHttpClient(http_options)), clock_);
  std::vector<std::string> kinds;
  if (backup_runtime_) {
    std::map<std::string, objstore::ObjectStore*> stores;
    for (const auto& [name, store] : backup_runtime_->stores) stores[name] = store.get();
    backup::RestoreOptions restore_options;
    restore_options.roots = cfg.backup.restore_roots;
    restore_options.allow_setid = cfg.restore.allow_setid;
    for (const backup::BackupSetConfig& set : cfg.backup.sets) {
      if (set.encryption.enabled) {
        restore_options.keys_by_id[set.encryption.key_id] = set.encryption.key;
      }
    }
    restore_handler_ = std::make_unique<backup::RestoreHandler>(stores, restore_options, clock_);
    command_channel_->RegisterHandler(std::string(backup::kRestoreCommandKind),
                                      restore_handler_->AsCommandHandler());
    kinds.push_back(fmt::format(
        "restore (under {})", cfg.backup.restore_roots.empty()
                                  ? std::string("no restore_roots: none allowed")
                                  : fmt::format("{}", fmt::join(cfg.backup.restore_roots, ", "))));
  }
  if (backup_service_) {
    backup::BackupService* service = backup_service_.get();
    backup_run_handler_ = std::make_unique<backup::BackupRunHandler>(
        [service](const std::string& set,
                  const std::function<void(const backup::OnceProgress&)>& progress) {
          return service->RunSetNow(set, progress);
        },
        clock_);
    command_channel_->RegisterHandler(std::string(wire::kBackupRunCommandKind),
                                      backup_run_handler_->AsCommandHandler());
    kinds.emplace_back(wire::kBackupRunCommandKind);
  }
  if (fim != nullptr) {
    fim_accept_handler_ = std::make_unique<fim::FimAcceptHandler>(
        [fim](const std::string& path) { return fim->AcceptPath(path); });
    command_channel_->RegisterHandler(std::string(wire::kFimAcceptCommandKind),
                                      fim_accept_handler_->AsCommandHandler());
    kinds.emplace_back(wire::kFimAcceptCommandKind);
  }
  command_thread_ = std::thread([this] { command_channel_->Run(); });
  spdlog::info("command channel: {}", fmt::format("{}", fmt::join(kinds, ", ")));
}

void AgentService::Stop() {
  if (zabbix_) zabbix_->Stop();
  if (command_thread_.joinable()) {
    command_channel_->Stop();
    // A backup.run in progress holds the channel's thread: the backups' stop cuts it short.
    if (backup_service_) backup_service_->Stop();
    command_thread_.join();
  }
  if (backup_service_) backup_service_->Stop();
  if (scheduler_started_) {
    scheduler_->Stop();
    scheduler_started_ = false;
  }
  if (uplink_thread_.joinable()) {
    uplink_->Stop();
    uplink_thread_.join();
  }
}

int RunAgent(AgentConfig config) {
  // Block the stop signals in every thread (threads inherit the mask); main waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  AgentServiceOptions options;
  options.backup_before_spool = BackupBeforeSpoolFault();  // before any thread starts
  AgentService service(std::move(config), SystemClock::Instance(), std::move(options));
  if (Status started = service.Start(); !started.ok()) {
    spdlog::critical("{}", started.message());
    return 1;
  }

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("received {}: stopping (finishing the send in progress)",
               signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  service.Stop();
  auto final_stats = service.spool()->Stats();
  spdlog::info("beacon-agent stopped; {} records left in the spool for the next start",
               final_stats.ok() ? final_stats->pending_records : -1);
  return 0;
}

}  // namespace beacon::agent
