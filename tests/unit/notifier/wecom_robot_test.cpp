// Tests for the wecom_robot notifier over real libcurl against the strict fake WeCom server
// (tests/fakes/wecom_server.py): exact webhook JSON for markdown and text, the 20-a-minute limit,
// errors that need the operator, split parts with resume, the key kept out of every error, and
// config validation.
#include "notifier/wecom_robot/wecom_robot.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config/config.h"
#include "common/http/client.h"
#include "notifier/render/render.h"
#include "tests/unit/notifier/wecom_fake.h"

namespace beacon::notifier {
namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr char kKey[] = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";

AlertView Alert(int64_t id, std::string title, std::string message = "disk usage 93%") {
  AlertView alert;
  alert.id = id;
  alert.source = "agent";
  alert.status = AlertStatus::kFiring;
  alert.severity = Severity::kAverage;
  alert.host = "web-01";
  alert.title = std::move(title);
  alert.message = std::move(message);
  alert.starts_ms = 1'700'000'000'000;
  return alert;
}

Notification Group(int64_t id, std::vector<AlertView> alerts) {
  Notification notification;
  notification.id = id;
  notification.receiver = "oncall";
  notification.created_ms = 1'700'000'060'000;
  notification.total_alerts = static_cast<int64_t>(alerts.size());
  notification.alerts = std::move(alerts);
  return notification;
}

class WecomRobotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("beacon_wecom_robot_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "key") << kKey << "\n";
    std::ofstream(dir_ / "unknown_key") << "0000aaaa-dead-beef-0000-removedrobot\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Notifier> Build(const std::string& yaml) {
    auto doc = config::Document::LoadString(yaml, "collector.yaml");
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    if (!doc.ok()) return nullptr;
    NotifierFactory factory = ParseWecomRobotReceiver("oncall", (*doc)->root());
    Status finished = (*doc)->Finish();
    EXPECT_TRUE(finished.ok()) << finished.ToString();
    if (!factory) return nullptr;
    NotifierDeps deps;
    deps.http = http_.get();
    deps.clock = &clock_;
    deps.language = "zh";
    return factory(deps);
  }
  std::string ConfigErrors(const std::string& yaml) {
    auto doc = config::Document::LoadString(yaml, "collector.yaml");
    EXPECT_TRUE(doc.ok());
    NotifierFactory factory = ParseWecomRobotReceiver("oncall", (*doc)->root());
    Status finished = (*doc)->Finish();
    if (finished.ok()) return "";
    EXPECT_FALSE(static_cast<bool>(factory)) << finished.ToString();
    return finished.message();
  }
  std::string Yaml(const testing::FakeWecom& fake, const std::string& extra,
                   const std::string& key_file = "key") {
    return "type: wecom_robot\nkey_file: " + (dir_ / key_file).string() +
           "\napi_url: " + fake.api_url() + "\n" + extra;
  }
  render::RenderOptions Options(render::Format format, size_t max_bytes) {
    render::RenderOptions options;
    options.language = "zh";
    options.format = format;
    options.max_bytes = max_bytes;
    return options;
  }

  fs::path dir_;
  std::unique_ptr<http::HttpClient> http_ = http::NewCurlHttpClient();
  SystemClock clock_;
};

using testing::FakeWecom;

TEST_F(WecomRobotTest, MarkdownRequestMentionsUsersInline) {
  FakeWecom fake({"--robot-key", kKey});
  ASSERT_GT(fake.port(), 0) << "tests/fakes/wecom_server.py did not start";
  auto notifier = Build(Yaml(fake, "mentioned_list: [zhangsan, lisi]\n"));
  ASSERT_NE(notifier, nullptr);
  EXPECT_EQ(notifier->type(), "wecom_robot");
  Notification notification = Group(1, {Alert(3, "Port 8080 unexpected")});
  DeliveryResult result = notifier->Deliver(notification);
  ASSERT_EQ(result.outcome, DeliveryOutcome::kDelivered) << result.error;

  const std::string mentions = "<@zhangsan> <@lisi>\n";
  ordered_json expected = {
      {"msgtype", "markdown"},
      {"markdown",
       {{"content",
         mentions + render::RenderMessage(notification, Options(render::Format::kMarkdown,
                                                                4096 - mentions.size()))[0]}}}};
  ordered_json stats = fake.Stats();
  ASSERT_EQ(stats["messages"].size(), 1u);
  EXPECT_EQ(stats["messages"][0]["path"], "/cgi-bin/webhook/send");
  EXPECT_EQ(stats["messages"][0]["body"].dump(), expected.dump());
  EXPECT_EQ(stats["robot"][kKey], 1);
}

TEST_F(WecomRobotTest, TextRequestCarriesMentionLists) {
  FakeWecom fake({"--robot-key", kKey});
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake,
                             "message_type: text\nmentioned_list: \"zhangsan|@all\"\n"
                             "mentioned_mobile_list: [\"13800001111\"]\n"));
  ASSERT_NE(notifier, nullptr);
  Notification notification = Group(1, {Alert(4, "Backup failed")});
  ASSERT_EQ(notifier->Deliver(notification).outcome, DeliveryOutcome::kDelivered);
  ordered_json expected = {
      {"msgtype", "text"},
      {"text",
       {{"content", render::RenderMessage(notification, Options(render::Format::kText, 2048))[0]},
        {"mentioned_list", ordered_json::array({"zhangsan", "@all"})},
        {"mentioned_mobile_list", ordered_json::array({"13800001111"})}}}};
  EXPECT_EQ(fake.Stats()["messages"][0]["body"].dump(), expected.dump());
}

TEST_F(WecomRobotTest, BeyondTwentyAMinuteTheRobotSays45009AndWeRetryAfterAMinute) {
  FakeWecom fake({"--robot-key", kKey});
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, ""));
  ASSERT_NE(notifier, nullptr);
  EXPECT_EQ(notifier->rate_limit().max_messages, 20);
  EXPECT_EQ(notifier->rate_limit().window_ms, 60000);
  for (int i = 0; i < 20; ++i) {
    DeliveryResult result = notifier->Deliver(Group(i, {Alert(i, "storm " + std::to_string(i))}));
    ASSERT_EQ(result.outcome, DeliveryOutcome::kDelivered) << i << ": " << result.error;
  }
  DeliveryResult throttled = notifier->Deliver(Group(20, {Alert(20, "storm 20")}));
  EXPECT_EQ(throttled.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(throttled.retry_after_ms, 60000);
  EXPECT_NE(throttled.error.find("45009"), std::string::npos) << throttled.error;
  EXPECT_EQ(throttled.error.find(kKey), std::string::npos);
  ordered_json stats = fake.Stats();
  EXPECT_EQ(stats["robot"][kKey], 20);
  EXPECT_EQ(stats["rejected"]["45009"], 1);
}

TEST_F(WecomRobotTest, RateLimitIsConfigurableBelowTwenty) {
  FakeWecom fake({"--robot-key", kKey});
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, "rate_per_minute: 12\n"));
  ASSERT_NE(notifier, nullptr);
  EXPECT_EQ(notifier->rate_limit().max_messages, 12);
}

TEST_F(WecomRobotTest, RemovedRobotIsPermanentAndTheKeyNeverShows) {
  FakeWecom fake({"--robot-key", kKey});
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, "", "unknown_key"));
  ASSERT_NE(notifier, nullptr);
  DeliveryResult result = notifier->Deliver(Group(1, {Alert(1, "x")}));
  EXPECT_EQ(result.outcome, DeliveryOutcome::kPermanent);
  EXPECT_NE(result.error.find("93000"), std::string::npos) << result.error;
  EXPECT_EQ(result.error.find("0000aaaa-dead-beef-0000-removedrobot"), std::string::npos);

  auto good = Build(Yaml(fake, ""));
  ASSERT_NE(good, nullptr);
  for (int errcode : {93004, 93008}) {
    fake.Control({{"fail_next", 1}, {"errcode", errcode}});
    DeliveryResult disabled = good->Deliver(Group(2, {Alert(2, "y")}));
    EXPECT_EQ(disabled.outcome, DeliveryOutcome::kPermanent);
    EXPECT_NE(disabled.error.find(std::to_string(errcode)), std::string::npos);
    EXPECT_EQ(disabled.error.find(kKey), std::string::npos);
  }
}

TEST_F(WecomRobotTest, BadGatewayAndTransportFailuresAreRetried) {
  FakeWecom fake({"--robot-key", kKey});
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, ""));
  ASSERT_NE(notifier, nullptr);
  fake.Control({{"fail_next", 1}, {"http_status", 502}});
  DeliveryResult bad_gateway = notifier->Deliver(Group(1, {Alert(1, "x")}));
  EXPECT_EQ(bad_gateway.outcome, DeliveryOutcome::kRetry);
  EXPECT_NE(bad_gateway.error.find("HTTP 502"), std::string::npos);

  // Nothing listens on this port any more: a transport error, retried, key not shown.
  int dead_port = 0;
  {
    FakeWecom gone({"--robot-key", kKey});
    dead_port = gone.port();
  }
  auto unreachable = Build("type: wecom_robot\nkey_file: " + (dir_ / "key").string() +
                           "\napi_url: http://127.0.0.1:" + std::to_string(dead_port) +
                           "/cgi-bin/\ntimeout: 2s\n");
  ASSERT_NE(unreachable, nullptr);
  DeliveryResult down = unreachable->Deliver(Group(1, {Alert(1, "x")}));
  EXPECT_EQ(down.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(down.error.find(kKey), std::string::npos) << down.error;
}

TEST_F(WecomRobotTest, FullWebhookUrlFromAFile) {
  FakeWecom fake({"--robot-key", kKey});
  ASSERT_GT(fake.port(), 0);
  std::ofstream(dir_ / "url") << fake.api_url() << "webhook/send?key=" << kKey << "\n";
  auto notifier = Build("type: wecom_robot\nurl_file: " + (dir_ / "url").string() + "\n");
  ASSERT_NE(notifier, nullptr);
  ASSERT_EQ(notifier->Deliver(Group(1, {Alert(1, "via url")})).outcome,
            DeliveryOutcome::kDelivered);
  EXPECT_EQ(fake.Stats()["robot"][kKey], 1);
}

TEST_F(WecomRobotTest, LongMarkdownIsSplitAndResumed) {
  FakeWecom fake({"--robot-key", kKey});
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, ""));
  ASSERT_NE(notifier, nullptr);
  std::vector<AlertView> alerts;
  for (int i = 0; i < 20; ++i) {
    alerts.push_back(Alert(200 + i, "端口 " + std::to_string(8000 + i) + " 未登记的监听",
                           std::string(400, 'y') + " 进程 java"));
  }
  Notification notification = Group(9, std::move(alerts));
  std::vector<std::string> parts =
      render::RenderMessage(notification, Options(render::Format::kMarkdown, 4096));
  ASSERT_GE(parts.size(), 2u);
  EXPECT_EQ(notifier->MessageCount(notification), static_cast<int>(parts.size()));

  fake.Control({{"fail_next", 1}, {"fail_skip", 1}, {"errcode", 45009}});
  DeliveryResult first = notifier->Deliver(notification);
  EXPECT_EQ(first.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(first.parts_done, 1);
  notification.parts_done = first.parts_done;
  DeliveryResult second = notifier->Deliver(notification);
  ASSERT_EQ(second.outcome, DeliveryOutcome::kDelivered) << second.error;
  EXPECT_EQ(second.parts_done, static_cast<int>(parts.size()));
  ordered_json stats = fake.Stats();
  ASSERT_EQ(stats["messages"].size(), parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(stats["messages"][i]["body"]["markdown"]["content"], parts[i]) << i;
  }
}

TEST_F(WecomRobotTest, ConfigErrorsNameTheKey) {
  const std::string key = "key_file: " + (dir_ / "key").string() + "\n";
  std::ofstream(dir_ / "not_a_url") << "just-a-key-in-the-wrong-file\n";
  struct Case {
    std::string yaml;
    std::string error;
  };
  std::vector<Case> cases = {
      {"type: wecom_robot\n", "key_file: required"},
      {"type: wecom_robot\nkey: abcdef123\n", "secrets are not accepted inline"},
      // A zone the collector cannot load is refused, not rendered as UTC.
      {"type: wecom_robot\n" + key + "timezone: Mars/Olympus\n",
       "collector.yaml:3: timezone: unknown time zone 'Mars/Olympus'"},
      {"type: wecom_robot\n" + key + "url_file: " + (dir_ / "key").string() + "\n",
       "url_file: set either the webhook key or the webhook URL"},
      {"type: wecom_robot\nurl_file: " + (dir_ / "not_a_url").string() + "\n",
       "url_file: must hold a webhook URL"},
      {"type: wecom_robot\n" + key + "mentioned_mobile_list: [\"138\"]\n",
       "mentioned_mobile_list: only works with message_type text"},
      {"type: wecom_robot\n" + key + "mentioned_list: \"@all\"\n",
       "mentioned_list: @all only works with message_type text"},
      {"type: wecom_robot\n" + key + "rate_per_minute: 30\n", "rate_per_minute:"},
      {"type: wecom_robot\n" + key + "message_type: markdown_v2\n",
       "message_type: expected one of"},
      {"type: wecom_robot\n" + key + "webhook: x\n", "webhook: unknown key"},
  };
  for (const Case& c : cases) {
    std::string errors = ConfigErrors(c.yaml);
    EXPECT_NE(errors.find(c.error), std::string::npos) << "yaml:\n"
                                                       << c.yaml << "\nerrors: " << errors;
    EXPECT_EQ(errors.find(kKey), std::string::npos) << errors;
    EXPECT_EQ(errors.find("just-a-key-in-the-wrong-file"), std::string::npos) << errors;
  }
  EXPECT_EQ(ConfigErrors("type: wecom_robot\n" + key), "");
}

}  // namespace
}  // namespace beacon::notifier
