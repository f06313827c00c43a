// Reconcile scan: walks a backup set's roots (respecting its globs) and lists every regular file
// whose (size, mtime_ns, inode) differs from the BackupState record, or that has none. This is
// what catches files inotify never reported: written while the agent was down, or lost to
// IN_Q_OVERFLOW. Runs on the caller's thread; safe to run for different sets at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agent/backup/backup_config.h"
#include "agent/backup/globs.h"
#include "agent/backup/state.h"
#include "common/status.h"

namespace beacon::agent::backup {

// The identity of a file as stat(2) saw it; exists=false when it is gone.
struct FileStat {
  bool exists = false;
  bool regular = false;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t inode = 0;
  bool operator==(const FileStat& other) const = default;
};
// lstat(2) of `path` (a symlink is not regular: it is never followed).
FileStat StatFile(const std::string& path);

struct ScanResult {
  struct Changed {
    std::string path;
    FileStat stat;
    bool recorded = false;  // the state has a (different) record of the file
  };
  std::vector<Changed> changed;  // in walk order
  uint64_t files_scanned = 0;    // selected regular files seen
  uint64_t bytes_scanned = 0;
  uint64_t forgotten = 0;           // state records dropped because the file is gone
  std::vector<std::string> errors;  // directories that could not be read (the walk goes on)
};

class Reconciler {
 public:
  Reconciler(const BackupSetConfig& set, BackupState& state);

  // Walks the set. State records of files that no longer exist (or are no longer selected) are
  // forgotten. `cancel` (may be null) stops the walk early with what was found so far.
  // Errors: only the state database's.
  Result<ScanResult> Scan(const std::atomic<bool>* cancel = nullptr);
  // As above, handing each changed file to `on_changed` as soon as it is found (so backups can
  // start while the walk goes on) instead of listing it in ScanResult::changed.
  using ChangedSink = std::function<void(ScanResult::Changed)>;
  Result<ScanResult> Scan(const std::atomic<bool>* cancel, const ChangedSink& on_changed);

 private:
  const BackupSetConfig& set_;
  BackupState& state_;
  SetSelector selector_;
};

}  // namespace beacon::agent::backup
