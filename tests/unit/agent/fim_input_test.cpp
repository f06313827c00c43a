// The `fim` input: config keys and their errors, the first gather building the baseline,
// events per change with severities, each change reported once, unreadable files reported once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/config.h"
#include "agent/inputs/fim/fim.h"
#include "common/clock.h"

namespace beacon::agent::inputs {
namespace {

namespace fs = std::filesystem;

class FimInputTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() / ("beacon-fim-input-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "tree" / "conf");
    fs::create_directories(root_ / "state");
    std::ofstream(P("conf/a.conf")) << "a\n";
    std::ofstream(P("conf/b.conf")) << "b\n";
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string P(const std::string& rel) const { return (root_ / "tree" / rel).string(); }

  // Inits `input` from the YAML body of inputs.fim.
  Status InitFrom(FimInput& input, const std::string& yaml) {
    auto doc = config::Document::LoadString("inputs:\n  fim:\n" + yaml, "test.yaml");
    if (!doc.ok()) return doc.status();
    config::Node node = (*doc)->root().Child("inputs").Child("fim");
    Status init = input.Init(node);
    if (!init.ok()) return init;
    return (*doc)->Finish();
  }
  std::string Yaml() const {
    return "    enabled: true\n    paths: [" + (root_ / "tree").string() + "]\n    workers: 2\n";
  }
  std::vector<wire::Record> Gather(FimInput& input, Status* status) {
    Emitter emitter(clock_);
    *status = input.Gather(emitter);
    EXPECT_TRUE(emitter.rejected().empty());
    return emitter.records();
  }
  static std::vector<wire::Event> Events(const std::vector<wire::Record>& records) {
    std::vector<wire::Event> out;
    for (const auto& r : records) {
      if (r.type == wire::RecordType::kEvent) out.push_back(r.event);
    }
    return out;
  }
  static double Sample(const std::vector<wire::Record>& records, const std::string& metric) {
    for (const auto& r : records) {
      if (r.type == wire::RecordType::kSample && r.sample.metric == metric) return r.sample.value;
    }
    ADD_FAILURE() << "no sample " << metric;
    return -1;
  }

  fs::path root_;
  FakeClock clock_;
};

TEST_F(FimInputTest, FirstGatherBuildsBaselineThenChangesAreReportedOnce) {
  FimInput input;
  ASSERT_TRUE(InitFrom(input, Yaml()).ok());
  InputContext context{(root_ / "state").string(), &clock_};
  ASSERT_TRUE(input.Start(context, nullptr).ok());
  EXPECT_TRUE(fs::exists(root_ / "state" / "baseline.db"));

  Status status;
  auto first = Gather(input, &status);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(Events(first).empty());
  EXPECT_EQ(Sample(first, "fim.files"), 4);  // tree, conf, a.conf, b.conf
  EXPECT_EQ(Sample(first, "fim.changes"), 0);
  EXPECT_GE(Sample(first, "fim.check.duration"), 0);

  fs::permissions(P("conf/a.conf"), fs::perms(0600));
  fs::remove(P("conf/b.conf"));
  std::ofstream(P("conf/c.conf")) << "c\n";
  auto second = Gather(input, &status);
  ASSERT_TRUE(status.ok()) << status.ToString();
  std::map<std::string, wire::Event> by_subject;
  for (const auto& e : Events(second)) by_subject[e.subject] = e;
  ASSERT_EQ(by_subject.size(), 4u);  // a, b, c and the conf directory
  EXPECT_EQ(by_subject[P("conf/a.conf")].kind, "fim.changed");
  EXPECT_EQ(by_subject[P("conf/a.conf")].severity, "high");
  EXPECT_EQ(by_subject[P("conf/a.conf")].data["changes"]["mode"],
            nlohmann::json::array({"0644", "0600"}));
  EXPECT_EQ(by_subject[P("conf/b.conf")].kind, "fim.removed");
  EXPECT_EQ(by_subject[P("conf/b.conf")].severity, "high");
  EXPECT_EQ(by_subject[P("conf/c.conf")].kind, "fim.added");
  EXPECT_EQ(by_subject[P("conf/c.conf")].severity, "warning");
  EXPECT_EQ(by_subject[P("conf/c.conf")].data["attributes"]["size"], "2");
  EXPECT_EQ(by_subject[P("conf")].kind, "fim.changed");
  EXPECT_EQ(Sample(second, "fim.changes"), 4);

  auto third = Gather(input, &status);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(Events(third).empty());
  EXPECT_EQ(Sample(third, "fim.changes"), 0);
  input.Stop();

  // A restarted input keeps its baseline: no event storm, no silent re-init.
  FimInput again;
  ASSERT_TRUE(InitFrom(again, Yaml()).ok());
  ASSERT_TRUE(again.Start(context, nullptr).ok());
  std::ofstream(P("conf/d.conf")) << "d\n";
  auto after_restart = Gather(again, &status);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(Events(after_restart).size(), 2u);  // d.conf and its directory
}

TEST_F(FimInputTest, UnreadableFileIsAnErrorOnlyWhenItStarts) {
  const std::string locked = P("conf/b.conf");
  FimInput input([&](const std::string& path) {
    return path == locked ? -EACCES : fim::DefaultOpenForHash(path);
  });
  ASSERT_TRUE(InitFrom(input, Yaml()).ok());
  ASSERT_TRUE(input.Start({(root_ / "state").string(), &clock_}, nullptr).ok());
  Status status;
  Gather(input, &status);
  EXPECT_EQ(status.code(), StatusCode::kIoError);
  EXPECT_EQ(status.message(), locked + ": cannot open: Permission denied");
  auto second = Gather(input, &status);
  EXPECT_TRUE(status.ok()) << status.ToString();
  EXPECT_TRUE(Events(second).empty());
  EXPECT_EQ(Sample(second, "fim.files"), 4);
}

TEST_F(FimInputTest, ConfigErrors) {
  {
    FimInput input;
    Status s = InitFrom(input, "    enabled: true\n");
    EXPECT_NE(s.message().find("inputs.fim.paths: at least one path is required"),
              std::string::npos)
        << s.ToString();
  }
  {
    FimInput input;
    Status s = InitFrom(input, "    paths: [etc]\n    workers: -1\n    baseline: b.db\n");
    EXPECT_NE(s.message().find("'etc' is not an absolute path"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("inputs.fim.workers"), std::string::npos) << s.ToString();
    EXPECT_NE(s.message().find("inputs.fim.baseline: must be an absolute path"), std::string::npos)
        << s.ToString();
  }
  {
    FimInput input;
    EXPECT_TRUE(InitFrom(input, "    paths: [/etc/]\n    exclude: ['**/*.swp']\n").ok());
    EXPECT_EQ(input.options().paths, std::vector<std::string>{"/etc"});
    EXPECT_FALSE(input.options().paranoid);
  }
}

TEST_F(FimInputTest, DisabledByDefaultInTheAgentConfig) {
  auto cfg = agent::LoadAgentConfigFromString("agent:\n  name: t\n", "t.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  bool found = false;
  for (const auto& in : cfg->inputs) {
    if (in.name != "fim") continue;
    found = true;
    EXPECT_FALSE(in.enabled);
    EXPECT_EQ(in.interval_ms, 3'600'000);
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace beacon::agent::inputs
