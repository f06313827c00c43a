// Ports input parsers on captured fixtures (tests/fixtures/agent/ports): /proc/net tables,
// raw sock_diag replies, fd links, status uids, and the owner walk over a fixture /proc tree.
#include <gtest/gtest.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <tuple>

#include "agent/inputs/ports/host.h"
#include "agent/inputs/ports/parsers.h"

namespace beacon::agent::inputs::ports {
namespace {

const std::string kDir = std::string(BEACON_FIXTURES_DIR) + "/agent/ports";

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

using Row = std::tuple<std::string, std::string, int, uint64_t>;  // proto, address, port, inode

std::vector<Row> Rows(const std::vector<Socket>& sockets) {
  std::vector<Row> rows;
  for (const Socket& s : sockets) rows.emplace_back(s.proto, s.address, s.port, s.inode);
  std::sort(rows.begin(), rows.end());
  return rows;
}

TEST(ProcNet, KeepsOnlyTcpListeners) {
  auto v4 = ParseProcNet(Read(kDir + "/proc/net/tcp"), "tcp", false);
  ASSERT_TRUE(v4.ok()) << v4.status().ToString();
  // The established pair on 18081 is not a listener.
  EXPECT_EQ(Rows(*v4),
            (std::vector<Row>{{"tcp", "0.0.0.0", 2024, 639}, {"tcp", "127.0.0.1", 18081, 132944}}));
  auto v6 = ParseProcNet(Read(kDir + "/proc/net/tcp6"), "tcp", true);
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(Rows(*v6), (std::vector<Row>{{"tcp", "::", 18082, 132945}}));
}

TEST(ProcNet, KeepsOnlyUnconnectedUdpSockets) {
  auto v4 = ParseProcNet(Read(kDir + "/proc/net/udp"), "udp", false);
  ASSERT_TRUE(v4.ok()) << v4.status().ToString();
  // 127.0.0.1:15355 is connect()ed to a peer: a client, not a listener.
  EXPECT_EQ(Rows(*v4), (std::vector<Row>{{"udp", "0.0.0.0", 15353, 132946}}));
  auto v6 = ParseProcNet(Read(kDir + "/proc/net/udp6"), "udp", true);
  ASSERT_TRUE(v6.ok()) << v6.status().ToString();
  EXPECT_EQ(Rows(*v6), (std::vector<Row>{{"udp", "::1", 15354, 132947}}));
}

TEST(ProcNet, ReportsMalformedLines) {
  const std::string header =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
      "timeout inode\n";
  auto short_line = ParseProcNet(header + "   0: 0100007F:46A1 00000000:0000 0A\n", "tcp", false);
  ASSERT_FALSE(short_line.ok());
  EXPECT_NE(short_line.status().message().find("line 2"), std::string::npos);
  auto bad_address = ParseProcNet(
      header +
          "   0: 0100007G:46A1 00000000:0000 0A 00000000:00000000 00:00000000 00000000 "
          "0 0 1 1\n",
      "tcp", false);
  EXPECT_FALSE(bad_address.ok());
  // A v4 table read as v6 has the wrong address width.
  EXPECT_FALSE(ParseProcNet(Read(kDir + "/proc/net/tcp"), "tcp", true).ok());
  EXPECT_FALSE(ParseProcNet(Read(kDir + "/proc/net/tcp"), "sctp", false).ok());
}

TEST(InetDiag, ParsesCapturedRepliesLikeProcNet) {
  struct Case {
    const char* bin;
    const char* proto;
    const char* proc_file;
    bool v6;
  };
  for (const Case& c :
       {Case{"diag_tcp4.bin", "tcp", "tcp", false}, Case{"diag_tcp6.bin", "tcp", "tcp6", true},
        Case{"diag_udp4.bin", "udp", "udp", false}, Case{"diag_udp6.bin", "udp", "udp6", true}}) {
    SCOPED_TRACE(c.bin);
    std::vector<Socket> sockets;
    auto done = ParseInetDiagReply(Read(kDir + "/" + c.bin), c.proto, &sockets);
    ASSERT_TRUE(done.ok()) << done.status().ToString();
    EXPECT_TRUE(*done);
    auto from_proc = ParseProcNet(Read(kDir + "/proc/net/" + c.proc_file), c.proto, c.v6);
    ASSERT_TRUE(from_proc.ok());
    EXPECT_FALSE(sockets.empty());
    EXPECT_EQ(Rows(sockets), Rows(*from_proc));
  }
}

TEST(InetDiag, DumpWithoutDoneAsksForMore) {
  const std::string bytes = Read(kDir + "/diag_tcp4.bin");
  // Drop the trailing NLMSG_DONE (an empty 20-byte message with its int payload).
  nlmsghdr last;
  std::memcpy(&last, bytes.data() + bytes.size() - 20, sizeof(last));
  ASSERT_EQ(last.nlmsg_type, NLMSG_DONE);
  std::vector<Socket> sockets;
  auto done =
      ParseInetDiagReply(std::string_view(bytes).substr(0, bytes.size() - 20), "tcp", &sockets);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_FALSE(*done);
  EXPECT_EQ(sockets.size(), 2u);
}

TEST(InetDiag, RejectsTruncatedAndErrorReplies) {
  const std::string bytes = Read(kDir + "/diag_tcp4.bin");
  std::vector<Socket> sockets;
  EXPECT_FALSE(ParseInetDiagReply(std::string_view(bytes).substr(0, 50), "tcp", &sockets).ok());

  struct {
    nlmsghdr header;
    nlmsgerr error;
  } error_reply{};
  error_reply.header.nlmsg_len = sizeof(error_reply);
  error_reply.header.nlmsg_type = NLMSG_ERROR;
  error_reply.error.error = -EPERM;
  auto result = ParseInetDiagReply(
      std::string_view(reinterpret_cast<const char*>(&error_reply), sizeof(error_reply)), "tcp",
      &sockets);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find(std::strerror(EPERM)), std::string::npos);
}

TEST(FdLinks, OnlySocketLinksGiveInodes) {
  EXPECT_EQ(ParseSocketLink("socket:[132944]"), 132944u);
  EXPECT_EQ(ParseSocketLink("pipe:[5555]"), std::nullopt);
  EXPECT_EQ(ParseSocketLink("/dev/null"), std::nullopt);
  EXPECT_EQ(ParseSocketLink("socket:[]"), std::nullopt);
  EXPECT_EQ(ParseSocketLink("socket:[12x]"), std::nullopt);
}

TEST(ProcStatus, ReadsRealUid) {
  EXPECT_EQ(ParseStatusUid(Read(kDir + "/proc/77/status")), 65534u);
  EXPECT_EQ(ParseStatusUid("Name:\tx\nUid:\t1000\t0\t0\t0\n"), 1000u);
  EXPECT_EQ(ParseStatusUid("Name:\tx\n"), std::nullopt);
}

TEST(HostListenerSource, MapsSocketsToProcessesOnFixtureProc) {
  HostListenerSource source(kDir + "/proc", /*use_netlink=*/false);
  auto listeners = source.Snapshot();
  ASSERT_TRUE(listeners.ok()) << listeners.status().ToString();
  using Owned = std::tuple<std::string, std::string, int, int64_t, std::string, std::string>;
  std::vector<Owned> got;
  for (const Listener& l : *listeners) {
    got.emplace_back(l.proto, l.address, l.port, l.pid, l.process, l.user);
  }
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<Owned>{
                     {"tcp", "0.0.0.0", 2024, 77, "sshd", UserName(65534)},
                     {"tcp", "127.0.0.1", 18081, 4242, "python3", "root"},
                     {"tcp", "::", 18082, 4242, "python3", "root"},
                     {"udp", "0.0.0.0", 15353, 4242, "python3", "root"},
                     // Nobody visible holds it: no pid, the user from the socket's uid.
                     {"udp", "::1", 15354, -1, "", "root"},
                 }));
  // A second snapshot with the same inodes is answered from the cache, with the same result.
  auto again = source.Snapshot();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->size(), listeners->size());
}

TEST(HostListenerSource, MissingTableIsAnError) {
  HostListenerSource source(kDir + "/no-such-proc", /*use_netlink=*/false);
  EXPECT_FALSE(source.Snapshot().ok());
}

TEST(UserName, NamesKnownUidsAndFallsBackToTheNumber) {
  EXPECT_EQ(UserName(0), "root");
  EXPECT_EQ(UserName(4'000'000'000u), "4000000000");
}

}  // namespace
}  // namespace beacon::agent::inputs::ports
