// The I/O half of the jmx input: one Transport per target reads a list of MBeanQuery through
// Jolokia (HTTP POST bulk read), Tomcat's JMXProxyServlet (HTTP GET ?qry=) or the Zabbix Java
// gateway (ZBXD over TCP). Each call is bounded by the target's timeout. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/inputs/jmx/model.h"
#include "agent/zabbix/zbxd_client.h"
#include "common/config/config.h"
#include "common/http/client.h"
#include "common/status.h"

namespace beacon::agent::inputs::jmx {

class Transport {
 public:
  virtual ~Transport() = default;
  // One QueryResult per query, in order. A failure of the whole target (connection refused,
  // timeout, HTTP 401, a body that is not the protocol) is the returned Status; its message
  // never contains the password.
  virtual Result<std::vector<QueryResult>> Read(const std::vector<MBeanQuery>& queries) = 0;
};

struct HttpTargetOptions {
  std::string url;  // Jolokia agent URL (".../jolokia") or ".../manager/jmxproxy"
  std::string username;
  config::Secret password;
  int64_t timeout_ms = 5000;
};

// `http` must outlive the transport.
std::unique_ptr<Transport> NewJolokiaTransport(http::HttpClient* http, HttpTargetOptions options);
std::unique_ptr<Transport> NewJmxProxyTransport(http::HttpClient* http, HttpTargetOptions options);

struct GatewayTargetOptions {
  std::string gateway_host = "127.0.0.1";
  int gateway_port = 10052;
  std::string jmx_endpoint;  // service:jmx:rmi:///jndi/rmi://HOST:PORT/jmxrmi
  std::string username;
  config::Secret password;
  int64_t timeout_ms = 5000;
  uint64_t max_response_bytes = 16 << 20;
};
std::unique_ptr<Transport> NewZabbixGatewayTransport(GatewayTargetOptions options);

// ZBXD request/reply over TCP (agent/zabbix/zbxd_client.h), shared with the active checks.
using zabbix::ZbxdExchange;

}  // namespace beacon::agent::inputs::jmx
