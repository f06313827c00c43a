// collector.yaml loading: defaults, every key, the shipped examples, and one fixture per
// validation rule with its exact message (file:line: key path: message).
#include "collector/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>
#include <vector>

namespace beacon::collector {
namespace {

const std::string kDir = std::string(BEACON_FIXTURES_DIR) + "/config/collector/";

TEST(CollectorConfigTest, MinimalFileGetsEveryDefault) {
  Result<CollectorConfig> cfg = LoadCollectorConfig(kDir + "minimal.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->listen.host, "127.0.0.1");
  EXPECT_EQ(cfg->listen.port, 8470);
  EXPECT_EQ(cfg->listen.tls_cert_file, "");
  EXPECT_EQ(cfg->listen.tls_key_file, "");
  EXPECT_EQ(cfg->listen.request_timeout_ms, 30'000);
  EXPECT_EQ(cfg->listen.max_threads, 16);
  EXPECT_EQ(cfg->listen.idle_timeout_ms, 60'000);
  EXPECT_EQ(cfg->listen.max_queued, 256);
  EXPECT_EQ(cfg->listen.max_connections, 4096);
  EXPECT_EQ(cfg->listen.max_connections_per_address, 64);
  EXPECT_EQ(cfg->listen.max_header_bytes, 16 * 1024);
  EXPECT_EQ(cfg->listen.max_header_count, 64);
  EXPECT_EQ(cfg->listen.tls_client_auth, "none");
  EXPECT_TRUE(cfg->listen.trusted_proxies.empty());
  EXPECT_EQ(cfg->store.path, "/var/lib/beacon/collector.db");
  EXPECT_EQ(cfg->store.retention.samples_ms, 7 * kDayMs);
  EXPECT_EQ(cfg->store.retention.events_ms, 90 * kDayMs);
  EXPECT_EQ(cfg->store.prune_interval_ms, 10 * kMinuteMs);
  EXPECT_EQ(cfg->api.admin_token.value(), "fixture-admin-token-0123456789");
  EXPECT_EQ(cfg->ingest.max_body_bytes, 8 * 1024 * 1024);
  EXPECT_EQ(cfg->ingest.max_decompressed_bytes, 64 * 1024 * 1024);
  EXPECT_EQ(cfg->ingest.max_records, 10000);
  EXPECT_EQ(cfg->ingest.max_json_values, 1000000);
  EXPECT_EQ(cfg->hosts.stale_after_ms, 2 * kMinuteMs);
  EXPECT_EQ(cfg->log.level, "info");
  EXPECT_FALSE(cfg->log.json);
}

TEST(CollectorConfigTest, EveryKeyIsReadAndRelativePathsFollowTheFile) {
  Result<CollectorConfig> cfg = LoadCollectorConfig(kDir + "valid.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->listen.host, "0.0.0.0");
  EXPECT_EQ(cfg->listen.port, 9000);
  EXPECT_EQ(cfg->listen.tls_cert_file, kDir + "tls/cert.pem");
  EXPECT_EQ(cfg->listen.tls_key_file, "/etc/beacon/key.pem");
  EXPECT_EQ(cfg->listen.request_timeout_ms, 10'000);
  EXPECT_EQ(cfg->listen.max_threads, 4);
  EXPECT_EQ(cfg->store.path, kDir + "data/collector.db");
  EXPECT_EQ(cfg->store.retention.samples_ms, 2 * kDayMs);
  EXPECT_EQ(cfg->store.retention.events_ms, 30 * kDayMs);
  EXPECT_EQ(cfg->store.prune_interval_ms, 5 * kMinuteMs);
  EXPECT_EQ(cfg->ingest.max_body_bytes, 1024 * 1024);
  EXPECT_EQ(cfg->ingest.max_decompressed_bytes, 16 * 1024 * 1024);
  EXPECT_EQ(cfg->ingest.max_records, 500);
  EXPECT_EQ(cfg->ingest.max_json_values, 200000);
  EXPECT_EQ(cfg->hosts.stale_after_ms, 90'000);
  EXPECT_EQ(cfg->log.level, "debug");
  EXPECT_TRUE(cfg->log.json);
}

TEST(CollectorConfigTest, ShippedExampleAndDemoConfigsPassCheck) {
  ::setenv("BEACON_ADMIN_TOKEN", "example-admin-token-abcdefghijkl", 1);
  Result<CollectorConfig> example =
      LoadCollectorConfig(std::string(BEACON_SOURCE_DIR) + "/config/collector.yaml");
  ::unsetenv("BEACON_ADMIN_TOKEN");
  ASSERT_TRUE(example.ok()) << example.status().ToString();
  // The example documents the defaults: loading it must give exactly what an empty file gives.
  Result<CollectorConfig> defaults = LoadCollectorConfig(kDir + "minimal.yaml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(example->listen.port, defaults->listen.port);
  EXPECT_EQ(example->listen.host, defaults->listen.host);
  EXPECT_EQ(example->listen.request_timeout_ms, defaults->listen.request_timeout_ms);
  EXPECT_EQ(example->listen.max_threads, defaults->listen.max_threads);
  EXPECT_EQ(example->store.path, defaults->store.path);
  EXPECT_EQ(example->store.retention.samples_ms, defaults->store.retention.samples_ms);
  EXPECT_EQ(example->store.retention.events_ms, defaults->store.retention.events_ms);
  EXPECT_EQ(example->store.prune_interval_ms, defaults->store.prune_interval_ms);
  EXPECT_EQ(example->ingest.max_body_bytes, defaults->ingest.max_body_bytes);
  EXPECT_EQ(example->ingest.max_decompressed_bytes, defaults->ingest.max_decompressed_bytes);
  EXPECT_EQ(example->ingest.max_records, defaults->ingest.max_records);
  EXPECT_EQ(example->ingest.max_json_values, defaults->ingest.max_json_values);
  EXPECT_EQ(example->hosts.stale_after_ms, defaults->hosts.stale_after_ms);
  EXPECT_EQ(example->log.level, defaults->log.level);
  EXPECT_EQ(example->log.json, defaults->log.json);

  // The demo reads its admin token from var/demo, which scripts/demo creates; here the only
  // acceptable complaint is that missing file.
  Result<CollectorConfig> demo =
      LoadCollectorConfig(std::string(BEACON_SOURCE_DIR) + "/config/demo/collector.yaml");
  if (!demo.ok()) {
    EXPECT_NE(demo.status().message().find("api.admin_token_file: cannot read"), std::string::npos)
        << demo.status().message();
    EXPECT_EQ(demo.status().message().find('\n'), std::string::npos) << demo.status().message();
  }
}

struct RuleCase {
  const char* fixture;
  const char* expected;  // after "<path>:"
};

class CollectorConfigRuleTest : public ::testing::TestWithParam<RuleCase> {};

TEST_P(CollectorConfigRuleTest, FixtureFailsWithTheExactMessage) {
  const RuleCase& c = GetParam();
  const std::string path = kDir + c.fixture;
  Result<CollectorConfig> cfg = LoadCollectorConfig(path);
  ASSERT_FALSE(cfg.ok()) << c.fixture << " loaded";
  EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cfg.status().message(), path + ":" + c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Rules, CollectorConfigRuleTest,
    ::testing::Values(
        RuleCase{"tls_cert_without_key.yaml",
                 "2: listen.tls_cert_file: listen.tls_key_file must be set too (both or neither)"},
        RuleCase{"tls_key_without_cert.yaml",
                 "3: listen.tls_key_file: listen.tls_cert_file must be set too (both or neither)"},
        RuleCase{"port_out_of_range.yaml",
                 "2: listen.port: must be between 0 and 65535, got 70000"},
        RuleCase{"request_timeout_too_short.yaml",
                 "4: listen.request_timeout: must be at least 1s, got '0s'"},
        RuleCase{"max_threads_out_of_range.yaml",
                 "4: listen.max_threads: must be between 1 and 1024, got 0"},
        RuleCase{"empty_store_path.yaml", "4: store.path: must not be empty"},
        RuleCase{"retention_samples_too_short.yaml",
                 "3: store.retention.samples: must be at least 1h, got '30m'"},
        RuleCase{"retention_events_too_short.yaml",
                 "5: store.retention.events: must be at least 1h, got '59m'"},
        RuleCase{"prune_interval_too_short.yaml",
                 "4: store.prune_interval: must be at least 1s, got '500ms'"},
        RuleCase{"missing_admin_token.yaml",
                 "1: api: the admin token is required: set api.admin_token_file or "
                 "api.admin_token_env"},
        RuleCase{"admin_token_section_without_token.yaml",
                 "1: api.admin_token_file: the admin token is required: set "
                 "api.admin_token_file or api.admin_token_env"},
        RuleCase{"admin_token_inline.yaml",
                 "2: api.admin_token: secrets are not accepted inline; use admin_token_file or "
                 "admin_token_env"},
        RuleCase{"admin_token_too_short.yaml",
                 "2: api.admin_token_file: the admin token must be at least 16 characters"},
        RuleCase{"admin_token_env_unset.yaml",
                 "2: api.admin_token_env: environment variable BEACON_TEST_UNSET_TOKEN_VARIABLE "
                 "is not set"},
        RuleCase{"decompressed_below_body.yaml",
                 "5: ingest.max_decompressed_bytes: must be at least ingest.max_body_bytes"},
        RuleCase{"max_records_out_of_range.yaml",
                 "4: ingest.max_records: must be between 1 and 100000, got 0"},
        RuleCase{"max_json_values_out_of_range.yaml",
                 "4: ingest.max_json_values: must be between 1000 and 100000000, got 10"},
        RuleCase{"stale_after_too_short.yaml",
                 "4: hosts.stale_after: must be at least 1s, got '100ms'"},
        RuleCase{"unknown_key.yaml",
                 "4: listen.prot: unknown key (known here: host, idle_timeout, max_connections, "
                 "max_connections_per_address, max_header_bytes, max_header_count, max_queued, "
                 "max_threads, port, request_timeout, tls_cert_file, tls_client_auth, "
                 "tls_client_ca_file, tls_key_file, trusted_proxies)"},
        RuleCase{"bad_log_level.yaml",
                 "4: log.level: expected one of: trace, debug, info, warn, error, critical, off, "
                 "got 'verbose'"}),
    [](const ::testing::TestParamInfo<RuleCase>& info) {
      std::string name = info.param.fixture;
      name = name.substr(0, name.find('.'));
      return name;
    });

TEST(CollectorConfigTest, ListenLimitsTlsClientAuthAndTrustedProxiesAreReadAndChecked) {
  ::setenv("LISTEN_TEST_TOKEN", "listen-test-token-0123456789", 1);
  const std::string head = "api: {admin_token_env: LISTEN_TEST_TOKEN}\n";
  Result<CollectorConfig> cfg = LoadCollectorConfigFromString(head + R"(listen:
  tls_cert_file: /etc/beacon/c.pem
  tls_key_file: /etc/beacon/k.pem
  tls_client_ca_file: agents-ca.pem
  tls_client_auth: required
  idle_timeout: 5s
  max_queued: 10
  max_connections: 100
  max_connections_per_address: 0
  max_header_bytes: 4KiB
  max_header_count: 20
  trusted_proxies: [10.0.0.0/8, "2001:db8::1"]
)",
                                                              "collector.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->listen.tls_client_auth, "required");
  EXPECT_EQ(cfg->listen.idle_timeout_ms, 5000);
  EXPECT_EQ(cfg->listen.max_queued, 10);
  EXPECT_EQ(cfg->listen.max_connections, 100);
  EXPECT_EQ(cfg->listen.max_connections_per_address, 0);
  EXPECT_EQ(cfg->listen.max_header_bytes, 4096);
  EXPECT_EQ(cfg->listen.max_header_count, 20);
  EXPECT_EQ(cfg->listen.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "2001:db8::1"}));

  Result<CollectorConfig> bad = LoadCollectorConfigFromString(head + R"(listen:
  tls_client_auth: optional
  trusted_proxies: [lb.example.com]
)",
                                                              "collector.yaml");
  ASSERT_FALSE(bad.ok());
  const std::string& message = bad.status().message();
  EXPECT_NE(message.find("collector.yaml:3: listen.tls_client_auth: client certificates need "
                         "TLS: set listen.tls_cert_file"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("listen.tls_client_auth: set listen.tls_client_ca_file to check client "
                         "certificates"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("collector.yaml:4: listen.trusted_proxies[0]: expected an IP address or "
                         "CIDR block like 10.0.0.0/8"),
            std::string::npos)
      << message;
  ::unsetenv("LISTEN_TEST_TOKEN");
}

TEST(CollectorConfigTest, EveryProblemIsReportedInDocumentOrder) {
  const std::string path = kDir + "several_errors.yaml";
  Result<CollectorConfig> cfg = LoadCollectorConfig(path);
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().message(),
            path +
                ":1: api: the admin token is required: set api.admin_token_file or "
                "api.admin_token_env\n" +
                path + ":2: listen.port: must be between 0 and 65535, got -1\n" + path +
                ":3: listen.tls_key_file: listen.tls_cert_file must be set too (both or "
                "neither)\n" +
                path + ":6: store.retention.samples: must be at least 1h, got '10m'");
}

TEST(CollectorConfigTest, InlineOrShortTokenIsNeverQuoted) {
  Result<CollectorConfig> inline_cfg = LoadCollectorConfig(kDir + "admin_token_inline.yaml");
  ASSERT_FALSE(inline_cfg.ok());
  EXPECT_EQ(inline_cfg.status().message().find("inline-secret-value-12345"), std::string::npos);
  Result<CollectorConfig> short_cfg = LoadCollectorConfig(kDir + "admin_token_too_short.yaml");
  ASSERT_FALSE(short_cfg.ok());
  EXPECT_EQ(short_cfg.status().message().find("short\n"), std::string::npos);
  EXPECT_EQ(short_cfg.status().message().find("'short'"), std::string::npos);
}

TEST(CollectorConfigTest, BackupsRetentionDefaultsTo90DaysAndIsAtLeastAnHour) {
  ::setenv("BEACON_RETENTION_TEST_TOKEN", "retention-test-token-0123456789", 1);
  const std::string head = "api: {admin_token_env: BEACON_RETENTION_TEST_TOKEN}\n";
  Result<CollectorConfig> defaults = LoadCollectorConfigFromString(head, "collector.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->backups.retention_ms, 90 * kDayMs);
  Result<CollectorConfig> set =
      LoadCollectorConfigFromString(head + "backups:\n  retention: 30d\n", "collector.yaml");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->backups.retention_ms, 30 * kDayMs);
  Result<CollectorConfig> short_one =
      LoadCollectorConfigFromString(head + "backups:\n  retention: 30m\n", "collector.yaml");
  ASSERT_FALSE(short_one.ok());
  EXPECT_EQ(short_one.status().message(),
            "collector.yaml:3: backups.retention: must be at least 1h, got '30m'");
  ::unsetenv("BEACON_RETENTION_TEST_TOKEN");
}

}  // namespace
}  // namespace beacon::collector
