// ZbxdExchange: a non-blocking socket with poll(2) deadlines.
#include "agent/zabbix/zbxd_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <memory>

#include "agent/zabbix/zbxd.h"
#include "common/posix.h"

namespace beacon::agent::zabbix {
namespace {

// Waits for `events` on fd until the deadline; false on timeout.
Result<bool> WaitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline - std::chrono::steady_clock::now())
                             .count();
    if (left <= 0) return false;
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 60'000)));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR)
      return Status::Unavailable(std::string("poll: ") + ErrnoText(errno));
  }
}

}  // namespace

Result<std::string> ZbxdExchange(const std::string& host, int port, const std::string& payload,
                                 int64_t timeout_ms, uint64_t max_response_bytes) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  const std::string where = host + ":" + std::to_string(port);
  BEACON_ASSIGN_OR_RETURN(std::string frame, EncodeZbxd(payload));

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int gai = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (gai != 0) return Status::Unavailable("resolving " + where + ": " + ::gai_strerror(gai));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);

  UniqueFd fd;
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai != nullptr && !fd.valid(); ai = ai->ai_next) {
    UniqueFd s(
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!s.valid()) {
      last_error = ErrnoText(errno);
      continue;
    }
    if (::connect(s.get(), ai->ai_addr, ai->ai_addrlen) == 0) {
      fd = std::move(s);
      break;
    }
    if (errno != EINPROGRESS) {
      last_error = ErrnoText(errno);
      continue;
    }
    BEACON_ASSIGN_OR_RETURN(bool ready, WaitFor(s.get(), POLLOUT, deadline));
    if (!ready) return Status::DeadlineExceeded("connecting to " + where + ": timed out");
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      last_error = ErrnoText(err);
      continue;
    }
    fd = std::move(s);
  }
  if (!fd.valid()) return Status::Unavailable("connecting to " + where + ": " + last_error);

  size_t sent = 0;
  while (sent < frame.size()) {
    ssize_t n = ::send(fd.get(), frame.data() + sent, frame.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Status::Unavailable("sending to " + where + ": " + ErrnoText(errno));
    }
    BEACON_ASSIGN_OR_RETURN(bool ready, WaitFor(fd.get(), POLLOUT, deadline));
    if (!ready) return Status::DeadlineExceeded("sending to " + where + ": timed out");
  }

  ZbxdOptions limits;
  limits.max_data_size = max_response_bytes;
  std::string buffer;
  char chunk[16384];
  for (;;) {
    auto decoded = DecodeZbxd(buffer, limits);
    if (!decoded.ok()) return decoded.status().WithContext("reply from " + where);
    if (decoded->has_value()) return std::move((*decoded)->data);
    BEACON_ASSIGN_OR_RETURN(bool ready, WaitFor(fd.get(), POLLIN, deadline));
    if (!ready)
      return Status::DeadlineExceeded("waiting for a reply from " + where + ": timed out");
    ssize_t n = ::recv(fd.get(), chunk, sizeof(chunk), 0);
    if (n == 0) {
      return Status::Unavailable(where + " closed the connection after " +
                                 std::to_string(buffer.size()) + " bytes of reply");
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
      return Status::Unavailable("reading from " + where + ": " + ErrnoText(errno));
    }
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace beacon::agent::zabbix
