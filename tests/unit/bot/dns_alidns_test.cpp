// bot/dns/alidns: RR mapping, what Show keeps of Alidns records, every refusal of Replace, the
// update it sends, Set's read-back over an in-memory alidns::Api, and the zone keys of
// bot.dns.zones with provider alidns.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bot/dns/alidns.h"
#include "bot/dns/builtin.h"
#include "common/config/config.h"
#include "tests/unit/bot/dns_fakes.h"

namespace beacon::bot::dns {
namespace {

namespace alidns = aliyun::alidns;

alidns::Record Rec(std::string id, std::string rr, std::string type, std::string value,
                   int64_t ttl = 600, std::string line = "default") {
  alidns::Record r;
  r.record_id = std::move(id);
  r.domain_name = "example.com";
  r.rr = std::move(rr);
  r.type = std::move(type);
  r.value = std::move(value);
  r.ttl = ttl;
  r.line = std::move(line);
  r.status = "ENABLE";
  return r;
}

// Answers like Alidns: RRKeyWord is a substring match, TypeKeyWord exact; updates change the
// record in place unless told to fail or to drop them.
class FakeAlidns final : public alidns::Api {
 public:
  Result<alidns::RecordList> DescribeDomainRecords(const std::string& domain_name,
                                                   const alidns::RecordFilter& filter) override {
    describes.push_back(domain_name + " rr=" + filter.rr_keyword + " type=" + filter.type_keyword);
    if (!describe_error.ok()) return describe_error;
    alidns::RecordList out;
    for (const alidns::Record& r : records) {
      if (r.rr.find(filter.rr_keyword) == std::string::npos) continue;
      if (!filter.type_keyword.empty() && r.type != filter.type_keyword) continue;
      out.records.push_back(r);
    }
    out.request_ids.push_back("describe-" + std::to_string(describes.size()));
    return out;
  }
  Result<alidns::UpdateResult> UpdateDomainRecord(const alidns::RecordUpdate& update) override {
    updates.push_back(update);
    if (!update_error.ok()) return update_error;
    for (alidns::Record& r : records) {
      if (r.record_id != update.record_id || drop_updates) continue;
      r.rr = update.rr;
      r.type = update.type;
      r.value = update.value;
      r.ttl = update.ttl.value_or(600);
      r.line = update.line.value_or("default");
    }
    return alidns::UpdateResult{"update-" + std::to_string(updates.size()), false};
  }

  std::vector<alidns::Record> records;
  std::vector<std::string> describes;
  std::vector<alidns::RecordUpdate> updates;
  Status describe_error;
  Status update_error;
  bool drop_updates = false;
};

class AlidnsProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = std::make_shared<FakeAlidns>();
    api_->records = {
        Rec("1", "www", "A", "192.0.2.1"),          Rec("2", "www", "TXT", "v=spf1 -all", 300),
        Rec("3", "www2", "A", "192.0.2.2"),         Rec("4", "www", "MX", "mx.example.com"),
        Rec("5", "api", "CNAME", "lb.example.net"), Rec("6", "@", "A", "192.0.2.9")};
    provider_ = std::make_unique<AlidnsProvider>(
        AlidnsSettings{"example.com", "example.com", "default", "cn-hangzhou"}, api_);
  }
  std::shared_ptr<FakeAlidns> api_;
  std::unique_ptr<AlidnsProvider> provider_;
};

TEST(AlidnsRr, RelativeToTheDomain) {
  EXPECT_EQ(*alidns_rr::RrOf("example.com", "example.com."), "@");
  EXPECT_EQ(*alidns_rr::RrOf("example.com", "www.example.com."), "www");
  EXPECT_EQ(*alidns_rr::RrOf("example.com", "*.dev.example.com."), "*.dev");
  EXPECT_EQ(*alidns_rr::RrOf("example.com", "a.b.sub.example.com."), "a.b.sub");
  EXPECT_EQ(alidns_rr::RrOf("example.com", "www.example.org.").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(alidns_rr::RrOf("example.com", "badexample.com.").ok());
}

TEST_F(AlidnsProviderTest, ShowKeepsTheExactNameAndTheSupportedEnabledTypes) {
  auto records = provider_->Show("example.com", "www.example.com.");
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(FormatRecords(*records),
            "www.example.com. 600 A 192.0.2.1; www.example.com. 300 TXT \"v=spf1 -all\"");
  EXPECT_EQ(api_->describes, std::vector<std::string>{"example.com rr=www type="});

  api_->records[0].status = "DISABLE";
  EXPECT_EQ(FormatRecords(*provider_->Show("example.com", "www.example.com.")),
            "www.example.com. 300 TXT \"v=spf1 -all\"");
  // Host names come back absolute; the apex is "@".
  EXPECT_EQ(FormatRecords(*provider_->Show("example.com", "api.example.com.")),
            "api.example.com. 600 CNAME lb.example.net.");
  EXPECT_EQ(FormatRecords(*provider_->Show("example.com", "example.com.")),
            "example.com. 600 A 192.0.2.9");
  EXPECT_TRUE(provider_->Show("example.com", "nothing.example.com.")->empty());
}

TEST_F(AlidnsProviderTest, ShowPassesApiErrorsOn) {
  api_->describe_error = Status::Unauthenticated(
      "alidns DescribeDomainRecords: InvalidAccessKeyId.NotFound: Specified access key is not "
      "found. (HTTP 404, RequestId R1, 1 attempts)");
  auto records = provider_->Show("example.com", "www.example.com.");
  EXPECT_EQ(records.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(records.status().message().find("RequestId R1"), std::string::npos);
}

TEST_F(AlidnsProviderTest, ReplaceUpdatesTheOneRecordInPlace) {
  auto ids = provider_->Replace("example.com",
                                DnsRecord{"www.example.com.", RecordType::kA, "192.0.2.7", 300});
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(*ids, std::vector<std::string>{"update-1"});
  ASSERT_EQ(api_->updates.size(), 1u);
  const alidns::RecordUpdate& u = api_->updates[0];
  EXPECT_EQ(u.domain_name, "example.com");
  EXPECT_EQ(u.record_id, "1");
  EXPECT_EQ(u.rr, "www");
  EXPECT_EQ(u.type, "A");
  EXPECT_EQ(u.value, "192.0.2.7");
  EXPECT_EQ(u.ttl, 300);
  EXPECT_EQ(u.line, "default");
  EXPECT_EQ(api_->describes.back(), "example.com rr=www type=A");
}

TEST_F(AlidnsProviderTest, CnameTargetsAreSentWithoutTheTrailingDot) {
  auto change = provider_->Set(
      "example.com", DnsRecord{"api.example.com.", RecordType::kCname, "lb2.example.net.", 600});
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  EXPECT_EQ(api_->updates.at(0).value, "lb2.example.net");
  EXPECT_EQ(FormatRecords(change->after), "api.example.com. 600 CNAME lb2.example.net.");
  EXPECT_EQ(FormatRecords(change->before), "api.example.com. 600 CNAME lb.example.net.");
  EXPECT_EQ(change->request_ids, std::vector<std::string>{"update-1"});
}

TEST_F(AlidnsProviderTest, AMissingRecordIsRefusedSinceTheBotDoesNotCreateRecords) {
  auto ids = provider_->Replace("example.com",
                                DnsRecord{"new.example.com.", RecordType::kA, "192.0.2.7", 600});
  EXPECT_EQ(ids.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ids.status().message(),
            "alidns domain example.com (cn-hangzhou) has no new.example.com. A record to change; "
            "the bot only updates existing records (add it in the Alidns console first)");
  // "www2" matches the keyword "www" but is another name: www has no AAAA either.
  EXPECT_FALSE(provider_
                   ->Replace("example.com",
                             DnsRecord{"www.example.com.", RecordType::kAaaa, "2001:db8::1", 600})
                   .ok());
  EXPECT_TRUE(api_->updates.empty());
}

TEST_F(AlidnsProviderTest, SeveralRecordsOfTheNameAndTypeAreRefusedWithTheList) {
  api_->records.push_back(Rec("7", "www", "A", "192.0.2.3", 600, "unicom"));
  auto ids = provider_->Replace("example.com",
                                DnsRecord{"www.example.com.", RecordType::kA, "192.0.2.7", 600});
  EXPECT_EQ(ids.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ids.status().message(),
            "alidns domain example.com (cn-hangzhou) has 2 www.example.com. A records (RecordId 1 "
            "www A 192.0.2.1 TTL 600 line default; RecordId 7 www A 192.0.2.3 TTL 600 line "
            "unicom); the bot changes a name and type only when it has exactly one record");
  EXPECT_TRUE(api_->updates.empty());
}

TEST_F(AlidnsProviderTest, ARecordOnAnotherLineDisabledOrLockedIsRefused) {
  api_->records[0].line = "telecom";
  auto ids = provider_->Replace("example.com",
                                DnsRecord{"www.example.com.", RecordType::kA, "192.0.2.7", 600});
  EXPECT_EQ(ids.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(ids.status().message().find("is on line 'telecom', not the configured line 'default'"),
            std::string::npos)
      << ids.status().message();

  api_->records[0].line = "default";
  api_->records[0].status = "DISABLE";
  ids = provider_->Replace("example.com",
                           DnsRecord{"www.example.com.", RecordType::kA, "192.0.2.7", 600});
  EXPECT_NE(ids.status().message().find("record is disabled"), std::string::npos)
      << ids.status().message();

  api_->records[0].status = "ENABLE";
  api_->records[0].locked = true;
  ids = provider_->Replace("example.com",
                           DnsRecord{"www.example.com.", RecordType::kA, "192.0.2.7", 600});
  EXPECT_NE(ids.status().message().find("record is locked in Alidns (RecordId 1 www A "
                                        "192.0.2.1 TTL 600 line default locked)"),
            std::string::npos)
      << ids.status().message();
  EXPECT_TRUE(api_->updates.empty());
}

TEST_F(AlidnsProviderTest, AnUpdateTheApiDropsFailsTheReadBack) {
  api_->drop_updates = true;
  auto change = provider_->Set("example.com",
                               DnsRecord{"www.example.com.", RecordType::kA, "192.0.2.7", 300});
  EXPECT_EQ(change.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(change.status().message().find("alidns domain example.com (cn-hangzhou) accepted the "
                                           "change of www.example.com. A (request ids update-1) "
                                           "but reads back www.example.com. 600 A 192.0.2.1"),
            std::string::npos)
      << change.status().message();
}

TEST_F(AlidnsProviderTest, UpdateErrorsArePassedOn) {
  api_->update_error = Status::PermissionDenied(
      "alidns UpdateDomainRecord: Forbidden.RAM: User not authorized to operate on the specified "
      "resource. (HTTP 403, RequestId R9, 1 attempts)");
  auto change = provider_->Set("example.com",
                               DnsRecord{"www.example.com.", RecordType::kA, "192.0.2.7", 300});
  EXPECT_EQ(change.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(change.status().message().find("changing www.example.com. A"), std::string::npos);
  EXPECT_NE(change.status().message().find("RequestId R9"), std::string::npos);
}

TEST_F(AlidnsProviderTest, AZoneBelowTheAlidnsDomainUsesLongerRrs) {
  AlidnsProvider sub(AlidnsSettings{"dev.example.com", "example.com", "default", ""}, api_);
  api_->records.push_back(Rec("8", "app.dev", "A", "192.0.2.40"));
  EXPECT_EQ(sub.Describe(), "alidns domain example.com");
  EXPECT_EQ(FormatRecords(*sub.Show("dev.example.com", "app.dev.example.com.")),
            "app.dev.example.com. 600 A 192.0.2.40");
  ASSERT_TRUE(sub.Replace("dev.example.com",
                          DnsRecord{"app.dev.example.com.", RecordType::kA, "192.0.2.41", 600})
                  .ok());
  EXPECT_EQ(api_->updates.at(0).rr, "app.dev");
  EXPECT_EQ(api_->updates.at(0).record_id, "8");
}

// ---- configuration

class AlidnsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("alidns_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "aliyun.yaml") << "access_key_id: LTAI5tTest\n"
                                           "access_key_secret: very-secret-value\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Parses one zone entry `{zone: ZONE, provider: alidns, <entry>}`.
  std::string Parse(const std::string& entry, DnsZonesConfig* out = nullptr,
                    const std::string& zone = "example.com") {
    return testing::ParseDnsSection(
        "bot:\n  dns:\n    zones:\n      - {zone: " + zone + ", provider: alidns, " + entry + "}\n",
        out);
  }
  std::string Credentials() const { return "credentials_file: " + (dir_ / "aliyun.yaml").string(); }

  std::filesystem::path dir_;
};

TEST_F(AlidnsConfigTest, AValidZoneBuildsAProvider) {
  DnsZonesConfig config;
  ASSERT_EQ(Parse("region: cn-hangzhou, " + Credentials() +
                      ", endpoints: {alidns: 'http://127.0.0.1:9'}, timeout: 2s, "
                      "retry: {attempts: 1}, line: default",
                  &config),
            "");
  ASSERT_EQ(config.zones.size(), 1u);
  EXPECT_EQ(config.zones[0].zone.provider, "alidns");
  DnsZones zones(config, DnsProviderDeps{});
  EXPECT_EQ(zones.zone_names(), std::vector<std::string>{"example.com"});
  // Nothing listens on port 9: the error comes from the client, with the action's name.
  auto records = zones.Show("example.com", "www");
  ASSERT_FALSE(records.ok());
  EXPECT_NE(records.status().message().find("DescribeDomainRecords"), std::string::npos)
      << records.status().ToString();
  EXPECT_EQ(records.status().message().find("very-secret-value"), std::string::npos);
}

TEST_F(AlidnsConfigTest, BadKeysAreReportedWithTheirPaths) {
  EXPECT_EQ(Parse(Credentials()),
            "collector.yaml:4: bot.dns.zones[0].region: required key is missing");
  EXPECT_EQ(Parse("region: cn-hangzhou, " + Credentials() + ", domain: example.org"),
            "collector.yaml:4: bot.dns.zones[0].domain: Alidns domain example.org does not hold "
            "zone example.com (it must be the zone or a parent of it)");
  EXPECT_EQ(Parse("region: cn-hangzhou, " + Credentials() + ", line: 'China Telecom'"),
            "collector.yaml:4: bot.dns.zones[0].line: expected an Alidns line code such as "
            "default, telecom, unicom, got 'China Telecom'");
  EXPECT_EQ(Parse("region: cn-hangzhou, " + Credentials() + ", endpoints: {ecs: 'http://a'}"),
            "collector.yaml:4: bot.dns.zones[0].endpoints.ecs: unknown product (known: slb, "
            "alidns, rds, cms)");
  EXPECT_EQ(Parse("region: cn-hangzhou, " + Credentials() + ", tsig_key: k"),
            "collector.yaml:4: bot.dns.zones[0].tsig_key: unknown key (known here: "
            "credentials_file, default_ttl, domain, endpoints, line, max_ttl, min_ttl, provider, "
            "region, retry, timeout, zone)");
}

TEST_F(AlidnsConfigTest, ADomainAboveTheZoneIsAccepted) {
  DnsZonesConfig config;
  EXPECT_EQ(Parse("region: cn-hangzhou, domain: Example.COM, " + Credentials(), &config,
                  "dev.example.com"),
            "");
  EXPECT_EQ(config.zones.size(), 1u);
}

}  // namespace
}  // namespace beacon::bot::dns
