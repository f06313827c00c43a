// The console receiver: what it prints, receiver-level language/timezone over the collector's
// defaults, a failing stream, and config errors with their key path.
#include "notifier/console/console.h"

#include <gtest/gtest.h>

#include <sstream>
#include <streambuf>

namespace beacon::notifier {
namespace {

constexpr int64_t kStart = 1795658400000;  // 2026-11-26 02:00:00 UTC

Notification OneAlert() {
  AlertView alert;
  alert.id = 42;
  alert.severity = Severity::kHigh;
  alert.host = "db1";
  alert.title = "Disk full";
  alert.starts_ms = kStart;
  Notification n;
  n.id = 7;
  n.receiver = "ops";
  n.created_ms = kStart + 125 * 60 * 1000;
  n.alerts = {alert};
  n.total_alerts = 1;
  return n;
}

// Parses `yaml` (the body of alerts.receivers.ops) and returns the factory; *errors gets the
// document's error report.
NotifierFactory Parse(const std::string& yaml, std::string* errors) {
  auto doc =
      config::Document::LoadString("alerts:\n  receivers:\n    ops:\n" + yaml, "collector.yaml");
  EXPECT_TRUE(doc.ok());
  NotifierFactory factory =
      ParseConsoleReceiver("ops", (*doc)->root().Child("alerts").Child("receivers").Child("ops"));
  const Status status = (*doc)->Finish();
  *errors = status.ok() ? "" : status.message();
  return factory;
}

TEST(ConsoleTest, PrintsTheRenderedMessageUnderASeparator) {
  ConsoleConfig config;
  config.name = "ops";
  config.language = "en";
  config.timezone = "UTC";
  NotifierDeps deps;  // zh / Asia/Shanghai: overridden by the receiver
  std::ostringstream out;
  ConsoleNotifier notifier(config, deps, &out);
  const DeliveryResult result = notifier.Deliver(OneAlert());
  EXPECT_EQ(result.outcome, DeliveryOutcome::kDelivered);
  EXPECT_EQ(result.parts_done, 1);
  EXPECT_EQ(out.str(),
            "===== ops · delivery 7 =====\n"
            "🟠 [High] FIRING #42 Disk full\n"
            "Host: db1\n"
            "Started: 2026-11-26 02:00:00 UTC\n"
            "Duration: 2h5m\n");
  EXPECT_EQ(notifier.type(), "console");
  EXPECT_EQ(notifier.MessageCount(OneAlert()), 1);
}

TEST(ConsoleTest, UsesTheCollectorDefaultsWhenTheReceiverSetsNone) {
  ConsoleConfig config;
  config.name = "ops";
  config.format = render::Format::kMarkdown;
  NotifierDeps deps;
  deps.language = "zh";
  deps.timezone = "Asia/Shanghai";
  std::ostringstream out;
  ConsoleNotifier notifier(config, deps, &out);
  ASSERT_EQ(notifier.Deliver(OneAlert()).outcome, DeliveryOutcome::kDelivered);
  EXPECT_NE(
      out.str().find("🟠 <font color=\"warning\">**严重 告警**</font> #42 **Disk full**\n"
                     "> 主机：<font color=\"comment\">db1</font>\n"
                     "> 开始：<font color=\"comment\">2026-11-26 10:00:00 CST</font>\n"),
      std::string::npos)
      << out.str();
}

TEST(ConsoleTest, AFailingStreamIsRetried) {
  std::ostream broken(nullptr);  // no buffer: every write sets badbit
  ConsoleConfig config;
  config.name = "ops";
  ConsoleNotifier notifier(config, NotifierDeps{}, &broken);
  const DeliveryResult result = notifier.Deliver(OneAlert());
  EXPECT_EQ(result.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(result.error, "writing to stdout failed");
  EXPECT_EQ(result.parts_done, 0);
}

TEST(ConsoleTest, ParsesAValidSection) {
  std::string errors;
  NotifierFactory factory = Parse(
      "      type: console\n      format: markdown\n      language: en\n"
      "      timezone: UTC\n      stream: stderr\n",
      &errors);
  EXPECT_EQ(errors, "");
  ASSERT_TRUE(factory);
  NotifierDeps deps;
  std::unique_ptr<Notifier> notifier = factory(deps);
  ASSERT_NE(notifier, nullptr);
  EXPECT_EQ(notifier->type(), "console");
}

TEST(ConsoleTest, ConfigErrorsNameTheKey) {
  struct Case {
    std::string yaml;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"      type: console\n      format: html\n",
       "collector.yaml:5: alerts.receivers.ops.format: expected one of: text, markdown"},
      {"      type: console\n      stream: stdlog\n",
       "collector.yaml:5: alerts.receivers.ops.stream: expected one of: stdout, stderr"},
      {"      type: console\n      language: fr\n",
       "collector.yaml:5: alerts.receivers.ops.language: expected one of: zh, en"},
      {"      type: console\n      timezone: Mars/Olympus\n",
       "collector.yaml:5: alerts.receivers.ops.timezone: unknown time zone 'Mars/Olympus'"},
      {"      type: console\n      colour: red\n",
       "collector.yaml:5: alerts.receivers.ops.colour: unknown key"},
  };
  for (const Case& c : cases) {
    std::string errors;
    EXPECT_FALSE(Parse(c.yaml, &errors)) << c.yaml;
    EXPECT_NE(errors.find(c.error), std::string::npos) << errors;
  }
}

}  // namespace
}  // namespace beacon::notifier
