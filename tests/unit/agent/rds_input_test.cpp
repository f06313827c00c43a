// The rds input against a scripted Alibaba Cloud peer: one performance call and one usage call
// per instance per gather, one CloudMonitor call per metric for all instances, values named by
// ValueFormat and converted to bytes, samples stamped with the API's UTC time, discovery when no
// instances are configured, one failing instance not hiding the others, credentials read late.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "agent/inputs/rds/rds.h"
#include "common/config/config.h"
#include "common/http/http.h"
#include "tests/support/scripted_http_client.h"

namespace beacon::agent::inputs {
namespace {

using nlohmann::json;

constexpr char kAliyun[] =
    "aliyun: {region: cn-hangzhou, endpoints: {rds: 'http://rds.test', cms: 'http://cms.test'}}\n";

struct Peer {
  std::map<std::string, int> calls;
  bool fail_rm2 = false;
  Result<http::HttpResponse> Answer(const http::HttpRequest& request) {
    auto form = http::ParseQuery(request.body);
    const std::string action = form["Action"];
    ++calls[action];
    json body;
    if (action == "DescribeDBInstances") {
      body = {
          {"TotalRecordCount", 2},
          {"Items", {{"DBInstance", {{{"DBInstanceId", "rm-1"}}, {{"DBInstanceId", "rm-2"}}}}}}};
    } else if (action == "DescribeDBInstancePerformance") {
      if (fail_rm2 && form["DBInstanceId"] == "rm-2") {
        return fakes::ScriptedHttpClient::Response(
            404, json{{"Code", "InvalidDBInstanceId.NotFound"}, {"RequestId", "E"}}.dump());
      }
      body = {{"DBInstanceId", form["DBInstanceId"]},
              {"Engine", "MySQL"},
              {"PerformanceKeys",
               {{"PerformanceKey",
                 {{{"Key", "MySQL_NetworkTraffic"},
                   {"ValueFormat", "sent_k&recv_k"},
                   {"Unit", "KB"},
                   {"Values",
                    {{"PerformanceValue",
                      {{{"Date", "2026-01-01T00:00:00Z"}, {"Value", "2&1"}}}}}}}}}}}};
    } else if (action == "DescribeResourceUsage") {
      body = {{"DBInstanceId", form["DBInstanceId"]}, {"DiskUsed", 4096}};
    } else if (action == "DescribeMetricLast") {
      body = {{"Code", "200"},
              {"Datapoints",
               "[{\"timestamp\":1767225600000,\"instanceId\":\"rm-1\",\"Average\":12.5}]"}};
    }
    body["RequestId"] = "R";
    return fakes::ScriptedHttpClient::Response(200, body.dump());
  }
};

class RdsInputTest : public ::testing::Test {
 protected:
  Status Init(RdsInput& input, const std::string& yaml) {
    auto doc = config::Document::LoadString(yaml, "agent.yaml");
    if (!doc.ok()) return doc.status();
    Status init = input.Init((*doc)->root());
    if (!init.ok()) return init;
    return (*doc)->Finish();
  }
  std::map<std::string, double> Values(Emitter& emitter, const std::string& instance) {
    std::map<std::string, double> out;
    for (const auto& record : emitter.records()) {
      if (record.sample.labels.at("instance") == instance) {
        out[record.sample.metric] = record.sample.value;
      }
    }
    return out;
  }

  Peer peer_;
  std::shared_ptr<fakes::ScriptedHttpClient> http_ = std::make_shared<fakes::ScriptedHttpClient>(
      [this](const http::HttpRequest& request) { return peer_.Answer(request); });
  aliyun::EnvLookup env_ = [](const char* name) -> std::optional<std::string> {
    if (std::string(name) == "ALIBABA_CLOUD_ACCESS_KEY_ID") return "LTAI5tTestKey";
    if (std::string(name) == "ALIBABA_CLOUD_ACCESS_KEY_SECRET") return "rds-unit-secret-91c2";
    return std::nullopt;
  };
  FakeClock clock_{1767225660000};
};

TEST_F(RdsInputTest, OneCallPerInstanceAndActionNamedAndConverted) {
  RdsInput input(http_, env_);
  ASSERT_TRUE(Init(input, std::string(kAliyun) + "instances: [rm-1, rm-2]\n").ok());
  ASSERT_TRUE(input.Start(InputContext{"", &clock_}, nullptr).ok());
  Emitter emitter(clock_);
  ASSERT_TRUE(input.Gather(emitter).ok());
  EXPECT_EQ(peer_.calls["DescribeDBInstancePerformance"], 2);
  EXPECT_EQ(peer_.calls["DescribeResourceUsage"], 2);
  EXPECT_EQ(peer_.calls["DescribeMetricLast"], 6);  // one per metric for both instances
  EXPECT_EQ(peer_.calls.count("DescribeDBInstances"), 0u);
  auto rm1 = Values(emitter, "rm-1");
  EXPECT_EQ(rm1["rds.perf.MySQL_NetworkTraffic.recv_k"], 1024);  // 1 KB
  EXPECT_EQ(rm1["rds.perf.MySQL_NetworkTraffic.sent_k"], 2048);
  EXPECT_EQ(rm1["rds.usage.DiskUsed"], 4096);
  EXPECT_EQ(rm1["rds.cloudmonitor.CpuUsage"], 12.5);
  EXPECT_EQ(Values(emitter, "rm-2").count("rds.cloudmonitor.CpuUsage"), 0u);  // no point
  for (const auto& record : emitter.records()) {
    if (record.sample.metric.starts_with("rds.perf.")) {
      EXPECT_EQ(record.ts_ms, 1767225600000);  // the API point's UTC time
    }
  }
}

TEST_F(RdsInputTest, DiscoversInstancesAndReportsAFailingOneWithoutHidingOthers) {
  peer_.fail_rm2 = true;
  RdsInput input(http_, env_);
  ASSERT_TRUE(Init(input, std::string(kAliyun) + "cloudmonitor: false\n").ok());
  ASSERT_TRUE(input.Start(InputContext{"", &clock_}, nullptr).ok());
  Emitter first(clock_);
  Status status = input.Gather(first);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("instance rm-2: rds DescribeDBInstancePerformance: "
                                  "InvalidDBInstanceId.NotFound"),
            std::string::npos)
      << status.message();
  EXPECT_EQ(Values(first, "rm-1").count("rds.perf.MySQL_NetworkTraffic.recv_k"), 1u);
  Emitter second(clock_);
  (void)input.Gather(second);
  EXPECT_EQ(peer_.calls["DescribeDBInstances"], 1);  // listed again after discovery_interval
  clock_.AdvanceMs(600'000);
  Emitter third(clock_);
  (void)input.Gather(third);
  EXPECT_EQ(peer_.calls["DescribeDBInstances"], 2);
  EXPECT_EQ(peer_.calls.count("DescribeMetricLast"), 0u);
}

TEST_F(RdsInputTest, ConfigErrorsAndLateCredentials) {
  RdsInput bad(http_, env_);
  Status status = Init(bad,
                       "aliyun: {region: cn-hangzhou, endpoints: {ecs: 'http://x'}}\n"
                       "instances: ['../x']\nwindow: 10s\n");
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("aliyun.endpoints.ecs: unknown product"), std::string::npos);
  EXPECT_NE(status.message().find("instances"), std::string::npos);
  EXPECT_NE(status.message().find("window"), std::string::npos);

  bool have_credentials = false;
  RdsInput late(http_, [&](const char* name) -> std::optional<std::string> {
    if (!have_credentials) return std::nullopt;
    return std::string(name).ends_with("KEY_ID") ? "LTAI5tTestKey" : "rds-late-secret-7f3a";
  });
  ASSERT_TRUE(Init(late, "aliyun: {region: cn-hangzhou}\ninstances: [rm-1]\n").ok());
  EXPECT_FALSE(late.Start(InputContext{"", &clock_}, nullptr).ok());
  Emitter emitter(clock_);
  Status gather = late.Gather(emitter);
  EXPECT_NE(gather.message().find("ALIBABA_CLOUD_ACCESS_KEY_ID"), std::string::npos);
  have_credentials = true;
  http_->replies.clear();
  EXPECT_TRUE(late.Gather(emitter).ok()) << "credentials are read again until they load";
}

}  // namespace
}  // namespace beacon::agent::inputs
