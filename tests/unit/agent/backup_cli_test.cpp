// `beacon-agent backup once` through RunCli with a local store: the summary line, catalog
// records in the spool, unchanged files not uploaded again, one set by name, failures printed
// with exit 1, and usage errors with exit 2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/cli.h"
#include "agent/spool/spool.h"
#include "common/crypto/crypto.h"
#include "common/wire/backup.h"

namespace beacon::agent {
namespace {

namespace fs = std::filesystem;

class BackupCliTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("beacon-bcli-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "src" / "sub");
    fs::create_directories(dir_ / "etc");
    config_ = (dir_ / "agent.yaml").string();
    WriteConfig("");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void WriteConfig(const std::string& app_extra) {
    std::ofstream(config_) << "agent:\n  name: cli-test\n  data_dir: data\nlog:\n  level: warn\n"
                              "backup:\n"
                              "  stores:\n    local: {type: local, path: store}\n"
                              "  concurrency: 3\n"
                              "  retry_initial: 1ms\n  retry_max: 2ms\n  max_attempts: 2\n"
                              "  sets:\n"
                              "    - name: app\n      paths: [src]\n      store: local\n"
                           << app_extra
                           << "    - name: etc\n      paths: [etc]\n      store: local\n";
  }

  static void Write(const fs::path& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
  }

  int Run(std::vector<std::string> args) {
    std::istringstream in;
    out_.str("");
    err_.str("");
    return RunCli(args, in, out_, err_);
  }

  std::vector<wire::BackupVersion> Spooled() {
    FakeClock clock;
    auto spool = Spool::Open({(dir_ / "data" / "spool.db").string()}, clock);
    EXPECT_TRUE(spool.ok());
    std::vector<wire::BackupVersion> out;
    auto all = (*spool)->Peek(100000, int64_t{1} << 40);
    for (const auto& r : *all) {
      auto record = wire::DecodeRecord(nlohmann::json::parse(r.payload));
      EXPECT_TRUE(record.ok());
      EXPECT_EQ(record->event.kind, wire::kBackupVersionKind);
      auto version = wire::BackupVersionFromJson(record->event.data);
      EXPECT_TRUE(version.ok()) << version.status().ToString();
      out.push_back(*version);
    }
    return out;
  }

  size_t StoredObjects() {
    size_t n = 0;
    if (!fs::exists(dir_ / "store")) return 0;
    for (const auto& e : fs::recursive_directory_iterator(dir_ / "store")) {
      n += e.is_regular_file() && e.path().string().find(".zst") != std::string::npos;
    }
    return n;
  }

  fs::path dir_;
  std::string config_;
  std::ostringstream out_, err_;
};

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

TEST_F(BackupCliTest, BacksUpChangedFilesAndSpoolsTheCatalogRecords) {
  const std::string big(200'000, 'a');  // compresses well: the summary shows both sizes
  Write(dir_ / "src" / "a.log", big);
  Write(dir_ / "src" / "sub" / "b.log", "bbb");
  Write(dir_ / "src" / "c.log", "ccc");
  Write(dir_ / "src" / ".c.log.swp", "vim swap: never backed up");

  ASSERT_EQ(Run({"backup", "once", "-c", config_, "app"}), 0) << err_.str();
  const std::string line = out_.str();
  EXPECT_TRUE(StartsWith(line, "set app: 3 files scanned, 3 stored (200.0 kB -> ")) << line;
  EXPECT_TRUE(EndsWith(line, "), 0 unchanged, 0 failed\n")) << line;
  EXPECT_EQ(line.find("set etc"), std::string::npos);  // only the named set
  EXPECT_EQ(err_.str(), "");
  EXPECT_EQ(StoredObjects(), 3u);
  auto versions = Spooled();
  ASSERT_EQ(versions.size(), 3u);
  std::map<std::string, std::string> sha_by_path;
  for (const auto& v : versions) {
    sha_by_path[v.path] = v.sha256;
    EXPECT_EQ(v.set, "app");
    EXPECT_EQ(v.store, "local");
  }
  EXPECT_EQ(sha_by_path[(dir_ / "src" / "a.log").string()], crypto::Sha256Hex(big));
  EXPECT_EQ(sha_by_path[(dir_ / "src" / "sub" / "b.log").string()], crypto::Sha256Hex("bbb"));

  // Again: nothing changed, nothing uploaded. Then one change: one upload.
  ASSERT_EQ(Run({"backup", "once", "-c", config_, "app"}), 0) << err_.str();
  EXPECT_EQ(out_.str(), "set app: 3 files scanned, 0 stored (0 B -> 0 B), 3 unchanged, 0 failed\n");
  Write(dir_ / "src" / "c.log", "ccc, edited");
  ASSERT_EQ(Run({"backup", "once", "-c", config_}), 0) << err_.str();
  EXPECT_TRUE(StartsWith(out_.str(), "set app: 3 files scanned, 1 stored (11 B -> ")) << out_.str();
  EXPECT_NE(out_.str().find("), 2 unchanged, 0 failed\nset etc: 0 files scanned, 0 stored"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(Spooled().size(), 4u);
  EXPECT_EQ(StoredObjects(), 4u);
}

TEST_F(BackupCliTest, FailuresArePrintedAndExitOne) {
  WriteConfig("      max_file_size: 100\n");
  Write(dir_ / "src" / "small.txt", "fits");
  Write(dir_ / "src" / "big.txt", std::string(1000, 'x'));
  ASSERT_EQ(Run({"backup", "once", "-c", config_, "app"}), 1);
  EXPECT_TRUE(StartsWith(out_.str(), "set app: 2 files scanned, 1 stored (4 B -> ")) << out_.str();
  EXPECT_TRUE(EndsWith(out_.str(), "), 0 unchanged, 1 failed\n")) << out_.str();
  EXPECT_TRUE(StartsWith(err_.str(), "backup: " + (dir_ / "src" / "big.txt").string() + ": "))
      << err_.str();
  ASSERT_EQ(Spooled().size(), 1u);
  EXPECT_EQ(Spooled()[0].path, (dir_ / "src" / "small.txt").string());
}

TEST_F(BackupCliTest, UsageErrors) {
  EXPECT_EQ(Run({"backup", "once", "-c", config_, "nope"}), 2);
  EXPECT_EQ(err_.str(), "backup: unknown backup set 'nope' (known: app, etc)\n");
  EXPECT_EQ(Run({"backup", "-c", config_}), 2);
  EXPECT_NE(err_.str().find("usage: beacon-agent backup once"), std::string::npos);
  EXPECT_EQ(Run({"backup", "once", "--help"}), 0);
  EXPECT_NE(out_.str().find("usage: beacon-agent backup once [-c FILE] [SET]"), std::string::npos);
  std::ofstream(config_) << "agent:\n  name: cli-test\n  data_dir: data\n";
  EXPECT_EQ(Run({"backup", "once", "-c", config_}), 2);
  EXPECT_EQ(err_.str(), "backup: no backup sets are configured in " + config_ + " (backup.sets)\n");
  EXPECT_EQ(Run({"help"}), 0);
  EXPECT_NE(out_.str().find("backup once -c FILE [SET]"), std::string::npos);
}

}  // namespace
}  // namespace beacon::agent
