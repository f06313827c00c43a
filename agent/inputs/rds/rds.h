// The `rds` input: Alibaba Cloud RDS instances watched through the API, not from the host.
// Every interval, per instance (configured, or every instance DescribeDBInstances lists): one
// DescribeDBInstancePerformance call for every performance key, one DescribeResourceUsage call,
// and one CloudMonitor DescribeMetricLast call per usage metric for all instances together.
// One failing instance or call is one part of the error; the others are still emitted.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/inputs/input.h"
#include "common/cloud/aliyun/rpc.h"
#include "common/http/client.h"

namespace beacon::agent::inputs {

class RdsInput final : public Input {
 public:
  // http and env: injected by tests; otherwise a libcurl client and the process environment.
  explicit RdsInput(std::shared_ptr<http::HttpClient> http = nullptr,
                    aliyun::EnvLookup env = nullptr);

  std::string name() const override { return "rds"; }
  // rds.perf.<Key>.<field> for every key and ValueFormat field Beacon expects,
  // rds.usage.<field>, rds.cloudmonitor.<metric>; all with the label `instance`.
  std::vector<MetricSpec> metrics() const override;
  Status Init(config::Node node) override;
  Status Start(const InputContext& context, RecordSink sink) override;
  Status Gather(Emitter& emitter) override;

 private:
  // Builds the client once the credentials can be read (at start, else at a later gather).
  Status EnsureClient();
  Result<std::vector<std::string>> Instances();

  std::shared_ptr<http::HttpClient> http_;
  aliyun::EnvLookup env_;
  const Clock* clock_ = &SystemClock::Instance();
  aliyun::RpcClientConfig config_;
  std::string credentials_file_;
  std::unique_ptr<aliyun::RpcClient> client_;
  std::vector<std::string> instances_;  // configured; empty: discovered
  std::vector<std::string> discovered_;
  int64_t discovered_at_ms_ = -1;
  int64_t discovery_interval_ms_ = 600'000;
  int64_t window_ms_ = 20 * 60'000;
  bool cloudmonitor_ = true;
  bool usage_ = true;
  int period_s_ = 60;
};

}  // namespace beacon::agent::inputs
