// beacon-collector CLI: exit codes and the exact lines operators and scripts read.
#include "collector/cli.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "collector/store/sqlite_event_store.h"

namespace beacon::collector {
namespace {

const std::string kDir = std::string(BEACON_FIXTURES_DIR) + "/config/collector/";

struct CliResult {
  int exit_code;
  std::string out;
  std::string err;
};

CliResult RunCollector(std::vector<std::string> args) {
  args.insert(args.begin(), "beacon-collector");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int code = RunCli(static_cast<int>(args.size()), argv.data());
  std::fflush(stdout);
  std::fflush(stderr);
  CliResult result{code, ::testing::internal::GetCapturedStdout(),
                   ::testing::internal::GetCapturedStderr()};
  return result;
}

TEST(CollectorCliTest, CheckAcceptsAValidFile) {
  CliResult r = RunCollector({"check", "-c", kDir + "valid.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "config OK: " + kDir + "valid.yaml\n");
}

TEST(CollectorCliTest, CheckPrintsEveryErrorAndExits2) {
  const std::string path = kDir + "port_out_of_range.yaml";
  CliResult r = RunCollector({"check", "--config", path});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, path + ":2: listen.port: must be between 0 and 65535, got 70000\n");
}

TEST(CollectorCliTest, CheckOfAMissingFileExits2) {
  CliResult r = RunCollector({"check", "-c", kDir + "does-not-exist.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does-not-exist.yaml"), std::string::npos);
}

TEST(CollectorCliTest, MigrateCreatesTheSchemaAndPrintsItsVersion) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("collector_cli_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "admin.token") << "cli-test-admin-token-0123456789\n";
  std::ofstream(dir / "c.yaml") << "store:\n  path: db/collector.db\napi:\n"
                                   "  admin_token_file: admin.token\n";
  const std::string version = std::to_string(SqliteEventStore::Migrations().back().version);
  CliResult r = RunCollector({"migrate", "-c", (dir / "c.yaml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "schema version " + version + ": " + (dir / "db/collector.db").string() + "\n");
  EXPECT_TRUE(std::filesystem::exists(dir / "db/collector.db"));
  // The backup catalog and the alert store beside it are migrated too.
  EXPECT_TRUE(std::filesystem::exists(dir / "db/catalog.db"));
  EXPECT_TRUE(std::filesystem::exists(dir / "db/alerts.db"));
  // Running it again is a no-op with the same answer.
  CliResult again = RunCollector({"migrate", "-c", (dir / "c.yaml").string()});
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_EQ(again.out, r.out);
  std::filesystem::remove_all(dir);
}

TEST(CollectorCliTest, VersionHelpAndUsageErrors) {
  CliResult version = RunCollector({"version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, std::string("beacon-collector ") + BEACON_VERSION + "\n");
  CliResult help = RunCollector({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("run -c FILE"), std::string::npos);
  EXPECT_NE(help.out.find("migrate -c FILE"), std::string::npos);
  EXPECT_EQ(RunCollector({}).exit_code, 2);
  CliResult unknown = RunCollector({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_EQ(RunCollector({"check", "-c"}).exit_code, 2);
  EXPECT_EQ(RunCollector({"check", "--bogus"}).exit_code, 2);
}

}  // namespace
}  // namespace beacon::collector
