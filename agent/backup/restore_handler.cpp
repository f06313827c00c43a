// RestoreHandler: "restore" command -> RestoreVersion, with paced progress updates.
#include "agent/backup/restore_handler.h"

#include <spdlog/spdlog.h>

#include <cstdio>

namespace beacon::agent::backup {

std::string RestoreSizeText(uint64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes) / 1024.0;
  size_t unit = 0;
  while (value >= 1024.0 && unit + 1 < std::size(kUnits)) {
    value /= 1024.0;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f %s", value, kUnits[unit]);
  return text;
}

RestoreHandler::RestoreHandler(std::map<std::string, objstore::ObjectStore*> stores,
                               RestoreOptions options, const Clock& clock, RestoreFn restore,
                               int64_t progress_interval_ms)
    : stores_(std::move(stores)),
      options_(std::move(options)),
      clock_(clock),
      restore_(restore ? std::move(restore) : RestoreFn(RestoreVersion)),
      progress_interval_ms_(progress_interval_ms) {}

Status RestoreHandler::Handle(const wire::Command& command, const CommandReportFn& report) {
  auto args = wire::RestoreArgsFromJson(command.args);
  if (!args.ok()) {
    return Status::InvalidArgument("bad restore arguments: " + args.status().message());
  }
  const wire::BackupVersion& version = args->version;
  auto store = stores_.find(version.store);
  if (store == stores_.end() || store->second == nullptr) {
    return Status::NotFound("object store '" + version.store +
                            "' is not configured on this agent (backup.stores in agent.yaml)");
  }

  // Paced by the clock, so a fast restore of many chunks does not flood the collector.
  ProgressReporter reporter(report, clock_, progress_interval_ms_);
  auto progress = [&](const RestoreProgress& p) {
    wire::CommandUpdate update;
    update.done_bytes = p.done_bytes;
    update.total_bytes = p.total_bytes;
    update.message = "restoring " + version.path;
    reporter.Report(std::move(update));
  };

  spdlog::info("restore: {} ({}, {}) from store '{}' to {}", version.path,
               RestoreSizeText(version.size), version.sha256.substr(0, 12), version.store,
               args->target);
  BEACON_RETURN_IF_ERROR(restore_(*args, *store->second, options_, progress));

  wire::CommandUpdate done;
  done.state = "succeeded";
  done.done_bytes = version.size;
  done.total_bytes = version.size;
  done.message = "restored " + version.path + " (" + RestoreSizeText(version.size) + ") to " +
                 args->target + ", sha256 verified";
  if (RestoredMode(version.mode, options_.allow_setid) != (version.mode & 07777)) {
    done.message += "; set-user-ID/set-group-ID bits removed (restore.allow_setid is off)";
  }
  done.result = {{"target", args->target}, {"sha256", version.sha256}, {"size", version.size}};
  return report(done);
}

CommandHandler RestoreHandler::AsCommandHandler() {
  return [this](const wire::Command& command, CommandReportFn report) {
    return Handle(command, report);
  };
}

}  // namespace beacon::agent::backup
