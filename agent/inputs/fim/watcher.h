// Realtime change notification for the fim input: inotify watches on every directory under the
// configured paths (new directories are watched and scanned as they appear), events collapsed
// into dirty paths after a quiet period, and IN_Q_OVERFLOW turned into a request for a full
// check because the kernel has dropped events. Owns one thread between Start() and Stop().
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "agent/inotify_wait.h"
#include "agent/inputs/fim/engine.h"
#include "common/status.h"

namespace beacon::agent::fim {

class Watcher {
 public:
  struct Callbacks {
    // Paths to re-check (called on the watcher's thread; may block, events queue meanwhile).
    std::function<void(std::vector<DirtyPath>)> on_dirty;
    // Events were lost: everything must be checked.
    std::function<void()> on_overflow;
    // A problem that does not stop the watcher (a directory that could not be watched).
    std::function<void(const std::string& message)> on_error;
  };

  // quiet_ms: dirty paths are handed over once no event came for this long, or at the latest
  // max_wait_ms after the first one (a file written continuously is still checked).
  Watcher(const Scanner& scanner, Callbacks callbacks, int64_t quiet_ms = 200,
          int64_t max_wait_ms = 2000);
  ~Watcher();
  // Creates the inotify instance, watches every directory, starts the thread.
  Status Start();
  void Stop();
  size_t watch_count();

 private:
  void Loop();
  // Watches `dir` and every directory below it that is not excluded.
  void AddWatches(const std::string& dir);
  void RemoveWatchesUnder(const std::string& path);
  bool UnderRoots(const std::string& path) const;
  void HandleEvents(std::map<std::string, bool>* dirty, bool* overflow);

  const Scanner& scanner_;
  Callbacks callbacks_;
  const int64_t quiet_ms_;
  const int64_t max_wait_ms_;
  InotifyWait inotify_;
  std::mutex mu_;
  std::map<int, std::string> watches_;  // wd -> directory; guarded by mu_
};

}  // namespace beacon::agent::fim
