// The alidns provider end to end: zones built from a bot.dns config, the real RpcClient and
// alidns::RpcApi over HTTP, against tests/fakes/aliyun_server.py (which verifies every
// signature): show, set with read-back, an unchanged record (DomainRecordDuplicate), paging, the
// refusal of a missing record, and a wrong secret.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "bot/dns/builtin.h"
#include "bot/dns/provider.h"
#include "common/config/config.h"
#include "common/http/client.h"
#include "tests/unit/bot/dns_fakes.h"
#include "tests/unit/common/aliyun_test_util.h"
#include "tests/unit/peer_process.h"

namespace beacon::bot::dns {
namespace {

using nlohmann::json;

constexpr char kKeyId[] = "LTAI5tBotDnsKey";
constexpr char kSecret[] = "bot/dns+secret=&";

json State() {
  json records = json::array(
      {{{"id", "1001"}, {"rr", "www"}, {"type", "A"}, {"value", "192.0.2.1"}, {"ttl", 600}},
       {{"id", "1002"}, {"rr", "www"}, {"type", "TXT"}, {"value", "hello world"}, {"ttl", 600}},
       {{"id", "1003"}, {"rr", "api"}, {"type", "CNAME"}, {"value", "lb.example.net"}}});
  return {{"load_balancers", json::array()},
          {"domains", json::array({{{"name", "example.com"}, {"records", records}}})}};
}

class AlidnsFakeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    peer_ = new beacon::testing::PeerProcess(
        {"python3", std::string(BEACON_SOURCE_DIR) + "/tests/fakes/aliyun_server.py", "--port", "0",
         "--access-key", std::string(kKeyId) + ":" + kSecret, "--state-json", State().dump()});
  }
  static void TearDownTestSuite() {
    delete peer_;
    peer_ = nullptr;
  }

  void SetUp() override {
    ASSERT_GT(peer_->port(), 0) << "tests/fakes/aliyun_server.py did not start";
    Control({{"clear", true}, {"state", State()}});
    dir_ =
        std::filesystem::temp_directory_path() / ("alidns_fake_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    zones_ = Zones(kSecret);
    ASSERT_FALSE(zones_.empty());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Base() const { return "http://127.0.0.1:" + std::to_string(peer_->port()); }

  // Zones from a bot.dns section naming the fake as the alidns endpoint.
  DnsZones Zones(const std::string& secret) {
    const std::filesystem::path credentials = dir_ / ("aliyun-" + std::to_string(++files_));
    std::ofstream(credentials) << "access_key_id: " << kKeyId << "\naccess_key_secret: \"" << secret
                               << "\"\n";
    DnsZonesConfig config;
    EXPECT_EQ(testing::ParseDnsSection(
                  "bot:\n  dns:\n    zones:\n      - zone: example.com\n        provider: alidns\n"
                  "        region: cn-hangzhou\n        credentials_file: " +
                      credentials.string() + "\n        endpoints: {alidns: " + Base() +
                      "}\n        retry: {attempts: 2, initial_backoff: 1ms, max_backoff: 5ms}\n",
                  &config),
              "");
    return DnsZones(config, DnsProviderDeps{&SystemClock::Instance(), http_.get()});
  }

  json Get(const std::string& path) { return aliyun::testing::FakeGet(*http_, Base(), path); }
  void Control(const json& body) {
    ASSERT_TRUE(aliyun::testing::FakeControl(*http_, Base(), body));
  }
  // The fake's requests of `action`, their parameters.
  std::vector<json> Requests(const std::string& action) {
    std::vector<json> out;
    const json stats = Get("/__stats");
    for (const json& r : stats["requests"]) {
      if (r["action"] == action) out.push_back(r["params"]);
    }
    return out;
  }

  static beacon::testing::PeerProcess* peer_;
  std::shared_ptr<http::HttpClient> http_ = http::NewCurlHttpClient();
  std::filesystem::path dir_;
  int files_ = 0;
  DnsZones zones_;
};

beacon::testing::PeerProcess* AlidnsFakeTest::peer_ = nullptr;

TEST_F(AlidnsFakeTest, ShowListsTheNamesRecords) {
  auto records = zones_.Show("example.com", "www");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(FormatRecords(*records),
            "www.example.com. 600 A 192.0.2.1; www.example.com. 600 TXT \"hello world\"");
  EXPECT_EQ(FormatRecords(*zones_.Show("example.com", "api.example.com.")),
            "api.example.com. 600 CNAME lb.example.net.");
}

TEST_F(AlidnsFakeTest, SetChangesTheRecordAndReadsItBack) {
  auto change = zones_.Set("example.com", "www", "A", "192.0.2.50", 300);
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  EXPECT_EQ(FormatRecords(change->before),
            "www.example.com. 600 A 192.0.2.1; www.example.com. 600 TXT \"hello world\"");
  EXPECT_EQ(FormatRecords(change->after),
            "www.example.com. 300 A 192.0.2.50; www.example.com. 600 TXT \"hello world\"");
  ASSERT_EQ(change->request_ids.size(), 1u);
  EXPECT_FALSE(change->request_ids[0].empty());

  std::vector<json> updates = Requests("UpdateDomainRecord");
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0]["RecordId"], "1001");
  EXPECT_EQ(updates[0]["RR"], "www");
  EXPECT_EQ(updates[0]["Type"], "A");
  EXPECT_EQ(updates[0]["Value"], "192.0.2.50");
  EXPECT_EQ(updates[0]["TTL"], "300");
  EXPECT_EQ(updates[0]["Line"], "default");
  EXPECT_EQ(Get("/__state")["domains"][0]["records"][0]["value"], "192.0.2.50");
}

TEST_F(AlidnsFakeTest, CnameTargetsRoundTrip) {
  auto change = zones_.Set("example.com", "api", "CNAME", "LB2.example.net", std::nullopt);
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  EXPECT_EQ(Requests("UpdateDomainRecord").at(0)["Value"], "lb2.example.net");
  EXPECT_EQ(FormatRecords(change->after), "api.example.com. 600 CNAME lb2.example.net.");
}

TEST_F(AlidnsFakeTest, SettingWhatIsThereIsUnchangedNotAnError) {
  // The API answers DomainRecordDuplicate; the client confirms the values and succeeds.
  auto change = zones_.Set("example.com", "www", "A", "192.0.2.1", 600);
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  EXPECT_EQ(Get("/__stats")["rejected"]["DomainRecordDuplicate"], 1);
  EXPECT_EQ(FormatRecords(change->after),
            "www.example.com. 600 A 192.0.2.1; www.example.com. 600 TXT \"hello world\"");
}

TEST_F(AlidnsFakeTest, ShowPagesThroughManyNearNames) {
  json state = State();
  json& records = state["domains"][0]["records"];
  json many = json::array();
  for (int i = 0; i < 600; ++i) {
    many.push_back({{"id", std::to_string(5000 + i)},
                    {"rr", "www" + std::to_string(i)},
                    {"type", "A"},
                    {"value", "198.51.100.1"}});
  }
  for (const json& r : records) many.push_back(r);  // the exact names come last, on page 2
  records = many;
  Control({{"clear", true}, {"state", state}});
  auto shown = zones_.Show("example.com", "www");
  ASSERT_TRUE(shown.ok()) << shown.status().ToString();
  EXPECT_EQ(shown->size(), 2u) << FormatRecords(*shown);
  std::vector<json> pages = Requests("DescribeDomainRecords");
  ASSERT_EQ(pages.size(), 2u);
  EXPECT_EQ(pages[0]["RRKeyWord"], "www");
  EXPECT_EQ(pages[1]["PageNumber"], "2");
}

TEST_F(AlidnsFakeTest, AMissingRecordIsRefusedAndNothingIsSent) {
  auto change = zones_.Set("example.com", "new", "A", "192.0.2.7", 600);
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(change.status().message().find("has no new.example.com. A record to change"),
            std::string::npos)
      << change.status().message();
  EXPECT_TRUE(Requests("UpdateDomainRecord").empty());
}

TEST_F(AlidnsFakeTest, AWrongSecretIsRejectedWithoutLeakingIt) {
  DnsZones wrong = Zones("not-the-secret");
  auto records = wrong.Show("example.com", "www");
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(records.status().code(), StatusCode::kUnauthenticated) << records.status().ToString();
  EXPECT_NE(records.status().message().find("SignatureDoesNotMatch"), std::string::npos);
  EXPECT_EQ(records.status().message().find("not-the-secret"), std::string::npos);
}

}  // namespace
}  // namespace beacon::bot::dns
