// HostListenerSource on the running kernel: a listener and a UDP socket this test opens are
// found through the sock_diag dump alone (no /proc/net to fall back to) and, with the real
// /proc, mapped to this process.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>

#include "agent/inputs/ports/host.h"

namespace beacon::agent::inputs::ports {
namespace {

// A socket bound to 127.0.0.1 on a kernel-chosen port; TCP ones listen.
class LocalSocket {
 public:
  explicit LocalSocket(int type) : fd_(::socket(AF_INET, type | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        (type == SOCK_STREAM && ::listen(fd_, 4) != 0) ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return;
    }
    port_ = ntohs(addr.sin_port);
  }
  ~LocalSocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_ = 0;
};

const Listener* Find(const std::vector<Listener>& listeners, const std::string& proto,
                     uint16_t port) {
  auto it = std::find_if(listeners.begin(), listeners.end(), [&](const Listener& l) {
    return l.proto == proto && l.address == "127.0.0.1" && l.port == port;
  });
  return it == listeners.end() ? nullptr : &*it;
}

TEST(HostListenerSource, NetlinkDumpFindsOwnSockets) {
  LocalSocket tcp(SOCK_STREAM), udp(SOCK_DGRAM);
  ASSERT_NE(tcp.port(), 0);
  ASSERT_NE(udp.port(), 0);
  // No /proc here: only the netlink dump can find them, and no owner can be resolved.
  HostListenerSource source("/nonexistent-proc", /*use_netlink=*/true);
  auto listeners = source.Snapshot();
  if (!listeners.ok() && listeners.status().message().find("sock_diag") != std::string::npos) {
    GTEST_SKIP() << "no NETLINK_SOCK_DIAG here: " << listeners.status().message();
  }
  ASSERT_TRUE(listeners.ok()) << listeners.status().ToString();
  const Listener* t = Find(*listeners, "tcp", tcp.port());
  const Listener* u = Find(*listeners, "udp", udp.port());
  ASSERT_NE(t, nullptr);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(t->pid, -1);
  EXPECT_EQ(t->user, UserName(::geteuid()));
}

TEST(HostListenerSource, RealProcMapsOwnSocketsToThisProcess) {
  LocalSocket tcp(SOCK_STREAM), udp(SOCK_DGRAM);
  ASSERT_NE(tcp.port(), 0);
  std::string comm;
  std::getline(std::ifstream("/proc/self/comm"), comm);
  for (bool use_netlink : {true, false}) {
    SCOPED_TRACE(use_netlink ? "netlink" : "/proc/net");
    HostListenerSource source("/proc", use_netlink);
    auto listeners = source.Snapshot();
    ASSERT_TRUE(listeners.ok()) << listeners.status().ToString();
    for (const Listener* l :
         {Find(*listeners, "tcp", tcp.port()), Find(*listeners, "udp", udp.port())}) {
      ASSERT_NE(l, nullptr);
      EXPECT_EQ(l->pid, ::getpid());
      EXPECT_EQ(l->process, comm);
      EXPECT_EQ(l->user, UserName(::getuid()));
    }
  }
}

}  // namespace
}  // namespace beacon::agent::inputs::ports
