// The beacon-collector commands; main.cpp only calls RunCli.
#include "collector/cli.h"

#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/backups/catalog.h"
#include "collector/config.h"
#include "collector/service.h"
#include "collector/store/sqlite_event_store.h"
#include "common/clock.h"
#include "common/log/log.h"

namespace beacon::collector {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr char kUsage[] =
    "usage: beacon-collector <command> [-c FILE]\n"
    "\n"
    "commands:\n"
    "  run -c FILE      run the collector until SIGTERM or SIGINT (SIGHUP reloads the TLS\n"
    "                   certificate and key)\n"
    "  check -c FILE    validate the configuration file and exit\n"
    "  migrate -c FILE  create or upgrade the store, backup catalog and alert store schemas\n"
    "                   and print the store's schema version\n"
    "  version          print the version\n"
    "\n"
    "options:\n"
    "  -c, --config FILE  configuration file (default /etc/beacon/collector.yaml)\n"
    "  -h, --help         show this help\n";

constexpr char kDefaultConfig[] = "/etc/beacon/collector.yaml";

struct Args {
  std::string command;
  std::string config = kDefaultConfig;
  bool help = false;
};

Result<Args> ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      args.help = true;
    } else if (arg == "-c" || arg == "--config") {
      if (i + 1 >= argc) return Status::InvalidArgument(arg + " needs a file");
      args.config = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      args.config = arg.substr(std::strlen("--config="));
    } else if (!arg.empty() && arg[0] == '-') {
      return Status::InvalidArgument("unknown option " + arg);
    } else if (args.command.empty()) {
      args.command = arg;
    } else {
      return Status::InvalidArgument("unexpected argument " + arg);
    }
  }
  return args;
}

Result<CollectorConfig> LoadOrReport(const std::string& path) {
  Result<CollectorConfig> config = LoadCollectorConfig(path);
  if (!config.ok()) std::fprintf(stderr, "%s\n", config.status().message().c_str());
  return config;
}

int Check(const Args& args) {
  if (!LoadOrReport(args.config).ok()) return kExitUsage;
  std::printf("config OK: %s\n", args.config.c_str());
  return kExitOk;
}

int Migrate(const Args& args) {
  Result<CollectorConfig> config = LoadOrReport(args.config);
  if (!config.ok()) return kExitUsage;
  Result<std::unique_ptr<SqliteEventStore>> store = SqliteEventStore::Open(config->store.path);
  if (!store.ok()) {
    std::fprintf(stderr, "migrate: %s\n", store.status().ToString().c_str());
    return kExitFailure;
  }
  Result<int> version = (*store)->SchemaVersion();
  if (!version.ok()) {
    std::fprintf(stderr, "migrate: %s\n", version.status().ToString().c_str());
    return kExitFailure;
  }
  std::printf("schema version %d: %s\n", *version, config->store.path.c_str());
  // The other stores `run` opens migrate on open too; done here so a package upgrade
  // (packaging/maint/collector.postinst.in) fails before the service starts, not after.
  const std::string catalog_path = CatalogPath(*config);
  if (Result<std::unique_ptr<backups::Catalog>> catalog = backups::Catalog::Open(catalog_path);
      !catalog.ok()) {
    std::fprintf(stderr, "migrate: %s: %s\n", catalog_path.c_str(),
                 catalog.status().ToString().c_str());
    return kExitFailure;
  }
  const std::string alerts_path = AlertsPath(*config);
  if (Result<std::unique_ptr<alerts::AlertStore>> alert_store =
          alerts::AlertStore::Open(alerts_path);
      !alert_store.ok()) {
    std::fprintf(stderr, "migrate: %s: %s\n", alerts_path.c_str(),
                 alert_store.status().ToString().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

int Run(const Args& args) {
  Result<CollectorConfig> config = LoadOrReport(args.config);
  if (!config.ok()) return kExitUsage;
  Status logging = log::Init(config->log, "beacon-collector");
  if (!logging.ok()) {
    std::fprintf(stderr, "log: %s\n", logging.ToString().c_str());
    return kExitUsage;
  }

  // Block the stop signals before any thread starts so every thread inherits the mask and only
  // sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);  // reloads the TLS certificate
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const RetentionConfig& retention = config->store.retention;
  spdlog::info(
      "beacon-collector {} starting: store {}, retention samples {} events {}, "
      "prune every {}",
      BEACON_VERSION, config->store.path, FormatDurationMs(retention.samples_ms),
      FormatDurationMs(retention.events_ms), FormatDurationMs(config->store.prune_interval_ms));
  CollectorService service(std::move(*config));
  Status started = service.Start();
  if (!started.ok()) {
    spdlog::critical("cannot start: {}", started.ToString());
    return kExitFailure;
  }
  spdlog::info("listening on {}", service.listen_url());

  int signal_number = 0;
  while (sigwait(&stop_signals, &signal_number) == 0 && signal_number == SIGHUP) {
    Status reloaded = service.ReloadTls();
    if (reloaded.ok()) {
      spdlog::info("SIGHUP: TLS certificate, key and client CA reloaded for new connections");
    } else {
      spdlog::error("SIGHUP: {}", reloaded.ToString());
    }
  }
  spdlog::info("received {}, stopping", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  service.Stop();
  spdlog::info("stopped");
  spdlog::shutdown();
  return kExitOk;
}

}  // namespace

int RunCli(int argc, char** argv) {
  Result<Args> args = ParseArgs(argc, argv);
  if (!args.ok()) {
    std::fprintf(stderr, "beacon-collector: %s\n%s", args.status().message().c_str(), kUsage);
    return kExitUsage;
  }
  if (args->help || args->command == "help") {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (args->command == "version") {
    std::printf("beacon-collector %s\n", BEACON_VERSION);
    return kExitOk;
  }
  if (args->command == "run") return Run(*args);
  if (args->command == "check") return Check(*args);
  if (args->command == "migrate") return Migrate(*args);
  if (args->command.empty()) {
    std::fputs(kUsage, stderr);
    return kExitUsage;
  }
  std::fprintf(stderr, "beacon-collector: unknown command '%s'\n%s", args->command.c_str(), kUsage);
  return kExitUsage;
}

}  // namespace beacon::collector
