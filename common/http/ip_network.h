// IP allow lists: an IPv4 or IPv6 network ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7") and
// whether a client address as HttpServer reports it lies in one of them.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::http {

// IPv4-mapped IPv6 addresses ("::ffff:10.1.2.3") are kept as IPv4.
struct IpNetwork {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4
  int prefix_bits = 0;
};
// InvalidArgument for anything but an address or address/prefix.
Result<IpNetwork> ParseIpNetwork(std::string_view text);
// The entries of a validated list (config::ReadIpNetworkList). An entry that does not parse is
// logged naming `what` and matches nothing: a typo must not open anything to everyone.
std::vector<IpNetwork> ParseIpNetworks(const std::vector<std::string>& entries,
                                       std::string_view what);
// Whether the client address as HttpServer reports it ("192.0.2.7:51234", "[::1]:51234", or a
// bare address) lies in one of the networks. An unreadable address is not allowed.
bool AddressAllowed(std::string_view remote_addr, const std::vector<IpNetwork>& networks);

}  // namespace beacon::http
