// The rds input: configuration and one gather over the instances (see rds.h).
#include "agent/inputs/rds/rds.h"

#include <cstdlib>
#include <map>
#include <string_view>

#include "common/cloud/aliyun/cms.h"
#include "common/cloud/aliyun/rds.h"
#include "common/cloud/aliyun/rds_report.h"
#include "common/strings.h"

namespace beacon::agent::inputs {
namespace {

constexpr const char* kUsageFields[] = {"DiskUsed",   "DataSize", "LogSize",
                                        "BackupSize", "SQLSize",  "ColdBackupSize"};

std::optional<std::string> ProcessEnv(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// Adds one sample stamped with the API's own time (UTC) instead of the gather's.
void AddTimedSample(Emitter& emitter, const std::string& metric, double value,
                    const std::string& instance, int64_t ts_ms) {
  const size_t before = emitter.records().size();
  emitter.AddSample(metric, value, {{"instance", instance}});
  if (ts_ms > 0 && emitter.records().size() > before) emitter.records().back().ts_ms = ts_ms;
}

}  // namespace

RdsInput::RdsInput(std::shared_ptr<http::HttpClient> http, aliyun::EnvLookup env)
    : http_(std::move(http)), env_(env ? std::move(env) : aliyun::EnvLookup(ProcessEnv)) {}

std::vector<MetricSpec> RdsInput::metrics() const {
  std::vector<MetricSpec> out;
  for (const aliyun::rds::PerformanceKeySpec& spec : aliyun::rds::MysqlPerformanceKeys()) {
    const aliyun::rds::SampleUnit unit = aliyun::rds::SampleUnitFor(spec.api_unit);
    for (const std::string& field : aliyun::rds::SplitFields(spec.value_format)) {
      out.push_back({"rds.perf." + std::string(spec.key) + "." + field,
                     unit.unit,
                     std::string(spec.description) + " (" + std::string(spec.api_unit) + ")",
                     MetricType::kGauge,
                     {"instance"}});
    }
  }
  for (const char* field : kUsageFields) {
    out.push_back({"rds.usage." + std::string(field),
                   "bytes",
                   std::string("DescribeResourceUsage ") + field,
                   MetricType::kGauge,
                   {"instance"}});
  }
  for (std::string_view metric : aliyun::cms::RdsDashboardMetrics()) {
    // The *Usage metrics are percentages of the instance's quotas; MySQL_SlowQueries a rate.
    const bool rate = metric == "MySQL_SlowQueries";
    out.push_back(
        {"rds.cloudmonitor." + std::string(metric),
         rate ? "count" : "percent",
         "CloudMonitor acs_rds_dashboard " + std::string(metric) + (rate ? " (per second)" : ""),
         MetricType::kGauge,
         {"instance"}});
  }
  return out;
}

Status RdsInput::Init(config::Node node) {
  // Every built-in input is initialised; a disabled one without its section needs no region.
  bool enabled = false;
  node.Get("enabled", &enabled);
  if (enabled || node.Has("aliyun")) {
    config_ = aliyun::ReadRpcClientConfigDeferred(node.Child("aliyun"), &credentials_file_);
  }
  node.Get("instances", &instances_);
  for (const std::string& id : instances_) {
    if (!aliyun::rds::IsValidInstanceId(id)) {
      std::string message = "'";  // appended: GCC 12 -O3 misreads "x" + std::string&&
      message.append(Snippet(id, 64)).append("' is not an RDS instance id");
      node.Error("instances", message);
    }
  }
  node.GetDurationMs("window", &window_ms_, 120'000, 86'400'000);
  node.GetDurationMs("discovery_interval", &discovery_interval_ms_, 60'000, 86'400'000);
  node.Get("cloudmonitor", &cloudmonitor_);
  node.Get("usage", &usage_);
  node.Get("period", &period_s_, 5, 3600);
  return Status::Ok();
}

Status RdsInput::Start(const InputContext& context, RecordSink sink) {
  (void)sink;
  if (context.clock != nullptr) clock_ = context.clock;
  return EnsureClient();
}

Status RdsInput::EnsureClient() {
  if (client_ != nullptr) return Status::Ok();
  Result<aliyun::Credentials> credentials = aliyun::LoadCredentials(credentials_file_, env_);
  if (!credentials.ok()) return credentials.status().WithContext("rds credentials");
  aliyun::RpcClientConfig config = config_;
  config.credentials = *credentials;
  if (http_ == nullptr) {
    http::CurlClientOptions options;
    options.timeout_ms = config.timeout_ms;
    http_ = http::NewCurlHttpClient(options);
  }
  aliyun::RpcClientDeps deps;
  deps.http = http_;
  deps.clock = clock_;
  client_ = std::make_unique<aliyun::RpcClient>(std::move(config), std::move(deps));
  return Status::Ok();
}

Result<std::vector<std::string>> RdsInput::Instances() {
  if (!instances_.empty()) return instances_;
  const int64_t now = clock_->NowMs();
  if (discovered_at_ms_ < 0 || now - discovered_at_ms_ >= discovery_interval_ms_) {
    BEACON_ASSIGN_OR_RETURN(auto instances, aliyun::rds::DescribeDBInstances(*client_));
    discovered_.clear();
    for (const aliyun::rds::DbInstance& instance : instances) discovered_.push_back(instance.id);
    discovered_at_ms_ = now;
  }
  return discovered_;
}

Status RdsInput::Gather(Emitter& emitter) {
  BEACON_RETURN_IF_ERROR(EnsureClient());
  BEACON_ASSIGN_OR_RETURN(std::vector<std::string> instances, Instances());
  std::vector<std::string> errors;
  const std::vector<std::string> keys = aliyun::rds::PerformanceKeyNames();
  for (const std::string& instance : instances) {
    const int64_t now = clock_->NowMs();
    Result<aliyun::rds::Performance> performance =
        aliyun::rds::DescribeDBInstancePerformance(*client_, instance, keys, now - window_ms_, now);
    if (performance.ok()) {
      for (const aliyun::rds::PerformanceValue& value : performance->values) {
        const aliyun::rds::SampleUnit unit = aliyun::rds::SampleUnitFor(value.unit);
        AddTimedSample(emitter, "rds.perf." + value.key + "." + value.field,
                       value.value * unit.factor, instance, value.time_ms);
      }
    } else {
      errors.push_back("instance " + instance + ": " + performance.status().message());
    }
    if (!usage_) continue;
    Result<aliyun::rds::ResourceUsage> usage =
        aliyun::rds::DescribeResourceUsage(*client_, instance);
    if (!usage.ok()) {
      errors.push_back("instance " + instance + ": " + usage.status().message());
      continue;
    }
    for (const auto& [field, value] : usage->values) {
      emitter.AddSample("rds.usage." + field, value, {{"instance", instance}});
    }
  }
  if (cloudmonitor_ && !instances.empty()) {
    for (std::string_view metric : aliyun::cms::RdsDashboardMetrics()) {
      Result<std::vector<aliyun::cms::Datapoint>> points = aliyun::cms::DescribeMetricLast(
          *client_, aliyun::cms::kRdsNamespace, metric, instances, period_s_);
      if (!points.ok()) {
        errors.push_back(points.status().message());
        continue;
      }
      const std::map<std::string, aliyun::cms::Datapoint> newest =
          aliyun::cms::NewestByInstance(*points);
      for (const std::string& instance : instances) {
        auto it = newest.find(instance);
        if (it == newest.end()) continue;
        AddTimedSample(emitter, "rds.cloudmonitor." + std::string(metric), *it->second.average,
                       instance, it->second.timestamp_ms);
      }
    }
  }
  if (errors.empty()) return Status::Ok();
  std::string message;
  for (const std::string& error : errors) message += (message.empty() ? "" : "; ") + error;
  return Status::Unavailable(message);
}

}  // namespace beacon::agent::inputs
