// The SLB and Alidns clients over real HTTP against tests/fakes/aliyun_server.py, which verifies
// every signature, nonce and timestamp: weights change and read back, documented errors come
// back with their codes, injected throttling is retried with fresh nonces, a wrong secret fails.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "common/cloud/aliyun/alidns.h"
#include "common/cloud/aliyun/slb.h"
#include "common/http/client.h"
#include "tests/unit/common/aliyun_test_util.h"
#include "tests/unit/peer_process.h"

namespace beacon::aliyun {
namespace {

using nlohmann::json;
using testing::ByServer;
using testing::Server;
using testing::Update;

constexpr char kKeyId[] = "LTAI5tFakeTestKey";
constexpr char kSecret[] = "fake/secret+with=odd&chars";

const char* kState = R"({
  "load_balancers": [
    {"id": "lb-prod", "name": "prod", "region": "cn-hangzhou",
     "listeners": [{"port": 80, "protocol": "http"}],
     "backends": [{"server_id": "i-a", "weight": 100}, {"server_id": "i-b", "weight": 100}],
     "vserver_groups": [{"id": "rsp-web", "name": "web",
                         "backends": [{"server_id": "i-a", "port": 8080, "weight": 100}]}]},
    {"id": "lb-gray", "name": "gray", "region": "cn-hangzhou", "backends": []}],
  "domains": [{"name": "example.com", "records": [
    {"id": "1001", "rr": "www", "type": "A", "value": "192.0.2.1", "ttl": 600}]}]})";

class AliyunFakeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    peer_ = new beacon::testing::PeerProcess(
        {"python3", std::string(BEACON_SOURCE_DIR) + "/tests/fakes/aliyun_server.py", "--port", "0",
         "--access-key", std::string(kKeyId) + ":" + kSecret, "--state-json", kState});
  }
  static void TearDownTestSuite() {
    delete peer_;
    peer_ = nullptr;
  }

  void SetUp() override {
    ASSERT_GT(peer_->port(), 0) << "tests/fakes/aliyun_server.py did not start";
    Control({{"clear", true}, {"state", json::parse(kState)}});
    client_ = MakeClient(kSecret);
  }

  std::string Base() const { return "http://127.0.0.1:" + std::to_string(peer_->port()); }

  std::unique_ptr<RpcClient> MakeClient(const std::string& secret) {
    RpcClientConfig config;
    config.region = "cn-hangzhou";
    config.credentials = {kKeyId, secret, ""};
    config.endpoints = {{"slb", Base()}, {"alidns", Base()}};
    config.max_attempts = 3;
    config.backoff = {.initial_ms = 1, .max_ms = 5};
    RpcClientDeps deps;
    deps.http = http_;
    return std::make_unique<RpcClient>(config, std::move(deps));
  }

  json Get(const std::string& path) { return aliyun::testing::FakeGet(*http_, Base(), path); }
  void Control(const json& body) {
    ASSERT_TRUE(aliyun::testing::FakeControl(*http_, Base(), body));
  }

  static beacon::testing::PeerProcess* peer_;
  std::shared_ptr<http::HttpClient> http_ = http::NewCurlHttpClient();
  std::unique_ptr<RpcClient> client_;
};

beacon::testing::PeerProcess* AliyunFakeTest::peer_ = nullptr;

TEST_F(AliyunFakeTest, DrainAndRestoreWeights) {
  slb::RpcApi api(*client_);
  auto drained = api.SetBackendServers("lb-prod", {Server("i-a", 0)});
  ASSERT_TRUE(drained.ok()) << drained.status().ToString();
  ASSERT_EQ(drained->request_ids.size(), 1u);
  EXPECT_FALSE(drained->request_ids[0].empty());
  auto attr = api.DescribeLoadBalancerAttribute("lb-prod");
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  ASSERT_EQ(attr->backends.size(), 2u);
  EXPECT_EQ(attr->backends[0].server_id, "i-a");
  EXPECT_EQ(attr->backends[0].weight, 0);
  EXPECT_EQ(attr->backends[1].weight, 100);
  ASSERT_TRUE(api.SetBackendServers("lb-prod", {Server("i-a", 100)}).ok());
  EXPECT_EQ(Get("/__state")["load_balancers"][0]["backends"][0]["weight"], 100);
}

TEST_F(AliyunFakeTest, GrayAddRemoveAndDuplicateAdd) {
  slb::RpcApi api(*client_);
  ASSERT_TRUE(api.AddBackendServers("lb-gray", {Server("i-a", 100)}).ok());
  auto again = api.AddBackendServers("lb-gray", {Server("i-a", 100)});
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("InvalidParameter"), std::string::npos);
  auto list = api.DescribeLoadBalancers(ByServer("i-a"));
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->load_balancers.size(), 2u);
  ASSERT_TRUE(api.RemoveBackendServers("lb-gray", {Server("i-a")}).ok());
  auto gray = api.DescribeLoadBalancerAttribute("lb-gray");
  ASSERT_TRUE(gray.ok());
  EXPECT_TRUE(gray->backends.empty());
  EXPECT_EQ(api.DescribeLoadBalancerAttribute("lb-none").status().code(), StatusCode::kNotFound);
}

TEST_F(AliyunFakeTest, VServerGroupAndHealth) {
  slb::RpcApi api(*client_);
  ASSERT_TRUE(api.SetVServerGroupAttribute("rsp-web", {Server("i-a", 5, 8080)}).ok());
  auto group = api.DescribeVServerGroupAttribute("rsp-web");
  ASSERT_TRUE(group.ok());
  EXPECT_EQ(group->backends[0].weight, 5);
  Control({{"health", {{"lb", "lb-prod"}, {"server_id", "i-b"}, {"status", "abnormal"}}}});
  auto health = api.DescribeHealthStatus("lb-prod", std::nullopt);
  ASSERT_TRUE(health.ok());
  ASSERT_EQ(health->backends.size(), 2u);
  EXPECT_EQ(health->backends[1].server_id, "i-b");
  EXPECT_EQ(health->backends[1].status, "abnormal");
}

TEST_F(AliyunFakeTest, ThrottlingIsRetriedWithFreshNonces) {
  Control({{"fail_next", 2}, {"code", "Throttling.User"}, {"action", "SetBackendServers"}});
  slb::RpcApi api(*client_);
  auto change = api.SetBackendServers("lb-prod", {Server("i-b", 30)});
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  json requests = Get("/__stats")["requests"];
  ASSERT_EQ(requests.size(), 3u);
  std::set<std::string> nonces;
  for (const json& r : requests) nonces.insert(r["params"]["SignatureNonce"].get<std::string>());
  EXPECT_EQ(nonces.size(), 3u);
  EXPECT_EQ(requests[0]["code"], "Throttling.User");
  EXPECT_EQ(requests[2]["code"], "");
}

TEST_F(AliyunFakeTest, BusyUntilAttemptsRunOut) {
  Control({{"fail_next", 5}, {"code", "BackendServer.configuring"}});
  slb::RpcApi api(*client_);
  auto change = api.SetBackendServers("lb-prod", {Server("i-b", 30)});
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(change.status().message().find("BackendServer.configuring"), std::string::npos);
  EXPECT_NE(change.status().message().find("3 attempts"), std::string::npos);
}

TEST_F(AliyunFakeTest, WrongSecretIsRejected) {
  auto client = MakeClient("not-the-secret");
  slb::RpcApi api(*client);
  auto attr = api.DescribeLoadBalancerAttribute("lb-prod");
  ASSERT_FALSE(attr.ok());
  EXPECT_EQ(attr.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(attr.status().message().find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(attr.status().message().find("not-the-secret"), std::string::npos);
}

TEST_F(AliyunFakeTest, DnsUpdateAndDuplicate) {
  alidns::RpcApi api(*client_);
  alidns::RecordUpdate update = Update("1001", "192.0.2.50");
  auto changed = api.UpdateDomainRecord(update);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_FALSE(changed->unchanged);
  auto same = api.UpdateDomainRecord(update);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_TRUE(same->unchanged);
  auto records = api.DescribeDomainRecords("example.com", alidns::RecordFilter{"www", ""});
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->records.size(), 1u);
  EXPECT_EQ(records->records[0].value, "192.0.2.50");
  auto unknown = api.UpdateDomainRecord(Update("999", "192.0.2.3"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("DomainRecordNotBelongToUser"), std::string::npos);
  EXPECT_EQ(api.DescribeDomainRecords("nope.example", {}).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace beacon::aliyun
