// RDS monitoring calls over RpcClient and the parsers of their answers (see rds.h).
#include "common/cloud/aliyun/rds.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "common/clock.h"
#include "common/cloud/aliyun/fields.h"
#include "common/strings.h"

namespace beacon::aliyun::rds {
namespace {

constexpr int kPageSize = 100;  // the API's maximum
// A broken endpoint that never stops paging is cut off here (100,000 instances).
constexpr int kMaxPages = 1000;
constexpr size_t kMaxKeysPerCall = 30;  // the API's limit for Key
// Bounds on what one answer may make us hold (a hostile endpoint could send millions).
constexpr size_t kMaxFieldsPerKey = 64;

// A decimal number as the API writes it ("13.6", "0", "-1.5e3"); nullopt for "", "null", "NaN"
// and anything else.
std::optional<double> ParseNumber(std::string_view text) {
  text = TrimWhitespace(text);
  if (text.empty()) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// "rds DescribeResourceUsage answer (RequestId X): <what is wrong>".
Status AnswerError(const Status& status, std::string_view action, const std::string& request_id) {
  return status.WithContext("rds " + std::string(action) + " answer (RequestId " +
                            (request_id.empty() ? "none" : request_id) + ")");
}

Status Bad(std::string_view where, std::string_view what) {
  return Status::InvalidArgument(std::string(where) + ": " + std::string(what));
}

}  // namespace

std::vector<std::string> SplitFields(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    const size_t end = text.find('&', start);
    out.emplace_back(TrimWhitespace(text.substr(start, end - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

const std::vector<PerformanceKeySpec>& MysqlPerformanceKeys() {
  static const std::vector<PerformanceKeySpec> kKeys = {
      {"MySQL_NetworkTraffic", "recv_k&sent_k", "KB/s", "network traffic in and out"},
      {"MySQL_QPSTPS", "QPS&TPS", "count/s", "queries and transactions per second"},
      {"MySQL_Sessions", "active_session&total_session", "count", "active and all sessions"},
      {"MySQL_InnoDBBufferRatio", "ibuf_read_hit&ibuf_use_ratio&ibuf_dirty_ratio", "%",
       "InnoDB buffer pool read hit, usage and dirty ratio"},
      {"MySQL_InnoDBDataReadWriten", "inno_data_read&inno_data_written", "KB/s",
       "InnoDB data read and written"},
      {"MySQL_InnoDBLogRequests", "ibuf_request_r&ibuf_request_w", "count/s",
       "InnoDB buffer pool read and write requests"},
      {"MySQL_InnoDBLogWrites", "Innodb_log_write_requests&Innodb_log_writes&Innodb_os_log_fsyncs",
       "count/s", "InnoDB log write requests, writes and fsyncs"},
      {"MySQL_TempDiskTableCreates", "tb_tmp_disk", "count", "temporary tables created on disk"},
      {"MySQL_MyISAMKeyBufferRatio", "Key_usage_ratio&Key_read_hit_ratio&Key_write_hit_ratio", "%",
       "MyISAM key buffer usage, read and write hit ratio"},
      {"MySQL_MyISAMKeyReadWrites", "myisam_keyr_r&myisam_keyr_w&myisam_keyr&myisam_keyw",
       "count/s", "MyISAM key buffer reads and writes, disk reads and writes"},
      {"MySQL_COMDML",
       "com_delete&com_insert&com_insert_select&com_replace&com_replace_select&com_select&"
       "com_update",
       "count/s", "statements per second by kind"},
      {"MySQL_RowDML",
       "inno_row_readed&inno_row_update&inno_row_delete&inno_row_insert&Inno_log_writes", "count/s",
       "InnoDB rows read, updated, deleted, inserted; log writes"},
      {"MySQL_MemCpuUsage", "cpuusage&memusage", "%", "CPU and memory usage"},
      {"MySQL_IOPS", "io", "count/s", "I/O operations per second"},
      {"MySQL_DetailedSpaceUsage", "ins_size&data_size&log_size&tmp_size&other_size", "MB",
       "space used: instance, data, log, temporary, system"},
  };
  return kKeys;
}

std::string FormatPerformanceTime(int64_t unix_ms) {
  // FormatRfc3339 gives "2012-06-08T15:00:59.999Z"; the API takes minutes.
  return FormatRfc3339(unix_ms).substr(0, 16) + "Z";
}

bool IsValidInstanceId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

Result<DbInstancePage> ParseDbInstances(const nlohmann::json& body) {
  DbInstancePage page;
  BEACON_ASSIGN_OR_RETURN(auto objects, fields::NestedObjects(body, "Items", "DBInstance"));
  constexpr std::string_view kWhere = "DBInstance";
  for (const nlohmann::json* object : objects) {
    DbInstance instance;
    BEACON_ASSIGN_OR_RETURN(instance.id, fields::String(*object, "DBInstanceId", kWhere));
    if (!IsValidInstanceId(instance.id)) return Bad("DBInstance.DBInstanceId", "invalid");
    BEACON_ASSIGN_OR_RETURN(instance.description,
                            fields::String(*object, "DBInstanceDescription", kWhere));
    BEACON_ASSIGN_OR_RETURN(instance.status, fields::String(*object, "DBInstanceStatus", kWhere));
    BEACON_ASSIGN_OR_RETURN(instance.engine, fields::String(*object, "Engine", kWhere));
    BEACON_ASSIGN_OR_RETURN(instance.engine_version,
                            fields::String(*object, "EngineVersion", kWhere));
    BEACON_ASSIGN_OR_RETURN(instance.instance_class,
                            fields::String(*object, "DBInstanceClass", kWhere));
    BEACON_ASSIGN_OR_RETURN(instance.instance_type,
                            fields::String(*object, "DBInstanceType", kWhere));
    BEACON_ASSIGN_OR_RETURN(instance.region_id, fields::String(*object, "RegionId", kWhere));
    BEACON_ASSIGN_OR_RETURN(instance.zone_id, fields::String(*object, "ZoneId", kWhere));
    BEACON_ASSIGN_OR_RETURN(instance.pay_type, fields::String(*object, "PayType", kWhere));
    BEACON_ASSIGN_OR_RETURN(instance.expire_time, fields::String(*object, "ExpireTime", kWhere));
    BEACON_ASSIGN_OR_RETURN(instance.lock_mode, fields::String(*object, "LockMode", kWhere));
    page.instances.push_back(std::move(instance));
  }
  BEACON_ASSIGN_OR_RETURN(page.total_records, fields::Int(body, "TotalRecordCount", "answer", -1));
  return page;
}

Result<Performance> ParsePerformance(const nlohmann::json& body,
                                     const std::vector<std::string>& requested) {
  Performance out;
  BEACON_ASSIGN_OR_RETURN(out.instance_id, fields::String(body, "DBInstanceId", "answer"));
  BEACON_ASSIGN_OR_RETURN(out.engine, fields::String(body, "Engine", "answer"));
  BEACON_ASSIGN_OR_RETURN(auto keys,
                          fields::NestedObjects(body, "PerformanceKeys", "PerformanceKey"));
  std::map<std::string, bool> seen;
  for (const std::string& key : requested) seen[key] = false;
  for (const nlohmann::json* object : keys) {
    BEACON_ASSIGN_OR_RETURN(std::string key, fields::String(*object, "Key", "PerformanceKey"));
    const std::string where = "PerformanceKey " + std::string(Snippet(key, 64));
    if (key.empty()) return Bad("PerformanceKey.Key", "missing");
    BEACON_ASSIGN_OR_RETURN(std::string format, fields::String(*object, "ValueFormat", where));
    BEACON_ASSIGN_OR_RETURN(std::string unit, fields::String(*object, "Unit", where));
    std::vector<std::string> names = SplitFields(format);
    if (names.size() > kMaxFieldsPerKey) return Bad(where, "ValueFormat has too many fields");
    for (const std::string& name : names) {
      if (name.empty()) return Bad(where, "ValueFormat has an empty field name");
    }
    BEACON_ASSIGN_OR_RETURN(auto points,
                            fields::NestedObjects(*object, "Values", "PerformanceValue"));
    // The newest point by Date, whatever order the answer lists them in.
    const nlohmann::json* newest = nullptr;
    int64_t newest_ms = 0;
    for (const nlohmann::json* point : points) {
      BEACON_ASSIGN_OR_RETURN(std::string date, fields::String(*point, "Date", where));
      Result<int64_t> ms = ParseRfc3339(date);
      if (!ms.ok()) return Bad(where, "Date '" + Snippet(date, 40) + "' is not an RFC 3339 time");
      if (newest == nullptr || *ms >= newest_ms) {
        newest = point;
        newest_ms = *ms;
      }
    }
    seen[key] = true;
    if (newest == nullptr) {
      out.missing.push_back(key);
      continue;
    }
    BEACON_ASSIGN_OR_RETURN(std::string value, fields::String(*newest, "Value", where));
    std::vector<std::string> parts = SplitFields(value);
    if (value.empty() || value == "null") parts.assign(names.size(), "");
    if (parts.size() != names.size()) {
      return Bad(where, "Value has " + std::to_string(parts.size()) + " fields, ValueFormat '" +
                            Snippet(format, 80) + "' names " + std::to_string(names.size()));
    }
    for (size_t i = 0; i < names.size(); ++i) {
      std::optional<double> number = ParseNumber(parts[i]);
      if (!number) {
        out.missing.push_back(key + "." + names[i]);
        continue;
      }
      out.values.push_back({key, names[i], *number, newest_ms, unit});
    }
  }
  for (const auto& [key, found] : seen) {
    if (!found) out.missing.push_back(key);
  }
  return out;
}

Result<ResourceUsage> ParseResourceUsage(const nlohmann::json& body) {
  ResourceUsage out;
  if (!body.is_object()) return Status::InvalidArgument("answer: expected an object");
  BEACON_ASSIGN_OR_RETURN(out.instance_id, fields::String(body, "DBInstanceId", "answer"));
  BEACON_ASSIGN_OR_RETURN(out.engine, fields::String(body, "Engine", "answer"));
  for (const auto& [name, value] : body.items()) {
    if (name == "RequestId" || name == "DBInstanceId" || name == "Engine") continue;
    std::optional<double> number;
    if (value.is_number()) {
      number = value.get<double>();
      if (!std::isfinite(*number)) number.reset();
    } else if (value.is_string()) {
      number = ParseNumber(value.get_ref<const std::string&>());
    }
    if (number && name.size() <= 64) out.values.emplace_back(name, *number);
    if (out.values.size() > 256) return Bad("answer", "too many fields");
  }
  std::sort(out.values.begin(), out.values.end());
  return out;
}

Result<std::vector<DbInstance>> DescribeDBInstances(const RpcClient& client) {
  std::vector<DbInstance> out;
  for (int page = 1; page <= kMaxPages; ++page) {
    RpcParams params{{"PageNumber", std::to_string(page)}, {"PageSize", std::to_string(kPageSize)}};
    BEACON_ASSIGN_OR_RETURN(RpcResponse response,
                            client.Call(kRds, "DescribeDBInstances", std::move(params)));
    Result<DbInstancePage> parsed = ParseDbInstances(response.body);
    if (!parsed.ok()) {
      return AnswerError(parsed.status(), "DescribeDBInstances", response.request_id);
    }
    const size_t got = parsed->instances.size();
    for (DbInstance& instance : parsed->instances) out.push_back(std::move(instance));
    if (got < static_cast<size_t>(kPageSize) ||
        (parsed->total_records >= 0 && out.size() >= static_cast<size_t>(parsed->total_records))) {
      return out;
    }
  }
  return Status::ResourceExhausted("rds DescribeDBInstances: more than " +
                                   std::to_string(kMaxPages) + " pages");
}

Result<Performance> DescribeDBInstancePerformance(const RpcClient& client,
                                                  const std::string& instance_id,
                                                  const std::vector<std::string>& keys,
                                                  int64_t start_ms, int64_t end_ms) {
  if (keys.empty() || keys.size() > kMaxKeysPerCall) {
    return Status::InvalidArgument("rds DescribeDBInstancePerformance: 1 to 30 keys");
  }
  std::string key_list;
  for (const std::string& key : keys) key_list += (key_list.empty() ? "" : ",") + key;
  RpcParams params{{"DBInstanceId", instance_id},
                   {"Key", key_list},
                   {"StartTime", FormatPerformanceTime(start_ms)},
                   {"EndTime", FormatPerformanceTime(end_ms)}};
  BEACON_ASSIGN_OR_RETURN(RpcResponse response,
                          client.Call(kRds, "DescribeDBInstancePerformance", std::move(params)));
  Result<Performance> parsed = ParsePerformance(response.body, keys);
  if (!parsed.ok()) {
    return AnswerError(parsed.status(), "DescribeDBInstancePerformance", response.request_id);
  }
  if (parsed->instance_id.empty()) parsed->instance_id = instance_id;
  return parsed;
}

Result<ResourceUsage> DescribeResourceUsage(const RpcClient& client,
                                            const std::string& instance_id) {
  BEACON_ASSIGN_OR_RETURN(RpcResponse response, client.Call(kRds, "DescribeResourceUsage",
                                                            {{"DBInstanceId", instance_id}}));
  Result<ResourceUsage> parsed = ParseResourceUsage(response.body);
  if (!parsed.ok()) {
    return AnswerError(parsed.status(), "DescribeResourceUsage", response.request_id);
  }
  if (parsed->instance_id.empty()) parsed->instance_id = instance_id;
  return parsed;
}

}  // namespace beacon::aliyun::rds
