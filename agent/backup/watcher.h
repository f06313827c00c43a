// Backup-on-close change notification: one inotify instance watching every directory below the
// backup roots for IN_CLOSE_WRITE and IN_MOVED_TO. New directories are watched first and then
// scanned, so no file written into them is missed; IN_Q_OVERFLOW is reported so the owner runs
// a reconcile scan. The watcher only hands paths over (callbacks must return quickly); it never
// reads files and never subscribes to OPEN/ACCESS/CLOSE_NOWRITE, so uploads cannot feed back.
// Owns one thread between Start() and Stop().
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "agent/inotify_wait.h"
#include "common/mutex.h"
#include "common/status.h"

namespace beacon::agent::backup {

class BackupWatcher {
 public:
  struct Root {
    std::string path;       // absolute directory, no trailing '/'
    bool recursive = true;  // false: only this directory (the parent of a file root)
  };
  struct Callbacks {
    // Whether to watch/walk a directory, and whether a regular file is of interest.
    std::function<bool(const std::string& dir)> wants_dir;
    std::function<bool(const std::string& file)> wants_file;
    // Files that were closed after writing, renamed into place, or found in a new directory.
    // Called on the watcher's thread; must not block for long (the kernel queue fills meanwhile).
    std::function<void(std::vector<std::string> files)> on_files;
    // The kernel dropped events: everything must be reconciled.
    std::function<void()> on_overflow;
    // A problem that does not stop the watcher (a directory that could not be watched).
    std::function<void(const std::string& message)> on_error;
  };

  BackupWatcher(std::vector<Root> roots, Callbacks callbacks);
  ~BackupWatcher();
  BackupWatcher(const BackupWatcher&) = delete;
  BackupWatcher& operator=(const BackupWatcher&) = delete;

  // Creates the inotify instance, watches every wanted directory, starts the thread. Files that
  // already exist are not reported (the start-up reconcile finds them).
  Status Start();
  // Stops the thread and closes the instance. Idempotent.
  void Stop();
  size_t watch_count();

 private:
  void Loop();
  // Watches `dir` (and, when recursive, every wanted directory below it). With `report`, every
  // wanted regular file found while walking is appended to *files.
  void AddWatches(const std::string& dir, bool recursive, bool report,
                  std::vector<std::string>* files);
  void RemoveWatchesUnder(const std::string& path);
  bool IsRecursiveWatch(const std::string& dir);
  // Reads every queued event; true when the kernel reported an overflow.
  bool HandleEvents(std::vector<std::string>* files);

  std::vector<Root> roots_;
  Callbacks callbacks_;
  InotifyWait inotify_;
  Mutex mu_;
  std::map<int, std::string> watches_ BEACON_GUARDED_BY(mu_);  // wd -> directory
};

}  // namespace beacon::agent::backup
