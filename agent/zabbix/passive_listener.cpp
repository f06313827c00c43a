// PassiveListener: poll(2) over the listening socket and the connections still sending, two
// worker lanes behind it.
#include "agent/zabbix/passive_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace beacon::agent::zabbix {

struct PassiveListener::Pending {
  UniqueFd fd;
  std::string peer;
  std::string received;
  int64_t deadline_ms = 0;
  // A refused source: our side is shut down (the client reads EOF, as from zabbix_agentd) and
  // what it sends is read and dropped until it closes, so the close is a FIN, not a reset.
  bool discard = false;
};

namespace {

std::string PeerAddress(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text, sizeof(text));
  } else if (addr.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(addr).sin6_addr, text,
                sizeof(text));
  }
  return text;
}

// Sends all of `data` before `deadline_ms` (monotonic) on a non-blocking socket.
bool SendBefore(int fd, std::string_view data, int64_t deadline_ms, const Clock& clock) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int64_t left = deadline_ms - clock.MonotonicMs();
      if (left <= 0) return false;
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, static_cast<int>(left)) < 0 && errno != EINTR) return false;
      continue;
    }
    return false;
  }
  return true;
}

}  // namespace

PassiveListener::PassiveListener(PassiveListenerOptions options, const ItemTable& table,
                                 ItemContext context, const Clock& clock, ItemWorkers* workers)
    : options_(std::move(options)),
      table_(table),
      context_(std::move(context)),
      clock_(clock),
      workers_(workers) {
  if (workers_ == nullptr) {
    own_workers_ = std::make_unique<ItemWorkers>(
        ItemWorkersOptions{options_.cheap_workers, options_.slow_workers, options_.lane_queue});
    workers_ = own_workers_.get();
  }
}

PassiveListener::~PassiveListener() { Stop(); }

Status PassiveListener::Start() {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (::inet_pton(AF_INET, options_.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(options_.port);
    addr_len = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, options_.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(options_.port);
    addr_len = sizeof(sockaddr_in6);
  } else {
    return Status::InvalidArgument("zabbix.listen: '" + options_.address +
                                   "' is not an IP address");
  }
  const std::string where = options_.address + ":" + std::to_string(options_.port);
  UniqueFd fd(::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Status::IoError("zabbix listener socket: " + ErrnoText(errno));
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    return Status::IoError("cannot listen on " + where + ": " + ErrnoText(errno));
  }
  if (::listen(fd.get(), 128) != 0) {
    return Status::IoError("cannot listen on " + where + ": " + ErrnoText(errno));
  }
  sockaddr_storage bound{};
  socklen_t bound_len = sizeof(bound);
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &bound_len);
  bound_port_ =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  UniqueFd wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake.valid()) return Status::IoError("zabbix listener eventfd: " + ErrnoText(errno));
  listen_fd_ = std::move(fd);
  wake_fd_ = std::move(wake);
  stopping_ = false;
  if (own_workers_) own_workers_->Start();
  io_thread_ = std::thread([this] { IoLoop(); });
  return Status::Ok();
}

void PassiveListener::Stop() {
  if (!io_thread_.joinable()) return;
  stopping_ = true;
  const uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof(one));
  io_thread_.join();
  if (own_workers_) own_workers_->Stop();  // queued requests are closed unanswered
  listen_fd_.reset();
  wake_fd_.reset();
}

PassiveListenerStats PassiveListener::stats() const {
  PassiveListenerStats s;
  s.accepted = accepted_;
  s.refused_source = refused_source_;
  s.refused_request = refused_request_;
  s.timed_out = timed_out_;
  s.busy = busy_;
  s.answered = answered_;
  return s;
}

void PassiveListener::IoLoop() {
  std::vector<Pending> pending;
  std::vector<pollfd> fds;
  while (!stopping_) {
    const int64_t now = clock_.MonotonicMs();
    // Close the connections whose request did not arrive in time.
    size_t kept = 0;
    int64_t next_deadline = now + 60'000;
    for (Pending& conn : pending) {
      if (conn.deadline_ms <= now) {
        if (!conn.discard) ++timed_out_;
        continue;  // closed by its UniqueFd
      }
      next_deadline = std::min(next_deadline, conn.deadline_ms);
      if (&pending[kept] != &conn) pending[kept] = std::move(conn);
      ++kept;
    }
    pending.resize(kept);

    fds.clear();
    fds.push_back({wake_fd_.get(), POLLIN, 0});
    fds.push_back({listen_fd_.get(), POLLIN, 0});
    for (const Pending& conn : pending) fds.push_back({conn.fd.get(), POLLIN, 0});
    const int wait = static_cast<int>(std::max<int64_t>(0, next_deadline - now));
    const int n = ::poll(fds.data(), fds.size(), wait);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("zabbix listener: poll failed: {}", ErrnoText(errno));
      break;
    }
    if (stopping_) break;
    // Connections first (their indexes follow the two fixed entries), then new ones.
    std::vector<Pending> still;
    still.reserve(pending.size());
    for (size_t i = 0; i < pending.size(); ++i) {
      const short revents = fds[i + 2].revents;
      if (revents != 0 && ReadRequest(&pending[i])) continue;
      still.push_back(std::move(pending[i]));
    }
    pending = std::move(still);
    if (fds[1].revents & POLLIN) AcceptAll(&pending);
  }
}

void PassiveListener::AcceptAll(std::vector<Pending>* pending) {
  for (;;) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    UniqueFd fd(::accept4(listen_fd_.get(), reinterpret_cast<sockaddr*>(&addr), &len,
                          SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        spdlog::warn("zabbix listener: accept failed: {}", ErrnoText(errno));
      }
      return;
    }
    ++accepted_;
    std::string peer = PeerAddress(addr);
    const bool refused = !http::AddressAllowed(peer, options_.allow);
    if (refused) {
      ++refused_source_;
      // Like zabbix_agentd: close with nothing sent. Logged at most once a second.
      const int64_t now = clock_.MonotonicMs();
      if (now - last_refusal_log_ms_ >= 1000) {
        last_refusal_log_ms_ = now;
        spdlog::warn("zabbix listener: connection from \"{}\" rejected, allowed hosts: \"{}\"",
                     peer, options_.allow_text);
      }
      ::shutdown(fd.get(), SHUT_WR);
    }
    Pending conn;
    conn.discard = refused;
    conn.fd = std::move(fd);
    conn.peer = std::move(peer);
    conn.deadline_ms = clock_.MonotonicMs() + options_.timeout_ms;
    // Most clients send the key with the connection: read it now rather than a poll later.
    if (!refused && ReadRequest(&conn)) continue;
    if (pending->size() >= options_.max_pending) {
      ++timed_out_;
      pending->erase(pending->begin());  // the oldest has waited longest for nothing
    }
    pending->push_back(std::move(conn));
  }
}

bool PassiveListener::ReadRequest(Pending* conn) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(conn->fd.get(), buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (n <= 0) {
      if (!conn->discard) ++refused_request_;  // closed (or failed) before a whole request
      return true;
    }
    if (conn->discard) continue;
    conn->received.append(buffer, static_cast<size_t>(n));
    PassiveRequest request = ParsePassiveRequest(conn->received, options_.max_request_bytes);
    if (request.state == PassiveRequest::State::kNeedMore) continue;
    if (request.state == PassiveRequest::State::kRefused) {
      ++refused_request_;
      spdlog::debug("zabbix listener: request from {} ignored: {}", conn->peer, request.reason);
      return true;
    }
    Dispatch(std::move(conn->fd), std::move(request.key));
    return true;
  }
}

void PassiveListener::Dispatch(UniqueFd fd, std::string key) {
  const ItemCost cost = ItemWorkers::CostOf(table_, key);
  // An item gets the whole timeout from the moment its request is complete, as in zabbix_agentd.
  // Shared so the task stays copyable; a dropped task closes the connection unanswered.
  auto job = std::make_shared<Job>(
      Job{std::move(fd), std::move(key), clock_.MonotonicMs() + options_.timeout_ms});
  if (cost == ItemCost::kInstant) {
    // A constant of a few bytes into a fresh connection's empty send buffer: answered here,
    // with a short send deadline so a client that never reads cannot hold the I/O thread.
    Answer(job.get(), clock_.MonotonicMs() + kInstantSendMs);
    return;
  }
  const int busy_fd = job->fd.get();
  if (workers_->Submit(
          cost, [this, job] { Answer(job.get(), clock_.MonotonicMs() + options_.timeout_ms); })) {
    return;
  }
  ++busy_;
  const std::string reply = EncodePassiveReply(
      ItemResult::NotSupported("Too many requests in progress, try again later."));
  SendBefore(busy_fd, reply, clock_.MonotonicMs() + 100, clock_);
}

void PassiveListener::Answer(Job* job, int64_t send_deadline_ms) {
  ItemContext context = context_;
  context.deadline_ms = job->deadline_ms;
  const ItemResult result = table_.Run(job->key, context);
  const std::string reply = EncodePassiveReply(result);
  // The reply gets its own deadline: a client that does not read it cannot hold the worker
  // (or the I/O thread) for longer.
  if (SendBefore(job->fd.get(), reply, send_deadline_ms, clock_)) {
    ++answered_;
  }
  ::shutdown(job->fd.get(), SHUT_WR);
  job->fd.reset();
}

}  // namespace beacon::agent::zabbix
