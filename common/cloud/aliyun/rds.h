// Typed ApsaraDB RDS (2014-08-15) reads for monitoring: DescribeDBInstances (every page),
// DescribeDBInstancePerformance (many keys in one call, values named by each key's ValueFormat)
// and DescribeResourceUsage, plus the pure parsers of their answers and the table of the MySQL
// performance keys Beacon asks for. The calls are thread-safe (RpcClient is); parsers are pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/cloud/aliyun/rpc.h"
#include "common/status.h"

namespace beacon::aliyun::rds {

// One entry of DescribeDBInstances.
struct DbInstance {
  std::string id;           // DBInstanceId, "rm-..."
  std::string description;  // DBInstanceDescription (the console alias)
  std::string status;       // DBInstanceStatus, "Running", ...
  std::string engine;       // "MySQL", "PostgreSQL", ...
  std::string engine_version;
  std::string instance_class;  // DBInstanceClass
  std::string instance_type;   // DBInstanceType: Primary, Readonly, Guard, Temp
  std::string region_id;
  std::string zone_id;
  std::string pay_type;
  std::string expire_time;
  std::string lock_mode;
};

// One page of DescribeDBInstances.
struct DbInstancePage {
  std::vector<DbInstance> instances;
  int64_t total_records = -1;  // TotalRecordCount; -1 when the answer has none
};

// A performance key Beacon asks for, with the sub-values it expects and their unit ("percent",
// "bytes", "count", "" as in agent metric specs; the API's own unit is kept as `api_unit`).
struct PerformanceKeySpec {
  std::string_view key;  // "MySQL_NetworkTraffic"
  std::string_view
      value_format;           // "recv_k&sent_k": what the answer's ValueFormat is expected to be
  std::string_view api_unit;  // "KB/s", "%", ...
  std::string_view description;
};

// Every key of the MySQL monitoring template Beacon replaces (docs/zabbix.md#rds), in one
// DescribeDBInstancePerformance call (the API takes at most 30).
const std::vector<PerformanceKeySpec>& MysqlPerformanceKeys();

// The newest point of one sub-value of one key.
struct PerformanceValue {
  std::string key;    // "MySQL_NetworkTraffic"
  std::string field;  // "recv_k": the ValueFormat name at this position
  double value = 0;
  int64_t time_ms = 0;  // the point's Date (UTC)
  std::string unit;     // the key's Unit as the API gave it
};

struct Performance {
  std::string instance_id;
  std::string engine;
  std::vector<PerformanceValue> values;
  // Requested keys the answer does not have or that have no point in the window, and
  // "Key.field" for a sub-value that is empty or not a number in the newest point.
  std::vector<std::string> missing;
};

// "a&b&c" -> {"a","b","c"} (each trimmed): how ValueFormat and Value are split.
std::vector<std::string> SplitFields(std::string_view text);

// "2012-06-08T15:00Z": StartTime/EndTime of DescribeDBInstancePerformance (UTC, minutes).
std::string FormatPerformanceTime(int64_t unix_ms);

// Parses DescribeDBInstances; InvalidArgument naming the field for a wrong shape.
Result<DbInstancePage> ParseDbInstances(const nlohmann::json& body);

// Parses DescribeDBInstancePerformance: for each PerformanceKey the point with the newest Date,
// its Value split on '&' and named by the key's ValueFormat (split the same way; a count that
// differs is an error naming the key). `requested` keys absent from the answer are `missing`.
// InvalidArgument naming the key for a wrong shape or a Date that is not UTC RFC 3339.
Result<Performance> ParsePerformance(const nlohmann::json& body,
                                     const std::vector<std::string>& requested);

// DescribeResourceUsage: the byte counts (DiskUsed, DataSize, LogSize, BackupSize, SQLSize,
// ColdBackupSize, ...): every numeric top-level field but RequestId, by its name.
struct ResourceUsage {
  std::string instance_id;
  std::string engine;
  std::vector<std::pair<std::string, double>> values;  // sorted by name
};
Result<ResourceUsage> ParseResourceUsage(const nlohmann::json& body);

// ------------------------------------------------------------------------------- calls

// Every page of DescribeDBInstances (PageSize 100) of the client's region; stops at a short
// page or at TotalRecordCount; ResourceExhausted after 1000 pages.
Result<std::vector<DbInstance>> DescribeDBInstances(const RpcClient& client);

// One DescribeDBInstancePerformance call for `keys` (at most 30) over [start_ms, end_ms].
Result<Performance> DescribeDBInstancePerformance(const RpcClient& client,
                                                  const std::string& instance_id,
                                                  const std::vector<std::string>& keys,
                                                  int64_t start_ms, int64_t end_ms);

Result<ResourceUsage> DescribeResourceUsage(const RpcClient& client,
                                            const std::string& instance_id);

// Whether `id` may name an instance: 1..64 of [A-Za-z0-9_-] (instance ids are "rm-..."); what
// is checked before an id from a command line reaches a file name or a request.
bool IsValidInstanceId(std::string_view id);

}  // namespace beacon::aliyun::rds
