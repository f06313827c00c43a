// An inotify descriptor paired with an eventfd, so the thread that waits for file events can be
// woken at once when its owner stops. Shared by the FIM watcher and the backup watcher.
// Wake() may be called from any thread; everything else belongs to the waiting thread's owner.
#pragma once

#include "common/status.h"

namespace beacon {

class InotifyWait {
 public:
  enum class Ready { kEvents, kTimeout, kWoken, kError };

  InotifyWait() = default;
  ~InotifyWait() { Close(); }
  InotifyWait(const InotifyWait&) = delete;
  InotifyWait& operator=(const InotifyWait&) = delete;

  // Creates both descriptors (non-blocking, close-on-exec). IoError naming the failing call;
  // nothing stays open on failure.
  Status Open();
  // The inotify descriptor for inotify_add_watch / read; -1 when not open.
  int fd() const { return inotify_fd_; }
  // Waits up to timeout_ms (-1: forever) for events or a Wake(). An interrupted wait is
  // kTimeout; kError leaves errno set.
  Ready Wait(int timeout_ms);
  void Wake();
  // Closes both descriptors (the waiting thread must have returned).
  void Close();

 private:
  int inotify_fd_ = -1;
  int wake_fd_ = -1;
};

}  // namespace beacon
