// BackupRunHandler: "backup.run" command -> BackupService::RunSetNow, with paced progress and
// the versions stored as the result.
#include "agent/backup/backup_run_handler.h"

#include <spdlog/spdlog.h>

#include <utility>
#include <vector>

#include "agent/backup/restore_handler.h"
#include "common/strings.h"

namespace beacon::agent::backup {
namespace {

constexpr size_t kListedFailures = 20;
constexpr size_t kFailuresInMessage = 3;

wire::CommandUpdate FinalUpdate(const OnceSetSummary& summary) {
  wire::CommandUpdate done;
  done.state = summary.failed > 0 || summary.interrupted ? "failed" : "succeeded";
  done.done_bytes = summary.bytes_read;
  done.total_bytes = summary.bytes_read;
  std::string message = "set " + summary.set + ": " + std::to_string(summary.stored) +
                        (summary.stored == 1 ? " version" : " versions") + " stored (" +
                        RestoreSizeText(summary.bytes_read) + "), " +
                        std::to_string(summary.unchanged) + " unchanged";
  if (summary.skipped > 0) message += ", " + std::to_string(summary.skipped) + " skipped";
  if (summary.failed > 0) {
    message += ", " + std::to_string(summary.failed) + " failed";
    for (size_t i = 0; i < summary.failures.size() && i < kFailuresInMessage; ++i) {
      message += (i == 0 ? ": " : "; ") + summary.failures[i];
    }
  }
  if (summary.interrupted) {
    message += "; interrupted: the agent stopped before the run ended (run it again)";
  }
  done.message = CommandMessage(message);

  std::vector<nlohmann::json> versions;
  versions.reserve(summary.versions.size());
  for (const wire::BackupVersion& v : summary.versions) {
    versions.push_back({{"path", v.path},
                        {"key", v.key},
                        {"store", v.store},
                        {"size", v.size},
                        {"stored_size", v.stored_size},
                        {"sha256", v.sha256}});
  }
  std::vector<nlohmann::json> failures;
  for (size_t i = 0; i < summary.failures.size() && i < kListedFailures; ++i) {
    failures.emplace_back(std::string(TruncateUtf8(summary.failures[i], 512)));
  }
  // A quarter of the room for the failures, the rest for the versions.
  size_t omitted = 0;
  nlohmann::json failure_list = BoundedJsonArray(failures, kMaxCommandResultListBytes / 4, nullptr);
  nlohmann::json version_list =
      BoundedJsonArray(versions, kMaxCommandResultListBytes / 4 * 3, &omitted);
  done.result = {{"set", summary.set},
                 {"stored", summary.stored},
                 {"unchanged", summary.unchanged},
                 {"skipped", summary.skipped},
                 {"failed", summary.failed},
                 {"bytes_read", summary.bytes_read},
                 {"bytes_stored", summary.bytes_stored},
                 {"versions", std::move(version_list)},
                 {"versions_omitted", omitted},
                 {"failures", std::move(failure_list)},
                 {"interrupted", summary.interrupted}};
  return done;
}

}  // namespace

BackupRunHandler::BackupRunHandler(BackupRunFn run, const Clock& clock,
                                   int64_t progress_interval_ms)
    : run_(std::move(run)), clock_(clock), progress_interval_ms_(progress_interval_ms) {}

Status BackupRunHandler::Handle(const wire::Command& command, const CommandReportFn& report) {
  auto args = wire::BackupRunArgsFromJson(command.args);
  if (!args.ok()) {
    return Status::InvalidArgument("bad backup.run arguments: " + args.status().message());
  }
  ProgressReporter reporter(report, clock_, progress_interval_ms_);
  auto progress = [&](const OnceProgress& p) {
    wire::CommandUpdate update;
    update.done_bytes = p.bytes_done;
    update.total_bytes = p.bytes_total;
    update.message = "backing up set " + p.set + ": " + std::to_string(p.files_done) + "/" +
                     std::to_string(p.files_total) + " files" + (p.scan_done ? "" : " (scanning)");
    update.result = {
        {"files_done", p.files_done}, {"files_total", p.files_total}, {"scan_done", p.scan_done}};
    reporter.Report(std::move(update));
  };
  spdlog::info("backup.run: backing up set {} now", args->set);
  BEACON_ASSIGN_OR_RETURN(OnceSetSummary summary, run_(args->set, progress));
  spdlog::info("backup.run: set {}: {} stored, {} unchanged, {} failed{}", summary.set,
               summary.stored, summary.unchanged, summary.failed,
               summary.interrupted ? ", interrupted" : "");
  return report(FinalUpdate(summary));
}

CommandHandler BackupRunHandler::AsCommandHandler() {
  return [this](const wire::Command& command, CommandReportFn report) {
    return Handle(command, report);
  };
}

}  // namespace beacon::agent::backup
