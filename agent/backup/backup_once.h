// BackupOnce: `beacon-agent backup once`, and the running agent's "backup.run" command
// (BackupService::RunSetNow). One reconcile scan of each set and an immediate backup of every
// changed file with `config.concurrency` workers (no debounce; a file that changes while read
// is retried up to max_attempts). Stored versions are committed in batches through
// CommitVersions (version_commit.h): the same order as the running agent, one store Sync, one
// spool append and one state transaction per batch. Run() is called from one thread and joins
// every thread it starts before it returns.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "agent/backup/backup_config.h"
#include "agent/backup/state.h"
#include "agent/backup/uploader.h"
#include "agent/backup/version_commit.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/wire/backup.h"

namespace beacon::agent::backup {

struct OnceSetSummary {
  std::string set;
  uint64_t scanned = 0;
  uint64_t stored = 0;
  uint64_t unchanged = 0;
  uint64_t skipped = 0;  // vanished / not regular
  uint64_t failed = 0;
  uint64_t bytes_read = 0;            // plaintext of stored versions
  uint64_t bytes_stored = 0;          // in the store
  std::vector<std::string> failures;  // "PATH: reason"
  // The catalog records of the versions committed, in commit order (only with
  // BackupOnceOptions::keep_versions).
  std::vector<wire::BackupVersion> versions;
  bool interrupted = false;  // BackupOnceOptions::cancel stopped the run: files were left out
};

// How far one set's run is; the totals grow while the scan walks.
struct OnceProgress {
  std::string set;
  uint64_t files_total = 0;  // changed files found so far
  uint64_t files_done = 0;   // of those: stored, unchanged, skipped or failed
  uint64_t bytes_total = 0;  // their sizes when the scan saw them
  uint64_t bytes_done = 0;   // the sizes of the files done
  bool scan_done = false;    // files_total and bytes_total are final
};

struct BackupOnceOptions {
  // Called after each file is done and when the scan ends, from the run's threads but one call
  // at a time; may be empty.
  std::function<void(const OnceProgress&)> progress;
  bool keep_versions = false;  // fill OnceSetSummary::versions
  // When it becomes true (set by another thread), the scan stops and files not started yet are
  // left out; the files being uploaded finish and are committed. May be null.
  const std::atomic<bool>* cancel = nullptr;
};

class BackupOnce {
 public:
  // `uploaders` maps a store name to the Uploader of that store. References must outlive the
  // object; `sink` receives the backup.version records (the spool).
  BackupOnce(const BackupConfig& config, std::map<std::string, Uploader*> uploaders,
             BackupState& state, const Clock& clock, RecordSink sink,
             BackupOnceOptions options = {});

  // Backs up the named sets (every set when empty), one after the other, and returns one
  // summary per set; files that fail are counted there, not returned as errors. Errors:
  // InvalidArgument for an unknown set name (nothing is read) or a set whose store has no
  // uploader; the state database's error when the scan cannot read it. A cancelled run returns
  // the summaries so far, the last one `interrupted`.
  Result<std::vector<OnceSetSummary>> Run(const std::vector<std::string>& set_names);

 private:
  const BackupConfig& config_;
  std::map<std::string, Uploader*> uploaders_;
  BackupState& state_;
  const Clock& clock_;
  RecordSink sink_;
  BackupOnceOptions options_;
};

}  // namespace beacon::agent::backup
