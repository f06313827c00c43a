// Allow-list networks: IPv4/IPv6 networks and the client-address forms HttpServer reports.
#include "common/http/ip_network.h"

#include <gtest/gtest.h>

#include <vector>

namespace beacon::http {
namespace {

TEST(AddressAllowedTest, Ipv4AndIpv6NetworksAndServerAddressForms) {
  std::vector<IpNetwork> networks;
  for (const char* text : {"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::1"}) {
    Result<IpNetwork> network = ParseIpNetwork(text);
    ASSERT_TRUE(network.ok()) << text;
    networks.push_back(*network);
  }
  EXPECT_TRUE(AddressAllowed("10.20.30.40:51234", networks));
  EXPECT_TRUE(AddressAllowed("192.0.2.7:80", networks));
  EXPECT_FALSE(AddressAllowed("192.0.2.8:80", networks));
  EXPECT_FALSE(AddressAllowed("11.0.0.1:80", networks));
  EXPECT_TRUE(AddressAllowed("[2001:db8:1::5]:51234", networks));
  EXPECT_FALSE(AddressAllowed("[2001:db9::5]:51234", networks));
  EXPECT_TRUE(AddressAllowed("[::1]:8080", networks));
  EXPECT_TRUE(AddressAllowed("[::ffff:10.1.2.3]:8080", networks));  // IPv4 over a v6 socket
  EXPECT_TRUE(AddressAllowed("2001:db8::9", networks));             // bare address
  EXPECT_FALSE(AddressAllowed("garbage", networks));
  EXPECT_FALSE(AddressAllowed("", networks));

  Result<IpNetwork> odd_prefix = ParseIpNetwork("172.16.0.0/12");
  ASSERT_TRUE(odd_prefix.ok());
  EXPECT_TRUE(AddressAllowed("172.31.255.255:1", {*odd_prefix}));
  EXPECT_FALSE(AddressAllowed("172.32.0.1:1", {*odd_prefix}));
  for (const char* bad :
       {"10.0.0.0/33", "2001:db8::/129", "10.0.0/8", "host.example", "1.2.3.4/x"}) {
    EXPECT_FALSE(ParseIpNetwork(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace beacon::http
