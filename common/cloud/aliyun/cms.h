// CloudMonitor (CMS 2019-01-01) DescribeMetricLast: the newest datapoint of one metric for
// many resources, whose `Datapoints` arrives as a JSON *string* that is parsed a second time
// (with the same bounds as any answer). The RDS dashboard metrics Beacon reads are listed here.
// The call is thread-safe (RpcClient is); the parsers are pure.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cloud/aliyun/rpc.h"
#include "common/status.h"

namespace beacon::aliyun::cms {

inline constexpr std::string_view kRdsNamespace = "acs_rds_dashboard";

// The acs_rds_dashboard metrics Beacon reads, all in percent.
const std::vector<std::string_view>& RdsDashboardMetrics();

// One datapoint: the resource it belongs to and its statistics (absent ones are nullopt).
struct Datapoint {
  std::string instance_id;  // "instanceId"
  int64_t timestamp_ms = 0;
  std::optional<double> average;
  std::optional<double> maximum;
  std::optional<double> minimum;
};

struct MetricLastPage {
  std::vector<Datapoint> datapoints;
  std::string next_token;  // "" on the last page
};

// Parses the Datapoints text: a JSON array of objects ("" or absent is no point).
// InvalidArgument for anything else (nested too deep, too large, not an array of objects, a
// timestamp that is not a number).
Result<std::vector<Datapoint>> ParseDatapoints(std::string_view text);

// Parses a DescribeMetricLast answer: `Success` false or a `Code` other than "200" is an error
// naming the code and message (CMS answers some failures with HTTP 200).
Result<MetricLastPage> ParseMetricLast(const nlohmann::json& body);

// The newest point with an Average of every instance (by timestamp, whatever the order).
std::map<std::string, Datapoint> NewestByInstance(const std::vector<Datapoint>& points);

// Every page (NextToken) of DescribeMetricLast for `metric` in `metric_namespace` with
// Period=`period_s`; `instance_ids` become the Dimensions ([{"instanceId": ...}, ...]); empty asks
// for every resource of the account in the region. ResourceExhausted after 100 pages.
Result<std::vector<Datapoint>> DescribeMetricLast(const RpcClient& client,
                                                  std::string_view metric_namespace,
                                                  std::string_view metric,
                                                  const std::vector<std::string>& instance_ids,
                                                  int period_s = 60);

}  // namespace beacon::aliyun::cms
