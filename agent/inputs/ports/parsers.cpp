// Parsers for /proc/net socket tables and inet_diag replies (see parsers.h).
#include "agent/inputs/ports/parsers.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "common/posix.h"
#include "common/strings.h"

namespace beacon::agent::inputs::ports {
namespace {

constexpr uint8_t kTcpListen = 10;  // TCP_LISTEN in the kernel's state numbering
constexpr uint8_t kTcpClose = 7;    // TCP_CLOSE: an unconnected UDP socket

template <typename T>
bool ParseNumber(std::string_view text, T* out, int base) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out, base);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string FormatAddress(int family, const void* raw) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (::inet_ntop(family, raw, buf, sizeof(buf)) == nullptr) return "";
  return buf;
}

// "0100007F:1F90" (v4) or 32 hex digits ":" port (v6). The kernel prints each 32-bit word of
// the address as a native-endian integer, so copying the parsed words back gives the bytes.
bool ParseHexEndpoint(std::string_view text, bool v6, std::string* address, uint16_t* port) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view hex = text.substr(0, colon);
  const size_t words = v6 ? 4 : 1;
  if (hex.size() != words * 8) return false;
  uint32_t raw[4] = {};
  for (size_t w = 0; w < words; ++w) {
    if (!ParseNumber(hex.substr(w * 8, 8), &raw[w], 16)) return false;
  }
  if (!ParseNumber(text.substr(colon + 1), port, 16)) return false;
  *address = FormatAddress(v6 ? AF_INET6 : AF_INET, raw);
  return !address->empty();
}

}  // namespace

Result<std::vector<Socket>> ParseProcNet(std::string_view text, std::string_view proto, bool v6) {
  const bool udp = proto == "udp";
  if (!udp && proto != "tcp") {
    return Status::InvalidArgument("unknown protocol '" + std::string(proto) + "'");
  }
  std::vector<Socket> out;
  size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    auto fields = SplitWhitespace(line);
    if (fields.empty() || fields[0] == "sl") continue;  // blank or the header
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
    Socket socket;
    std::string remote_address;
    uint16_t remote_port = 0;
    unsigned state = 0;
    const std::string where = "line " + std::to_string(line_no) + ": ";
    if (fields.size() < 10) {
      return Status::InvalidArgument(where + "expected at least 10 fields, got " +
                                     std::to_string(fields.size()));
    }
    if (!ParseHexEndpoint(fields[1], v6, &socket.address, &socket.port) ||
        !ParseHexEndpoint(fields[2], v6, &remote_address, &remote_port)) {
      return Status::InvalidArgument(where + "bad address '" + std::string(fields[1]) + "' or '" +
                                     std::string(fields[2]) + "'");
    }
    if (!ParseNumber(fields[3], &state, 16) || !ParseNumber(fields[7], &socket.uid, 10) ||
        !ParseNumber(fields[9], &socket.inode, 10)) {
      return Status::InvalidArgument(where + "bad state, uid or inode");
    }
    if (udp ? (state != kTcpClose || remote_port != 0) : state != kTcpListen) continue;
    socket.proto = std::string(proto);
    out.push_back(std::move(socket));
  }
  return out;
}

Result<bool> ParseInetDiagReply(std::string_view bytes, std::string_view proto,
                                std::vector<Socket>* out) {
  const bool udp = proto == "udp";
  size_t offset = 0;
  while (offset + sizeof(nlmsghdr) <= bytes.size()) {
    nlmsghdr header;
    std::memcpy(&header, bytes.data() + offset, sizeof(header));
    if (header.nlmsg_len < sizeof(nlmsghdr) || header.nlmsg_len > bytes.size() - offset) {
      return Status::InvalidArgument("netlink message at offset " + std::to_string(offset) +
                                     " has bad length " + std::to_string(header.nlmsg_len));
    }
    const char* payload = bytes.data() + offset + NLMSG_HDRLEN;
    const size_t payload_len = header.nlmsg_len - std::min<size_t>(header.nlmsg_len, NLMSG_HDRLEN);
    if (header.nlmsg_type == NLMSG_DONE) return true;
    if (header.nlmsg_type == NLMSG_ERROR) {
      int error = 0;
      if (payload_len >= sizeof(int)) std::memcpy(&error, payload, sizeof(int));
      return Status::IoError("sock_diag error: " + ErrnoText(-error));
    }
    if (header.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
      if (payload_len < sizeof(inet_diag_msg)) {
        return Status::InvalidArgument("inet_diag message at offset " + std::to_string(offset) +
                                       " is truncated");
      }
      inet_diag_msg msg;
      std::memcpy(&msg, payload, sizeof(msg));
      const bool v6 = msg.idiag_family == AF_INET6;
      if (!v6 && msg.idiag_family != AF_INET) {
        return Status::InvalidArgument("inet_diag message with family " +
                                       std::to_string(msg.idiag_family));
      }
      const bool wanted = udp ? (msg.idiag_state == kTcpClose && msg.id.idiag_dport == 0)
                              : msg.idiag_state == kTcpListen;
      if (wanted) {
        Socket socket;
        socket.proto = std::string(proto);
        socket.address = FormatAddress(v6 ? AF_INET6 : AF_INET, msg.id.idiag_src);
        socket.port = ntohs(msg.id.idiag_sport);
        socket.inode = msg.idiag_inode;
        socket.uid = msg.idiag_uid;
        out->push_back(std::move(socket));
      }
    }
    offset += NLMSG_ALIGN(header.nlmsg_len);
  }
  if (offset < bytes.size()) {
    return Status::InvalidArgument("netlink reply ends with " +
                                   std::to_string(bytes.size() - offset) + " stray bytes");
  }
  return false;
}

std::optional<uint64_t> ParseSocketLink(std::string_view link_target) {
  constexpr std::string_view kPrefix = "socket:[";
  if (link_target.size() < kPrefix.size() + 2 || link_target.substr(0, kPrefix.size()) != kPrefix ||
      link_target.back() != ']') {
    return std::nullopt;
  }
  uint64_t inode = 0;
  if (!ParseNumber(link_target.substr(kPrefix.size(), link_target.size() - kPrefix.size() - 1),
                   &inode, 10)) {
    return std::nullopt;
  }
  return inode;
}

std::optional<uint32_t> ParseStatusUid(std::string_view status_text) {
  size_t pos = 0;
  while (pos < status_text.size()) {
    size_t end = status_text.find('\n', pos);
    if (end == std::string_view::npos) end = status_text.size();
    std::string_view line = status_text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, 4) != "Uid:") continue;
    auto fields = SplitWhitespace(line.substr(4));
    uint32_t uid = 0;
    if (fields.empty() || !ParseNumber(fields[0], &uid, 10)) return std::nullopt;
    return uid;
  }
  return std::nullopt;
}

}  // namespace beacon::agent::inputs::ports
