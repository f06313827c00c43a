// Tests for the typed SLB and Alidns calls (common/cloud/aliyun/slb, alidns) over a scripted HTTP
// peer: request parameters, paging, chunking of server lists, partial failures, answer parsing
// with hostile shapes, and DomainRecordDuplicate handling.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/cloud/aliyun/alidns.h"
#include "common/cloud/aliyun/slb.h"
#include "common/http/http.h"
#include "tests/support/scripted_http_client.h"
#include "tests/unit/common/aliyun_test_util.h"

namespace beacon::aliyun {
namespace {

using fakes::ScriptedHttpClient;
using nlohmann::json;
using testing::ByServer;
using testing::Server;
using testing::Update;

class ApiTest : public ::testing::Test {
 protected:
  ApiTest()
      : client_(testing::ScriptedRpcClient(
            http_, clock_, {{"slb", "http://slb.test"}, {"alidns", "http://dns.test"}})) {}

  std::map<std::string, std::string> Form(size_t i) {
    return http::ParseQuery(http_->requests.at(i).body);
  }
  void Reply(const json& body) { http_->Reply(200, body.dump()); }
  void ReplyError(int status, const std::string& code, const std::string& request_id) {
    http_->Reply(status, json{{"Code", code}, {"Message", "m"}, {"RequestId", request_id}}.dump());
  }

  FakeClock clock_;
  std::shared_ptr<ScriptedHttpClient> http_ = std::make_shared<ScriptedHttpClient>();
  std::unique_ptr<RpcClient> client_;
};

json LbPage(int first, int count, int total) {
  json list = json::array();
  for (int i = first; i < first + count; ++i) {
    list.push_back({{"LoadBalancerId", "lb-" + std::to_string(i)},
                    {"LoadBalancerName", "n" + std::to_string(i)},
                    {"LoadBalancerStatus", "active"},
                    {"Address", "10.0.0.1"},
                    {"RegionId", "cn-hangzhou"}});
  }
  return {{"RequestId", "RID-P" + std::to_string(first)},
          {"TotalCount", total},
          {"PageSize", 100},
          {"LoadBalancers", {{"LoadBalancer", list}}}};
}

TEST_F(ApiTest, DescribeLoadBalancersReadsEveryPage) {
  Reply(LbPage(0, 100, 230));
  Reply(LbPage(100, 100, 230));
  Reply(LbPage(200, 30, 230));
  slb::RpcApi api(*client_);
  slb::DescribeLoadBalancersFilter filter = ByServer("i-1");
  filter.load_balancer_ids = {"lb-a", "lb-b"};
  auto result = api.DescribeLoadBalancers(filter);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->load_balancers.size(), 230u);
  EXPECT_EQ(result->load_balancers[229].id, "lb-229");
  EXPECT_EQ(result->request_ids, (std::vector<std::string>{"RID-P0", "RID-P100", "RID-P200"}));
  ASSERT_EQ(http_->requests.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    auto form = Form(i);
    EXPECT_EQ(form["PageNumber"], std::to_string(i + 1));
    EXPECT_EQ(form["PageSize"], "100");
    EXPECT_EQ(form["LoadBalancerId"], "lb-a,lb-b");
    EXPECT_EQ(form["ServerId"], "i-1");
  }
}

TEST_F(ApiTest, DescribeLoadBalancersStopsAtTheTotalAndOnEmptyPages) {
  Reply(LbPage(0, 100, 100));
  slb::RpcApi api(*client_);
  auto exact = api.DescribeLoadBalancers({});
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->load_balancers.size(), 100u);
  EXPECT_EQ(http_->requests.size(), 1u);
  Reply({{"RequestId", "R"}, {"TotalCount", 0}});
  auto empty = api.DescribeLoadBalancers({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->load_balancers.empty());
}

TEST_F(ApiTest, DescribeLoadBalancersBoundsAPeerThatNeverStopsPaging) {
  // A full page whose TotalCount keeps promising more, forever.
  http_->Reply(200, LbPage(0, 100, 1 << 30).dump());
  http_->RepeatLastReply();
  slb::RpcApi api(*client_);
  auto result = api.DescribeLoadBalancers({});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(http_->requests.size(), 1000u);
}

TEST_F(ApiTest, LoadBalancerAttributeWithWeights) {
  Reply({{"RequestId", "RID-ATTR"},
         {"LoadBalancerId", "lb-1"},
         {"LoadBalancerName", "prod"},
         {"LoadBalancerStatus", "active"},
         {"ListenerPortsAndProtocol",
          {{"ListenerPortAndProtocol", {{{"ListenerPort", 80}, {"ListenerProtocol", "http"}}}}}},
         {"BackendServers",
          {{"BackendServer",
            {{{"ServerId", "i-a"}, {"Weight", 100}, {"Type", "ecs"}},
             {{"ServerId", "i-b"}, {"Weight", "0"}, {"ServerIp", "10.0.0.2"}}}}}}});
  slb::RpcApi api(*client_);
  auto attr = api.DescribeLoadBalancerAttribute("lb-1");
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  EXPECT_EQ(Form(0)["LoadBalancerId"], "lb-1");
  EXPECT_EQ(attr->request_id, "RID-ATTR");
  EXPECT_EQ(attr->load_balancer.name, "prod");
  ASSERT_EQ(attr->listeners.size(), 1u);
  EXPECT_EQ(attr->listeners[0].port, 80);
  ASSERT_EQ(attr->backends.size(), 2u);
  EXPECT_EQ(attr->backends[0].weight, 100);
  EXPECT_EQ(attr->backends[1].server_id, "i-b");
  EXPECT_EQ(attr->backends[1].weight, 0);
  EXPECT_EQ(attr->backends[1].server_ip, "10.0.0.2");
}

TEST_F(ApiTest, HealthStatus) {
  Reply({{"RequestId", "RID-H"},
         {"BackendServers",
          {{"BackendServer",
            {{{"ServerId", "i-a"},
              {"ListenerPort", 80},
              {"Port", 8080},
              {"Protocol", "http"},
              {"ServerHealthStatus", "abnormal"}}}}}}});
  slb::RpcApi api(*client_);
  auto health = api.DescribeHealthStatus("lb-1", 80);
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(Form(0)["ListenerPort"], "80");
  ASSERT_EQ(health->backends.size(), 1u);
  EXPECT_EQ(health->backends[0].status, "abnormal");
  EXPECT_EQ(health->backends[0].port, 8080);
}

std::vector<slb::BackendServer> Servers(int n, int weight) {
  std::vector<slb::BackendServer> out;
  for (int i = 0; i < n; ++i) out.push_back(Server("i-" + std::to_string(i), weight));
  return out;
}

json ChangeAnswer(const std::string& request_id, const std::string& backends_json) {
  return {{"RequestId", request_id},
          {"LoadBalancerId", "lb-1"},
          {"BackendServers", {{"BackendServer", json::parse(backends_json)}}}};
}

TEST_F(ApiTest, SetBackendServersChunksByTwenty) {
  auto servers = Servers(45, 0);
  for (size_t begin = 0; begin < 45; begin += 20) {
    json listed = json::array();
    for (size_t i = begin; i < std::min<size_t>(45, begin + 20); ++i) {
      listed.push_back({{"ServerId", servers[i].server_id}, {"Weight", "0"}});
    }
    Reply(ChangeAnswer("RID-" + std::to_string(begin), listed.dump()));
  }
  slb::RpcApi api(*client_);
  auto change = api.SetBackendServers("lb-1", servers);
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  ASSERT_EQ(http_->requests.size(), 3u);
  EXPECT_EQ(change->request_ids, (std::vector<std::string>{"RID-0", "RID-20", "RID-40"}));
  EXPECT_EQ(change->backends.size(), 45u);
  size_t sent = 0;
  for (size_t i = 0; i < 3; ++i) {
    auto form = Form(i);
    EXPECT_EQ(form["Action"], "SetBackendServers");
    EXPECT_EQ(form["LoadBalancerId"], "lb-1");
    json list = json::parse(form["BackendServers"]);
    EXPECT_LE(list.size(), slb::kMaxServersPerCall);
    for (const json& entry : list) {
      EXPECT_EQ(entry["ServerId"], servers[sent++].server_id);
      EXPECT_EQ(entry["Weight"], "0");  // the API documents Weight as a string
    }
  }
  EXPECT_EQ(sent, 45u);
}

TEST_F(ApiTest, PartialChunkFailureNamesWhatChanged) {
  auto servers = Servers(25, 50);
  Reply(ChangeAnswer("RID-FIRST", "[]"));
  ReplyError(400, "InvalidParameter", "RID-SECOND");
  slb::RpcApi api(*client_);
  auto change = api.AddBackendServers("lb-1", servers);
  ASSERT_FALSE(change.ok());
  const std::string& m = change.status().message();
  EXPECT_NE(m.find("AddBackendServers: InvalidParameter"), std::string::npos) << m;
  EXPECT_NE(m.find("RequestId RID-SECOND"), std::string::npos) << m;
  EXPECT_NE(m.find("already applied to i-0,"), std::string::npos) << m;
  EXPECT_NE(m.find("i-19 (RequestId RID-FIRST)"), std::string::npos) << m;
  EXPECT_NE(m.find("not to i-20,i-21,i-22,i-23,i-24"), std::string::npos) << m;
}

TEST_F(ApiTest, AddIsNotRetriedAfterALostAnswer) {
  http_->Fail(Status::Unavailable("connection reset"));
  slb::RpcApi api(*client_);
  auto change = api.AddBackendServers("lb-1", Servers(1, 100));
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(http_->requests.size(), 1u);
}

TEST_F(ApiTest, EmptyServerListIsRefusedLocally) {
  slb::RpcApi api(*client_);
  EXPECT_EQ(api.RemoveBackendServers("lb-1", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(http_->requests.empty());
}

TEST_F(ApiTest, VServerGroups) {
  Reply({{"RequestId", "RID-G"},
         {"VServerGroupId", "rsp-1"},
         {"VServerGroupName", "web"},
         {"LoadBalancerId", "lb-1"},
         {"BackendServers",
          {{"BackendServer", {{{"ServerId", "i-a"}, {"Port", 8080}, {"Weight", 100}}}}}}});
  slb::RpcApi api(*client_);
  auto group = api.DescribeVServerGroupAttribute("rsp-1");
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(group->backends[0].port, 8080);
  Reply(ChangeAnswer("RID-S", R"([{"ServerId":"i-a","Port":8080,"Weight":0}])"));
  auto change = api.SetVServerGroupAttribute("rsp-1", {Server("i-a", 0, 8080)});
  ASSERT_TRUE(change.ok());
  auto form = Form(1);
  EXPECT_EQ(form["VServerGroupId"], "rsp-1");
  EXPECT_EQ(json::parse(form["BackendServers"]),
            json::parse(R"([{"ServerId":"i-a","Weight":"0","Port":"8080"}])"));
}

TEST(SlbParseTest, HostileShapes) {
  EXPECT_TRUE(slb::ParseBackendServers(json::object()).ok());  // absent list: empty
  EXPECT_FALSE(slb::ParseBackendServers(json{{"BackendServers", "x"}}).ok());
  EXPECT_FALSE(slb::ParseBackendServers(json{{"BackendServers", {{"BackendServer", "x"}}}}).ok());
  EXPECT_FALSE(
      slb::ParseBackendServers(json::parse(R"({"BackendServers":{"BackendServer":[1]}})")).ok());
  EXPECT_FALSE(
      slb::ParseBackendServers(
          json::parse(R"({"BackendServers":{"BackendServer":[{"ServerId":"i","Weight":101}]}})"))
          .ok());
  EXPECT_FALSE(
      slb::ParseBackendServers(
          json::parse(R"({"BackendServers":{"BackendServer":[{"ServerId":"i","Weight":"1e3"}]}})"))
          .ok());
  EXPECT_FALSE(slb::ParseBackendServers(
                   json::parse(R"({"BackendServers":{"BackendServer":[{"Weight":1}]}})"))
                   .ok());
  EXPECT_FALSE(slb::ParseLoadBalancers(
                   json::parse(R"({"LoadBalancers":{"LoadBalancer":[{"LoadBalancerId":["x"]}]}})"))
                   .ok());
  EXPECT_FALSE(slb::ParseLoadBalancerAttribute(json::array()).ok());
}

TEST(SlbEncodeTest, OnlySetFields) {
  slb::BackendServer eni = Server("eni-b", 100, 80);
  eni.type = "eni";
  eni.server_ip = "10.0.0.9";
  eni.description = "x y";
  EXPECT_EQ(slb::EncodeBackendServers({Server("i-a", 7), eni}),
            R"([{"ServerId":"i-a","Weight":"7"},{"Description":"x y","Port":"80",)"
            R"("ServerId":"eni-b","ServerIp":"10.0.0.9","Type":"eni","Weight":"100"}])");
}

json DnsPage(int first, int count, int total, const std::string& value = "192.0.2.1") {
  json records = json::array();
  for (int i = first; i < first + count; ++i) {
    records.push_back({{"RecordId", std::to_string(1000 + i)},
                       {"DomainName", "example.com"},
                       {"RR", "www"},
                       {"Type", "A"},
                       {"Value", value},
                       {"TTL", 600},
                       {"Line", "default"},
                       {"Status", "ENABLE"},
                       {"Locked", false}});
  }
  return {{"RequestId", "RID-D" + std::to_string(first)},
          {"TotalCount", total},
          {"DomainRecords", {{"Record", records}}}};
}

TEST_F(ApiTest, DescribeDomainRecordsPagesWithFilters) {
  Reply(DnsPage(0, 500, 501));
  Reply(DnsPage(500, 1, 501));
  alidns::RpcApi api(*client_);
  auto records = api.DescribeDomainRecords("example.com", alidns::RecordFilter{"www", "A"});
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(records->records.size(), 501u);
  EXPECT_EQ(records->records[500].record_id, "1500");
  EXPECT_EQ(records->records[0].ttl, 600);
  ASSERT_EQ(http_->requests.size(), 2u);
  EXPECT_EQ(http_->requests[0].url, "http://dns.test/");
  auto form = Form(1);
  EXPECT_EQ(form["Version"], "2015-01-09");
  EXPECT_EQ(form["DomainName"], "example.com");
  EXPECT_EQ(form["RRKeyWord"], "www");
  EXPECT_EQ(form["TypeKeyWord"], "A");
  EXPECT_EQ(form["PageNumber"], "2");
  EXPECT_EQ(form["PageSize"], "500");
}

TEST_F(ApiTest, UpdateDomainRecord) {
  Reply({{"RequestId", "RID-U"}, {"RecordId", "1000"}});
  alidns::RpcApi api(*client_);
  alidns::RecordUpdate update = Update("1000", "192.0.2.9");
  update.ttl = 60;
  auto result = api.UpdateDomainRecord(update);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->request_id, "RID-U");
  EXPECT_FALSE(result->unchanged);
  auto form = Form(0);
  EXPECT_EQ(form["RecordId"], "1000");
  EXPECT_EQ(form["Value"], "192.0.2.9");
  EXPECT_EQ(form["TTL"], "60");
  EXPECT_EQ(form.count("DomainName"), 0u);
  EXPECT_EQ(form.count("Line"), 0u);
}

TEST_F(ApiTest, DuplicateIsSuccessOnceReadBack) {
  ReplyError(400, "DomainRecordDuplicate", "RID-DUP");
  Reply(DnsPage(0, 1, 1, "192.0.2.1"));
  alidns::RpcApi api(*client_);
  auto result = api.UpdateDomainRecord(Update("1000", "192.0.2.1"));
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->unchanged);
  EXPECT_EQ(result->request_id, "RID-DUP");
  EXPECT_EQ(Form(1)["Action"], "DescribeDomainRecords");
}

TEST_F(ApiTest, DuplicateWithDifferentReadBackIsAnError) {
  ReplyError(400, "DomainRecordDuplicate", "RID-DUP");
  Reply(DnsPage(0, 1, 1, "198.51.100.7"));  // another record holds the value; this one does not
  alidns::RpcApi api(*client_);
  auto result = api.UpdateDomainRecord(Update("1000", "192.0.2.1"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("DomainRecordDuplicate"), std::string::npos);
  EXPECT_NE(result.status().message().find("does not have these values"), std::string::npos);
}

TEST_F(ApiTest, OtherUpdateErrorsPassThrough) {
  ReplyError(400, "DomainRecordNotBelongToUser", "RID-NB");
  alidns::RpcApi api(*client_);
  auto result = api.UpdateDomainRecord(Update("9", "1"));
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("RequestId RID-NB"), std::string::npos);
  EXPECT_EQ(http_->requests.size(), 1u);
}

TEST(AlidnsParseTest, HostileShapes) {
  EXPECT_TRUE(alidns::ParseDomainRecords(json::object()).ok());
  EXPECT_FALSE(alidns::ParseDomainRecords(
                   json::parse(R"({"DomainRecords":{"Record":[{"RecordId":"1","TTL":"x"}]}})"))
                   .ok());
  EXPECT_FALSE(
      alidns::ParseDomainRecords(
          json::parse(R"({"DomainRecords":{"Record":[{"RecordId":"1","Locked":"maybe"}]}})"))
          .ok());
  EXPECT_FALSE(alidns::ParseDomainRecords(json::parse(R"({"DomainRecords":[]})")).ok());
  EXPECT_FALSE(
      alidns::ParseDomainRecords(json::parse(R"({"DomainRecords":{"Record":[{}]}})")).ok());
}

}  // namespace
}  // namespace beacon::aliyun
