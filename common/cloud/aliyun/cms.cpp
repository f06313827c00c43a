// CloudMonitor DescribeMetricLast and the parsers of its answer (see cms.h).
#include "common/cloud/aliyun/cms.h"

#include <cmath>

#include "common/cloud/aliyun/fields.h"
#include "common/json/parse.h"
#include "common/strings.h"

namespace beacon::aliyun::cms {
namespace {

constexpr int kMaxPages = 100;
constexpr int kPageLength = 1000;  // Length: datapoints per page (the API's maximum)
// The inner JSON is parsed with the bounds of a whole answer.
constexpr JsonLimits kDatapointLimits{
    .max_depth = 8, .max_bytes = 8 * 1024 * 1024, .max_values = 1'000'000};

std::optional<double> Number(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_number()) return std::nullopt;
  const double value = it->get<double>();
  if (!std::isfinite(value)) return std::nullopt;
  return value;
}

}  // namespace

const std::vector<std::string_view>& RdsDashboardMetrics() {
  static const std::vector<std::string_view> kMetrics = {
      "CpuUsage", "MemoryUsage", "DiskUsage", "IOPSUsage", "ConnectionUsage", "MySQL_SlowQueries"};
  return kMetrics;
}

Result<std::vector<Datapoint>> ParseDatapoints(std::string_view text) {
  std::vector<Datapoint> out;
  if (TrimWhitespace(text).empty()) return out;
  Result<nlohmann::json> parsed = ParseJson(text, kDatapointLimits);
  if (!parsed.ok()) return parsed.status().WithContext("Datapoints");
  if (!parsed->is_array()) return Status::InvalidArgument("Datapoints: expected a JSON list");
  for (const nlohmann::json& element : *parsed) {
    if (!element.is_object()) return Status::InvalidArgument("Datapoints: expected objects");
    Datapoint point;
    BEACON_ASSIGN_OR_RETURN(point.instance_id, fields::String(element, "instanceId", "Datapoints"));
    auto ts = element.find("timestamp");
    if (ts == element.end() || !ts->is_number()) {
      return Status::InvalidArgument("Datapoints.timestamp: expected a number");
    }
    const double ms = ts->get<double>();
    if (!std::isfinite(ms) || ms < 0 || ms > 1e15) {
      return Status::InvalidArgument("Datapoints.timestamp: out of range");
    }
    point.timestamp_ms = static_cast<int64_t>(ms);
    point.average = Number(element, "Average");
    point.maximum = Number(element, "Maximum");
    point.minimum = Number(element, "Minimum");
    out.push_back(std::move(point));
  }
  return out;
}

Result<MetricLastPage> ParseMetricLast(const nlohmann::json& body) {
  MetricLastPage page;
  BEACON_ASSIGN_OR_RETURN(std::string code, fields::String(body, "Code", "answer"));
  BEACON_ASSIGN_OR_RETURN(bool success, fields::Bool(body, "Success", "answer", true));
  if (!success || (!code.empty() && code != "200")) {
    BEACON_ASSIGN_OR_RETURN(std::string message, fields::String(body, "Message", "answer"));
    return Status::Unavailable("CloudMonitor refused: " + Snippet(code, 64) + ": " +
                               Snippet(message, 300));
  }
  auto it = body.find("Datapoints");
  if (it != body.end() && !it->is_null()) {
    if (it->is_string()) {
      BEACON_ASSIGN_OR_RETURN(page.datapoints, ParseDatapoints(it->get_ref<const std::string&>()));
    } else if (it->is_array()) {
      // Tolerated: the list already parsed (as some gateways return it).
      BEACON_ASSIGN_OR_RETURN(page.datapoints, ParseDatapoints(it->dump()));
    } else {
      return Status::InvalidArgument("answer.Datapoints: expected a JSON string");
    }
  }
  BEACON_ASSIGN_OR_RETURN(page.next_token, fields::String(body, "NextToken", "answer"));
  return page;
}

std::map<std::string, Datapoint> NewestByInstance(const std::vector<Datapoint>& points) {
  std::map<std::string, Datapoint> out;
  for (const Datapoint& point : points) {
    if (!point.average || point.instance_id.empty()) continue;
    auto [it, inserted] = out.try_emplace(point.instance_id, point);
    if (!inserted && point.timestamp_ms >= it->second.timestamp_ms) it->second = point;
  }
  return out;
}

Result<std::vector<Datapoint>> DescribeMetricLast(const RpcClient& client,
                                                  std::string_view metric_namespace,
                                                  std::string_view metric,
                                                  const std::vector<std::string>& instance_ids,
                                                  int period_s) {
  std::vector<Datapoint> out;
  std::string next_token;
  for (int page = 1; page <= kMaxPages; ++page) {
    RpcParams params{{"Namespace", std::string(metric_namespace)},
                     {"MetricName", std::string(metric)},
                     {"Period", std::to_string(period_s)},
                     {"Length", std::to_string(kPageLength)}};
    if (!instance_ids.empty()) {
      nlohmann::json dimensions = nlohmann::json::array();
      for (const std::string& id : instance_ids) dimensions.push_back({{"instanceId", id}});
      params["Dimensions"] = dimensions.dump();
    }
    if (!next_token.empty()) params["NextToken"] = next_token;
    BEACON_ASSIGN_OR_RETURN(RpcResponse response,
                            client.Call(kCms, "DescribeMetricLast", std::move(params)));
    Result<MetricLastPage> parsed = ParseMetricLast(response.body);
    if (!parsed.ok()) {
      return parsed.status().WithContext("cms DescribeMetricLast " + std::string(metric) +
                                         " (RequestId " + response.request_id + ")");
    }
    for (Datapoint& point : parsed->datapoints) out.push_back(std::move(point));
    if (parsed->next_token.empty() || parsed->next_token == next_token) return out;
    next_token = std::move(parsed->next_token);
  }
  return Status::ResourceExhausted("cms DescribeMetricLast: more than " +
                                   std::to_string(kMaxPages) + " pages");
}

}  // namespace beacon::aliyun::cms
