// An inotify descriptor paired with an eventfd, and the thread that waits on them, so a watcher
// can be stopped at once. Shared by the FIM watcher and the backup watcher. Wake() and
// stopping() may be called from any thread; everything else belongs to the owner.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "common/posix.h"
#include "common/status.h"

namespace beacon::agent {

class InotifyWait {
 public:
  enum class Ready { kEvents, kTimeout, kWoken, kError };

  InotifyWait() = default;
  ~InotifyWait() { Stop(); }
  InotifyWait(const InotifyWait&) = delete;
  InotifyWait& operator=(const InotifyWait&) = delete;

  // Creates both descriptors (non-blocking, close-on-exec). IoError naming the failing call;
  // nothing stays open on failure.
  Status Open();
  // The inotify descriptor for inotify_add_watch / read; -1 when not open.
  int fd() const { return inotify_fd_.get(); }
  // Waits up to timeout_ms (-1: forever) for events or a Wake(). An interrupted wait is
  // kTimeout; kError leaves errno set.
  Ready Wait(int timeout_ms);
  void Wake();
  // Runs `loop` on the owned thread (after Open() and the first watches). The loop calls
  // Wait() and returns once stopping() is true.
  void Run(std::function<void()> loop);
  bool stopping() const { return stopping_; }
  // Sets stopping(), wakes and joins the loop, then closes both descriptors. Idempotent.
  void Stop();
  // Closes both descriptors (the loop must not be running).
  void Close();

 private:
  UniqueFd inotify_fd_;
  UniqueFd wake_fd_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace beacon::agent
