// net.tcp.listen, net.tcp.port, net.if.discovery and net.if.in/out with zabbix_agentd 6.0's
// parameters, value formats and messages.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "agent/inputs/ports/host.h"
#include "agent/zabbix/items.h"
#include "agent/zabbix/proc_parsers.h"
#include "common/posix.h"

namespace beacon::agent::zabbix {
namespace {

// "0".."65535" -> the port; nullopt for anything else (empty, signs, spaces, too big).
std::optional<uint16_t> ParsePortParam(const std::string& text) {
  if (text.empty() || text.size() > 5 ||
      text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  const int value = std::stoi(text);
  if (value > 65535) return std::nullopt;
  return static_cast<uint16_t>(value);
}

ItemResult TcpListen(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (TooMany(key, 1, &error)) return error;
  const auto port = ParsePortParam(key.Param(0));
  if (!port) return InvalidParam(0);
  for (bool v6 : {false, true}) {
    auto sockets = inputs::ports::ReadListeningTable(context.proc_root, "tcp", v6,
                                                     context.proc_root == "/proc");
    if (!sockets.ok()) return ItemResult::NotSupported("Cannot obtain socket information.");
    for (const auto& socket : *sockets) {
      if (socket.port == *port) return ItemResult::Value("1");
    }
  }
  return ItemResult::Value("0");
}

// A non-blocking connect that waits until `deadline_ms` (monotonic) at the latest.
bool ConnectsBefore(const addrinfo& address, const ItemContext& context) {
  UniqueFd fd(::socket(address.ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  if (::connect(fd.get(), address.ai_addr, address.ai_addrlen) == 0) return true;
  if (errno != EINPROGRESS) return false;
  for (;;) {
    const int64_t left = context.deadline_ms - context.clock->MonotonicMs();
    if (left <= 0) return false;
    pollfd p{fd.get(), POLLOUT, 0};
    const int n = ::poll(&p, 1, static_cast<int>(left));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    return ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len) == 0 && so_error == 0;
  }
}

ItemResult TcpPort(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (TooMany(key, 2, &error)) return error;
  const std::string host = key.Param(0).empty() ? "127.0.0.1" : key.Param(0);
  if (!ParsePortParam(key.Param(1))) return InvalidParam(1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), key.Param(1).c_str(), &hints, &found) != 0) {
    return ItemResult::Value("0");  // an unknown host is "not reachable", as zabbix_agentd says
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(found, ::freeaddrinfo);
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (ConnectsBefore(*a, context)) return ItemResult::Value("1");
  }
  return ItemResult::Value("0");
}

ItemResult IfDiscovery(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (RejectParams(key, &error)) return error;
  int err = 0;
  auto text = ReadSmallFile(context.proc_root + "/net/dev", &err);
  if (!text) return ItemResult::NotSupported("Cannot open /proc/net/dev: " + ZbxErrno(err));
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [name, counters] : ParseNetDev(*text)) rows.push_back({{"{#IFNAME}", name}});
  return ItemResult::Value(DiscoveryJson(rows));
}

ItemResult IfCounter(const ItemKey& key, const ItemContext& context, bool in) {
  ItemResult error;
  if (TooMany(key, 2, &error)) return error;
  const std::string& name = key.Param(0);
  if (name.empty()) return ItemResult::NotSupported("Network interface name cannot be empty.");
  static const char* const kIn[] = {"bytes",    "packets", "errors",     "dropped",
                                    "overruns", "frame",   "compressed", "multicast"};
  static const char* const kOut[] = {"bytes",    "packets",    "errors",  "dropped",
                                     "overruns", "collisions", "carrier", "compressed"};
  const std::string mode = key.Param(1).empty() ? "bytes" : key.Param(1);
  int index = -1;
  for (int i = 0; i < 8; ++i) {
    if (mode == (in ? kIn[i] : kOut[i])) index = i;
  }
  if (index < 0) return InvalidParam(1);
  auto text = ReadSmallFile(context.proc_root + "/net/dev");
  if (text) {
    for (const auto& [ifname, counters] : ParseNetDev(*text)) {
      if (ifname != name) continue;
      return ItemResult::Value(std::to_string(in ? counters.rx[index] : counters.tx[index]));
    }
  }
  return ItemResult::NotSupported(
      "Cannot find information for this network interface in /proc/net/dev.");
}

}  // namespace

void AddNetItems(ItemTable* table) {
  table->Add({"net.tcp.listen", ItemCost::kInstant, TcpListen});
  table->Add({"net.tcp.port", ItemCost::kSlow, TcpPort});
  table->Add({"net.if.discovery", ItemCost::kCheap, IfDiscovery});
  table->Add({"net.if.in", ItemCost::kCheap,
              [](const ItemKey& key, const ItemContext& c) { return IfCounter(key, c, true); }});
  table->Add({"net.if.out", ItemCost::kCheap,
              [](const ItemKey& key, const ItemContext& c) { return IfCounter(key, c, false); }});
}

}  // namespace beacon::agent::zabbix
