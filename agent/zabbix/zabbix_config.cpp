// Reads the `zabbix:` section.
#include "agent/zabbix/zabbix_config.h"

#include <arpa/inet.h>

#include "common/config/common_sections.h"

namespace beacon::agent::zabbix {

bool ParseListenAddress(const std::string& text, std::string* address, uint16_t* port) {
  std::string host, port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return false;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) return false;
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const int value = std::stoi(port_text);
  if (value > 65535) return false;
  unsigned char buffer[16];
  if (::inet_pton(AF_INET, host.c_str(), buffer) != 1 &&
      ::inet_pton(AF_INET6, host.c_str(), buffer) != 1) {
    return false;
  }
  *address = host;
  *port = static_cast<uint16_t>(value);
  return true;
}

ZabbixConfig ReadZabbixConfig(config::Node node, const std::string& agent_name) {
  ZabbixConfig cfg;
  cfg.hostname = agent_name;
  std::string listen;
  node.Get("listen", &listen);
  if (!listen.empty()) {
    cfg.listen_enabled = ParseListenAddress(listen, &cfg.listen_address, &cfg.listen_port);
    if (!cfg.listen_enabled) {
      node.Error("listen", "'" + listen +
                               "' is not an IP address and port like 0.0.0.0:10050 or "
                               "[::1]:10050");
    }
  }
  cfg.allow = config::ReadIpNetworkList(node, "allow");
  if (!listen.empty() && cfg.allow.empty() && !node.Has("allow")) {
    node.Error("allow",
               "is required with zabbix.listen: the Zabbix server and proxy addresses that may "
               "ask (zabbix_agentd's Server=)");
  }
  node.GetDurationMs("timeout", &cfg.timeout_ms, 1000, 30'000);
  node.Get("workers", &cfg.workers, 1, 100);
  node.Get("hostname", &cfg.hostname);
  if (cfg.hostname.empty()) node.Error("hostname", "must not be empty");
  return cfg;
}

}  // namespace beacon::agent::zabbix
