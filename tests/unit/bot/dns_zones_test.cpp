// bot/dns/provider: the bot.dns section (key-path errors), the zone registry's refusals and the
// before / change / read-back of DnsProvider::Set, with a provider held in memory.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bot/dns/builtin.h"
#include "bot/dns/provider.h"
#include "common/config/config.h"
#include "tests/unit/bot/dns_fakes.h"

namespace beacon::bot::dns {
namespace {

using testing::MemoryProvider;

class DnsZonesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto provider = std::make_unique<MemoryProvider>();
    provider_ = provider.get();
    provider_->records = {{"www.example.com.", RecordType::kA, "192.0.2.1", 300},
                          {"www.example.com.", RecordType::kTxt, "hello", 300}};
    DnsZoneConfig zone{"example.com", "memory", 600, 60, 86400};
    zones_.Add(zone, std::move(provider));
    zones_.Add(DnsZoneConfig{"sub.example.com", "memory", 600, 60, 86400},
               std::make_unique<MemoryProvider>());
  }
  MemoryProvider* provider_ = nullptr;
  DnsZones zones_;
};

TEST_F(DnsZonesTest, PrepareNormalisesEverythingWithoutIo) {
  auto record = zones_.Prepare("Example.com.", "WWW", "a", " 192.0.2.7 ", std::nullopt);
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(FormatRecord(*record), "www.example.com. 600 A 192.0.2.7");
  EXPECT_TRUE(provider_->shows.empty());
  EXPECT_TRUE(provider_->replaces.empty());
  EXPECT_EQ(zones_.Prepare("example.com", "www", "A", "192.0.2.7", 120)->ttl, 120);
}

TEST_F(DnsZonesTest, UnconfiguredZonesAreRefusedClearly) {
  auto refused = zones_.Prepare("example.org", "www", "A", "192.0.2.7", std::nullopt);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(refused.status().message(),
            "zone 'example.org' is not in bot.dns.zones, so the bot may not touch it (configured: "
            "example.com, sub.example.com)");
  EXPECT_EQ(zones_.Show("com", "example").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(zones_.Show("", "www").status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(DnsZones().Show("example.com", "www").status().message(),
            "zone 'example.com' is not in bot.dns.zones, so the bot may not touch it (no zone is "
            "configured)");
  EXPECT_TRUE(provider_->shows.empty());
}

TEST_F(DnsZonesTest, NamesOutsideTheZoneOrInAMoreSpecificZoneAreRefused) {
  auto outside = zones_.Set("example.com", "www.example.org.", "A", "192.0.2.7", std::nullopt);
  EXPECT_EQ(outside.status().message(), "name 'www.example.org.' is outside zone example.com");
  auto delegated = zones_.Prepare("example.com", "x.sub", "A", "192.0.2.7", std::nullopt);
  EXPECT_EQ(delegated.status().message(),
            "name x.sub.example.com. belongs to the configured zone sub.example.com, not "
            "example.com: use that zone");
  EXPECT_TRUE(zones_.Prepare("sub.example.com", "x", "A", "192.0.2.7", std::nullopt).ok());
  EXPECT_TRUE(provider_->replaces.empty());
}

TEST_F(DnsZonesTest, ValuesTypesAndTtlsAreChecked) {
  EXPECT_EQ(zones_.Prepare("example.com", "www", "MX", "10 mail", std::nullopt).status().message(),
            "record type 'MX' is not supported (A, AAAA, CNAME, TXT)");
  EXPECT_EQ(zones_.Prepare("example.com", "www", "A", "not-an-ip", std::nullopt).status().message(),
            "an A record needs an IPv4 address, got 'not-an-ip'");
  EXPECT_EQ(zones_.Prepare("example.com", "www", "A", "192.0.2.7", 59).status().message(),
            "TTL 59 is outside 60..86400 for zone example.com");
  EXPECT_EQ(zones_.Prepare("example.com", "www", "A", "192.0.2.7", 86401).status().message(),
            "TTL 86401 is outside 60..86400 for zone example.com");
  EXPECT_EQ(zones_.Prepare("example.com", "www", "A", "192.0.2.7", -1).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      zones_.Prepare("example.com", "@", "CNAME", "other.net", std::nullopt).status().message(),
      "a CNAME cannot be at the zone apex example.com. (the apex has SOA and NS records)");
}

TEST_F(DnsZonesTest, SetReportsBeforeAfterAndRequestIds) {
  auto change = zones_.Set("example.com", "www", "A", "192.0.2.9", 120);
  ASSERT_TRUE(change.ok()) << change.status().ToString();
  EXPECT_EQ(change->zone, "example.com");
  EXPECT_EQ(FormatRecord(change->requested), "www.example.com. 120 A 192.0.2.9");
  EXPECT_EQ(FormatRecords(change->before),
            "www.example.com. 300 A 192.0.2.1; www.example.com. 300 TXT \"hello\"");
  EXPECT_EQ(FormatRecords(change->after),
            "www.example.com. 300 TXT \"hello\"; www.example.com. 120 A 192.0.2.9");
  EXPECT_EQ(change->request_ids, std::vector<std::string>{"req-1"});
  EXPECT_EQ(provider_->shows, (std::vector<std::string>{"example.com www.example.com.",
                                                        "example.com www.example.com."}));
  EXPECT_EQ(provider_->replaces,
            std::vector<std::string>{"example.com www.example.com. 120 A 192.0.2.9"});
}

TEST_F(DnsZonesTest, AReadBackThatDiffersIsAnError) {
  provider_->ignore_writes = true;
  auto change = zones_.Set("example.com", "www", "A", "192.0.2.9", 120);
  ASSERT_FALSE(change.ok());
  EXPECT_EQ(change.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(change.status().message(),
            "memory accepted the change of www.example.com. A (request ids req-1) but reads back "
            "www.example.com. 300 A 192.0.2.1 instead of www.example.com. 120 A 192.0.2.9; the "
            "name now has: www.example.com. 300 A 192.0.2.1; www.example.com. 300 TXT \"hello\"; "
            "before it had: www.example.com. 300 A 192.0.2.1; www.example.com. 300 TXT "
            "\"hello\"");
}

TEST_F(DnsZonesTest, FailuresSayHowFarTheChangeGot) {
  provider_->show_error = Status::Unavailable("no route");
  EXPECT_EQ(zones_.Set("example.com", "www", "A", "192.0.2.9", 120).status().message(),
            "reading www.example.com. A before the change: no route");
  EXPECT_TRUE(provider_->replaces.empty());

  provider_->show_error = Status::Ok();
  provider_->replace_error = Status::PermissionDenied("REFUSED");
  EXPECT_EQ(zones_.Set("example.com", "www", "A", "192.0.2.9", 120).status().message(),
            "changing www.example.com. A: REFUSED");

  provider_->replace_error = Status::Ok();
  provider_->fail_show_after_replace = true;
  auto sent = zones_.Set("example.com", "www", "A", "192.0.2.9", 120);
  EXPECT_EQ(sent.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(sent.status().message(),
            "the change of www.example.com. A was sent (request ids req-1) but reading it back "
            "failed: server went away");
}

TEST_F(DnsZonesTest, SetRechecksAPreparedRecord) {
  DnsRecord forged{"www.example.org.", RecordType::kA, "192.0.2.9", 120};
  EXPECT_EQ(zones_.Set("example.com", forged).status().message(),
            "name 'www.example.org.' is outside zone example.com");
  DnsRecord unnormalised{"www.example.com.", RecordType::kAaaa, "2001:DB8::1", 120};
  EXPECT_EQ(zones_.Set("example.com", unnormalised).status().message(),
            "record www.example.com. 120 AAAA 2001:DB8::1 is not the one DnsZones::Prepare returns "
            "for it: www.example.com. 120 AAAA 2001:db8::1");
  EXPECT_TRUE(provider_->replaces.empty());
}

// --- the bot.dns section ---

class DnsConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("beacon_dns_config_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "tsig.key") << "c2VjcmV0LWtleS1ieXRlcy0xMjM0NTY3ODkwMTIzNDU2\n";
    std::ofstream(dir_ / "bad.key") << "not base64 !!\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Parses `yaml` (the bot.dns mapping under `bot: dns:`); returns Finish()'s errors, "" if OK.
  std::string Parse(const std::string& yaml, DnsZonesConfig* out = nullptr) {
    return testing::ParseDnsSection(yaml, out);
  }
  std::string Key() const { return (dir_ / "tsig.key").string(); }

  std::filesystem::path dir_;
};

TEST_F(DnsConfigTest, AValidRfc2136ZoneBuildsAProvider) {
  DnsZonesConfig config;
  ASSERT_EQ(Parse("bot:\n"
                  "  dns:\n"
                  "    zones:\n"
                  "      - zone: Example.COM.\n"
                  "        provider: rfc2136\n"
                  "        server: 127.0.0.1\n"
                  "        port: 5353\n"
                  "        tsig_key: Beacon-Update\n"
                  "        tsig_algorithm: hmac-sha512\n"
                  "        tsig_secret_file: " +
                      Key() +
                      "\n"
                      "        timeout: 2s\n"
                      "        default_ttl: 300\n"
                      "        min_ttl: 30\n"
                      "        max_ttl: 3600\n",
                  &config),
            "");
  ASSERT_EQ(config.zones.size(), 1u);
  EXPECT_EQ(config.zones[0].zone.zone, "example.com");
  EXPECT_EQ(config.zones[0].zone.provider, "rfc2136");
  EXPECT_EQ(config.zones[0].zone.default_ttl, 300);
  EXPECT_EQ(config.zones[0].zone.min_ttl, 30);
  EXPECT_EQ(config.zones[0].zone.max_ttl, 3600);
  FakeClock clock;
  DnsZones zones(config, DnsProviderDeps{&clock, nullptr});
  EXPECT_EQ(zones.zone_names(), std::vector<std::string>{"example.com"});
  auto record = zones.Prepare("example.com", "www", "A", "192.0.2.1", std::nullopt);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->ttl, 300);
}

TEST_F(DnsConfigTest, SecretFromTheEnvironment) {
  ::setenv("BEACON_TEST_DNS_TSIG", "c2VjcmV0LWtleS1ieXRlcw==", 1);
  DnsZonesConfig config;
  EXPECT_EQ(Parse("bot:\n  dns:\n    zones:\n"
                  "      - {zone: example.com, provider: rfc2136, server: ns1.example.com,\n"
                  "         tsig_key: k, tsig_secret_env: BEACON_TEST_DNS_TSIG}\n",
                  &config),
            "");
  EXPECT_EQ(config.zones.size(), 1u);
  ::unsetenv("BEACON_TEST_DNS_TSIG");
}

TEST_F(DnsConfigTest, EveryBadKeyIsReportedWithItsPath) {
  const std::string base = "bot:\n  dns:\n    zones:\n";
  EXPECT_EQ(Parse(base + "      - {zone: example.com, provider: route53}\n"),
            "collector.yaml:4: bot.dns.zones[0].provider: expected one of: rfc2136, alidns, got "
            "'route53'");
  EXPECT_EQ(Parse(base + "      - {provider: rfc2136, server: a, tsig_key: k, tsig_secret_file: " +
                  Key() + "}\n"),
            "collector.yaml:4: bot.dns.zones[0].zone: required key is missing");
  EXPECT_EQ(Parse(base +
                  "      - {zone: example.com, provider: rfc2136, tsig_key: k,\n"
                  "         tsig_secret_file: " +
                  Key() + "}\n"),
            "collector.yaml:4: bot.dns.zones[0].server: required key is missing");
  EXPECT_EQ(
      Parse(base + "      - {zone: example.com, provider: rfc2136, server: a, tsig_key: k}\n"),
      "collector.yaml:4: bot.dns.zones[0].tsig_secret_file: required: tsig_secret_file or "
      "tsig_secret_env");
  EXPECT_EQ(Parse(base + "      - {zone: example.com, provider: rfc2136, server: a, tsig_key: k,\n"
                         "         tsig_secret: c2VjcmV0}\n"),
            "collector.yaml:5: bot.dns.zones[0].tsig_secret: secrets are not accepted inline; use "
            "tsig_secret_file or tsig_secret_env");
  EXPECT_EQ(Parse(base +
                  "      - {zone: example.com, provider: rfc2136, server: a, tsig_key: k,\n"
                  "         tsig_secret_file: " +
                  (dir_ / "bad.key").string() + "}\n"),
            "collector.yaml:5: bot.dns.zones[0].tsig_secret_file: the TSIG secret from file " +
                (dir_ / "bad.key").string() + " is not base64");
  EXPECT_EQ(Parse(base +
                  "      - {zone: example.com, provider: rfc2136, server: a, tsig_key: k,\n"
                  "         tsig_algorithm: hmac-md5, tsig_secret_file: " +
                  Key() + "}\n"),
            "collector.yaml:5: bot.dns.zones[0].tsig_algorithm: expected one of: hmac-sha256, "
            "hmac-sha512, hmac-sha1, got 'hmac-md5'");
  EXPECT_EQ(Parse(base +
                  "      - {zone: example.com, provider: rfc2136, server: a, tsig_key: k,\n"
                  "         port: 70000, tsig_secret_file: " +
                  Key() + "}\n"),
            "collector.yaml:5: bot.dns.zones[0].port: must be between 1 and 65535, got 70000");
  EXPECT_EQ(Parse(base +
                  "      - {zone: example.com, provider: rfc2136, server: a, tsig_key: k,\n"
                  "         tsig_secret_file: " +
                  Key() + ", min_ttl: 600, max_ttl: 60}\n"),
            "collector.yaml:5: bot.dns.zones[0].min_ttl: min_ttl 600 is above max_ttl 60");
  EXPECT_EQ(Parse(base +
                  "      - {zone: example.com, provider: rfc2136, server: a, tsig_key: k,\n"
                  "         tsig_secret_file: " +
                  Key() + ", default_ttl: 30}\n"),
            "collector.yaml:5: bot.dns.zones[0].default_ttl: default_ttl 30 is outside "
            "min_ttl..max_ttl (60..86400)");
  EXPECT_EQ(Parse(base +
                  "      - {zone: example.com, provider: rfc2136, server: a, tsig_key: k,\n"
                  "         tsig_secret_file: " +
                  Key() + ", colour: blue}\n"),
            "collector.yaml:5: bot.dns.zones[0].colour: unknown key (known here: default_ttl, "
            "max_ttl, min_ttl, port, provider, server, timeout, tsig_algorithm, tsig_key, "
            "tsig_secret, tsig_secret_env, tsig_secret_file, zone)");
}

TEST_F(DnsConfigTest, ZonesMustBeValidAndUnique) {
  const std::string entry =
      ", provider: rfc2136, server: a, tsig_key: k, tsig_secret_file: " + Key() + "}\n";
  DnsZonesConfig config;
  EXPECT_EQ(Parse("bot:\n  dns:\n    zones:\n      - {zone: example.com" + entry +
                      "      - {zone: EXAMPLE.com." + entry + "      - {zone: 'bad zone'" + entry,
                  &config),
            "collector.yaml:5: bot.dns.zones[1].zone: zone example.com is listed twice\n"
            "collector.yaml:6: bot.dns.zones[2].zone: zone: name 'bad zone' contains ' ' "
            "(letters, digits, '-' and '_' only)");
  EXPECT_EQ(config.zones.size(), 1u);  // the invalid entries are left out
  EXPECT_EQ(Parse("bot:\n  dns:\n    zones: example.com\n"),
            "collector.yaml:3: bot.dns.zones: expected a list, got 'example.com'");
  EXPECT_EQ(Parse("bot:\n  dns:\n    zones:\n      - example.com\n"),
            "collector.yaml:4: bot.dns.zones[0].zone: each zone must be a map with zone and "
            "provider");
}

TEST_F(DnsConfigTest, NoSectionMeansNoZones) {
  DnsZonesConfig config;
  EXPECT_EQ(Parse("bot: {}\n", &config), "");
  EXPECT_TRUE(config.zones.empty());
}

}  // namespace
}  // namespace beacon::bot::dns
