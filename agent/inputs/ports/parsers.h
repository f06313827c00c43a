// Pure parsers for the ports input: /proc/net/{tcp,tcp6,udp,udp6} text, NETLINK_SOCK_DIAG
// (inet_diag) reply bytes, /proc/<pid>/fd link targets and /proc/<pid>/status. No I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::agent::inputs::ports {

// One listening TCP socket or one bound UDP socket without a remote peer.
struct Socket {
  std::string proto;    // "tcp" or "udp" (the family is visible in `address`)
  std::string address;  // "0.0.0.0", "127.0.0.1", "::", "::1"
  uint16_t port = 0;
  uint64_t inode = 0;  // socket inode, the key into /proc/<pid>/fd "socket:[inode]"
  uint32_t uid = 0;    // owner of the socket (the creating process's effective uid)
};

// Parses /proc/net/tcp or tcp6 (proto "tcp": keeps state 0A, LISTEN) or udp/udp6 (proto "udp":
// keeps state 07 with remote port 0, i.e. bound and not connected). `v6` selects the address
// width (8 or 32 hex digits, in the kernel's native byte order, as this host prints them).
// A malformed data line is an error naming the line; the header line is skipped.
Result<std::vector<Socket>> ParseProcNet(std::string_view text, std::string_view proto, bool v6);

// Parses a buffer of netlink messages answering a SOCK_DIAG_BY_FAMILY dump for `proto`
// ("tcp" or "udp"): appends every inet_diag_msg to *out (UDP ones only when the remote port
// is 0). Returns true when NLMSG_DONE was seen (the dump is complete), false when more
// datagrams follow; NLMSG_ERROR and truncated messages are errors.
Result<bool> ParseInetDiagReply(std::string_view bytes, std::string_view proto,
                                std::vector<Socket>* out);

// "socket:[12345]" -> 12345; anything else (files, pipes, "anon_inode:...") -> nullopt.
std::optional<uint64_t> ParseSocketLink(std::string_view link_target);

// The real uid from /proc/<pid>/status ("Uid:\t1000\t1000\t1000\t1000").
std::optional<uint32_t> ParseStatusUid(std::string_view status_text);

}  // namespace beacon::agent::inputs::ports
