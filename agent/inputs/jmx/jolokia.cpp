// Jolokia request building and response parsing with nlohmann::json (exceptions caught here).
#include "agent/inputs/jmx/jolokia.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/json/parse.h"
#include "common/strings.h"

namespace beacon::agent::inputs::jmx {
namespace {

using nlohmann::json;

std::vector<std::string> TopLevelAttributes(const MBeanQuery& query) {
  std::vector<std::string> out;
  for (const std::string& path : query.attributes) {
    std::string top = SplitAttributePath(path).first;
    if (std::find(out.begin(), out.end(), top) == out.end()) out.push_back(top);
  }
  return out;
}

// A number, a numeric string (serializeLong=string) or a boolean.
bool JsonNumber(const json& v, double* out) {
  if (v.is_number()) {
    *out = v.get<double>();
    return true;
  }
  if (v.is_boolean()) {
    *out = v.get<bool>() ? 1 : 0;
    return true;
  }
  if (v.is_string()) return ParseNumber(v.get_ref<const std::string&>(), out);
  return false;
}

// Extracts every requested path from one MBean's attribute map.
void CollectFromAttributes(const std::string& object_name, const json& attributes,
                           const MBeanQuery& query, bool pattern, QueryResult* result) {
  for (const std::string& path : query.attributes) {
    auto [top, key] = SplitAttributePath(path);
    auto it = attributes.find(top);
    if (it == attributes.end()) {
      // Pattern reads skip MBeans that lack an attribute; a named MBean must have it.
      if (!pattern) result->errors.push_back(object_name + ": no attribute " + top);
      continue;
    }
    const json* node = &*it;
    std::string rest = key;
    while (!rest.empty()) {
      auto [head, tail] = SplitAttributePath(rest);
      if (!node->is_object() || !node->contains(head)) {
        node = nullptr;
        break;
      }
      node = &(*node)[head];
      rest = tail;
    }
    double value = 0;
    if (node == nullptr) {
      result->errors.push_back(object_name + ": attribute " + path + " has no key '" + key + "'");
    } else if (node->is_null()) {
      continue;  // e.g. an unset max; nothing to report
    } else if (!JsonNumber(*node, &value)) {
      result->errors.push_back(object_name + ": attribute " + path + " is not numeric");
    } else {
      result->values.push_back({object_name, path, value});
    }
  }
}

QueryResult FromReadObject(const json& response, const MBeanQuery& query) {
  QueryResult result;
  if (!response.is_object()) {
    result.errors.push_back(query.mbean + ": response element is not an object");
    return result;
  }
  auto status_it = response.find("status");
  const int64_t status =
      status_it != response.end() && status_it->is_number_integer() ? status_it->get<int64_t>() : 0;
  // Jolokia answers a pattern that matches no MBean with 404 InstanceNotFoundException; for
  // us that is an empty match (a JVM without Tomcat has no Catalina MBeans), not an error.
  if (status == 404 && IsObjectNamePattern(query.mbean)) return result;
  if (status != 200) {
    std::string why = response.contains("error") && response["error"].is_string()
                          ? response["error"].get<std::string>()
                          : "status " + std::to_string(status);
    result.errors.push_back(query.mbean + ": " + why);
    return result;
  }
  auto value = response.find("value");
  if (value == response.end()) {
    result.errors.push_back(query.mbean + ": response has no value");
    return result;
  }
  const std::vector<std::string> tops = TopLevelAttributes(query);
  if (IsObjectNamePattern(query.mbean)) {
    // {"<object name>": {"<attribute>": value, ...}, ...}
    if (!value->is_object()) {
      result.errors.push_back(query.mbean + ": pattern read did not return an object");
      return result;
    }
    for (const auto& [object_name, attributes] : value->items()) {
      if (attributes.is_object())
        CollectFromAttributes(object_name, attributes, query, true, &result);
    }
    return result;
  }
  // A named MBean: {"<attribute>": value} for attribute lists; the bare value when Jolokia
  // collapses a single attribute.
  if (tops.size() == 1 && !(value->is_object() && value->contains(tops[0]))) {
    json wrapped = json::object();
    wrapped[tops[0]] = *value;
    CollectFromAttributes(query.mbean, wrapped, query, false, &result);
  } else if (value->is_object()) {
    CollectFromAttributes(query.mbean, *value, query, false, &result);
  } else {
    result.errors.push_back(query.mbean + ": unexpected value shape");
  }
  return result;
}

}  // namespace

std::string BuildJolokiaBulkRead(const std::vector<MBeanQuery>& queries) {
  json body = json::array();
  for (const MBeanQuery& query : queries) {
    body.push_back(
        {{"type", "read"}, {"mbean", query.mbean}, {"attribute", TopLevelAttributes(query)}});
  }
  return body.dump();
}

Result<std::vector<QueryResult>> ParseJolokiaBulkResponse(std::string_view body,
                                                          const std::vector<MBeanQuery>& queries) {
  Result<json> read = ParseJson(body);
  if (!read.ok()) {
    return Status::InvalidArgument("Jolokia response is not JSON (" + read.status().message() +
                                   "): '" + Snippet(body) + "'");
  }
  json parsed = std::move(*read);
  if (parsed.is_object() && queries.size() == 1) parsed = json::array({parsed});
  if (!parsed.is_array()) {
    return Status::InvalidArgument("Jolokia bulk response is not a JSON array");
  }
  if (parsed.size() != queries.size()) {
    return Status::InvalidArgument("Jolokia bulk response has " + std::to_string(parsed.size()) +
                                   " elements for " + std::to_string(queries.size()) + " requests");
  }
  std::vector<QueryResult> results;
  for (size_t i = 0; i < queries.size(); ++i)
    results.push_back(FromReadObject(parsed[i], queries[i]));
  return results;
}

Result<QueryResult> ParseJolokiaReadResponse(std::string_view body, const MBeanQuery& query) {
  Result<json> parsed = ParseJson(body);
  if (!parsed.ok() || !parsed->is_object()) {
    return Status::InvalidArgument("Jolokia response is not a JSON object: '" + Snippet(body) +
                                   "'");
  }
  return FromReadObject(*parsed, query);
}

}  // namespace beacon::agent::inputs::jmx
