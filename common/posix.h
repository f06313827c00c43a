// POSIX helpers: an owning file descriptor, errno's text and a whole write. UniqueFd is not
// thread-safe (one owner); the functions are.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon {

// Owns a file descriptor and closes it when destroyed; -1 owns nothing. Move-only.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Gives up ownership: the caller closes the returned descriptor.
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  // Closes the owned descriptor (its close error is lost) and owns `fd` instead.
  void reset(int fd = -1);
  // Closes now and returns what close() returned (0, or -1 with errno set): NFS and some
  // other file systems report write errors only there. Owns nothing afterwards.
  int Close();

 private:
  int fd_ = -1;
};

// strerror(err) without strerror's shared buffer: "No such file or directory".
std::string ErrnoText(int err);

// Writes all of `data` to fd, continuing after short writes and EINTR. On failure IoError
// "<context>: <errno text>" (a write that makes no progress counts as EIO); how much was
// written is then unknown.
Status WriteAll(int fd, std::string_view data, std::string_view context);

}  // namespace beacon
