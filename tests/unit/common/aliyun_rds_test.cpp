// Tests for the RDS and CloudMonitor reads (common/cloud/aliyun/rds, cms, rds_report): values
// named by ValueFormat, the newest point by Date, missing points, UTC times, paging, Datapoints
// as a JSON string, and hostile answers (truncated, huge, deeply nested, wrong shapes).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/cloud/aliyun/cms.h"
#include "common/cloud/aliyun/rds.h"
#include "common/cloud/aliyun/rds_report.h"
#include "common/http/http.h"
#include "tests/support/scripted_http_client.h"
#include "tests/unit/common/aliyun_test_util.h"

namespace beacon::aliyun {
namespace {

using fakes::ScriptedHttpClient;
using nlohmann::json;

// Vectors, not braced json: a one-element braced list would become that element.
json Key(const std::string& key, const std::string& format, const std::vector<json>& points,
         const std::string& unit = "KB") {
  return {{"Key", key},
          {"ValueFormat", format},
          {"Unit", unit},
          {"Values", {{"PerformanceValue", json(points)}}}};
}

json Point(const std::string& date, const std::string& value) {
  return {{"Date", date}, {"Value", value}};
}

json PerfBody(const std::vector<json>& keys) {
  return {{"DBInstanceId", "rm-1"},
          {"Engine", "MySQL"},
          {"RequestId", "R1"},
          {"PerformanceKeys", {{"PerformanceKey", json(keys)}}}};
}

double ValueOf(const rds::Performance& perf, const std::string& key, const std::string& field) {
  for (const auto& value : perf.values) {
    if (value.key == key && value.field == field) return value.value;
  }
  ADD_FAILURE() << "no " << key << "." << field;
  return -1;
}

TEST(RdsPerformance, NamesValuesByValueFormatNotByPosition) {
  // The same key twice in different orders must give the same named values.
  auto perf =
      rds::ParsePerformance(PerfBody({Key("MySQL_NetworkTraffic", "sent_k&recv_k",
                                          {Point("2026-01-01T00:00:00Z", "13.6&0.5")}),
                                      Key("MySQL_Sessions", "active_session&total_session",
                                          {Point("2026-01-01T00:00:00Z", "3&40")}, "count")}),
                            {"MySQL_NetworkTraffic", "MySQL_Sessions"});
  ASSERT_TRUE(perf.ok()) << perf.status().ToString();
  EXPECT_EQ(ValueOf(*perf, "MySQL_NetworkTraffic", "recv_k"), 0.5);
  EXPECT_EQ(ValueOf(*perf, "MySQL_NetworkTraffic", "sent_k"), 13.6);
  EXPECT_EQ(ValueOf(*perf, "MySQL_Sessions", "total_session"), 40);
  EXPECT_TRUE(perf->missing.empty());
}

TEST(RdsPerformance, TakesTheNewestPointByDateInUtc) {
  auto perf = rds::ParsePerformance(
      PerfBody({Key("MySQL_IOPS", "io",
                    {Point("2026-01-01T00:02:00Z", "30"), Point("2026-01-01T00:00:00Z", "10"),
                     Point("2026-01-01T00:01:00Z", "20")},
                    "count/s")}),
      {"MySQL_IOPS"});
  ASSERT_TRUE(perf.ok()) << perf.status().ToString();
  ASSERT_EQ(perf->values.size(), 1u);
  EXPECT_EQ(perf->values[0].value, 30);
  // 2026-01-01T00:02:00Z, not shifted by a time zone.
  EXPECT_EQ(perf->values[0].time_ms, 1767225720000);
  EXPECT_EQ(rds::FormatPerformanceTime(1767225720000 + 59'999), "2026-01-01T00:02Z");
}

TEST(RdsPerformance, MissingPointsKeysAndFieldsAreListedNotZero) {
  auto perf = rds::ParsePerformance(
      PerfBody(
          {Key("MySQL_IOPS", "io", {}),
           Key("MySQL_QPSTPS", "QPS&TPS", {Point("2026-01-01T00:00:00Z", "12.5&")}),
           Key("MySQL_MemCpuUsage", "cpuusage&memusage", {Point("2026-01-01T00:00:00Z", "null")})}),
      {"MySQL_IOPS", "MySQL_QPSTPS", "MySQL_MemCpuUsage", "MySQL_COMDML"});
  ASSERT_TRUE(perf.ok()) << perf.status().ToString();
  ASSERT_EQ(perf->values.size(), 1u);
  EXPECT_EQ(perf->values[0].field, "QPS");
  std::vector<std::string> missing = perf->missing;
  std::sort(missing.begin(), missing.end());
  EXPECT_EQ(missing,
            (std::vector<std::string>{"MySQL_COMDML", "MySQL_IOPS", "MySQL_MemCpuUsage.cpuusage",
                                      "MySQL_MemCpuUsage.memusage", "MySQL_QPSTPS.TPS"}));
  json out = rds::PerfJson("rm-1", *perf, {{"CpuUsage", 12.0}, {"DiskUsage", std::nullopt}});
  EXPECT_EQ(out["performance"]["MySQL_QPSTPS"], json({{"QPS", 12.5}}));
  EXPECT_FALSE(out["performance"].contains("MySQL_IOPS"));
  EXPECT_EQ(out["cloudmonitor"], json({{"CpuUsage", 12.0}}));
  EXPECT_NE(std::find(out["missing"].begin(), out["missing"].end(), "cloudmonitor.DiskUsage"),
            out["missing"].end());
  EXPECT_EQ(out["time"], "2026-01-01T00:00:00.000Z");
}

TEST(RdsPerformance, WrongShapesAreErrorsNamingTheKey) {
  const std::vector<std::string> keys = {"MySQL_NetworkTraffic"};
  auto mismatch = rds::ParsePerformance(PerfBody({Key("MySQL_NetworkTraffic", "recv_k&sent_k",
                                                      {Point("2026-01-01T00:00:00Z", "1")})}),
                                        keys);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.status().message().find("MySQL_NetworkTraffic"), std::string::npos);
  auto local_time = rds::ParsePerformance(
      PerfBody({Key("MySQL_NetworkTraffic", "recv_k&sent_k", {Point("yesterday", "1&2")})}), keys);
  EXPECT_FALSE(local_time.ok());
  EXPECT_FALSE(rds::ParsePerformance(json{{"PerformanceKeys", "x"}}, keys).ok());
  EXPECT_FALSE(
      rds::ParsePerformance(json{{"PerformanceKeys", {{"PerformanceKey", {1, 2}}}}}, keys).ok());
  EXPECT_FALSE(rds::ParsePerformance(
                   PerfBody({Key("K", "a&&b", {Point("2026-01-01T00:00:00Z", "1&2&3")})}), keys)
                   .ok());
}

TEST(RdsPerformance, EveryKeyOfTheOldTemplateIsAskedForInOneCall) {
  std::vector<std::string> keys = rds::PerformanceKeyNames();
  EXPECT_EQ(keys.size(), 15u);
  EXPECT_LE(keys.size(), 30u);  // the API's limit per call
  size_t fields = 0;
  for (const auto& spec : rds::MysqlPerformanceKeys())
    fields += rds::SplitFields(spec.value_format).size();
  // 39 performance items of the old template plus the 5 DetailedSpaceUsage values of its script.
  EXPECT_EQ(fields, 44u);
}

class RdsCallTest : public ::testing::Test {
 protected:
  RdsCallTest()
      : client_(testing::ScriptedRpcClient(
            http_, clock_, {{"rds", "http://rds.test"}, {"cms", "http://cms.test"}}, 1)) {}
  std::map<std::string, std::string> Form(size_t i) {
    return http::ParseQuery(http_->requests.at(i).body);
  }

  FakeClock clock_{1767225600000};  // 2026-01-01T00:00:00Z
  std::shared_ptr<ScriptedHttpClient> http_ = std::make_shared<ScriptedHttpClient>();
  std::unique_ptr<RpcClient> client_;
};

json InstancePage(int first, int count, int total) {
  json list = json::array();
  for (int i = first; i < first + count; ++i) {
    list.push_back({{"DBInstanceId", "rm-" + std::to_string(i)},
                    {"DBInstanceDescription", i == 0 ? "" : "db" + std::to_string(i)},
                    {"Engine", "MySQL"},
                    {"RegionId", "cn-shenzhen"}});
  }
  return {
      {"TotalRecordCount", total}, {"PageRecordCount", count}, {"Items", {{"DBInstance", list}}}};
}

TEST_F(RdsCallTest, DescribeDBInstancesReadsEveryPage) {
  http_->Reply(200, InstancePage(0, 100, 150).dump());
  http_->Reply(200, InstancePage(100, 50, 150).dump());
  auto instances = rds::DescribeDBInstances(*client_);
  ASSERT_TRUE(instances.ok()) << instances.status().ToString();
  EXPECT_EQ(instances->size(), 150u);
  ASSERT_EQ(http_->requests.size(), 2u);
  EXPECT_EQ(Form(0)["Version"], "2014-08-15");
  EXPECT_EQ(Form(0)["PageNumber"], "1");
  EXPECT_EQ(Form(1)["PageNumber"], "2");
  EXPECT_EQ(Form(1)["PageSize"], "100");
  EXPECT_EQ(http_->requests[0].url, "http://rds.test/");
  json lld = rds::DiscoveryJson(*instances);
  EXPECT_EQ(lld["data"][0]["{#DBINSTANCEID}"], "rm-0");
  EXPECT_EQ(lld["data"][0]["{#DBINSTANCEDESCRIPTION}"], "rm-0");  // no alias: the id
  EXPECT_EQ(lld["data"][1]["{#DBINSTANCEDESCRIPTION}"], "db1");
}

TEST_F(RdsCallTest, PerformanceIsOneCallWithAUtcWindow) {
  http_->Reply(200, PerfBody({}).dump());
  auto perf = rds::DescribeDBInstancePerformance(*client_, "rm-1", rds::PerformanceKeyNames(),
                                                 clock_.NowMs() - 20 * 60'000, clock_.NowMs());
  ASSERT_TRUE(perf.ok()) << perf.status().ToString();
  ASSERT_EQ(http_->requests.size(), 1u);
  auto form = Form(0);
  EXPECT_EQ(form["StartTime"], "2025-12-31T23:40Z");
  EXPECT_EQ(form["EndTime"], "2026-01-01T00:00Z");
  EXPECT_EQ(form["Key"].substr(0, 33), "MySQL_NetworkTraffic,MySQL_QPSTPS");
  EXPECT_EQ(perf->missing.size(), 15u);
}

TEST_F(RdsCallTest, ResourceUsageTakesNumbersAndNumericStrings) {
  http_->Reply(200, json{{"RequestId", "R"},
                         {"DBInstanceId", "rm-1"},
                         {"Engine", "MySQL"},
                         {"DiskUsed", 1024},
                         {"DataSize", "2048"},
                         {"BackupSize", "n/a"}}
                        .dump());
  auto usage = rds::DescribeResourceUsage(*client_, "rm-1");
  ASSERT_TRUE(usage.ok()) << usage.status().ToString();
  EXPECT_EQ(
      rds::UsageJson(*usage),
      json(
          {{"instance", "rm-1"}, {"engine", "MySQL"}, {"DataSize", 2048.0}, {"DiskUsed", 1024.0}}));
}

TEST(CmsDatapoints, ParsesTheJsonStringAgain) {
  json body = {{"Code", "200"},
               {"Success", true},
               {"Datapoints",
                "[{\"timestamp\":1548777660000,\"instanceId\":\"rm-1\",\"Average\":9.92},"
                "{\"timestamp\":1548777720000,\"instanceId\":\"rm-1\",\"Average\":10.5},"
                "{\"timestamp\":1548777600000,\"instanceId\":\"rm-2\",\"Maximum\":3}]"}};
  auto page = cms::ParseMetricLast(body);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->datapoints.size(), 3u);
  auto newest = cms::NewestByInstance(page->datapoints);
  ASSERT_EQ(newest.size(), 1u);  // rm-2 has no Average
  EXPECT_EQ(*newest.at("rm-1").average, 10.5);
  auto values = rds::NewestAverages({{"CpuUsage", page->datapoints}}, "rm-2");
  EXPECT_FALSE(values.at("CpuUsage").has_value());
}

TEST(CmsDatapoints, HostileTextIsRefused) {
  EXPECT_TRUE(cms::ParseDatapoints("").ok());
  EXPECT_FALSE(cms::ParseDatapoints("[{\"timestamp\":1,").ok());          // truncated
  EXPECT_FALSE(cms::ParseDatapoints(std::string(100, '[')).ok());         // deeply nested
  EXPECT_FALSE(cms::ParseDatapoints("{\"timestamp\":1}").ok());           // not a list
  EXPECT_FALSE(cms::ParseDatapoints("[{\"timestamp\":\"soon\"}]").ok());  // not a number
  EXPECT_FALSE(cms::ParseDatapoints("[1e400]").ok());
  std::string huge = "[";
  for (int i = 0; i < 400'000; ++i) huge += "{\"timestamp\":1,\"Average\":1},";
  huge += "{}]";
  EXPECT_FALSE(cms::ParseDatapoints(huge).ok());  // beyond the 8 MiB bound
  EXPECT_FALSE(cms::ParseMetricLast(json{{"Datapoints", 5}}).ok());
  auto refused =
      cms::ParseMetricLast(json{{"Code", "403"}, {"Success", false}, {"Message", "no permission"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("no permission"), std::string::npos);
}

TEST_F(RdsCallTest, MetricLastFollowsNextTokenAndSendsDimensions) {
  http_->Reply(200,
               json{{"Code", "200"},
                    {"NextToken", "t2"},
                    {"Datapoints", "[{\"timestamp\":1,\"instanceId\":\"rm-1\",\"Average\":1}]"}}
                   .dump());
  http_->Reply(200,
               json{{"Code", "200"},
                    {"Datapoints", "[{\"timestamp\":1,\"instanceId\":\"rm-2\",\"Average\":2}]"}}
                   .dump());
  auto points = cms::DescribeMetricLast(*client_, cms::kRdsNamespace, "CpuUsage", {"rm-1", "rm-2"});
  ASSERT_TRUE(points.ok()) << points.status().ToString();
  EXPECT_EQ(points->size(), 2u);
  EXPECT_EQ(Form(0)["Version"], "2019-01-01");
  EXPECT_EQ(Form(0)["Dimensions"], "[{\"instanceId\":\"rm-1\"},{\"instanceId\":\"rm-2\"}]");
  EXPECT_EQ(Form(1)["NextToken"], "t2");
  EXPECT_EQ(http_->requests[0].url, "http://cms.test/");
}

TEST_F(RdsCallTest, HostileAnswersAreErrorsNotCrashes) {
  http_->Reply(200, "{\"Items\":{\"DBInstance\":[{\"DBInstanceId\":\"rm-1\"");  // truncated
  EXPECT_FALSE(rds::DescribeDBInstances(*client_).ok());
  http_->Reply(200, std::string(5000, '[') + std::string(5000, ']'));
  EXPECT_FALSE(rds::DescribeResourceUsage(*client_, "rm-1").ok());
  json escaping = {{"DBInstanceId", "../etc"}};
  http_->Reply(200, json{{"Items", {{"DBInstance", json::array({escaping})}}}}.dump());
  auto refused = rds::DescribeDBInstances(*client_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("DBInstanceId: invalid"), std::string::npos)
      << refused.status().message();
  http_->Reply(200, std::string(9 * 1024 * 1024, ' '));
  EXPECT_FALSE(rds::DescribeResourceUsage(*client_, "rm-1").ok());
}

TEST(RdsInstanceIds, OnlyPlainIds) {
  EXPECT_TRUE(rds::IsValidInstanceId("rm-bp1abc_2"));
  EXPECT_FALSE(rds::IsValidInstanceId(""));
  EXPECT_FALSE(rds::IsValidInstanceId("../x"));
  EXPECT_FALSE(rds::IsValidInstanceId("rm 1"));
  EXPECT_FALSE(rds::IsValidInstanceId(std::string(65, 'a')));
}

}  // namespace
}  // namespace beacon::aliyun
