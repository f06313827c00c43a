// Zabbix Java gateway protocol (as Zabbix 6.0 speaks it) for the jmx input:
// item keys, the "java gateway jmx" request JSON, its response, and beans discovery results.
// Pure functions; the ZBXD/TCP exchange is in transports.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/inputs/jmx/model.h"
#include "common/status.h"

namespace beacon::agent::inputs::jmx {

// "service:jmx:rmi:///jndi/rmi://HOST:PORT/jmxrmi", the default endpoint of a Zabbix JMX item.
std::string DefaultJmxEndpoint(const std::string& host, int port);

// Quotes one item-key parameter: "..." with embedded quotes escaped as \".
std::string QuoteKeyParam(std::string_view param);
// jmx["<object name>",<attribute path>] (the gateway reads composite keys after the dot); the
// attribute is quoted unless it is a plain name, as the Zabbix server sends it.
std::string GatewayJmxKey(const std::string& object_name, const std::string& attribute);
// jmx.discovery[beans,"<pattern>"]
std::string GatewayDiscoveryKey(const std::string& pattern);

// {"request":"java gateway jmx","jmx_endpoint":...,"username":...,"password":...,"keys":[...]};
// username and password only when non-empty, as the Zabbix server sends them.
std::string BuildGatewayRequest(const std::string& jmx_endpoint, const std::string& username,
                                const std::string& password, const std::vector<std::string>& keys);

struct GatewayItem {
  bool ok = false;
  std::string value;  // when ok
  std::string error;  // when !ok
};

// {"response":"success","data":[{"value":..}|{"error":..}, ...]} -> one item per key.
// {"response":"failed","error":"..."} (e.g. connection refused) -> Unavailable with the
// gateway's text; malformed JSON or a data array of the wrong length -> InvalidArgument.
Result<std::vector<GatewayItem>> ParseGatewayResponse(std::string_view body, size_t expected_keys);

// The {#JMXOBJ} names of a jmx.discovery[beans,...] value ({"data":[{"{#JMXOBJ}":...}]}).
Result<std::vector<std::string>> ParseBeansDiscovery(std::string_view value);

}  // namespace beacon::agent::inputs::jmx
