// I/O half of the ports input: the sock_diag netlink dump, the /proc/net fallback and the
// /proc/<pid>/fd walk; parsing is in parsers.cpp.
#include "agent/inputs/ports/host.h"

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/posix.h"

namespace beacon::agent::inputs::ports {
namespace {

constexpr uint32_t kTcpListenBit = 1u << 10;      // TCP_LISTEN
constexpr uint32_t kUdpUnconnectedBit = 1u << 7;  // TCP_CLOSE: bound, no peer

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    if (error == ENOENT) return Status::NotFound("cannot read " + path + ": " + ErrnoText(error));
    return Status::IoError("cannot read " + path + ": " + ErrnoText(error));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<std::vector<Socket>> DumpSockDiag(const std::string& proto, bool v6) {
  const UniqueFd netlink(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  const int fd = netlink.get();
  if (fd < 0) return Status::IoError(std::string("netlink socket: ") + ErrnoText(errno));
  // Bounded wait, like zabbix's 1.5 s: a kernel that never answers must not block the input.
  timeval timeout{1, 500'000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));

  struct {
    nlmsghdr header;
    inet_diag_req_v2 request;
  } message{};
  message.header.nlmsg_len = sizeof(message);
  message.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  message.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  message.header.nlmsg_seq = 1;
  message.request.sdiag_family = v6 ? AF_INET6 : AF_INET;
  message.request.sdiag_protocol = proto == "tcp" ? IPPROTO_TCP : IPPROTO_UDP;
  message.request.idiag_states = proto == "tcp" ? kTcpListenBit : kUdpUnconnectedBit;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd, &message, sizeof(message), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof(kernel)) < 0) {
    return Status::IoError(std::string("sock_diag request: ") + ErrnoText(errno));
  }
  std::vector<Socket> sockets;
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IoError(std::string("sock_diag reply: ") + ErrnoText(errno));
    if (n == 0) return Status::IoError("sock_diag reply: connection closed");
    BEACON_ASSIGN_OR_RETURN(
        bool done, ParseInetDiagReply(std::string_view(buffer.data(), n), proto, &sockets));
    if (done) return sockets;
  }
}

}  // namespace

std::string UserName(uint32_t uid) {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
    return found->pw_name;
  }
  return std::to_string(uid);
}

HostListenerSource::HostListenerSource(std::string proc_root, bool use_netlink)
    : proc_root_(std::move(proc_root)), use_netlink_(use_netlink) {}

Result<std::vector<Socket>> HostListenerSource::ReadTable(const std::string& proto, bool v6) {
  return ReadListeningTable(proc_root_, proto, v6, use_netlink_);
}

Result<std::vector<Socket>> ReadListeningTable(const std::string& proc_root,
                                               const std::string& proto, bool v6,
                                               bool use_netlink) {
  std::string netlink_error;
  if (use_netlink) {
    auto dumped = DumpSockDiag(proto, v6);
    if (dumped.ok()) return dumped;
    netlink_error = dumped.status().message() + "; ";
  }
  const std::string path = proc_root + "/net/" + proto + (v6 ? "6" : "");
  auto text = ReadSmallFile(path);
  if (!text.ok()) {
    // No tcp6/udp6 table: IPv6 is disabled on this host, so there is nothing to list.
    if (v6 && text.status().code() == StatusCode::kNotFound) return std::vector<Socket>{};
    return Status::IoError(netlink_error + text.status().message());
  }
  auto parsed = ParseProcNet(*text, proto, v6);
  if (!parsed.ok()) return Status::IoError(path + ": " + parsed.status().message());
  return parsed;
}

void HostListenerSource::ResolveOwners(const std::vector<Socket>& sockets) {
  std::set<uint64_t> wanted;
  for (const Socket& socket : sockets) wanted.insert(socket.inode);
  std::map<uint64_t, Owner> owners;
  bool all_known = true;
  for (uint64_t inode : wanted) {
    auto it = owners_.find(inode);
    if (it == owners_.end()) {
      all_known = false;
      break;
    }
    owners.emplace(inode, it->second);
  }
  if (all_known) {
    owners_ = std::move(owners);
    return;
  }
  owners.clear();
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::directory_iterator proc(proc_root_, ec), end; !ec && proc != end; proc.increment(ec)) {
    const std::string pid_text = proc->path().filename().string();
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) {
      continue;
    }
    // Processes come and go during the walk, and other users' fds may be unreadable: skip them.
    std::error_code fd_ec;
    for (fs::directory_iterator fd(proc->path() / "fd", fd_ec), fd_end; !fd_ec && fd != fd_end;
         fd.increment(fd_ec)) {
      std::error_code link_ec;
      const fs::path target = fs::read_symlink(fd->path(), link_ec);
      if (link_ec) continue;
      auto inode = ParseSocketLink(target.native());
      if (!inode || wanted.count(*inode) == 0 || owners.count(*inode) != 0) continue;
      Owner owner;
      std::from_chars(pid_text.data(), pid_text.data() + pid_text.size(), owner.pid);
      if (auto comm = ReadSmallFile(proc->path().string() + "/comm"); comm.ok()) {
        owner.process = *comm;
        while (!owner.process.empty() && owner.process.back() == '\n') owner.process.pop_back();
      }
      auto status = ReadSmallFile(proc->path().string() + "/status");
      std::optional<uint32_t> uid = status.ok() ? ParseStatusUid(*status) : std::nullopt;
      if (!uid) continue;  // the process exited between the readlink and here
      owner.uid = *uid;
      owners.emplace(*inode, std::move(owner));
    }
    if (owners.size() == wanted.size()) break;
  }
  // Sockets nobody visible holds (another netns, no permission) are remembered as unknown too,
  // so they do not trigger a walk on every gather.
  for (uint64_t inode : wanted) owners.try_emplace(inode);
  owners_ = std::move(owners);
}

Result<std::vector<Listener>> HostListenerSource::Snapshot() {
  std::vector<Socket> sockets;
  for (const char* proto : {"tcp", "udp"}) {
    for (bool v6 : {false, true}) {
      BEACON_ASSIGN_OR_RETURN(std::vector<Socket> table, ReadTable(proto, v6));
      sockets.insert(sockets.end(), table.begin(), table.end());
    }
  }
  ResolveOwners(sockets);
  std::map<uint32_t, std::string> user_names;  // one getpwuid_r per uid and snapshot
  auto user_name = [&](uint32_t uid) -> const std::string& {
    auto it = user_names.find(uid);
    if (it == user_names.end()) it = user_names.emplace(uid, UserName(uid)).first;
    return it->second;
  };
  std::vector<Listener> listeners;
  listeners.reserve(sockets.size());
  for (const Socket& socket : sockets) {
    Listener listener;
    listener.proto = socket.proto;
    listener.address = socket.address;
    listener.port = socket.port;
    auto owner = owners_.find(socket.inode);
    if (owner != owners_.end() && owner->second.pid >= 0) {
      listener.pid = owner->second.pid;
      listener.process = owner->second.process;
      listener.user = user_name(owner->second.uid);
    } else {
      listener.user = user_name(socket.uid);
    }
    listeners.push_back(std::move(listener));
  }
  return listeners;
}

}  // namespace beacon::agent::inputs::ports
