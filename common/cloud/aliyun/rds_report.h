// What Beacon makes of the RDS and CloudMonitor answers, shared by `beaconctl zabbix rds.*` and
// the agent's `rds` input so both report the same values: the Zabbix LLD JSON of the
// instances, the one JSON object of an instance's performance and CloudMonitor values (a Zabbix
// master item), the resource-usage object, and the unit conversions of agent samples.
// Pure functions. docs/zabbix.md#rds shows the shapes.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cloud/aliyun/cms.h"
#include "common/cloud/aliyun/rds.h"

namespace beacon::aliyun::rds {

// The keys of MysqlPerformanceKeys(), in order (one DescribeDBInstancePerformance call).
std::vector<std::string> PerformanceKeyNames();

// {"data":[{"{#DBINSTANCEID}","{#DBINSTANCEDESCRIPTION}","{#ENGINE}","{#ENGINEVERSION}",
// "{#REGIONID}","{#ZONEID}","{#DBINSTANCETYPE}","{#DBINSTANCECLASS}","{#STATUS}"}...]}.
// An empty description becomes the instance id (so item names never read " CPU usage").
nlohmann::json DiscoveryJson(const std::vector<DbInstance>& instances);

// The newest point of `instance_id` in each CloudMonitor metric: metric -> Average (nullopt
// when the metric has no point for it, or no Average).
using CloudMonitorValues = std::map<std::string, std::optional<double>>;
CloudMonitorValues NewestAverages(
    const std::map<std::string, std::vector<cms::Datapoint>>& points_by_metric,
    const std::string& instance_id);

// {"instance","engine","time" (newest point, RFC 3339 UTC; absent without points),
//  "performance":{"MySQL_NetworkTraffic":{"recv_k":1.5,"sent_k":2.5},...},
//  "cloudmonitor":{"CpuUsage":12.5,...},
//  "missing":["MySQL_IOPS","MySQL_COMDML.com_select","cloudmonitor.DiskUsage",...]}.
// Values without a point are left out (and listed in "missing"), never written as 0.
nlohmann::json PerfJson(const std::string& instance_id, const Performance& performance,
                        const CloudMonitorValues& cloudmonitor);
// The two halves of PerfJson, for callers that cache them apart: the object without
// "cloudmonitor", and adding "cloudmonitor" (and its "missing" entries) to it.
nlohmann::json PerformanceJson(const std::string& instance_id, const Performance& performance);
void AddCloudMonitor(nlohmann::json& perf, const CloudMonitorValues& cloudmonitor);

// {"instance","engine","DiskUsed":...,"DataSize":...,...} in bytes as the API gives them.
nlohmann::json UsageJson(const ResourceUsage& usage);

// The factor that turns a value in the API's unit into the agent sample's unit, and that unit:
// "KB"/"KB/s" -> bytes (x1024), "MB" -> bytes (x1048576), "%" -> percent, anything else
// -> count (x1).
struct SampleUnit {
  double factor = 1;
  std::string unit;
};
SampleUnit SampleUnitFor(std::string_view api_unit);

}  // namespace beacon::aliyun::rds
