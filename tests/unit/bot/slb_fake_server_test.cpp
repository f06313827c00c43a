// The SLB and release commands end to end through the real slb::RpcApi and RpcClient against
// tests/fakes/aliyun_server.py, which verifies every request's signature, nonce and timestamp:
// drain and undrain change the weights and restore them, a drain that would empty a load
// balancer is refused, and release gray then promote leaves the load balancers as before.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bot/release/slb_actions.h"
#include "tests/unit/aliyun_fake_peer.h"
#include "tests/unit/bot/fakes.h"

namespace beacon::bot {
namespace {

using nlohmann::json;
using testing::BotHarness;

constexpr char kKeyId[] = "LTAI5tFakeBotKey";
constexpr char kSecret[] = "bot/secret+odd=chars";

const char* kState = R"({"load_balancers": [
  {"id": "lb-web", "name": "web", "region": "cn-hangzhou",
   "listeners": [{"port": 80, "protocol": "http"},
                 {"port": 8080, "protocol": "http", "vserver_group": "rsp-api"}],
   "backends": [{"server_id": "i-abc", "weight": 100}, {"server_id": "i-def", "weight": 80}],
   "vserver_groups": [{"id": "rsp-api", "name": "api", "backends": [
      {"server_id": "i-abc", "port": 8080, "weight": 100},
      {"server_id": "i-def", "port": 8080, "weight": 100}]}]},
  {"id": "lb-mobile", "name": "mobile", "region": "cn-hangzhou",
   "listeners": [{"port": 443, "protocol": "https"}],
   "backends": [{"server_id": "i-abc", "weight": 60}, {"server_id": "i-def", "weight": 60}]},
  {"id": "lb-gray", "name": "gray", "region": "cn-hangzhou",
   "listeners": [{"port": 80, "protocol": "http"}], "backends": []},
  {"id": "lb-other", "name": "other", "region": "cn-hangzhou",
   "listeners": [{"port": 80, "protocol": "http"}],
   "backends": [{"server_id": "i-abc", "weight": 100}]}]})";

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SlbAgainstTheFake : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fake_ = new beacon::testing::AliyunFakePeer(kKeyId, kSecret, kState);
  }
  static void TearDownTestSuite() {
    delete fake_;
    fake_ = nullptr;
  }

  void SetUp() override {
    ASSERT_GT(fake_->port(), 0) << "tests/fakes/aliyun_server.py did not start";
    ASSERT_TRUE(fake_->Control({{"clear", true}, {"state", json::parse(kState)}}));
    release::SlbConfig config;
    config.client.region = "cn-hangzhou";
    config.client.credentials = {kKeyId, kSecret, ""};
    config.client.endpoints = {{"slb", Base()}};
    config.client.max_attempts = 3;
    config.client.backoff = {.initial_ms = 1, .max_ms = 5};
    config.production = {{"lb-web", "web", {{"rsp-api", "api"}}}, {"lb-mobile", "mobile", {}}};
    config.gray.id = "lb-gray";
    config.gray.name = "gray";
    config.servers = {{"web-01", "i-abc"}};
    aliyun::RpcClientDeps deps;
    deps.http = fake_->http();
    client_ = std::make_unique<aliyun::RpcClient>(config.client, std::move(deps));
    api_ = std::make_unique<aliyun::slb::RpcApi>(*client_);
    auto memory = release::WeightMemory::Open((h.dir() / "slb-state.db").string());
    ASSERT_TRUE(memory.ok()) << memory.status().ToString();
    memory_ = std::move(memory).value();
    actions_ = std::make_unique<release::SlbActions>(config, *api_, *memory_);
    EngineDeps engine;
    engine.ports = Ports{&h.hosts, &h.alerts, &h.backups, &h.reports, actions_.get()};
    engine.rbac = &h.rbac;
    engine.confirmations = h.confirmations.get();
    engine.audit = h.audit.get();
    engine.max_reply_bytes = 4096;
    h.engine = std::make_unique<Engine>(Registry(BuiltinCommands()), std::move(engine));
  }

  std::string Base() const { return fake_->Base(); }
  json Get(const std::string& path) { return fake_->Get(path); }
  void Control(const json& body) { ASSERT_TRUE(fake_->Control(body)); }
  // The weights the fake holds: "lb-web i-abc" / "rsp-api i-abc:8080" -> weight.
  std::map<std::string, int> Weights() {
    std::map<std::string, int> out;
    const json state = Get("/__state");
    for (const json& lb : state["load_balancers"]) {
      for (const json& b : lb["backends"]) {
        out[lb["id"].get<std::string>() + " " + b["server_id"].get<std::string>()] = b["weight"];
      }
      for (const json& g : lb.value("vserver_groups", json::array())) {
        for (const json& b : g["backends"]) {
          out[g["id"].get<std::string>() + " " + b["server_id"].get<std::string>() + ":" +
              std::to_string(b["port"].get<int>())] = b["weight"];
        }
      }
    }
    return out;
  }
  Reply Confirmed(const std::string& user, const std::string& text) {
    Reply preview = h.Say(user, text);
    const std::string code = BotHarness::CodeIn(preview);
    EXPECT_FALSE(code.empty()) << preview.body;
    return code.empty() ? preview : h.Say(user, "confirm " + code);
  }

  static beacon::testing::AliyunFakePeer* fake_;
  BotHarness h;
  std::unique_ptr<aliyun::RpcClient> client_;
  std::unique_ptr<aliyun::slb::RpcApi> api_;
  std::unique_ptr<release::WeightMemory> memory_;
  std::unique_ptr<release::SlbActions> actions_;
};

beacon::testing::AliyunFakePeer* SlbAgainstTheFake::fake_ = nullptr;

TEST_F(SlbAgainstTheFake, DrainThenUndrainRestoresEveryWeight) {
  const std::map<std::string, int> before = Weights();
  ASSERT_EQ(before.size(), 7u);
  Reply drained = Confirmed("op1", "slb drain web-01");
  EXPECT_TRUE(Has(drained.body, "✅ slb drain web-01 (i-abc) done")) << drained.body;
  std::map<std::string, int> after = Weights();
  EXPECT_EQ(after["lb-web i-abc"], 0);
  EXPECT_EQ(after["rsp-api i-abc:8080"], 0);
  EXPECT_EQ(after["lb-mobile i-abc"], 0);
  EXPECT_EQ(after["lb-other i-abc"], 100);  // not listed: never touched
  EXPECT_EQ(after["lb-web i-def"], 80);
  const AuditRecord row = h.AuditRows(1).front();
  ASSERT_EQ(row.entry.request_ids.size(), 3u);
  for (const std::string& id : row.entry.request_ids) EXPECT_FALSE(id.empty());

  EXPECT_TRUE(Has(Confirmed("op1", "slb undrain web-01").body, "✅"));
  EXPECT_EQ(Weights(), before);
  // Every request was signed correctly: the fake rejected none.
  const json stats = Get("/__stats");
  EXPECT_GT(stats["requests"].size(), 10u);
  EXPECT_TRUE(stats["rejected"].empty()) << stats["rejected"].dump();
}

TEST_F(SlbAgainstTheFake, ADrainThatWouldEmptyALoadBalancerIsRefused) {
  Control({{"health", {{"lb", "lb-mobile"}, {"server_id", "i-def"}, {"status", "abnormal"}}}});
  const std::map<std::string, int> before = Weights();
  Reply r = h.Say("op1", "slb drain web-01");
  EXPECT_TRUE(Has(r.body,
                  "Refused slb drain web-01 (i-abc): mobile (lb-mobile) would be left "
                  "without a healthy backend"))
      << r.body;
  EXPECT_EQ(Weights(), before);
}

TEST_F(SlbAgainstTheFake, GrayThenPromoteLeavesTheLoadBalancersAsBefore) {
  const std::map<std::string, int> before = Weights();
  Reply gray = Confirmed("op1", "release gray web-01");
  EXPECT_TRUE(Has(gray.body, "• gray (lb-gray): i-abc now weight 100")) << gray.body;
  std::map<std::string, int> during = Weights();
  EXPECT_EQ(during["lb-gray i-abc"], 100);
  EXPECT_EQ(during["lb-web i-abc"], 0);
  Reply promoted = Confirmed("op1", "release promote web-01");
  EXPECT_TRUE(Has(promoted.body, "• gray (lb-gray): i-abc now not attached")) << promoted.body;
  EXPECT_EQ(Weights(), before);
}

TEST_F(SlbAgainstTheFake, AThrottledChangeThatRunsOutOfAttemptsSaysWhatChanged) {
  Control({{"fail_next", 5},
           {"code", "Throttling.User"},
           {"action", "SetBackendServers"},
           {"skip", 1}});
  Reply r = Confirmed("op1", "slb drain web-01");
  EXPECT_TRUE(Has(r.body, "partly failed: Unavailable: slb SetBackendServers: Throttling.User"))
      << r.body;
  EXPECT_TRUE(Has(r.body, "changed (as read back):\n• web (lb-web): i-abc now weight 0")) << r.body;
  EXPECT_TRUE(Has(r.body, "not changed:\n• mobile (lb-mobile): i-abc weight 60 → 0")) << r.body;
  EXPECT_TRUE(Has(r.body, "to undo: slb undrain i-abc")) << r.body;
  Control({{"clear", true}});
  EXPECT_TRUE(Has(Confirmed("op1", "slb undrain i-abc").body, "✅"));
  EXPECT_EQ(Weights()["lb-web i-abc"], 100);
}

}  // namespace
}  // namespace beacon::bot
