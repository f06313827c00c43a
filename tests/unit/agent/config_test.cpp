// Agent config: defaults, a fully specified file, and one fixture per validation rule with the
// exact operator-facing message (file:line: key.path: message).
#include "agent/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace beacon::agent {
namespace {

std::string Fixture(const std::string& name) {
  return std::string(BEACON_FIXTURES_DIR) + "/config/agent/" + name;
}

TEST(AgentConfig, DefaultsFromAnEmptyFile) {
  auto cfg = LoadAgentConfigFromString("", "empty.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  std::string short_host(host);
  short_host = short_host.substr(0, short_host.find('.'));
  EXPECT_EQ(cfg->name, short_host);
  EXPECT_EQ(cfg->data_dir, "/var/lib/beacon-agent");
  EXPECT_EQ(cfg->collector.url, "http://127.0.0.1:8470");
  EXPECT_TRUE(cfg->collector.token.empty());
  EXPECT_EQ(cfg->collector.timeout_ms, 10'000);
  EXPECT_TRUE(cfg->collector.tls_verify);
  EXPECT_EQ(cfg->spool.path, "/var/lib/beacon-agent/spool.db");
  EXPECT_EQ(cfg->spool.max_bytes, 256 * 1024 * 1024);
  EXPECT_EQ(cfg->uplink.batch_max_records, 1000);
  EXPECT_EQ(cfg->uplink.batch_max_bytes, 1024 * 1024);
  EXPECT_EQ(cfg->uplink.flush_interval_ms, 1000);
  EXPECT_EQ(cfg->uplink.compress_threshold, 4096);
  EXPECT_EQ(cfg->uplink.backoff_initial_ms, 500);
  EXPECT_EQ(cfg->uplink.backoff_max_ms, 60'000);
  // Every built-in input is listed, in list order, with its own default; system comes first.
  const auto builtin = inputs::BuiltinInputs();
  ASSERT_EQ(cfg->inputs.size(), builtin.size());
  for (size_t i = 0; i < builtin.size(); ++i) {
    EXPECT_EQ(cfg->inputs[i].name, builtin[i].name);
    EXPECT_EQ(cfg->inputs[i].enabled, builtin[i].default_enabled);
  }
  EXPECT_EQ(cfg->inputs[0].name, "system");
  EXPECT_TRUE(cfg->inputs[0].enabled);
  EXPECT_EQ(cfg->inputs[0].interval_ms, 10'000);
  ASSERT_NE(cfg->inputs[0].input, nullptr);
  EXPECT_EQ(cfg->log.level, "info");
}

TEST(AgentConfig, FullySpecifiedFile) {
  auto cfg = LoadAgentConfig(Fixture("valid.yaml"));
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->name, "web-01");
  EXPECT_EQ(cfg->collector.url, "https://collector.example.com:8470");  // trailing '/' removed
  EXPECT_EQ(cfg->collector.token.value(), "test-token-0123456789");     // relative to the file
  EXPECT_EQ(cfg->collector.timeout_ms, 5000);
  EXPECT_EQ(cfg->spool.max_bytes, 64 * 1024 * 1024);
  EXPECT_EQ(cfg->spool.path, "/var/lib/beacon-agent/spool.db");
  EXPECT_EQ(cfg->uplink.batch_max_records, 500);
  EXPECT_EQ(cfg->uplink.flush_interval_ms, 2000);
  EXPECT_EQ(cfg->inputs[0].interval_ms, 30'000);
  EXPECT_EQ(cfg->log.level, "debug");
}

TEST(AgentConfig, RelativePathsAreRelativeToTheFile) {
  auto dir = std::filesystem::temp_directory_path() / ("agent-config-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "agent.yaml") << "agent:\n  data_dir: state\n";
  auto cfg = LoadAgentConfig((dir / "agent.yaml").string());
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_EQ(cfg->data_dir, (dir / "state").string());
  EXPECT_EQ(cfg->spool.path, (dir / "state" / "spool.db").string());
  std::filesystem::remove_all(dir);
}

TEST(AgentConfig, DisabledInputStaysListed) {
  auto cfg = LoadAgentConfigFromString("inputs:\n  system:\n    enabled: false\n", "x.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  ASSERT_EQ(cfg->inputs.size(), inputs::BuiltinInputs().size());
  EXPECT_EQ(cfg->inputs[0].name, "system");
  EXPECT_FALSE(cfg->inputs[0].enabled);
}

TEST(AgentConfig, PlainHttpIsForLoopbackUnlessInsecureIsSet) {
  auto defaults = LoadAgentConfigFromString("", "x.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_FALSE(defaults->collector.insecure);
  for (const char* url : {"http://127.0.0.1:8470", "http://127.3.4.5", "http://localhost:8470/",
                          "http://LOCALHOST", "http://[::1]:8470", "http://u@127.0.0.1:1/x",
                          "https://collector.example.com", "https://10.0.0.5:8470"}) {
    auto cfg = LoadAgentConfigFromString(std::string("collector:\n  url: ") + url + "\n", "x.yaml");
    EXPECT_TRUE(cfg.ok()) << url << ": " << cfg.status().ToString();
    EXPECT_FALSE(SendsInClearOverTheNetwork(url)) << url;
  }
  for (const char* url :
       {"http://10.0.0.5:8470", "http://collector.example.com", "http://[2001:db8::1]:8470",
        "http://128.0.0.1", "http://127.0.0.1.nip.io", "http://localhost.example.com",
        "http://127.0.0.1@evil.example/"}) {
    auto cfg = LoadAgentConfigFromString(std::string("collector:\n  url: ") + url + "\n", "x.yaml");
    EXPECT_FALSE(cfg.ok()) << url << " was accepted";
    EXPECT_TRUE(SendsInClearOverTheNetwork(url)) << url;
    auto allowed = LoadAgentConfigFromString(
        std::string("collector:\n  url: ") + url + "\n  insecure: true\n", "x.yaml");
    ASSERT_TRUE(allowed.ok()) << url << ": " << allowed.status().ToString();
    EXPECT_TRUE(allowed->collector.insecure);
  }
}

TEST(AgentConfig, ClientCertificateAndKeyGoTogether) {
  auto both = LoadAgentConfigFromString(
      "collector:\n  url: https://c:8470\n  tls_cert_file: /etc/beacon/a.crt\n"
      "  tls_key_file: a.key\n",
      "/etc/beacon/agent.yaml");
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(both->collector.tls_cert_file, "/etc/beacon/a.crt");
  EXPECT_EQ(both->collector.tls_key_file, "a.key");  // relative to a file only when loaded from one
  auto cert_only = LoadAgentConfigFromString(
      "collector:\n  url: https://c:8470\n  tls_cert_file: /etc/beacon/a.crt\n", "x.yaml");
  ASSERT_FALSE(cert_only.ok());
  EXPECT_NE(cert_only.status().message().find(
                "x.yaml:3: collector.tls_cert_file: collector.tls_cert_file and "
                "collector.tls_key_file go together (both or neither)"),
            std::string::npos)
      << cert_only.status().message();
}

TEST(AgentConfig, RestoreAllowSetIdIsOffUnlessSet) {
  auto defaults = LoadAgentConfigFromString("", "x.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_FALSE(defaults->restore.allow_setid);
  auto set = LoadAgentConfigFromString("restore:\n  allow_setid: true\n", "x.yaml");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_TRUE(set->restore.allow_setid);
  auto unknown = LoadAgentConfigFromString("restore:\n  allow_suid: true\n", "x.yaml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(),
            "x.yaml:2: restore.allow_suid: unknown key (known here: allow_setid)");
}

TEST(AgentConfig, SpoolEventCapDefaultsTo1GiB) {
  auto defaults = LoadAgentConfigFromString("", "x.yaml");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->spool.max_event_bytes, int64_t{1} << 30);
  auto set = LoadAgentConfigFromString("spool:\n  max_event_bytes: 64MiB\n", "x.yaml");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->spool.max_event_bytes, int64_t{64} << 20);
}

struct RuleCase {
  const char* file;
  const char* expected;  // after "<path>:"
};

class AgentConfigRule : public testing::TestWithParam<RuleCase> {};

TEST_P(AgentConfigRule, ReportsExactMessage) {
  const RuleCase& c = GetParam();
  auto cfg = LoadAgentConfig(Fixture(c.file));
  ASSERT_FALSE(cfg.ok()) << c.file << " was accepted";
  EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(cfg.status().message(), Fixture(c.file) + ":" + c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, AgentConfigRule,
    testing::Values(
        RuleCase{"bad_url_scheme.yaml", "2: collector.url: must start with http:// or https://"},
        RuleCase{"batch_max_records_range.yaml",
                 "2: uplink.batch_max_records: must be between 1 and 10000, got 20000"},
        RuleCase{"interval_below_min.yaml",
                 "3: inputs.system.interval: must be at least 1s, got '500ms'"},
        RuleCase{"spool_max_bytes_min.yaml",
                 "2: spool.max_bytes: must be at least 1MiB, got '512KiB'"},
        RuleCase{"spool_max_event_bytes_min.yaml",
                 "2: spool.max_event_bytes: must be at least 1MiB, got '64KiB'"},
        RuleCase{"insecure_url.yaml",
                 "2: collector.url: 'http://collector.example.com:8470' would send the agent "
                 "token and every record unencrypted to a host that is not loopback; use "
                 "https://, or set collector.insecure: true to allow it"},
        RuleCase{"bad_agent_name.yaml",
                 "2: agent.name: 'web 01' is not a valid agent name (letters, digits, '_', '.', "
                 "'-'; at most 128; not starting with '.' or '-')"},
        RuleCase{"backoff_order.yaml",
                 "2: uplink.backoff_initial: must not be greater than uplink.backoff_max"},
        RuleCase{"inline_token.yaml",
                 "2: collector.token: secrets are not accepted inline; use token_file or "
                 "token_env"},
        RuleCase{"unknown_key.yaml",
                 "2: uplink.batch_size: unknown key (known here: backoff_initial, backoff_max, "
                 "batch_max_bytes, batch_max_records, compress_threshold, flush_interval)"},
        RuleCase{"token_file_missing.yaml",
                 "2: collector.token_file: cannot read /nonexistent/beacon-token: No such file "
                 "or directory"},
        RuleCase{"timeout_without_unit.yaml",
                 "2: collector.timeout: expected a duration like 30s, 5m, 1h, got '10'"}),
    [](const testing::TestParamInfo<RuleCase>& info) {
      std::string name = info.param.file;
      name = name.substr(0, name.find('.'));
      return name;
    });

TEST(AgentConfig, UnknownInputNamesTheKnownOnes) {
  std::string known;
  for (const auto& f : inputs::BuiltinInputs()) known += (known.empty() ? "" : ", ") + f.name;
  auto cfg = LoadAgentConfig(Fixture("unknown_input.yaml"));
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().message(),
            Fixture("unknown_input.yaml") +
                ":2: inputs.sistem: unknown input 'sistem' (known: " + known + ")");
  EXPECT_NE(known.find("system"), std::string::npos);
}

// Replaces the token_file value of a shipped example so it loads on any machine.
std::string WithTokenFile(std::string text, const std::string& token_path) {
  size_t at = text.find("\n  token_file: ");
  EXPECT_NE(at, std::string::npos);
  if (at == std::string::npos) return text;
  size_t value = at + std::string("\n  token_file: ").size();
  size_t end = text.find('\n', value);
  return text.replace(value, end - value, token_path);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// What scripts/demo does to config/demo/agent.yaml: every /BEACON_DEMO_DIR becomes its state
// directory (here a temporary one with the watched and backed-up app/conf).
std::string RenderDemo(std::string text, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir / "app" / "conf");
  const std::string placeholder = "/BEACON_DEMO_DIR";
  for (size_t at = text.find(placeholder); at != std::string::npos;
       at = text.find(placeholder, at)) {
    text.replace(at, placeholder.size(), dir.string());
  }
  return text;
}

TEST(AgentConfig, ShippedExamplesAreValid) {
  const std::string token = Fixture("token");
  const std::filesystem::path demo_dir =
      std::filesystem::temp_directory_path() / ("beacon-demo-config-" + std::to_string(getpid()));
  for (const char* rel : {"/config/agent.yaml", "/config/demo/agent.yaml"}) {
    std::string text = ReadAll(std::string(BEACON_SOURCE_DIR) + rel);
    ASSERT_FALSE(text.empty()) << rel;
    if (std::string(rel).find("demo") != std::string::npos) text = RenderDemo(text, demo_dir);
    auto cfg = LoadAgentConfigFromString(WithTokenFile(text, token), rel);
    ASSERT_TRUE(cfg.ok()) << rel << ": " << cfg.status().ToString();
    EXPECT_EQ(cfg->collector.token.value(), "test-token-0123456789");
  }
  std::filesystem::remove_all(demo_dir);
}

}  // namespace
}  // namespace beacon::agent
