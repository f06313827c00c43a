// The `zabbix:` section of agent.yaml: the passive-check listener (zabbix_agentd's ListenIP /
// ListenPort, Server= and Timeout=) and the host name agent.hostname reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/config/config.h"

namespace beacon::agent::zabbix {

struct ZabbixConfig {
  bool listen_enabled = false;  // zabbix.listen is set
  std::string listen_address;   // IP literal ("0.0.0.0", "::", "127.0.0.1")
  uint16_t listen_port = 10050;
  std::vector<std::string> allow;  // zabbix.allow: addresses / CIDR blocks (Server=)
  int64_t timeout_ms = 3000;       // zabbix.timeout: 1s..30s (Timeout=)
  int workers = 3;                 // zabbix.workers: slow-item workers, 1..100 (StartAgents=)
  std::string hostname;            // zabbix.hostname: default agent.name (Hostname=)
};

// Reads `node` (the `zabbix:` section); errors are recorded on the node, with their key path.
// zabbix.allow is required when zabbix.listen is set, as Server= is for zabbix_agentd.
ZabbixConfig ReadZabbixConfig(config::Node node, const std::string& agent_name);

// "127.0.0.1:10050", "[::1]:10050", "0.0.0.0:10050" -> address and port. False when the text
// is not an IP literal and a port.
bool ParseListenAddress(const std::string& text, std::string* address, uint16_t* port);

}  // namespace beacon::agent::zabbix
