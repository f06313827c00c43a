// UniqueFd and ErrnoText (see posix.h).
#include "common/posix.h"

#include <string.h>
#include <unistd.h>

#include <cerrno>

namespace beacon {

void UniqueFd::reset(int fd) {
  if (fd_ >= 0 && fd_ != fd) ::close(fd_);
  fd_ = fd;
}

int UniqueFd::Close() {
  const int rc = fd_ >= 0 ? ::close(fd_) : 0;
  fd_ = -1;
  return rc;
}

std::string ErrnoText(int err) {
  char buffer[256];
  // The GNU strerror_r returns the message, in `buffer` or in static storage.
  return ::strerror_r(err, buffer, sizeof(buffer));
}

Status WriteAll(int fd, std::string_view data, std::string_view context) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return Status::IoError(std::string(context) + ": " + ErrnoText(n < 0 ? errno : EIO));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace beacon
