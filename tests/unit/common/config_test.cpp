// Tests for common/config: typed getters, exact operator-facing error text (file:line: path),
// unknown-key reporting and secret handling. One fixture per validation rule.
#include "common/config/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/config/common_sections.h"
#include "common/log/log.h"

namespace beacon::config {
namespace {

namespace fs = std::filesystem;

// A small schema exercising every getter, the way a daemon's config reader would.
struct SampleConfig {
  struct Input {
    std::string name;
    int64_t interval_ms = 60'000;
  };
  std::string name = "beacon";
  bool enabled = true;
  int port = 8080;
  std::string mode = "fast";
  int64_t interval_ms = 30'000;
  int64_t max_bytes = 64 << 20;
  double ratio = 1.0;
  std::vector<std::string> tags = {"default"};
  std::vector<std::pair<std::string, std::string>> labels;
  log::LogOptions log;
  std::string url;
  int64_t batch_max_records = 500;
  Secret token;
  std::vector<Input> inputs;
};

void ReadSample(Node root, SampleConfig* c) {
  root.Get("name", &c->name);
  root.Get("enabled", &c->enabled);
  root.Get("port", &c->port, 1, 65535);
  root.GetEnum("mode", &c->mode, {"fast", "safe", "off"});
  root.GetDurationMs("interval", &c->interval_ms, 1000);
  root.GetBytes("max_bytes", &c->max_bytes, 1024);
  root.Get("ratio", &c->ratio);
  root.Get("tags", &c->tags);
  for (auto& [key, value] : root.Entries("labels")) c->labels.emplace_back(key, value.Scalar());
  ReadLogOptions(root.Child("log"), &c->log);
  if (root.Has("uplink")) {
    Node uplink = root.Child("uplink");
    uplink.Require("url");
    uplink.Get("url", &c->url);
    uplink.Get("batch_max_records", &c->batch_max_records, 1, 10'000);
    uplink.GetSecret("token", &c->token);
  }
  for (Node input : root.Sequence("inputs")) {
    SampleConfig::Input in;
    input.Require("name");
    input.Get("name", &in.name);
    input.GetDurationMs("interval", &in.interval_ms, 1000);
    c->inputs.push_back(in);
  }
}

std::string Fixture(const std::string& name) {
  return std::string(BEACON_FIXTURES_DIR) + "/config/common/" + name;
}

Status LoadAndRead(const std::string& path, SampleConfig* c) {
  auto doc = Document::LoadFile(path);
  if (!doc.ok()) return doc.status();
  ReadSample((*doc)->root(), c);
  return (*doc)->Finish();
}

// The full error text for a fixture that must fail.
std::string ErrorOf(const std::string& fixture) {
  SampleConfig c;
  Status status = LoadAndRead(Fixture(fixture), &c);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << fixture;
  return status.message();
}

TEST(ConfigTest, ValidFileSetsEveryValue) {
  SampleConfig c;
  Status status = LoadAndRead(Fixture("valid.yaml"), &c);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(c.name, "web-01");
  EXPECT_FALSE(c.enabled);
  EXPECT_EQ(c.port, 9443);
  EXPECT_EQ(c.mode, "safe");
  EXPECT_EQ(c.interval_ms, 90 * 60'000);
  EXPECT_EQ(c.max_bytes, 10 << 20);
  EXPECT_DOUBLE_EQ(c.ratio, 0.25);
  EXPECT_EQ(c.tags, (std::vector<std::string>{"edge", "prod"}));
  ASSERT_EQ(c.labels.size(), 2u);
  EXPECT_EQ(c.labels[0], (std::pair<std::string, std::string>{"env", "prod"}));
  EXPECT_EQ(c.labels[1], (std::pair<std::string, std::string>{"team", "ops"}));
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.file, "/var/log/beacon/agent.log");
  EXPECT_TRUE(c.log.json);
  EXPECT_EQ(c.url, "https://collector.example:8443");
  EXPECT_EQ(c.batch_max_records, 250);
  EXPECT_TRUE(c.token.empty());
  ASSERT_EQ(c.inputs.size(), 2u);
  EXPECT_EQ(c.inputs[0].name, "cpu");
  EXPECT_EQ(c.inputs[0].interval_ms, 10'000);
  EXPECT_EQ(c.inputs[1].name, "disk");
  EXPECT_EQ(c.inputs[1].interval_ms, 60'000);  // absent in the element: default kept
}

TEST(ConfigTest, EmptyFileKeepsAllDefaults) {
  SampleConfig c;
  Status status = LoadAndRead(Fixture("empty.yaml"), &c);
  ASSERT_TRUE(status.ok()) << status.ToString();
  SampleConfig defaults;
  EXPECT_EQ(c.name, defaults.name);
  EXPECT_EQ(c.enabled, defaults.enabled);
  EXPECT_EQ(c.port, defaults.port);
  EXPECT_EQ(c.mode, defaults.mode);
  EXPECT_EQ(c.interval_ms, defaults.interval_ms);
  EXPECT_EQ(c.max_bytes, defaults.max_bytes);
  EXPECT_EQ(c.tags, defaults.tags);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.file, "");
  EXPECT_FALSE(c.log.json);
  EXPECT_TRUE(c.inputs.empty());
}

TEST(ConfigTest, ExplicitNullKeepsDefault) {
  auto doc = Document::LoadString("name:\nport: ~\n", "inline.yaml");
  ASSERT_TRUE(doc.ok());
  SampleConfig c;
  ReadSample((*doc)->root(), &c);
  EXPECT_TRUE((*doc)->Finish().ok());
  EXPECT_EQ(c.name, "beacon");
  EXPECT_EQ(c.port, 8080);
}

TEST(ConfigTest, UnitsAreParsed) {
  auto doc = Document::LoadString(
      "a: 500ms\nb: 7d\nc: 0\nd: 512\ne: 64KiB\nf: 2GiB\ng: 3KB\nh: 1 MB\n", "units.yaml");
  ASSERT_TRUE(doc.ok());
  Node root = (*doc)->root();
  int64_t a = -1, b = -1, c = -1, d = -1, e = -1, f = -1, g = -1, h = -1;
  root.GetDurationMs("a", &a);
  root.GetDurationMs("b", &b);
  root.GetDurationMs("c", &c);
  root.GetBytes("d", &d);
  root.GetBytes("e", &e);
  root.GetBytes("f", &f);
  root.GetBytes("g", &g);
  root.GetBytes("h", &h);
  ASSERT_TRUE((*doc)->Finish().ok()) << (*doc)->Finish().message();
  EXPECT_EQ(a, 500);
  EXPECT_EQ(b, 7 * 86'400'000LL);
  EXPECT_EQ(c, 0);
  EXPECT_EQ(d, 512);
  EXPECT_EQ(e, 64 * 1024);
  EXPECT_EQ(f, 2LL << 30);
  EXPECT_EQ(g, 3000);
  EXPECT_EQ(h, 1'000'000);
}

// ---- one fixture per validation rule, exact text ----

TEST(ConfigErrorTest, BadInteger) {
  EXPECT_EQ(
      ErrorOf("bad_int.yaml"),
      Fixture("bad_int.yaml") + ":4: uplink.batch_max_records: expected an integer, got 'ten'");
}

TEST(ConfigErrorTest, BadBool) {
  EXPECT_EQ(ErrorOf("bad_bool.yaml"),
            Fixture("bad_bool.yaml") + ":2: enabled: expected true or false, got 'yes please'");
}

TEST(ConfigErrorTest, Yaml11BoolWordsAreRefusedWithAReason) {
  EXPECT_EQ(ErrorOf("bad_bool_yaml11.yaml"),
            Fixture("bad_bool_yaml11.yaml") +
                ":1: enabled: expected true or false (yes/no/on/off are not accepted), got 'yes'");
}

TEST(ConfigErrorTest, OutOfRange) {
  EXPECT_EQ(ErrorOf("out_of_range.yaml"),
            Fixture("out_of_range.yaml") + ":1: port: must be between 1 and 65535, got 70000");
}

TEST(ConfigErrorTest, BadDurationInsideSequenceNamesTheElement) {
  EXPECT_EQ(ErrorOf("bad_duration.yaml"),
            Fixture("bad_duration.yaml") +
                ":5: inputs[1].interval: expected a duration like 30s, 5m, 1h, got '10 minutes'");
}

TEST(ConfigErrorTest, DurationBelowMinimum) {
  EXPECT_EQ(ErrorOf("duration_too_short.yaml"),
            Fixture("duration_too_short.yaml") + ":1: interval: must be at least 1s, got '500ms'");
}

TEST(ConfigErrorTest, BadSize) {
  EXPECT_EQ(
      ErrorOf("bad_size.yaml"),
      Fixture("bad_size.yaml") + ":1: max_bytes: expected a size like 512KiB or 64MiB, got 'big'");
}

TEST(ConfigErrorTest, SizeBelowMinimum) {
  EXPECT_EQ(ErrorOf("size_too_small.yaml"),
            Fixture("size_too_small.yaml") + ":1: max_bytes: must be at least 1KiB, got '12'");
}

TEST(ConfigErrorTest, BadEnumInLogSection) {
  EXPECT_EQ(ErrorOf("bad_enum.yaml"),
            Fixture("bad_enum.yaml") +
                ":2: log.level: expected one of: trace, debug, info, warn, error, critical, off, "
                "got 'verbose'");
}

TEST(ConfigErrorTest, MappingWhereStringExpected) {
  EXPECT_EQ(ErrorOf("bad_string.yaml"),
            Fixture("bad_string.yaml") + ":1: name: expected a string, got a mapping");
}

TEST(ConfigErrorTest, BadListElement) {
  EXPECT_EQ(ErrorOf("bad_list_element.yaml"),
            Fixture("bad_list_element.yaml") + ":3: tags[1]: expected a string, got a mapping");
}

TEST(ConfigErrorTest, UnknownTopLevelKeyListsKnownKeys) {
  EXPECT_EQ(ErrorOf("unknown_key.yaml"),
            Fixture("unknown_key.yaml") +
                ":2: colour: unknown key (known here: enabled, inputs, interval, labels, log, "
                "max_bytes, mode, name, port, ratio, tags, uplink)");
}

TEST(ConfigErrorTest, NestedUnknownKeysInMappingAndSequence) {
  const std::string f = Fixture("nested_unknown_key.yaml");
  EXPECT_EQ(ErrorOf("nested_unknown_key.yaml"),
            f +
                ":3: uplink.batch_max_record: unknown key (known here: batch_max_records, token, "
                "token_env, token_file, url)\n" +
                f + ":6: inputs[0].intervall: unknown key (known here: interval, name)");
}

TEST(ConfigErrorTest, DuplicateKey) {
  EXPECT_EQ(ErrorOf("duplicate_key.yaml"),
            Fixture("duplicate_key.yaml") + ":3: name: duplicate key (first defined at line 1)");
}

TEST(ConfigErrorTest, MissingRequiredKeyPointsAtItsSection) {
  EXPECT_EQ(ErrorOf("missing_required.yaml"),
            Fixture("missing_required.yaml") + ":1: uplink.url: required key is missing");
}

TEST(ConfigErrorTest, ScalarWhereMappingExpected) {
  EXPECT_EQ(
      ErrorOf("not_a_mapping.yaml"),
      Fixture("not_a_mapping.yaml") + ":1: uplink: expected a mapping, got 'collector.example'");
}

TEST(ConfigErrorTest, NotASequence) {
  EXPECT_EQ(ErrorOf("not_a_sequence.yaml"),
            Fixture("not_a_sequence.yaml") + ":1: inputs: expected a list, got 'cpu'");
}

TEST(ConfigErrorTest, TopLevelMustBeMapping) {
  EXPECT_EQ(
      ErrorOf("top_level_list.yaml"),
      Fixture("top_level_list.yaml") + ":1: the top level must be a mapping of keys, got a list");
}

TEST(ConfigErrorTest, SyntaxError) {
  EXPECT_EQ(ErrorOf("syntax_error.yaml"),
            Fixture("syntax_error.yaml") + ":3: invalid YAML: end of sequence flow not found");
}

TEST(ConfigErrorTest, MissingFile) {
  EXPECT_EQ(ErrorOf("no_such_file.yaml"),
            Fixture("no_such_file.yaml") + ": cannot read: No such file or directory");
}

TEST(ConfigErrorTest, InlineSecretIsRejectedWithoutEchoingIt) {
  std::string message = ErrorOf("secret_inline.yaml");
  EXPECT_EQ(message, Fixture("secret_inline.yaml") +
                         ":3: uplink.token: secrets are not accepted inline; use token_file or "
                         "token_env");
}

TEST(ConfigErrorTest, SecretFromBothSources) {
  EXPECT_EQ(ErrorOf("secret_both.yaml"),
            Fixture("secret_both.yaml") +
                ":3: uplink.token_file: set only one of token_file and token_env");
}

TEST(ConfigErrorTest, SecretFileMissingIsResolvedAgainstTheConfigDirectory) {
  const std::string dir = std::string(BEACON_FIXTURES_DIR) + "/config/common";
  EXPECT_EQ(ErrorOf("secret_missing_file.yaml"),
            Fixture("secret_missing_file.yaml") + ":3: uplink.token_file: cannot read " + dir +
                "/secrets/missing.token: No such file or directory");
}

TEST(ConfigErrorTest, SecretFileEmpty) {
  const std::string dir = std::string(BEACON_FIXTURES_DIR) + "/config/common";
  EXPECT_EQ(ErrorOf("secret_empty_file.yaml"), Fixture("secret_empty_file.yaml") +
                                                   ":3: uplink.token_file: file " + dir +
                                                   "/empty.token is empty");
}

TEST(ConfigErrorTest, SecretEnvEmpty) {
  ASSERT_EQ(setenv("BEACON_TEST_EMPTY_TOKEN", "", 1), 0);
  EXPECT_EQ(ErrorOf("secret_empty_env.yaml"),
            Fixture("secret_empty_env.yaml") +
                ":3: uplink.token_env: environment variable BEACON_TEST_EMPTY_TOKEN is empty");
}

TEST(ConfigErrorTest, SecretEnvUnset) {
  ASSERT_EQ(unsetenv("BEACON_TEST_UNSET_TOKEN"), 0);
  EXPECT_EQ(ErrorOf("secret_unset_env.yaml"),
            Fixture("secret_unset_env.yaml") +
                ":3: uplink.token_env: environment variable BEACON_TEST_UNSET_TOKEN is not set");
}

TEST(ConfigErrorTest, AllErrorsAreReportedSortedByLine) {
  // Read order (port, mode, then inputs) differs from line order on purpose.
  auto doc = Document::LoadString("mode: turbo\nport: 0\nextra: 1\n", "multi.yaml");
  ASSERT_TRUE(doc.ok());
  SampleConfig c;
  ReadSample((*doc)->root(), &c);
  Status status = (*doc)->Finish();
  EXPECT_EQ(status.message(),
            "multi.yaml:1: mode: expected one of: fast, safe, off, got 'turbo'\n"
            "multi.yaml:2: port: must be between 1 and 65535, got 0\n"
            "multi.yaml:3: extra: unknown key (known here: enabled, inputs, interval, labels, "
            "log, max_bytes, mode, name, port, ratio, tags, uplink)");
  ASSERT_EQ((*doc)->errors().size(), 3u);
  EXPECT_EQ((*doc)->errors()[1].line, 2);
  EXPECT_EQ((*doc)->errors()[1].path, "port");
  EXPECT_EQ(c.port, 8080);  // the bad value did not overwrite the default
}

TEST(ConfigErrorTest, ToStringWithoutPathOrLine) {
  EXPECT_EQ((ConfigError{"a.yaml", 7, "", "boom"}.ToString()), "a.yaml:7: boom");
  EXPECT_EQ((ConfigError{"a.yaml", 0, "x.y", "boom"}.ToString()), "a.yaml: x.y: boom");
}

// ---- secrets that load ----

class SecretTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("beacon_config_test_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "secrets");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Write(const std::string& rel, const std::string& content) {
    std::ofstream(dir_ / rel) << content;
    return (dir_ / rel).string();
  }
  fs::path dir_;
};

TEST_F(SecretTest, FromRelativeFileIsTrimmedRegisteredAndNeverPrinted) {
  const std::string secret = "file-secret-7f3a9c2e";
  Write("secrets/token", "  " + secret + "\n\n");
  // The secret also appears as a bad value elsewhere; the error must not echo it.
  std::string path = Write("agent.yaml",
                           "uplink:\n  url: https://c\n  token_file: secrets/token\n"
                           "port: " +
                               secret + "\n");
  SampleConfig c;
  Status status = LoadAndRead(path, &c);
  EXPECT_EQ(c.token.value(), secret);
  EXPECT_EQ(c.token.ToString(), "***");
  EXPECT_EQ(c.token.source, "file " + (dir_ / "secrets/token").string());
  EXPECT_EQ(status.message(), path + ":4: port: expected an integer, got '***'");
  EXPECT_EQ(status.message().find(secret), std::string::npos);
  EXPECT_EQ(log::Redact("sent " + secret), "sent ***");
}

TEST_F(SecretTest, FromEnvironment) {
  const std::string secret = "env-secret-55d1b0aa";
  ASSERT_EQ(setenv("BEACON_TEST_TOKEN", secret.c_str(), 1), 0);
  std::string path = Write("agent.yaml",
                           "uplink:\n  url: https://c\n  token_env: BEACON_TEST_TOKEN\n"
                           "bogus: 1\n");
  SampleConfig c;
  Status status = LoadAndRead(path, &c);
  unsetenv("BEACON_TEST_TOKEN");
  EXPECT_EQ(c.token.value(), secret);
  EXPECT_EQ(c.token.source, "env BEACON_TEST_TOKEN");
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().find(secret), std::string::npos);
  EXPECT_EQ(log::Redact("Authorization: " + secret), "Authorization: ***");
}

TEST_F(SecretTest, InlineValueNeverAppearsInErrors) {
  std::string message = ErrorOf("secret_inline.yaml");
  EXPECT_EQ(message.find("inline-secret-value-1234"), std::string::npos);
}

// Sections whose validity must be known while they are read (notifier receivers, alert routes).
class SectionTest : public ::testing::Test {
 protected:
  Node Load(const std::string& yaml) {
    auto doc = Document::LoadString(yaml, "t.yaml");
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    doc_ = std::move(*doc);
    return doc_->root();
  }
  std::string Finish() {
    Status status = doc_->Finish();
    return status.ok() ? "" : status.message();
  }
  std::unique_ptr<Document> doc_;
};

TEST_F(SectionTest, KnownEntriesReportUnknownKeysAtOnceAndOnlyOnce) {
  Node section = Load("r:\n  a: 1\n  b: [x]\n  c: 2\n").Child("r");
  const size_t before = section.error_count();
  std::map<std::string, Node> entries = section.KnownEntries({"b", "a"});
  EXPECT_EQ(section.error_count(), before + 1);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries.at("a").Scalar(), "1");
  EXPECT_FALSE(entries.at("b").IsScalar());
  EXPECT_EQ(Finish(), "t.yaml:4: r.c: unknown key (known here: a, b)");
}

TEST_F(SectionTest, ValueTakesAnyShapeAndMarksTheKeyKnown) {
  Node root = Load("s: a|b\nl: [a, b]\n");
  EXPECT_TRUE(root.Value("s").IsScalar());
  EXPECT_EQ(root.Value("s").Scalar(), "a|b");
  EXPECT_FALSE(root.Value("l").IsScalar());
  EXPECT_FALSE(root.Value("l").IsNull());
  EXPECT_TRUE(root.Value("missing").IsNull());
  EXPECT_EQ(root.error_count(), 0u);
  EXPECT_EQ(Finish(), "");
}

TEST_F(SectionTest, DurationAboveItsMaximum) {
  Node root = Load("timeout: 10m\nshort: 2s\n");
  int64_t timeout_ms = 5000;
  root.GetDurationMs("timeout", &timeout_ms, 100, 5 * 60 * 1000);
  EXPECT_EQ(timeout_ms, 5000);
  int64_t short_ms = 0;
  root.GetDurationMs("short", &short_ms, 100, 5 * 60 * 1000);
  EXPECT_EQ(short_ms, 2000);
  EXPECT_EQ(Finish(), "t.yaml:1: timeout: must be at most 5m, got '10m'");
}

TEST_F(SectionTest, TimeZonesMustLoad) {
  Node root = Load("bad: Mars/Olympus\ngood: UTC\nlist: [UTC]\n");
  std::string bad = "unchanged";
  root.GetTimeZone("bad", &bad);
  EXPECT_EQ(bad, "unchanged");
  std::string good;
  root.GetTimeZone("good", &good);
  EXPECT_EQ(good, "UTC");
  std::string list;
  root.GetTimeZone("list", &list);
  const std::string errors = Finish();
  EXPECT_NE(errors.find("t.yaml:1: bad: unknown time zone 'Mars/Olympus'"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("t.yaml:3: list: expected a string, got a list"), std::string::npos)
      << errors;
}

}  // namespace
}  // namespace beacon::config
