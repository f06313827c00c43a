// Tests for common/cloud/aliyun/rpc: the V1 signature against the published vector and the
// official SDK (@alicloud/openapi-util through tests/oracles/aliyun_rpc_sign.js), endpoints,
// credentials, the config section, error parsing and the retry policy over a scripted client.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "common/cloud/aliyun/rpc.h"
#include "common/http/http.h"
#include "tests/support/scripted_http_client.h"
#include "tests/unit/node_oracle.h"

namespace beacon::aliyun {
namespace {

using fakes::ScriptedHttpClient;

// The published ECS DescribeRegions example (its parameter is spelled TimeStamp).
RpcParams PublishedParams() {
  return {{"TimeStamp", "2016-02-23T12:46:24Z"},
          {"Format", "XML"},
          {"AccessKeyId", "testid"},
          {"Action", "DescribeRegions"},
          {"SignatureMethod", "HMAC-SHA1"},
          {"SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"},
          {"Version", "2014-05-26"},
          {"SignatureVersion", "1.0"}};
}

TEST(AliyunSignTest, PublishedVector) {
  EXPECT_EQ(SignRpcV1(PublishedParams(), "GET", "testsecret"), "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
}

TEST(AliyunSignTest, StringToSignEncodesThePairSeparators) {
  EXPECT_EQ(RpcStringToSign(PublishedParams(), "GET"),
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26"
            "SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
            "%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D"
            "2014-05-26");
}

TEST(AliyunSignTest, SignatureParameterIsNotSigned) {
  RpcParams params = PublishedParams();
  params["Signature"] = "anything";
  EXPECT_EQ(SignRpcV1(params, "GET", "testsecret"), "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
  EXPECT_EQ(RpcCanonicalQuery(params).find("Signature="), std::string::npos);
}

TEST(AliyunSignTest, MethodAndSecretChangeTheSignature) {
  EXPECT_NE(SignRpcV1(PublishedParams(), "POST", "testsecret"), "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
  EXPECT_NE(SignRpcV1(PublishedParams(), "GET", "testsecreT"), "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
}

TEST(AliyunSignTest, CanonicalQueryUsesRfc3986) {
  RpcParams params{{"A", "a b*c~d/e+f=g&h%"}, {"B", "中"}, {"C", ""}, {"D", "!'()"}};
  EXPECT_EQ(RpcCanonicalQuery(params),
            "A=a%20b%2Ac~d%2Fe%2Bf%3Dg%26h%25&B=%E4%B8%AD&C=&D=%21%27%28%29");
}

TEST(AliyunSignTest, TimestampFormat) {
  EXPECT_EQ(FormatRpcTimestamp(1'456'231'584'999), "2016-02-23T12:46:24Z");
  EXPECT_EQ(FormatRpcTimestamp(0), "1970-01-01T00:00:00Z");
}

// Awkward parameter sets the official SDK signs; Beacon must produce the same signatures.
std::vector<std::pair<std::string, RpcParams>> AwkwardCases() {
  RpcParams base{{"AccessKeyId", "LTAI5tOracleKey"},
                 {"Action", "SetBackendServers"},
                 {"Format", "JSON"},
                 {"RegionId", "cn-hangzhou"},
                 {"SignatureMethod", "HMAC-SHA1"},
                 {"SignatureNonce", "5f0c4d9e-aaaa-bbbb-cccc-1234567890ab"},
                 {"SignatureVersion", "1.0"},
                 {"Timestamp", "2026-01-02T03:04:05Z"},
                 {"Version", "2014-05-15"}};
  std::vector<std::pair<std::string, RpcParams>> cases;
  auto with = [&](std::string name, RpcParams extra) {
    RpcParams params = base;
    for (auto& [k, v] : extra) params[k] = v;
    cases.emplace_back(std::move(name), std::move(params));
  };
  with(
      "json_backends",
      {{"LoadBalancerId", "lb-bp1o94dp5i6earr9g6d1l"},
       {"BackendServers",
        R"([{"ServerId":"i-bp1","Weight":"0","Type":"ecs","Description":"web 01"},)"
        R"({"ServerId":"eni-x","Weight":"100","Type":"eni","ServerIp":"192.168.0.1","Port":"80"}])"}});
  with("utf8", {{"VServerGroupName", "灰度组 ✓ ünïcödé"}, {"Description", "生产环境/主"}});
  with("spaces_star_tilde_slash", {{"Name", "a b*c~d/e"}, {"Path", "/x/y z/"}});
  with("reserved_chars", {{"Q", "a+b=c&d%e#f?g@h:i;j,k"}, {"Bang", "!'()"}});
  with("empty_value", {{"Empty", ""}, {"RRKeyWord", "www"}});
  with("dotted_keys", {{"Tag.1.Key", "env"}, {"Tag.1.Value", "prod"}});
  with("emoji", {{"Remark", "deploy 🚀 done"}});
  return cases;
}

TEST(AliyunSignTest, MatchesTheOfficialSdk) {
  auto cases = AwkwardCases();
  cases.emplace_back("published", PublishedParams());
  const std::string secret = "oracle/Secret+Key=xyz&";
  nlohmann::json input = nlohmann::json::array();
  for (const auto& [name, params] : cases) {
    for (const char* method : {"GET", "POST"}) {
      input.push_back({{"method", method}, {"secret", secret}, {"params", params}});
    }
  }
  std::string output = beacon::testing::RunNodeOracle("aliyun_rpc_sign.js", input.dump());
  ASSERT_FALSE(output.empty())
      << "node oracle failed (is node installed and @alicloud/openapi-util in tests/node?)";
  nlohmann::json expected = nlohmann::json::parse(output);
  ASSERT_EQ(expected.size(), cases.size() * 2);
  size_t i = 0;
  for (const auto& [name, params] : cases) {
    for (const char* method : {"GET", "POST"}) {
      EXPECT_EQ(SignRpcV1(params, method, secret), expected[i].get<std::string>())
          << name << " " << method;
      ++i;
    }
  }
}

TEST(AliyunEndpointTest, SlbCentralAndRegional) {
  EXPECT_EQ(DefaultEndpoint(kSlb, "cn-hangzhou"), "https://slb.aliyuncs.com");
  EXPECT_EQ(DefaultEndpoint(kSlb, "us-west-1"), "https://slb.aliyuncs.com");
  EXPECT_EQ(DefaultEndpoint(kSlb, "cn-zhangjiakou"), "https://slb.cn-zhangjiakou.aliyuncs.com");
  EXPECT_EQ(DefaultEndpoint(kSlb, "eu-central-1"), "https://slb.eu-central-1.aliyuncs.com");
  EXPECT_EQ(DefaultEndpoint(kAlidns, "cn-zhangjiakou"), "https://alidns.aliyuncs.com");
}

std::string WriteFile(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "/" + name + std::to_string(::getpid());
  std::ofstream(path) << text;
  return path;
}

TEST(AliyunCredentialsTest, File) {
  auto credentials = LoadCredentialsFile(
      WriteFile("cred_ok", "access_key_id: LTAI5tX\naccess_key_secret: s3cr3t-value\n"));
  ASSERT_TRUE(credentials.ok()) << credentials.status().ToString();
  EXPECT_EQ(credentials->access_key_id, "LTAI5tX");
  EXPECT_EQ(credentials->access_key_secret, "s3cr3t-value");
  EXPECT_EQ(credentials->security_token, "");
}

TEST(AliyunCredentialsTest, FileErrorsNameTheKeyNeverTheSecret) {
  auto missing = LoadCredentialsFile(WriteFile("cred_missing", "access_key_id: LTAI5tX\n"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("access_key_secret"), std::string::npos);
  auto unknown = LoadCredentialsFile(WriteFile(
      "cred_unknown", "access_key_id: A\naccess_key_secret: very-secret-9\nsecret_key: x\n"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("secret_key"), std::string::npos);
  EXPECT_EQ(unknown.status().message().find("very-secret-9"), std::string::npos);
  auto absent = LoadCredentialsFile(::testing::TempDir() + "/no-such-credentials");
  EXPECT_FALSE(absent.ok());
}

TEST(AliyunCredentialsTest, Environment) {
  std::map<std::string, std::string> env{{"ALIBABA_CLOUD_ACCESS_KEY_ID", "LTAI5tEnv"},
                                         {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret"},
                                         {"ALIBABA_CLOUD_SECURITY_TOKEN", "sts-token"}};
  EnvLookup lookup = [&](const char* name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  auto credentials = CredentialsFromEnvironment(lookup);
  ASSERT_TRUE(credentials.ok());
  EXPECT_EQ(credentials->access_key_id, "LTAI5tEnv");
  EXPECT_EQ(credentials->security_token, "sts-token");
  env.erase("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
  EXPECT_EQ(CredentialsFromEnvironment(lookup).status().code(), StatusCode::kNotFound);
}

EnvLookup NoEnvironment() {
  return [](const char*) -> std::optional<std::string> { return std::nullopt; };
}

TEST(AliyunConfigTest, ReadsTheSection) {
  std::string cred = WriteFile("cred_cfg", "access_key_id: LTAI5tCfg\naccess_key_secret: x\n");
  auto doc = config::Document::LoadString(
      "aliyun:\n"
      "  region: cn-shanghai\n"
      "  credentials_file: " +
          cred +
          "\n"
          "  endpoints: {slb: 'http://127.0.0.1:9/', alidns: "
          "https://alidns.example}\n"
          "  timeout: 5s\n"
          "  retry: {attempts: 3, initial_backoff: 100ms, "
          "max_backoff: 2s}\n",
      "collector.yaml");
  ASSERT_TRUE(doc.ok());
  RpcClientConfig config = ReadRpcClientConfig((*doc)->root().Child("aliyun"), NoEnvironment());
  ASSERT_TRUE((*doc)->Finish().ok()) << (*doc)->Finish().ToString();
  EXPECT_EQ(config.region, "cn-shanghai");
  EXPECT_EQ(config.credentials.access_key_id, "LTAI5tCfg");
  EXPECT_EQ(config.endpoints.at("slb"), "http://127.0.0.1:9");
  EXPECT_EQ(config.endpoints.at("alidns"), "https://alidns.example");
  EXPECT_EQ(config.timeout_ms, 5000);
  EXPECT_EQ(config.max_attempts, 3);
  EXPECT_EQ(config.backoff.initial_ms, 100);
  EXPECT_EQ(config.backoff.max_ms, 2000);
}

TEST(AliyunConfigTest, ErrorsCarryKeyPaths) {
  auto doc = config::Document::LoadString(
      "aliyun:\n"
      "  endpoints: {ecs: 'http://x', slb: 'ftp://y'}\n"
      "  retry: {attempts: 0}\n",
      "collector.yaml");
  ASSERT_TRUE(doc.ok());
  ReadRpcClientConfig((*doc)->root().Child("aliyun"), NoEnvironment());
  Status status = (*doc)->Finish();
  ASSERT_FALSE(status.ok());
  const std::string& m = status.message();
  EXPECT_NE(m.find("aliyun.region: required key is missing"), std::string::npos) << m;
  EXPECT_NE(m.find("aliyun.credentials_file: required unless"), std::string::npos) << m;
  EXPECT_NE(m.find("aliyun.endpoints.ecs: unknown product"), std::string::npos) << m;
  EXPECT_NE(m.find("aliyun.endpoints.slb: must be http(s)"), std::string::npos) << m;
  EXPECT_NE(m.find("aliyun.retry.attempts"), std::string::npos) << m;
}

TEST(AliyunErrorTest, ParsesCodeMessageRequestId) {
  RpcError error = ParseRpcError(
      400, R"({"RequestId":"7A9B-1","HostId":"slb.aliyuncs.com","Code":"Throttling.User",)"
           R"("Message":"Request was denied due to user flow control.","Recommend":"x"})");
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.code, "Throttling.User");
  EXPECT_EQ(error.message, "Request was denied due to user flow control.");
  EXPECT_EQ(error.request_id, "7A9B-1");
}

TEST(AliyunErrorTest, HostileBodies) {
  EXPECT_EQ(ParseRpcError(502, "<html>bad gateway</html>").code, "");
  EXPECT_EQ(ParseRpcError(400, R"({"Code": 17, "RequestId": ["x"]})").code, "");
  EXPECT_EQ(ParseRpcError(400, std::string(100000, '[')).code, "");
  EXPECT_EQ(ParseRpcError(400, R"({"Code":"X","Message":"tru)").code, "");
  RpcError big = ParseRpcError(400, R"({"Code":"X","Message":")" + std::string(5000, 'm') + "\"}");
  EXPECT_EQ(big.code, "X");
  EXPECT_LE(big.message.size(), 300u);
}

TEST(AliyunErrorTest, RetryableCodes) {
  for (const char* code :
       {"Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable", "InternalError",
        "SystemBusy", "OperationBusy", "ServiceIsStopping", "BackendServer.configuring",
        "ServiceIsConfiguring", "OperationFailed.TokenIsProcessing"}) {
    EXPECT_TRUE(IsRetryableRpcError(RpcError{400, code, "", ""})) << code;
  }
  EXPECT_TRUE(IsRetryableRpcError(RpcError{502, "", "", ""}));
  for (const char* code :
       {"InvalidParameter", "SignatureDoesNotMatch", "Forbidden.RAM", "DomainRecordDuplicate",
        "InvalidLoadBalancerId.NotFound", "SignatureNonceUsed", "MissingParameter"}) {
    EXPECT_FALSE(IsRetryableRpcError(RpcError{400, code, "", ""})) << code;
  }
}

// A client over a scripted HTTP peer with a fake clock the sleeper advances.
class RpcClientTest : public ::testing::Test {
 protected:
  RpcClientTest() {
    RpcClientConfig config;
    config.region = "cn-hangzhou";
    config.credentials = {"LTAI5tTestKey", "unit-test-secret", ""};
    config.endpoints["slb"] = "http://slb.test";
    config.max_attempts = 4;
    config.backoff = {.initial_ms = 100, .max_ms = 1000};
    RpcClientDeps deps;
    deps.http = http_;
    deps.clock = &clock_;
    deps.nonce = [this] { return "nonce-" + std::to_string(++nonces_); };
    deps.sleep = [this](int64_t ms) {
      sleeps_.push_back(ms);
      clock_.AdvanceMs(ms + 1000);
    };
    deps.random01 = [] { return 1.0; };
    client_ = std::make_unique<RpcClient>(std::move(config), std::move(deps));
  }

  std::map<std::string, std::string> Form(size_t i) {
    return http::ParseQuery(http_->requests.at(i).body);
  }

  static std::string Error(const std::string& code, const std::string& request_id = "RID-1") {
    return nlohmann::json{{"Code", code}, {"Message", "msg of " + code}, {"RequestId", request_id}}
        .dump();
  }

  FakeClock clock_{1'767'323'045'000};  // 2026-01-02T03:04:05Z
  std::shared_ptr<ScriptedHttpClient> http_ = std::make_shared<ScriptedHttpClient>();
  std::unique_ptr<RpcClient> client_;
  int nonces_ = 0;
  std::vector<int64_t> sleeps_;
};

TEST_F(RpcClientTest, SignsCommonParamsAsAPostForm) {
  http_->Reply(200, R"({"RequestId":"RID-OK","LoadBalancerId":"lb-1"})");
  auto response = client_->Call(kSlb, "DescribeLoadBalancerAttribute",
                                {{"LoadBalancerId", "lb-1"}, {"Note", "a b/中"}});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->request_id, "RID-OK");
  EXPECT_EQ(response->body["LoadBalancerId"], "lb-1");
  ASSERT_EQ(http_->requests.size(), 1u);
  const http::HttpRequest& request = http_->requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://slb.test/");
  EXPECT_EQ(request.headers.Get("Content-Type"), "application/x-www-form-urlencoded");
  auto form = Form(0);
  EXPECT_EQ(form["Action"], "DescribeLoadBalancerAttribute");
  EXPECT_EQ(form["Version"], "2014-05-15");
  EXPECT_EQ(form["Format"], "JSON");
  EXPECT_EQ(form["RegionId"], "cn-hangzhou");
  EXPECT_EQ(form["AccessKeyId"], "LTAI5tTestKey");
  EXPECT_EQ(form["SignatureMethod"], "HMAC-SHA1");
  EXPECT_EQ(form["SignatureVersion"], "1.0");
  EXPECT_EQ(form["SignatureNonce"], "nonce-1");
  EXPECT_EQ(form["Timestamp"], "2026-01-02T03:04:05Z");
  EXPECT_EQ(form["Note"], "a b/中");
  EXPECT_EQ(form.count("SecurityToken"), 0u);
  RpcParams signed_params(form.begin(), form.end());
  EXPECT_EQ(form["Signature"], SignRpcV1(signed_params, "POST", "unit-test-secret"));
  EXPECT_EQ(request.body.find("unit-test-secret"), std::string::npos);
}

TEST_F(RpcClientTest, DefaultEndpointAndSecurityToken) {
  RpcClientConfig config;
  config.region = "cn-chengdu";
  config.credentials = {"LTAI5tTestKey", "s", "sts-token"};
  RpcClientDeps deps;
  deps.http = http_;
  deps.clock = &clock_;
  RpcClient client(config, deps);
  http_->Reply(200, R"({"RequestId":"R"})");
  ASSERT_TRUE(client.Call(kSlb, "DescribeLoadBalancers", {}).ok());
  EXPECT_EQ(http_->requests[0].url, "https://slb.cn-chengdu.aliyuncs.com/");
  auto form = Form(0);
  EXPECT_EQ(form["SecurityToken"], "sts-token");
  EXPECT_EQ(form["SignatureNonce"].size(), 32u);
}

TEST_F(RpcClientTest, RetriesThrottlingWithNewNonceAndTimestamp) {
  http_->Reply(400, Error("Throttling.User", "RID-A"));
  http_->Reply(503, Error("ServiceUnavailable", "RID-B"));
  http_->Reply(400, Error("SystemBusy", "RID-C"));
  http_->Reply(200, R"({"RequestId":"RID-D"})");
  auto response = client_->Call(kSlb, "SetBackendServers", {{"LoadBalancerId", "lb-1"}});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->attempts, 4);
  EXPECT_EQ(response->request_id, "RID-D");
  ASSERT_EQ(http_->requests.size(), 4u);
  std::set<std::string> nonces, timestamps, signatures;
  for (size_t i = 0; i < 4; ++i) {
    auto form = Form(i);
    nonces.insert(form["SignatureNonce"]);
    timestamps.insert(form["Timestamp"]);
    signatures.insert(form["Signature"]);
  }
  EXPECT_EQ(nonces.size(), 4u);
  EXPECT_EQ(timestamps.size(), 4u);
  EXPECT_EQ(signatures.size(), 4u);
  // Backoff ceilings 100, 200, 400 ms (random01 = 1 takes the ceiling).
  EXPECT_EQ(sleeps_, (std::vector<int64_t>{100, 200, 400}));
}

TEST_F(RpcClientTest, AttemptsAreBounded) {
  http_->Reply(400, Error("OperationFailed.TokenIsProcessing", "RID-LAST"));
  http_->RepeatLastReply();
  RpcError error;
  auto response = client_->Call(kSlb, "SetBackendServers", {}, Idempotency::kIdempotent, &error);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(http_->requests.size(), 4u);
  EXPECT_EQ(response.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(response.status().message(),
            "slb SetBackendServers: OperationFailed.TokenIsProcessing: msg of "
            "OperationFailed.TokenIsProcessing (HTTP 400, RequestId RID-LAST, 4 attempts)");
  EXPECT_EQ(error.code, "OperationFailed.TokenIsProcessing");
  EXPECT_EQ(error.request_id, "RID-LAST");
}

TEST_F(RpcClientTest, NonRetryableErrorsStopAtOnceWithTheirStatusCode) {
  struct Case {
    int http;
    std::string code;
    StatusCode expected;
  };
  for (const Case& c : {Case{400, "InvalidParameter", StatusCode::kInvalidArgument},
                        Case{400, "SignatureDoesNotMatch", StatusCode::kUnauthenticated},
                        Case{404, "InvalidAccessKeyId.NotFound", StatusCode::kUnauthenticated},
                        Case{403, "Forbidden.RAM", StatusCode::kPermissionDenied},
                        Case{404, "InvalidLoadBalancerId.NotFound", StatusCode::kNotFound},
                        Case{400, "InvalidDomainName.NoExist", StatusCode::kNotFound},
                        Case{400, "DomainRecordDuplicate", StatusCode::kInvalidArgument}}) {
    http_->requests.clear();
    http_->Reply(c.http, Error(c.code, "RID-" + c.code));
    auto response = client_->Call(kSlb, "AddBackendServers", {});
    ASSERT_FALSE(response.ok());
    EXPECT_EQ(http_->requests.size(), 1u) << c.code;
    EXPECT_EQ(response.status().code(), c.expected) << c.code;
    const std::string& m = response.status().message();
    EXPECT_NE(m.find("AddBackendServers"), std::string::npos) << m;
    EXPECT_NE(m.find(c.code), std::string::npos) << m;
    EXPECT_NE(m.find("RequestId RID-" + c.code), std::string::npos) << m;
    EXPECT_EQ(m.find("unit-test-secret"), std::string::npos) << m;
    EXPECT_EQ(m.find(Form(0)["Signature"]), std::string::npos) << m;
  }
}

TEST_F(RpcClientTest, NonJsonErrorPagesAreRetriedAsServerErrors) {
  http_->Reply(502, "<html>Bad Gateway</html>");
  http_->RepeatLastReply();
  auto response = client_->Call(kSlb, "DescribeHealthStatus", {});
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(http_->requests.size(), 4u);
  EXPECT_EQ(response.status().message(),
            "slb DescribeHealthStatus: error (HTTP 502, RequestId none, 4 attempts)");
}

TEST_F(RpcClientTest, TransportFailuresRetryOnlyIdempotentCalls) {
  http_->Fail(Status::Unavailable("connect failed"));
  http_->Reply(200, R"({"RequestId":"R2"})");
  auto read = client_->Call(kSlb, "DescribeLoadBalancers", {});
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->attempts, 2);

  http_->requests.clear();
  http_->Fail(Status::DeadlineExceeded("timed out"));
  auto add = client_->Call(kSlb, "AddBackendServers", {}, Idempotency::kNotIdempotent);
  ASSERT_FALSE(add.ok());
  EXPECT_EQ(add.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(http_->requests.size(), 1u);
  EXPECT_EQ(add.status().message(), "slb AddBackendServers: timed out (1 attempt)");
}

TEST_F(RpcClientTest, NonJsonSuccessIsCorruption) {
  http_->Reply(200, "<xml/>");
  auto response = client_->Call(kSlb, "DescribeLoadBalancers", {});
  EXPECT_EQ(response.status().code(), StatusCode::kCorruption);
  http_->Reply(200, "[1,2]");
  EXPECT_EQ(client_->Call(kSlb, "DescribeLoadBalancers", {}).status().code(),
            StatusCode::kCorruption);
}

TEST_F(RpcClientTest, CallerRegionWins) {
  http_->Reply(200, R"({"RequestId":"R"})");
  ASSERT_TRUE(client_->Call(kSlb, "DescribeLoadBalancers", {{"RegionId", "cn-beijing"}}).ok());
  EXPECT_EQ(Form(0)["RegionId"], "cn-beijing");
}

}  // namespace
}  // namespace beacon::aliyun
