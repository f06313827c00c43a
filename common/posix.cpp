// UniqueFd and ErrnoText (see posix.h).
#include "common/posix.h"

#include <string.h>
#include <unistd.h>

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

}  // namespace beacon
