// `beacon-agent fim init|check|accept`: exit codes, the readable report, the --json shape, and
// accept clearing a change, on a temp tree configured through agent.yaml.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/cli.h"
#include "agent/inputs/fim/engine.h"

namespace beacon::agent {
namespace {

namespace fs = std::filesystem;

class FimCliTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("beacon-fim-cli-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "tree" / "etc");
    std::ofstream(P("etc/app.conf")) << "port 8080\n";
    std::ofstream(P("etc/other.conf")) << "x\n";
    fs::permissions(P("etc/app.conf"), fs::perms(0644));
    config_ = (dir_ / "agent.yaml").string();
    std::ofstream(config_) << "agent:\n  name: fim-test\n  data_dir: data\n"
                           << "inputs:\n  fim:\n    paths: [" << (dir_ / "tree").string()
                           << "]\n    exclude: ['*.tmp']\nlog:\n  level: warn\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string P(const std::string& rel) const { return (dir_ / "tree" / rel).string(); }

  int Run(std::vector<std::string> args) {
    std::istringstream in;
    out_.str("");
    err_.str("");
    return RunCli(args, in, out_, err_);
  }

  fs::path dir_;
  std::string config_;
  std::ostringstream out_, err_;
};

TEST_F(FimCliTest, InitCheckAcceptExitCodes) {
  EXPECT_EQ(Run({"fim", "check", "-c", config_}), 2);  // no baseline yet
  EXPECT_NE(err_.str().find("run `beacon-agent fim init` first"), std::string::npos);

  ASSERT_EQ(Run({"fim", "init", "-c", config_}), 0) << err_.str();
  EXPECT_TRUE(fs::exists(dir_ / "data" / "inputs" / "fim" / "baseline.db"));
  EXPECT_NE(out_.str().find(": 4 entries, 0 errors"), std::string::npos) << out_.str();

  EXPECT_EQ(Run({"fim", "check", "-c", config_}), 0) << err_.str();
  EXPECT_NE(out_.str().find("fim check: 4 entries, 0 changes"), std::string::npos) << out_.str();

  std::ofstream(P("etc/ignored.tmp")) << "excluded\n";
  fs::permissions(P("etc/app.conf"), fs::perms(0600));
  EXPECT_EQ(Run({"fim", "check", "-c", config_}), 1);
  const std::string text = out_.str();
  EXPECT_NE(text.find("changed: " + P("etc/app.conf") + "\n  ctime: "), std::string::npos) << text;
  EXPECT_NE(text.find("  mode: 0644 -> 0600\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("ignored.tmp"), std::string::npos) << text;

  // The one-shot check leaves the baseline alone: the change is still there.
  EXPECT_EQ(Run({"fim", "check", "-c", config_, "--json"}), 1);
  nlohmann::json report = nlohmann::json::parse(out_.str());
  EXPECT_EQ(report["files"], 4);
  EXPECT_EQ(report["summary"],
            nlohmann::json::parse(R"({"added":0,"removed":0,"changed":2,"errors":0})"));
  bool saw_file = false;
  for (const auto& change : report["changes"]) {
    EXPECT_EQ(change["kind"], "fim.changed");
    if (change["path"] == P("etc/app.conf")) {
      saw_file = true;
      EXPECT_EQ(change["type"], "regular");
      EXPECT_EQ(change["changes"]["mode"], nlohmann::json::array({"0644", "0600"}));
      EXPECT_EQ(change["changes"].size(), 2u);  // mode, ctime
    }
  }
  EXPECT_TRUE(saw_file);
  EXPECT_TRUE(report["errors"].empty());

  // Relative paths are taken from the current directory.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir_ / "tree");
  const int accepted = Run({"fim", "accept", "-c", config_, "etc"});
  fs::current_path(cwd);
  EXPECT_EQ(accepted, 0) << err_.str();
  EXPECT_NE(out_.str().find("fim accept: 2 changes accepted"), std::string::npos) << out_.str();
  EXPECT_EQ(Run({"fim", "check", "-c", config_}), 0) << out_.str();

  // --full re-hashes files whose metadata matches; a normal check trusts the recorded hash.
  {
    auto baseline =
        fim::Baseline::Open((dir_ / "data" / "inputs" / "fim" / "baseline.db").string(), false);
    ASSERT_TRUE(baseline.ok()) << baseline.status().ToString();
    auto entries = (*baseline)->Load();
    ASSERT_TRUE(entries.ok());
    for (fim::Entry e : *entries) {
      if (e.path != P("etc/app.conf")) continue;
      e.sha256 = std::string(64, '0');
      ASSERT_TRUE((*baseline)->Apply({e}, {}).ok());
    }
  }
  EXPECT_EQ(Run({"fim", "check", "-c", config_}), 0) << out_.str();
  EXPECT_EQ(Run({"fim", "check", "--full", "-c", config_}), 1) << err_.str();
  EXPECT_NE(out_.str().find("changed: " + P("etc/app.conf") +
                            "\n  sha256: " + std::string(64, '0') + " -> "),
            std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("fim check: 4 entries, 1 changes"), std::string::npos) << out_.str();
}

TEST_F(FimCliTest, UsageErrorsAndHelp) {
  EXPECT_EQ(Run({"fim", "accept", "-c", config_}), 2);
  EXPECT_NE(err_.str().find("at least one PATH is required"), std::string::npos);
  EXPECT_EQ(Run({"fim", "frobnicate"}), 2);
  EXPECT_NE(err_.str().find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_EQ(Run({"fim", "check", "--bogus"}), 2);
  EXPECT_EQ(Run({"fim", "init", "--full"}), 2);  // only check re-hashes on demand
  EXPECT_EQ(Run({"fim", "check", "--help"}), 0);
  EXPECT_NE(out_.str().find("--full              re-read and re-hash every regular file"),
            std::string::npos)
      << out_.str();
  for (const char* cmd : {"init", "check", "accept"}) {
    EXPECT_EQ(Run({"fim", cmd, "--help"}), 0);
    EXPECT_NE(out_.str().find(std::string("usage: beacon-agent fim ") + cmd), std::string::npos);
  }
  EXPECT_EQ(Run({"--help"}), 0);
  EXPECT_NE(out_.str().find("fim init|check|accept"), std::string::npos);

  ASSERT_EQ(Run({"fim", "init", "-c", config_}), 0);
  EXPECT_EQ(Run({"fim", "accept", "-c", config_, "/usr/bin"}), 2);
  EXPECT_NE(err_.str().find("not under any configured fim path"), std::string::npos);

  const std::string no_paths = (dir_ / "empty.yaml").string();
  std::ofstream(no_paths) << "agent:\n  name: t\n  data_dir: data\n";
  EXPECT_EQ(Run({"fim", "init", "-c", no_paths}), 2);
  EXPECT_NE(err_.str().find("inputs.fim.paths is empty"), std::string::npos);
}

}  // namespace
}  // namespace beacon::agent
