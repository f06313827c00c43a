// Reads the host's listening sockets: a NETLINK_SOCK_DIAG dump per family and protocol
// (falling back to /proc/net/{tcp,tcp6,udp,udp6}), each socket mapped to its process through
// /proc/<pid>/fd links "socket:[inode]". Only the agent's own network namespace is seen.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "agent/inputs/ports/parsers.h"
#include "agent/inputs/ports/tracker.h"
#include "common/status.h"

namespace beacon::agent::inputs::ports {

// Not thread-safe: one instance per input, used from its gather thread.
class HostListenerSource {
 public:
  // proc_root: "/proc" on a real host. use_netlink: false reads only the /proc/net files
  // (tests run it on a fixture tree).
  explicit HostListenerSource(std::string proc_root = "/proc", bool use_netlink = true);

  // Every listening TCP socket and every bound, unconnected UDP socket, v4 and v6, with pid,
  // process and user (pid -1 when no process holding it is visible). An error only when a
  // table could be read neither through netlink nor from /proc.
  Result<std::vector<Listener>> Snapshot();

 private:
  struct Owner {
    int64_t pid = -1;
    std::string process;
    uint32_t uid = 0;
  };
  Result<std::vector<Socket>> ReadTable(const std::string& proto, bool v6);
  // Walks /proc/*/fd only when a socket inode is not known from the previous walk, since the
  // walk costs a readlink per open file on the host.
  void ResolveOwners(const std::vector<Socket>& sockets);

  std::string proc_root_;
  bool use_netlink_;
  std::map<uint64_t, Owner> owners_;  // socket inode -> owner, for the current sockets
};

// One table of listening sockets (proto "tcp" or "udp", v4 or v6) without owners: the netlink
// dump, else (or when !use_netlink) <proc_root>/net/<proto>[6]. A missing v6 table is empty.
// Thread-safe; also what net.tcp.listen reads (agent/zabbix/items_net.cpp).
Result<std::vector<Socket>> ReadListeningTable(const std::string& proc_root,
                                               const std::string& proto, bool v6, bool use_netlink);

// The user name for uid (getpwuid_r), or the uid in decimal when it has none.
std::string UserName(uint32_t uid);

}  // namespace beacon::agent::inputs::ports
