// The `backup:` section of agent.yaml: defaults, relative paths, the encryption key, and one
// case per validation rule with the exact operator-facing message (file:line: key.path: text).
#include "agent/backup/backup_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/config.h"
#include "common/crypto/crypto.h"

namespace beacon::agent::backup {
namespace {

class BackupConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("beacon-backup-config-" + std::to_string(getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "data");
    file_ = (dir_ / "agent.yaml").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A valid file with one set; `set_extra` lines are appended to the set (6 spaces indent),
  // `top_extra` to the backup section (2 spaces).
  Result<AgentConfig> Load(const std::string& set_extra, const std::string& top_extra = "") {
    std::ofstream(file_) << "backup:\n"                                // 1
                            "  stores:\n"                              // 2
                            "    local: {type: local, path: store}\n"  // 3
                            "  sets:\n"                                // 4
                            "    - name: app\n"                        // 5
                            "      paths: [data]\n"                    // 6
                            "      store: local\n"                     // 7
                         << set_extra << top_extra;                    // 8...
    return LoadAgentConfig(file_);
  }

  void ExpectError(const Result<AgentConfig>& cfg, const std::string& expected) {
    ASSERT_FALSE(cfg.ok()) << "accepted; expected " << expected;
    EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(cfg.status().message(), file_ + ":" + expected);
  }

  std::filesystem::path dir_;
  std::string file_;
};

TEST_F(BackupConfigTest, AbsentSectionMeansBackupsOff) {
  auto cfg = LoadAgentConfigFromString("agent:\n  name: a\n", "x.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_FALSE(cfg->backup.enabled);
  EXPECT_TRUE(cfg->backup.sets.empty());
}

TEST_F(BackupConfigTest, DefaultsAndRelativePaths) {
  auto cfg = Load("");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const BackupConfig& b = cfg->backup;
  EXPECT_TRUE(b.enabled);
  EXPECT_EQ(b.concurrency, 2);
  EXPECT_EQ(b.bandwidth_limit, 0);
  EXPECT_EQ(b.reconcile_interval_ms, 3600 * 1000);
  EXPECT_EQ(b.retry_initial_ms, 1000);
  EXPECT_EQ(b.retry_max_ms, 300 * 1000);
  EXPECT_EQ(b.max_attempts, 8);
  ASSERT_EQ(b.stores.count("local"), 1u);
  ASSERT_EQ(b.sets.size(), 1u);
  const BackupSetConfig& set = b.sets[0];
  EXPECT_EQ(set.name, "app");
  EXPECT_EQ(set.paths, std::vector<std::string>{(dir_ / "data").string()});
  EXPECT_EQ(set.store, "local");
  EXPECT_EQ(set.key_prefix, "beacon");
  EXPECT_EQ(set.zstd_level, 3);
  EXPECT_EQ(set.debounce_ms, 2000);
  EXPECT_EQ(set.max_file_size, 10LL * 1024 * 1024 * 1024);
  EXPECT_EQ(set.max_age_ms, 0);
  EXPECT_EQ(set.storage_class, "standard");
  EXPECT_FALSE(set.encryption.enabled);
}

TEST_F(BackupConfigTest, EverySettingIsRead) {
  auto cfg = Load(
      "      include: ['*.log']\n"
      "      exclude: [tmp]\n"
      "      key_prefix: /backups/\n"
      "      zstd_level: 9\n"
      "      debounce: 500ms\n"
      "      max_file_size: 1GiB\n"
      "      max_age: 1d\n"
      "      storage_class: infrequent\n",
      "  concurrency: 4\n"
      "  bandwidth_limit: 10MiB\n"
      "  reconcile_interval: 10m\n"
      "  retry_initial: 2s\n"
      "  retry_max: 1m\n"
      "  max_attempts: 3\n"
      "  restore_roots: [/srv/app/, restore]\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  const BackupConfig& b = cfg->backup;
  EXPECT_EQ(b.concurrency, 4);
  EXPECT_EQ(b.bandwidth_limit, 10 * 1024 * 1024);
  EXPECT_EQ(b.reconcile_interval_ms, 600 * 1000);
  EXPECT_EQ(b.retry_initial_ms, 2000);
  EXPECT_EQ(b.retry_max_ms, 60 * 1000);
  EXPECT_EQ(b.max_attempts, 3);
  EXPECT_EQ(b.restore_roots, (std::vector<std::string>{"/srv/app", (dir_ / "restore").string()}));
  const BackupSetConfig& set = b.sets[0];
  EXPECT_EQ(set.include, std::vector<std::string>{"*.log"});
  EXPECT_EQ(set.exclude, std::vector<std::string>{"tmp"});
  EXPECT_EQ(set.key_prefix, "backups");
  EXPECT_EQ(set.zstd_level, 9);
  EXPECT_EQ(set.debounce_ms, 500);
  EXPECT_EQ(set.max_file_size, 1024 * 1024 * 1024);
  EXPECT_EQ(set.max_age_ms, 86400 * 1000);
  EXPECT_EQ(set.storage_class, "infrequent");
}

TEST_F(BackupConfigTest, KeyFileInHexAndRawGiveTheSameKeyAndId) {
  std::string key(32, '\0');
  for (int i = 0; i < 32; ++i) key[i] = static_cast<char>(i * 7 + 1);
  std::ofstream(dir_ / "raw.key", std::ios::binary) << key;
  std::ofstream(dir_ / "hex.key") << crypto::HexEncode(key) << "\n";
  const std::string id = crypto::Sha256Hex(key).substr(0, 16);
  for (const char* file : {"raw.key", "hex.key"}) {
    auto cfg = Load(std::string("      encryption:\n        key_file: ") + file + "\n");
    ASSERT_TRUE(cfg.ok()) << file << ": " << cfg.status().ToString();
    const EncryptionConfig& e = cfg->backup.sets[0].encryption;
    EXPECT_TRUE(e.enabled);
    EXPECT_EQ(e.key_file, (dir_ / file).string());
    EXPECT_EQ(e.key, key) << file;
    EXPECT_EQ(e.key_id, id);
    EXPECT_EQ(e.key_id.size(), 16u);
  }
}

TEST_F(BackupConfigTest, PathThatDoesNotExist) {
  std::filesystem::remove_all(dir_ / "data");
  ExpectError(Load(""), "6: backup.sets[0].paths: cannot use " + (dir_ / "data").string() +
                            ": No such file or directory");
}

TEST_F(BackupConfigTest, PathThatIsNeitherFileNorDirectory) {
  std::ofstream(file_) << "backup:\n  stores:\n    local: {type: local, path: store}\n  sets:\n"
                          "    - {name: app, paths: [/dev/null], store: local}\n";
  ExpectError(LoadAgentConfig(file_),
              "5: backup.sets[0].paths: /dev/null is neither a directory nor a regular file");
}

TEST_F(BackupConfigTest, UnknownStore) {
  std::ofstream(file_) << "backup:\n  stores:\n    local: {type: local, path: store}\n  sets:\n"
                          "    - name: app\n      paths: [data]\n      store: oss\n";
  ExpectError(LoadAgentConfig(file_),
              "7: backup.sets[0].store: unknown store 'oss' (known: local)");
}

TEST_F(BackupConfigTest, StoreIsRequired) {
  std::ofstream(file_) << "backup:\n  stores:\n    local: {type: local, path: store}\n  sets:\n"
                          "    - name: app\n      paths: [data]\n";
  ExpectError(LoadAgentConfig(file_), "5: backup.sets[0].store: required key is missing");
}

TEST_F(BackupConfigTest, ZstdLevelRange) {
  ExpectError(Load("      zstd_level: 20\n"),
              "8: backup.sets[0].zstd_level: must be between 1 and 19, got 20");
}

TEST_F(BackupConfigTest, KeyPrefixIsOneSegmentSoTheCollectorCanTellTheOwner) {
  // With "backups/web-01" as a prefix, agent db-01's keys would look like web-01's objects.
  ExpectError(Load("      key_prefix: backups/web-01\n"),
              "8: backup.sets[0].key_prefix: 'backups/web-01' must be one segment of letters, "
              "digits, '_', '.', '-' (no '/')");
  ExpectError(Load("      key_prefix: ..\n"),
              "8: backup.sets[0].key_prefix: '..' must be one segment of letters, digits, '_', "
              "'.', '-' (no '/')");
  EXPECT_TRUE(Load("      key_prefix: beacon-prod_2\n").ok());
}

TEST_F(BackupConfigTest, UnreadableKeyFile) {
  ExpectError(Load("      encryption:\n        key_file: missing.key\n"),
              "9: backup.sets[0].encryption.key_file: cannot read " +
                  (dir_ / "missing.key").string() + ": No such file or directory");
}

TEST_F(BackupConfigTest, KeyOfTheWrongSizeIsRefusedWithoutShowingIt) {
  std::ofstream(dir_ / "short.key") << "sup3r-s3cret";
  auto cfg = Load("      encryption:\n        key_file: short.key\n");
  ExpectError(cfg, "9: backup.sets[0].encryption.key_file: " + (dir_ / "short.key").string() +
                       " must hold a 32-byte key: 32 raw bytes or 64 hex characters (it has 12 "
                       "bytes)");
  EXPECT_EQ(cfg.status().message().find("sup3r"), std::string::npos);
}

TEST_F(BackupConfigTest, HexKeyWithABadDigitIsRefused) {
  std::ofstream(dir_ / "bad.key") << std::string(63, 'a') << "z";
  ExpectError(Load("      encryption:\n        key_file: bad.key\n"),
              "9: backup.sets[0].encryption.key_file: " + (dir_ / "bad.key").string() +
                  " must hold a 32-byte key: 32 raw bytes or 64 hex characters (it has 64 "
                  "bytes)");
}

TEST_F(BackupConfigTest, DuplicateSetName) {
  ExpectError(Load("", "    - name: app\n      paths: [data]\n      store: local\n"),
              "8: backup.sets[1].name: duplicate set name 'app'");
}

TEST_F(BackupConfigTest, InvalidSetName) {
  std::ofstream(file_) << "backup:\n  stores:\n    local: {type: local, path: store}\n  sets:\n"
                          "    - name: app logs\n      paths: [data]\n      store: local\n";
  ExpectError(LoadAgentConfig(file_),
              "5: backup.sets[0].name: 'app logs' is not a valid set name (letters, digits, '_', "
              "'.', '-'; at most 128)");
}

TEST_F(BackupConfigTest, UnknownStorageClass) {
  ExpectError(Load("      storage_class: glacier\n"),
              "8: backup.sets[0].storage_class: unknown storage class 'glacier' (expected "
              "standard, infrequent, archive or cold_archive)");
}

TEST_F(BackupConfigTest, RetryInitialAboveMax) {
  ExpectError(Load("", "  retry_initial: 10m\n  retry_max: 1m\n"),
              "8: backup.retry_initial: must not be greater than backup.retry_max");
}

TEST_F(BackupConfigTest, ConcurrencyRange) {
  ExpectError(Load("", "  concurrency: 0\n"),
              "8: backup.concurrency: must be between 1 and 64, got 0");
}

TEST_F(BackupConfigTest, RelativePathsWithoutAFileAreRefused) {
  // Text without a file has no directory to resolve against: paths must be absolute.
  const std::string data = (dir_ / "data").string();
  auto cfg = LoadAgentConfigFromString(
      "backup:\n  stores:\n    local: {type: local, path: /tmp}\n  restore_roots: [srv]\n"
      "  sets:\n    - name: app\n      paths: [" +
          data + ", logs]\n      store: local\n",
      "x.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_EQ(cfg.status().message(),
            "x.yaml:4: backup.restore_roots: 'srv' is not an absolute path\n"
            "x.yaml:7: backup.sets[0].paths: 'logs' is not an absolute path");
}

TEST_F(BackupConfigTest, UnknownKeyInASet) {
  ExpectError(Load("      debounce_ms: 5\n"),
              "8: backup.sets[0].debounce_ms: unknown key (known here: debounce, encryption, "
              "exclude, include, key_prefix, max_age, max_file_size, name, paths, "
              "storage_class, store, zstd_level)");
}

// The commented `backup:` example of config/agent.yaml, uncommented, is a valid configuration
// (with its host paths replaced by temp ones).
TEST_F(BackupConfigTest, ShippedExampleIsValid) {
  std::ifstream in(std::string(BEACON_SOURCE_DIR) + "/config/agent.yaml");
  std::string line, yaml;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "# backup:") inside = true;
    if (inside && line.rfind("#", 0) != 0) break;
    if (inside) yaml += (line.size() > 2 ? line.substr(2) : "") + "\n";
  }
  ASSERT_NE(yaml.find("sets:"), std::string::npos) << "no backup example found";
  auto replace = [&](const std::string& from, const std::string& to) {
    size_t at = yaml.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    yaml.replace(at, from.size(), to);
  };
  std::ofstream(dir_ / "oss.secret") << "example-secret";
  replace("/srv/app/logs", (dir_ / "data").string());
  replace("/etc/beacon/oss.secret", (dir_ / "oss.secret").string());
  std::ofstream(file_) << yaml;
  auto cfg = LoadAgentConfig(file_);
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString() << "\n" << yaml;
  ASSERT_EQ(cfg->backup.sets.size(), 1u);
  EXPECT_EQ(cfg->backup.sets[0].name, "app-logs");
  EXPECT_EQ(cfg->backup.sets[0].store, "oss");
  EXPECT_EQ(cfg->backup.stores.size(), 2u);
  EXPECT_EQ(cfg->backup.max_attempts, 8);
}

}  // namespace
}  // namespace beacon::agent::backup
