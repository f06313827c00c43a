// BackupRunHandler: runs "backup.run" commands from the command channel: decodes
// wire::BackupRunArgs, backs the set up now through BackupService::RunSetNow (the pipeline of
// `backup once`: store sync, backup.version into the spool, state row) and reports paced
// progress (files done/total, bytes) and a result listing the versions stored. Runs on the
// channel's thread, one command at a time; progress comes from the run's worker threads, which
// RunSetNow serialises.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "agent/backup/backup_once.h"
#include "agent/uplink/command_channel.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/wire/agent_commands.h"

namespace beacon::agent::backup {

// Backs one set up now: BackupService::RunSetNow in production, a fake in tests.
using BackupRunFn = std::function<Result<OnceSetSummary>(
    const std::string& set, const std::function<void(const OnceProgress&)>& progress)>;

class BackupRunHandler {
 public:
  // `clock` paces progress reports (at most one per progress_interval_ms).
  explicit BackupRunHandler(BackupRunFn run, const Clock& clock = SystemClock::Instance(),
                            int64_t progress_interval_ms = 500);

  // Handles one "backup.run" command. Progress: "running" with done_bytes/total_bytes and
  // "backing up set S: F/T files". Then the final update: "succeeded" when every changed file
  // was stored or found unchanged, "failed" when some could not be backed up or the agent
  // stopped during the run; either way with the message "set S: N versions stored (SIZE), U
  // unchanged[, K skipped][, F failed: PATH: reason; ...]" and the result {"set", "stored",
  // "unchanged", "skipped", "failed", "bytes_read", "bytes_stored", "versions": [{"path",
  // "key", "store", "size", "stored_size", "sha256"}], "versions_omitted", "failures": [...],
  // "interrupted"}, the lists bounded so the update fits the collector's limit. Errors (the
  // command fails with their message): bad arguments, an unknown set (naming the known ones),
  // a run of the same set already in progress, the state database failing.
  Status Handle(const wire::Command& command, const CommandReportFn& report);

  // Handle() as a CommandChannel handler; the handler must outlive the channel's Run().
  CommandHandler AsCommandHandler();

 private:
  BackupRunFn run_;
  const Clock& clock_;
  int64_t progress_interval_ms_;
};

}  // namespace beacon::agent::backup
