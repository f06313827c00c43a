// InotifyWait: inotify_init1 + eventfd, polled together.
#include "agent/inotify_wait.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>

namespace beacon::agent {

Status InotifyWait::Open() {
  Close();
  inotify_fd_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (!inotify_fd_.valid()) {
    return Status::IoError(std::string("inotify_init1: ") + ErrnoText(errno));
  }
  wake_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake_fd_.valid()) {
    const int err = errno;
    Close();
    return Status::IoError(std::string("eventfd: ") + ErrnoText(err));
  }
  return Status::Ok();
}

InotifyWait::Ready InotifyWait::Wait(int timeout_ms) {
  struct pollfd fds[2] = {{inotify_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
  const int ready = ::poll(fds, 2, timeout_ms);
  if (ready < 0) return errno == EINTR ? Ready::kTimeout : Ready::kError;
  if (fds[1].revents & POLLIN) return Ready::kWoken;
  if (fds[0].revents & POLLIN) return Ready::kEvents;
  return Ready::kTimeout;
}

void InotifyWait::Wake() {
  if (!wake_fd_.valid()) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof(one));
}

void InotifyWait::Run(std::function<void()> loop) {
  stopping_ = false;
  thread_ = std::thread(std::move(loop));
}

void InotifyWait::Stop() {
  if (thread_.joinable()) {
    stopping_ = true;
    Wake();
    thread_.join();
  }
  Close();
}

void InotifyWait::Close() {
  inotify_fd_.reset();
  wake_fd_.reset();
}

}  // namespace beacon::agent
