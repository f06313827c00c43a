// The `zabbix:` section of agent.yaml (agent/zabbix/zabbix_config.h): defaults, the listen
// address forms, and one error per rule naming its key.
#include "agent/zabbix/zabbix_config.h"

#include <gtest/gtest.h>

#include "agent/config.h"

namespace beacon::agent {
namespace {

TEST(ZabbixConfig, OffByDefault) {
  auto cfg = LoadAgentConfigFromString("agent:\n  name: web-01\n", "x.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_FALSE(cfg->zabbix.listen_enabled);
  EXPECT_EQ(cfg->zabbix.timeout_ms, 3000);
  EXPECT_EQ(cfg->zabbix.workers, 3);
  EXPECT_EQ(cfg->zabbix.hostname, "web-01");
}

TEST(ZabbixConfig, ListenAllowTimeout) {
  auto cfg = LoadAgentConfigFromString(
      "zabbix:\n  listen: '[::]:10050'\n  allow: [192.0.2.10, 10.1.0.0/16]\n  timeout: 10s\n"
      "  workers: 5\n  hostname: Web 01\n",
      "x.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_TRUE(cfg->zabbix.listen_enabled);
  EXPECT_EQ(cfg->zabbix.listen_address, "::");
  EXPECT_EQ(cfg->zabbix.listen_port, 10050);
  EXPECT_EQ(cfg->zabbix.allow, (std::vector<std::string>{"192.0.2.10", "10.1.0.0/16"}));
  EXPECT_EQ(cfg->zabbix.timeout_ms, 10'000);
  EXPECT_EQ(cfg->zabbix.workers, 5);
  EXPECT_EQ(cfg->zabbix.hostname, "Web 01");
}

TEST(ZabbixConfig, ListenAddressForms) {
  std::string address;
  uint16_t port = 0;
  EXPECT_TRUE(zabbix::ParseListenAddress("0.0.0.0:10050", &address, &port));
  EXPECT_EQ(address, "0.0.0.0");
  EXPECT_TRUE(zabbix::ParseListenAddress("[::1]:0", &address, &port));
  EXPECT_EQ(address, "::1");
  EXPECT_EQ(port, 0);
  for (const char* bad : {"10050", "localhost:10050", "1.2.3.4:", "1.2.3.4:70000", "::1:10050",
                          "[::1]", "[::1]x10", "1.2.3.4:-1"}) {
    EXPECT_FALSE(zabbix::ParseListenAddress(bad, &address, &port)) << bad;
  }
}

void ExpectError(const std::string& yaml, const std::string& expected) {
  auto cfg = LoadAgentConfigFromString(yaml, "x.yaml");
  ASSERT_FALSE(cfg.ok()) << yaml;
  EXPECT_NE(cfg.status().message().find(expected), std::string::npos) << cfg.status().message();
}

TEST(ZabbixConfig, Errors) {
  ExpectError("zabbix:\n  listen: localhost:10050\n  allow: [127.0.0.1]\n",
              "zabbix.listen: 'localhost:10050' is not an IP address and port");
  ExpectError("zabbix:\n  listen: 127.0.0.1:10050\n", "zabbix.allow: is required with");
  ExpectError("zabbix:\n  listen: 127.0.0.1:10050\n  allow: [zabbix.example]\n",
              "expected an IP address or CIDR block");
  ExpectError("zabbix:\n  timeout: 31s\n", "zabbix.timeout");
  ExpectError("zabbix:\n  timeout: 500ms\n", "zabbix.timeout");
  ExpectError("zabbix:\n  workers: 0\n", "zabbix.workers");
  ExpectError("zabbix:\n  hostname: ''\n", "zabbix.hostname: must not be empty");
  ExpectError("zabbix:\n  bogus: 1\n", "zabbix.bogus");
}

}  // namespace
}  // namespace beacon::agent
