// Java gateway request/response JSON (nlohmann::json, exceptions caught here).
#include "agent/inputs/jmx/zabbix_gateway.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "common/json/parse.h"
#include "common/strings.h"

namespace beacon::agent::inputs::jmx {
namespace {

using nlohmann::json;

std::string StringOrDump(const json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

}  // namespace

std::string DefaultJmxEndpoint(const std::string& host, int port) {
  return "service:jmx:rmi:///jndi/rmi://" + host + ":" + std::to_string(port) + "/jmxrmi";
}

std::string QuoteKeyParam(std::string_view param) {
  std::string out = "\"";
  for (char c : param) {
    if (c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string GatewayJmxKey(const std::string& object_name, const std::string& attribute) {
  // Plain attribute names stay unquoted, as in the server's own requests.
  const bool plain =
      !attribute.empty() && std::all_of(attribute.begin(), attribute.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      });
  return "jmx[" + QuoteKeyParam(object_name) + "," +
         (plain ? attribute : QuoteKeyParam(attribute)) + "]";
}

std::string GatewayDiscoveryKey(const std::string& pattern) {
  return "jmx.discovery[beans," + QuoteKeyParam(pattern) + "]";
}

std::string BuildGatewayRequest(const std::string& jmx_endpoint, const std::string& username,
                                const std::string& password, const std::vector<std::string>& keys) {
  // Ordered like the Zabbix server's request (reference capture).
  nlohmann::ordered_json request = nlohmann::ordered_json::object();
  request["request"] = "java gateway jmx";
  request["jmx_endpoint"] = jmx_endpoint;
  if (!username.empty()) request["username"] = username;
  if (!password.empty()) request["password"] = password;
  request["keys"] = keys;
  return request.dump();
}

Result<std::vector<GatewayItem>> ParseGatewayResponse(std::string_view body, size_t expected_keys) {
  Result<json> read = ParseJson(body);
  if (!read.ok() || !read->is_object()) {
    return Status::InvalidArgument("Java gateway response is not a JSON object: '" + Snippet(body) +
                                   "'");
  }
  const json& parsed = *read;
  auto response = parsed.find("response");
  if (response == parsed.end() || !response->is_string()) {
    return Status::InvalidArgument("Java gateway response has no \"response\" field");
  }
  if (*response != "success") {
    auto error = parsed.find("error");
    return Status::Unavailable("Java gateway: " + (error != parsed.end()
                                                       ? StringOrDump(*error)
                                                       : "response " + StringOrDump(*response)));
  }
  auto data = parsed.find("data");
  if (data == parsed.end() || !data->is_array()) {
    return Status::InvalidArgument("Java gateway response has no \"data\" array");
  }
  if (data->size() != expected_keys) {
    return Status::InvalidArgument("Java gateway returned " + std::to_string(data->size()) +
                                   " items for " + std::to_string(expected_keys) + " keys");
  }
  std::vector<GatewayItem> items;
  for (const json& element : *data) {
    GatewayItem item;
    if (element.is_object() && element.contains("value")) {
      item.ok = true;
      item.value = StringOrDump(element["value"]);
    } else if (element.is_object() && element.contains("error")) {
      item.error = StringOrDump(element["error"]);
    } else {
      item.error = "item has neither value nor error";
    }
    items.push_back(std::move(item));
  }
  return items;
}

Result<std::vector<std::string>> ParseBeansDiscovery(std::string_view value) {
  Result<json> read = ParseJson(value);
  if (!read.ok()) {
    return Status::InvalidArgument("discovery value is not JSON (" + read.status().message() +
                                   "): '" + Snippet(value) + "'");
  }
  json& parsed = *read;
  // 6.0 wraps rows in {"data":[...]}; jmx.get returns the bare array.
  const json* rows = &parsed;
  if (parsed.is_object() && parsed.contains("data")) rows = &parsed["data"];
  if (!rows->is_array()) return Status::InvalidArgument("discovery value has no data array");
  std::vector<std::string> names;
  for (const json& row : *rows) {
    if (!row.is_object()) continue;
    auto obj = row.find("{#JMXOBJ}");
    if (obj == row.end()) obj = row.find("object");
    if (obj != row.end() && obj->is_string()) names.push_back(obj->get<std::string>());
  }
  return names;
}

}  // namespace beacon::agent::inputs::jmx
