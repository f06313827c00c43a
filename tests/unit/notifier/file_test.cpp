// The file receiver: the exact JSON line it appends, relative paths resolved against the config
// file's directory, write errors retried with the errno text, and config errors by key.
#include "notifier/file/file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace beacon::notifier {
namespace {

constexpr int64_t kStart = 1795658400000;  // 2026-11-26 02:00:00 UTC

Notification TwoAlerts() {
  AlertView a;
  a.id = 42;
  a.severity = Severity::kDisaster;
  a.host = "db1";
  a.title = "Disk full";
  a.starts_ms = kStart;
  AlertView b = a;
  b.id = 43;
  b.status = AlertStatus::kResolved;
  b.severity = Severity::kWarning;
  b.title = "Load \"high\"";
  b.ends_ms = kStart + 60 * 1000;
  Notification n;
  n.id = 11;
  n.receiver = "audit";
  n.created_ms = kStart + 5 * 60 * 1000;
  n.alerts = {a, b};
  n.total_alerts = 2;
  return n;
}

class FileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("beacon_file_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes collector.yaml with `section` as alerts.receivers.audit and parses it.
  NotifierFactory Parse(const std::string& section, std::string* errors) {
    const std::string path = (dir_ / "collector.yaml").string();
    std::ofstream(path) << "alerts:\n  receivers:\n    audit:\n" << section;
    auto doc = config::Document::LoadFile(path);
    EXPECT_TRUE(doc.ok());
    NotifierFactory factory = ParseFileReceiver(
        "audit", (*doc)->root().Child("alerts").Child("receivers").Child("audit"));
    const Status status = (*doc)->Finish();
    *errors = status.ok() ? "" : status.message();
    return factory;
  }

  std::vector<std::string> Lines(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  std::filesystem::path dir_;
};

TEST_F(FileTest, AppendsOneExactJsonLinePerNotification) {
  std::string errors;
  NotifierFactory factory = Parse(
      "      type: file\n      path: out/alerts.jsonl\n      language: en\n"
      "      timezone: UTC\n",
      &errors);
  ASSERT_EQ(errors, "");
  ASSERT_TRUE(factory);
  std::filesystem::create_directories(dir_ / "out");
  NotifierDeps deps;
  std::unique_ptr<Notifier> notifier = factory(deps);
  EXPECT_EQ(notifier->type(), "file");
  const DeliveryResult first = notifier->Deliver(TwoAlerts());
  ASSERT_EQ(first.outcome, DeliveryOutcome::kDelivered) << first.error;
  EXPECT_EQ(first.parts_done, 1);
  Notification repeat = TwoAlerts();
  repeat.id = 12;
  repeat.kind = NotificationKind::kRepeat;
  repeat.alerts.resize(1);
  repeat.total_alerts = 1;
  ASSERT_EQ(notifier->Deliver(repeat).outcome, DeliveryOutcome::kDelivered);

  // Relative to the config file's directory, not the working directory.
  const std::vector<std::string> lines = Lines(dir_ / "out" / "alerts.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "{\"delivery_id\":11,\"receiver\":\"audit\",\"kind\":\"group\",\"total_alerts\":2,"
            "\"alerts\":[42,43],\"text\":\"🔴 2 alerts (1 firing, 1 resolved)\\n\\n"
            "🔴 [Disaster] FIRING #42 Disk full\\n"
            "  Host: db1 | Started: 2026-11-26 02:00:00 UTC | Duration: 5m\\n\\n"
            "✅ [Warning] RESOLVED #43 Load \\\"high\\\"\\n"
            "  Host: db1 | Started: 2026-11-26 02:00:00 UTC | Duration: 1m\"}");
  const nlohmann::json second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["delivery_id"], 12);
  EXPECT_EQ(second["kind"], "repeat");
  EXPECT_EQ(second["alerts"], nlohmann::json::array({42}));
  EXPECT_EQ(second["text"].get<std::string>().rfind("🔁 Reminder: still firing\n", 0), 0u);
}

TEST_F(FileTest, CollectorDefaultsApplyWithoutReceiverKeys) {
  FileConfig config;
  config.name = "audit";
  config.path = (dir_ / "a.jsonl").string();
  NotifierDeps deps;
  deps.language = "zh";
  deps.timezone = "Asia/Shanghai";
  FileNotifier notifier(config, deps);
  ASSERT_EQ(notifier.Deliver(TwoAlerts()).outcome, DeliveryOutcome::kDelivered);
  const nlohmann::json line = nlohmann::json::parse(Lines(dir_ / "a.jsonl").at(0));
  EXPECT_NE(line["text"].get<std::string>().find("开始：2026-11-26 10:00:00 CST"),
            std::string::npos);
}

TEST_F(FileTest, WriteErrorsAreRetriedWithTheErrnoText) {
  FileConfig config;
  config.name = "audit";
  config.path = (dir_ / "missing" / "a.jsonl").string();
  FileNotifier missing(config, NotifierDeps{});
  DeliveryResult result = missing.Deliver(TwoAlerts());
  EXPECT_EQ(result.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(result.error, "open " + config.path + ": No such file or directory");

  config.path = "/dev/full";  // accepts the open, fails every write with ENOSPC
  FileNotifier full(config, NotifierDeps{});
  result = full.Deliver(TwoAlerts());
  EXPECT_EQ(result.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(result.error, "write /dev/full: No space left on device");
  EXPECT_EQ(result.parts_done, 0);
}

TEST_F(FileTest, ConfigErrorsNameTheKey) {
  std::string errors;
  EXPECT_FALSE(Parse("      type: file\n      language: en\n", &errors));
  EXPECT_NE(errors.find("collector.yaml:3: alerts.receivers.audit.path: required key is missing"),
            std::string::npos)
      << errors;
  EXPECT_FALSE(Parse("      type: file\n      path: a.jsonl\n      format: xml\n", &errors));
  EXPECT_NE(errors.find("collector.yaml:6: alerts.receivers.audit.format: expected one of: text, "
                        "markdown"),
            std::string::npos)
      << errors;
  EXPECT_FALSE(Parse("      type: file\n      path: [a, b]\n", &errors));
  EXPECT_NE(errors.find("alerts.receivers.audit.path:"), std::string::npos) << errors;
  EXPECT_FALSE(
      Parse("      type: file\n      path: a.jsonl\n      timezone: Mars/Olympus\n", &errors));
  EXPECT_NE(errors.find("collector.yaml:6: alerts.receivers.audit.timezone: unknown time zone "
                        "'Mars/Olympus'"),
            std::string::npos)
      << errors;
}

}  // namespace
}  // namespace beacon::notifier
