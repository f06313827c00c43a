// The `zabbix:` section of agent.yaml: the passive-check listener (zabbix_agentd's ListenIP /
// ListenPort, Server= and Timeout=), the host name agent.hostname reports, the active checks
// (ServerActive=, RefreshActiveChecks=, HostMetadata=, BufferSend=, BufferSize=) and the
// UserParameters (UserParameter=, UnsafeUserParameters=, Include= files).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/zabbix/user_parameters.h"
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

  struct ActiveServer {
    std::string host;
    int port = 10051;
  };
  std::vector<ActiveServer> server_active;    // zabbix.server_active (ServerActive=)
  int64_t refresh_active_checks_ms = 120000;  // 1s..1h (RefreshActiveChecks=)
  std::string host_metadata;                  // at most 255 characters (HostMetadata=)
  int64_t buffer_send_ms = 5000;              // 1s..1h (BufferSend=)
  int buffer_size = 100;                      // values per server, 2..65535 (BufferSize=)

  // zabbix.user_parameters, then those of zabbix.include's files in path order.
  std::vector<UserParameter> user_parameters;
  bool unsafe_user_parameters = false;  // UnsafeUserParameters=
};

// Reads `node` (the `zabbix:` section); errors are recorded on the node, with their key path.
// zabbix.allow is required when zabbix.listen is set, as Server= is for zabbix_agentd.
// zabbix.include's files are read here: a missing path, an unreadable file or a
// UserParameter line that does not parse is an error naming the file and line, and so is a
// UserParameter whose name a built-in item or an earlier UserParameter already has.
ZabbixConfig ReadZabbixConfig(config::Node node, const std::string& agent_name);

// "127.0.0.1:10050", "[::1]:10050", "0.0.0.0:10050" -> address and port. False when the text
// is not an IP literal and a port.
bool ParseListenAddress(const std::string& text, std::string* address, uint16_t* port);

}  // namespace beacon::agent::zabbix
