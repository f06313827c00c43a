// Allow-list networks: parsing "10.0.0.0/8" / "2001:db8::/32" and matching client addresses.
#include "common/http/ip_network.h"

#include <arpa/inet.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>

namespace beacon::http {
namespace {

// "192.0.2.7:51234" -> "192.0.2.7"; "[::1]:51234" -> "::1"; a bare address stays as it is.
std::string_view HostOfRemote(std::string_view remote) {
  if (!remote.empty() && remote.front() == '[') {
    size_t close = remote.find(']');
    return close == std::string_view::npos ? std::string_view() : remote.substr(1, close - 1);
  }
  size_t colon = remote.find(':');
  if (colon != std::string_view::npos && remote.find(':', colon + 1) == std::string_view::npos) {
    return remote.substr(0, colon);  // exactly one colon: IPv4 with a port
  }
  return remote;
}

// Parses an address; IPv4-mapped IPv6 becomes IPv4.
bool ParseAddress(std::string_view text, IpNetwork* out) {
  std::string address(text);
  out->bytes.fill(0);
  if (inet_pton(AF_INET, address.c_str(), out->bytes.data()) == 1) {
    out->v6 = false;
    return true;
  }
  std::array<uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, address.c_str(), v6.data()) != 1) return false;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(v6.data(), kMapped, sizeof(kMapped)) == 0) {
    out->v6 = false;
    std::copy(v6.begin() + 12, v6.end(), out->bytes.begin());
    return true;
  }
  out->v6 = true;
  out->bytes = v6;
  return true;
}

bool InNetwork(const IpNetwork& address, const IpNetwork& network) {
  if (address.v6 != network.v6) return false;
  int bits = network.prefix_bits;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((address.bytes[i] & mask) != (network.bytes[i] & mask)) return false;
  }
  return true;
}

// "'text'" built by appending: GCC 12 reports a false -Wrestrict on "'" + std::string(...).
std::string Quoted(std::string_view text) {
  std::string quoted;
  quoted.reserve(text.size() + 2);
  quoted.push_back('\'');
  quoted.append(text);
  quoted.push_back('\'');
  return quoted;
}

}  // namespace

Result<IpNetwork> ParseIpNetwork(std::string_view text) {
  const size_t slash = text.find('/');
  IpNetwork network;
  if (!ParseAddress(text.substr(0, slash), &network)) {
    return Status::InvalidArgument(Quoted(text) + " is not an IP address or network");
  }
  const int max_bits = network.v6 ? 128 : 32;
  network.prefix_bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view bits = text.substr(slash + 1);
    int value = -1;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
    if (ec != std::errc() || end != bits.data() + bits.size() || value < 0 || value > max_bits) {
      return Status::InvalidArgument(Quoted(text) + ": prefix length must be 0.." +
                                     std::to_string(max_bits));
    }
    // A "::ffff:10.0.0.0/104" style prefix counts the 96 mapping bits we dropped.
    if (!network.v6 && text.substr(0, slash).find(':') != std::string_view::npos) {
      if (value < 96) {
        return Status::InvalidArgument(Quoted(text) + ": prefix too short");
      }
      value -= 96;
    }
    network.prefix_bits = value;
  }
  return network;
}

bool AddressAllowed(std::string_view remote_addr, const std::vector<IpNetwork>& networks) {
  IpNetwork address;
  if (!ParseAddress(HostOfRemote(remote_addr), &address)) return false;
  return std::any_of(networks.begin(), networks.end(),
                     [&](const IpNetwork& network) { return InNetwork(address, network); });
}

std::vector<IpNetwork> ParseIpNetworks(const std::vector<std::string>& entries,
                                       std::string_view what) {
  std::vector<IpNetwork> networks;
  for (const std::string& entry : entries) {
    Result<IpNetwork> network = ParseIpNetwork(entry);
    if (!network.ok()) {
      spdlog::error("{}: {}", what, network.status().message());
      continue;
    }
    networks.push_back(*network);
  }
  return networks;
}

}  // namespace beacon::http
