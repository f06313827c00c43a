// The JSON and sample shapes of RDS monitoring (see rds_report.h).
#include "common/cloud/aliyun/rds_report.h"

#include <algorithm>

#include "common/clock.h"

namespace beacon::aliyun::rds {

std::vector<std::string> PerformanceKeyNames() {
  std::vector<std::string> out;
  for (const PerformanceKeySpec& spec : MysqlPerformanceKeys()) out.emplace_back(spec.key);
  return out;
}

nlohmann::json DiscoveryJson(const std::vector<DbInstance>& instances) {
  nlohmann::json data = nlohmann::json::array();
  for (const DbInstance& instance : instances) {
    data.push_back({{"{#DBINSTANCEID}", instance.id},
                    {"{#DBINSTANCEDESCRIPTION}",
                     instance.description.empty() ? instance.id : instance.description},
                    {"{#ENGINE}", instance.engine},
                    {"{#ENGINEVERSION}", instance.engine_version},
                    {"{#REGIONID}", instance.region_id},
                    {"{#ZONEID}", instance.zone_id},
                    {"{#DBINSTANCETYPE}", instance.instance_type},
                    {"{#DBINSTANCECLASS}", instance.instance_class},
                    {"{#STATUS}", instance.status}});
  }
  return {{"data", std::move(data)}};
}

CloudMonitorValues NewestAverages(
    const std::map<std::string, std::vector<cms::Datapoint>>& points_by_metric,
    const std::string& instance_id) {
  CloudMonitorValues out;
  for (const auto& [metric, points] : points_by_metric) {
    const std::map<std::string, cms::Datapoint> newest = cms::NewestByInstance(points);
    auto it = newest.find(instance_id);
    out[metric] = it == newest.end() ? std::nullopt : it->second.average;
  }
  return out;
}

nlohmann::json PerformanceJson(const std::string& instance_id, const Performance& performance) {
  nlohmann::json out = {{"instance", instance_id}, {"engine", performance.engine}};
  nlohmann::json values = nlohmann::json::object();
  int64_t newest_ms = -1;
  for (const PerformanceValue& value : performance.values) {
    values[value.key][value.field] = value.value;
    newest_ms = std::max(newest_ms, value.time_ms);
  }
  if (newest_ms >= 0) out["time"] = FormatRfc3339(newest_ms);
  out["performance"] = std::move(values);
  out["missing"] = performance.missing;
  return out;
}

void AddCloudMonitor(nlohmann::json& perf, const CloudMonitorValues& cloudmonitor) {
  nlohmann::json values = nlohmann::json::object();
  nlohmann::json& missing = perf["missing"];
  if (!missing.is_array()) missing = nlohmann::json::array();
  for (const auto& [metric, value] : cloudmonitor) {
    if (value) {
      values[metric] = *value;
    } else {
      missing.push_back("cloudmonitor." + metric);
    }
  }
  perf["cloudmonitor"] = std::move(values);
}

nlohmann::json PerfJson(const std::string& instance_id, const Performance& performance,
                        const CloudMonitorValues& cloudmonitor) {
  nlohmann::json out = PerformanceJson(instance_id, performance);
  AddCloudMonitor(out, cloudmonitor);
  return out;
}

nlohmann::json UsageJson(const ResourceUsage& usage) {
  nlohmann::json out = {{"instance", usage.instance_id}, {"engine", usage.engine}};
  for (const auto& [name, value] : usage.values) out[name] = value;
  return out;
}

SampleUnit SampleUnitFor(std::string_view api_unit) {
  if (api_unit == "KB" || api_unit == "KB/s") return {1024, "bytes"};
  if (api_unit == "MB") return {1024.0 * 1024.0, "bytes"};
  if (api_unit == "%") return {1, "percent"};
  return {1, "count"};
}

}  // namespace beacon::aliyun::rds
