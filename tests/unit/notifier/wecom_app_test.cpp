// Tests for the wecom_app notifier over real libcurl against the strict fake WeCom server
// (tests/fakes/wecom_server.py): the exact message/send JSON per message type, one gettoken for
// many messages from many threads, token refetch, error mapping, split parts with resume, the
// text fallback for WeChat-plugin users, and config validation.
#include "notifier/wecom_app/wecom_app.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
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

using testing::FakeWecom;

constexpr char kSecret[] = "AppSecret-9f3c1e77d2b4";
constexpr char kCorp[] = "ww1436e0e65a779aee";

std::vector<std::string> FakeArgs() {
  return {"--corp-id", kCorp, "--secret", kSecret, "--agent-id", "1000002"};
}

AlertView Alert(int64_t id, std::string title, std::string message = "disk usage 93%") {
  AlertView alert;
  alert.id = id;
  alert.source = "zabbix";
  alert.status = AlertStatus::kFiring;
  alert.severity = Severity::kHigh;
  alert.host = "db-01";
  alert.title = std::move(title);
  alert.message = std::move(message);
  alert.starts_ms = 1'700'000'000'000;
  return alert;
}

Notification Group(int64_t id, std::vector<AlertView> alerts) {
  Notification notification;
  notification.id = id;
  notification.receiver = "ops";
  notification.kind = NotificationKind::kGroup;
  notification.created_ms = 1'700'000'060'000;
  notification.total_alerts = static_cast<int64_t>(alerts.size());
  notification.alerts = std::move(alerts);
  return notification;
}

// A notification long enough to be split into several 2048-byte parts.
Notification LongGroup(int64_t id) {
  std::vector<AlertView> alerts;
  for (int i = 0; i < 40; ++i) {
    alerts.push_back(Alert(100 + i, "Filesystem /data" + std::to_string(i) + " is almost full",
                           std::string(300, 'x') + " 数据盘空间不足 " + std::to_string(i)));
  }
  return Group(id, std::move(alerts));
}

class WecomAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("beacon_wecom_app_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "secret") << kSecret << "\n";
    std::ofstream(dir_ / "wrong") << "WrongSecret-0000\n";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Parses `yaml` (one receiver section) and builds the notifier; fails the test on errors.
  std::unique_ptr<Notifier> Build(const std::string& yaml) {
    auto doc = config::Document::LoadString(yaml, "collector.yaml");
    EXPECT_TRUE(doc.ok()) << doc.status().ToString();
    if (!doc.ok()) return nullptr;
    NotifierFactory factory = ParseWecomAppReceiver("ops", (*doc)->root());
    Status finished = (*doc)->Finish();
    EXPECT_TRUE(finished.ok()) << finished.ToString();
    EXPECT_TRUE(static_cast<bool>(factory));
    if (!factory) return nullptr;
    NotifierDeps deps;
    deps.http = http_.get();
    deps.clock = &clock_;
    deps.language = "en";
    deps.timezone = "Asia/Shanghai";
    return factory(deps);
  }
  // The errors a bad section produces ("" when it parsed; also checks no factory came back).
  std::string ConfigErrors(const std::string& yaml) {
    auto doc = config::Document::LoadString(yaml, "collector.yaml");
    EXPECT_TRUE(doc.ok());
    NotifierFactory factory = ParseWecomAppReceiver("ops", (*doc)->root());
    Status finished = (*doc)->Finish();
    if (finished.ok()) return "";
    EXPECT_FALSE(static_cast<bool>(factory)) << finished.ToString();
    return finished.message();
  }
  std::string Yaml(const FakeWecom& fake, const std::string& extra,
                   const std::string& secret_file = "secret") {
    return "type: wecom_app\ncorp_id: " + std::string(kCorp) +
           "\nagent_id: 1000002\nsecret_file: " + (dir_ / secret_file).string() +
           "\napi_url: " + fake.api_url() + "\n" + extra;
  }
  render::RenderOptions Options(render::Format format) {
    render::RenderOptions options;
    options.language = "en";
    options.timezone = "Asia/Shanghai";
    options.format = format;
    options.max_bytes = 2048;
    return options;
  }

  fs::path dir_;
  std::unique_ptr<http::HttpClient> http_ = http::NewCurlHttpClient();
  SystemClock clock_;
};

TEST_F(WecomAppTest, TextRequestIsExactlyTheDocumentedJson) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0) << "tests/fakes/wecom_server.py did not start";
  auto notifier = Build(Yaml(fake, "to_user: zhangsan|lisi\nto_party: [\"1\"]\nto_tag: \"2\"\n"));
  ASSERT_NE(notifier, nullptr);
  Notification notification = Group(1, {Alert(7, "Disk almost full")});
  DeliveryResult result = notifier->Deliver(notification);
  ASSERT_EQ(result.outcome, DeliveryOutcome::kDelivered) << result.error;
  EXPECT_EQ(result.parts_done, 1);

  ordered_json stats = fake.Stats();
  ASSERT_EQ(stats["messages"].size(), 1u);
  EXPECT_EQ(stats["messages"][0]["path"], "/cgi-bin/message/send");
  ordered_json expected = {
      {"touser", "zhangsan|lisi"},
      {"toparty", "1"},
      {"totag", "2"},
      {"msgtype", "text"},
      {"agentid", 1000002},
      {"text",
       {{"content", render::RenderMessage(notification, Options(render::Format::kText))[0]}}},
      {"safe", 0},
      {"enable_duplicate_check", 1},
      {"duplicate_check_interval", 1800}};
  EXPECT_EQ(stats["messages"][0]["body"], expected);
  EXPECT_EQ(stats["messages"][0]["body"].dump(), expected.dump());  // key order too
  EXPECT_TRUE(stats["messages"][0]["body"]["agentid"].is_number_integer());
  EXPECT_NE(
      stats["messages"][0]["body"]["text"]["content"].get<std::string>().find("Disk almost full"),
      std::string::npos);
  EXPECT_EQ(stats["gettoken"], 1);
}

TEST_F(WecomAppTest, MarkdownGoesToMostUsersAndTextToPluginUsers) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake,
                             "to_user: [zhangsan, lisi, wangwu]\nto_party: \"1\"\n"
                             "message_type: markdown\ntext_fallback_users: wangwu\n"
                             "duplicate_check: false\nsafe: 1\n"));
  ASSERT_NE(notifier, nullptr);
  Notification notification = Group(2, {Alert(8, "CPU load high")});
  EXPECT_EQ(notifier->MessageCount(notification), 2);
  DeliveryResult result = notifier->Deliver(notification);
  ASSERT_EQ(result.outcome, DeliveryOutcome::kDelivered) << result.error;
  EXPECT_EQ(result.parts_done, 2);

  ordered_json stats = fake.Stats();
  ASSERT_EQ(stats["messages"].size(), 2u);
  ordered_json markdown = {
      {"touser", "zhangsan|lisi"},
      {"toparty", "1"},
      {"msgtype", "markdown"},
      {"agentid", 1000002},
      {"markdown",
       {{"content", render::RenderMessage(notification, Options(render::Format::kMarkdown))[0]}}},
      {"safe", 1},
      {"enable_duplicate_check", 0}};
  ordered_json text = {
      {"touser", "wangwu"},
      {"msgtype", "text"},
      {"agentid", 1000002},
      {"text",
       {{"content", render::RenderMessage(notification, Options(render::Format::kText))[0]}}},
      {"safe", 1},
      {"enable_duplicate_check", 0}};
  EXPECT_EQ(stats["messages"][0]["body"].dump(), markdown.dump());
  EXPECT_EQ(stats["messages"][1]["body"].dump(), text.dump());
}

TEST_F(WecomAppTest, TextcardHasTitleDescriptionAndLink) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake,
                             "to_user: zhangsan\nmessage_type: textcard\n"
                             "alert_url: https://beacon.example/alerts/{id}\n"));
  ASSERT_NE(notifier, nullptr);
  // Long text with markup characters: escaped and kept within 512 bytes.
  Notification with_link = Group(3, {Alert(9, "Login <script> & errors", std::string(900, '<'))});
  with_link.alerts[0].url = "https://splunk.example/app/search?sid=abc";
  Notification without_link = Group(4, {Alert(10, "Ping loss on web-02")});
  ASSERT_EQ(notifier->Deliver(with_link).outcome, DeliveryOutcome::kDelivered);
  DeliveryResult second = notifier->Deliver(without_link);
  ASSERT_EQ(second.outcome, DeliveryOutcome::kDelivered) << second.error;

  ordered_json stats = fake.Stats();
  ASSERT_EQ(stats["messages"].size(), 2u);
  ordered_json card = stats["messages"][0]["body"]["textcard"];
  EXPECT_EQ(stats["messages"][0]["body"]["msgtype"], "textcard");
  EXPECT_EQ(card["title"], render::RenderTitle(with_link, Options(render::Format::kText), 128));
  std::string description = card["description"];
  EXPECT_LE(description.size(), 512u);
  EXPECT_EQ(description.find('<'), std::string::npos);
  EXPECT_NE(description.find("&lt;"), std::string::npos);
  EXPECT_EQ(card["url"], "https://splunk.example/app/search?sid=abc");
  EXPECT_EQ(card["btntxt"], "More");
  EXPECT_EQ(stats["messages"][1]["body"]["textcard"]["url"], "https://beacon.example/alerts/10");
}

TEST_F(WecomAppTest, OneGettokenForAThousandMessagesFromEightThreads) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, "to_user: zhangsan\n"));
  ASSERT_NE(notifier, nullptr);
  std::vector<std::thread> workers;
  std::atomic<int> delivered{0};
  for (int worker = 0; worker < 8; ++worker) {
    workers.emplace_back([&, worker] {
      for (int i = 0; i < 125; ++i) {
        int64_t id = worker * 1000 + i;
        DeliveryResult result =
            notifier->Deliver(Group(id, {Alert(id, "alert " + std::to_string(id))}));
        if (result.outcome == DeliveryOutcome::kDelivered) ++delivered;
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  EXPECT_EQ(delivered.load(), 1000);
  ordered_json stats = fake.Stats();
  EXPECT_EQ(stats["gettoken"], 1);
  EXPECT_EQ(stats["sends"], 1000);
  EXPECT_EQ(stats["duplicates"], 0);
}

TEST_F(WecomAppTest, ExpiredTokenIsFetchedAgainAndTheMessageDelivered) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, "to_user: zhangsan\n"));
  ASSERT_NE(notifier, nullptr);
  ASSERT_EQ(notifier->Deliver(Group(1, {Alert(1, "first")})).outcome, DeliveryOutcome::kDelivered);
  fake.Control({{"expire_token", true}});
  DeliveryResult result = notifier->Deliver(Group(2, {Alert(2, "second")}));
  EXPECT_EQ(result.outcome, DeliveryOutcome::kDelivered) << result.error;
  ordered_json stats = fake.Stats();
  EXPECT_EQ(stats["gettoken"], 2);
  EXPECT_EQ(stats["sends"], 2);
  EXPECT_EQ(stats["rejected"]["42001"], 1);
}

TEST_F(WecomAppTest, ThrottlingBusyAndBadGatewayAreRetried) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, "to_user: zhangsan\n"));
  ASSERT_NE(notifier, nullptr);
  struct Case {
    nlohmann::json control;
    int64_t retry_after_ms;
    std::string mentions;
  };
  std::vector<Case> cases = {
      {{{"fail_next", 1}, {"errcode", 45009}}, 60000, "45009"},
      {{{"fail_next", 1}, {"errcode", 45033}}, 60000, "45033"},
      {{{"fail_next", 1}, {"errcode", -1}}, 0, "-1"},
      {{{"fail_next", 1}, {"http_status", 502}}, 0, "HTTP 502"},
  };
  for (const Case& c : cases) {
    fake.Control(c.control);
    DeliveryResult result = notifier->Deliver(Group(1, {Alert(1, "throttled")}));
    EXPECT_EQ(result.outcome, DeliveryOutcome::kRetry) << c.mentions;
    EXPECT_EQ(result.retry_after_ms, c.retry_after_ms) << c.mentions;
    EXPECT_NE(result.error.find(c.mentions), std::string::npos) << result.error;
    EXPECT_EQ(result.parts_done, 0);
    EXPECT_EQ(result.error.find(kSecret), std::string::npos);
  }
  EXPECT_EQ(fake.Stats()["sends"], 0);
  // After the faults the same notification goes through.
  EXPECT_EQ(notifier->Deliver(Group(1, {Alert(1, "throttled")})).outcome,
            DeliveryOutcome::kDelivered);
}

TEST_F(WecomAppTest, UntrustedIpIsPermanentAndTellsTheFix) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, "to_user: zhangsan\n"));
  ASSERT_NE(notifier, nullptr);
  fake.Control({{"ip_not_whitelisted", true}, {"ip", "203.0.113.7"}});
  DeliveryResult result = notifier->Deliver(Group(1, {Alert(1, "blocked")}));
  EXPECT_EQ(result.outcome, DeliveryOutcome::kPermanent);
  EXPECT_NE(result.error.find("60020"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("add 203.0.113.7 to the app's trusted IPs"), std::string::npos)
      << result.error;
  EXPECT_NE(result.error.find("企业可信IP"), std::string::npos);
  EXPECT_EQ(result.error.find(kSecret), std::string::npos);
  EXPECT_EQ(result.error.find("access_token"), std::string::npos);
}

TEST_F(WecomAppTest, NoValidRecipientIsPermanent) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, "to_user: ghost|phantom\n"));
  ASSERT_NE(notifier, nullptr);
  DeliveryResult result = notifier->Deliver(Group(1, {Alert(1, "nobody")}));
  EXPECT_EQ(result.outcome, DeliveryOutcome::kPermanent);
  EXPECT_NE(result.error.find("81013"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("no valid recipient"), std::string::npos);
  EXPECT_NE(result.error.find("ghost|phantom"), std::string::npos);
  EXPECT_EQ(fake.Stats()["sends"], 0);
}

TEST_F(WecomAppTest, UnknownUsersDoNotStopDeliveryToTheOthers) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, "to_user: zhangsan|ghost\n"));
  ASSERT_NE(notifier, nullptr);
  DeliveryResult result = notifier->Deliver(Group(1, {Alert(1, "partly")}));
  EXPECT_EQ(result.outcome, DeliveryOutcome::kDelivered) << result.error;
  EXPECT_EQ(fake.Stats()["sends"], 1);
}

TEST_F(WecomAppTest, WrongSecretIsPermanentWithoutShowingIt) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, "to_user: zhangsan\n", "wrong"));
  ASSERT_NE(notifier, nullptr);
  DeliveryResult result = notifier->Deliver(Group(1, {Alert(1, "x")}));
  EXPECT_EQ(result.outcome, DeliveryOutcome::kPermanent);
  EXPECT_NE(result.error.find("40001"), std::string::npos) << result.error;
  EXPECT_EQ(result.error.find("WrongSecret-0000"), std::string::npos) << result.error;
}

TEST_F(WecomAppTest, SplitMessageResumesAfterThePartsAlreadySent) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, "to_user: zhangsan\n"));
  ASSERT_NE(notifier, nullptr);
  Notification notification = LongGroup(5);
  std::vector<std::string> parts =
      render::RenderMessage(notification, Options(render::Format::kText));
  ASSERT_GE(parts.size(), 3u);
  EXPECT_EQ(notifier->MessageCount(notification), static_cast<int>(parts.size()));

  // Part 1 goes through, part 2 meets a 502.
  fake.Control({{"fail_next", 1}, {"fail_skip", 1}, {"http_status", 502}});
  DeliveryResult first = notifier->Deliver(notification);
  EXPECT_EQ(first.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(first.parts_done, 1);
  EXPECT_NE(first.error.find("part 2/"), std::string::npos) << first.error;

  notification.parts_done = first.parts_done;
  EXPECT_EQ(notifier->MessageCount(notification), static_cast<int>(parts.size()) - 1);
  DeliveryResult second = notifier->Deliver(notification);
  ASSERT_EQ(second.outcome, DeliveryOutcome::kDelivered) << second.error;
  EXPECT_EQ(second.parts_done, static_cast<int>(parts.size()));

  ordered_json stats = fake.Stats();
  ASSERT_EQ(stats["messages"].size(), parts.size());
  for (size_t i = 0; i < parts.size(); ++i) {
    EXPECT_EQ(stats["messages"][i]["body"]["text"]["content"], parts[i]) << i;
    EXPECT_LE(parts[i].size(), 2048u);
  }
  EXPECT_EQ(stats["duplicates"], 0);
}

TEST_F(WecomAppTest, ARetryAfterACrashIsADuplicateAtWecom) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto notifier = Build(Yaml(fake, "to_user: zhangsan\nduplicate_check_interval: 10m\n"));
  ASSERT_NE(notifier, nullptr);
  Notification notification = LongGroup(6);
  DeliveryResult first = notifier->Deliver(notification);
  ASSERT_EQ(first.outcome, DeliveryOutcome::kDelivered) << first.error;
  // The collector died before recording the delivery: the outbox sends it all again.
  DeliveryResult again = notifier->Deliver(notification);
  ASSERT_EQ(again.outcome, DeliveryOutcome::kDelivered) << again.error;
  ordered_json stats = fake.Stats();
  EXPECT_EQ(stats["sends"], first.parts_done);
  EXPECT_EQ(stats["duplicates"], first.parts_done);
  EXPECT_EQ(stats["messages"][0]["body"]["duplicate_check_interval"], 600);
}

TEST_F(WecomAppTest, ListAndPipeRecipientFormsAreTheSame) {
  FakeWecom fake(FakeArgs());
  ASSERT_GT(fake.port(), 0);
  auto piped = Build(Yaml(fake, "to_user: \"zhangsan|lisi\"\nduplicate_check: false\n"));
  auto listed = Build(Yaml(fake, "to_user:\n  - zhangsan\n  - lisi\nduplicate_check: false\n"));
  ASSERT_NE(piped, nullptr);
  ASSERT_NE(listed, nullptr);
  ASSERT_EQ(piped->Deliver(Group(1, {Alert(1, "x")})).outcome, DeliveryOutcome::kDelivered);
  ASSERT_EQ(listed->Deliver(Group(1, {Alert(1, "x")})).outcome, DeliveryOutcome::kDelivered);
  ordered_json stats = fake.Stats();
  ASSERT_EQ(stats["messages"].size(), 2u);
  EXPECT_EQ(stats["messages"][0]["body"], stats["messages"][1]["body"]);
  EXPECT_EQ(stats["gettoken"], 1);  // both notifiers share the app's token cache
}

TEST_F(WecomAppTest, ConfigErrorsNameTheKey) {
  const std::string secret = "secret_file: " + (dir_ / "secret").string() + "\n";
  const std::string base = "type: wecom_app\ncorp_id: ww1\nagent_id: 1000002\n" + secret;
  struct Case {
    std::string yaml;
    std::string error;
  };
  std::vector<Case> cases = {
      {"type: wecom_app\nagent_id: 1\n" + secret + "to_user: a\n", "corp_id: required"},
      {"type: wecom_app\ncorp_id: ww1\nagent_id: \"x1\"\n" + secret + "to_user: a\n",
       "agent_id: expected an integer"},
      {"type: wecom_app\ncorp_id: ww1\nagent_id: 1\nsecret: inline\nto_user: a\n",
       "secrets are not accepted inline"},
      {"type: wecom_app\ncorp_id: ww1\nagent_id: 1\nto_user: a\n", "secret_file: required"},
      {base, "to_user: set at least one of to_user, to_party, to_tag"},
      {base + "to_user: a\nmessage_type: news\n", "message_type: expected one of"},
      {base + "to_user: a\nmessage_type: textcard\n",
       "alert_url: required with message_type "
       "textcard"},
      {base + "to_user: a\ntext_fallback_users: b\n",
       "text_fallback_users: only applies to message_type markdown"},
      {base + "to_user: [\"a|b\"]\n", "to_user: a list element must be one name"},
      {base + "to_user: a\nsafe: 2\n", "safe:"},
      {base + "to_user: a\nduplicate_check_interval: 5h\n",
       "duplicate_check_interval: must be at most 4h"},
      {base + "to_user: a\napi_url: ftp://x/\n", "api_url: must be an http"},
      {base + "to_user: a\ntouser: b\n", "touser: unknown key"},
      // A zone the collector cannot load is refused, not rendered as UTC.
      {base + "to_user: a\ntimezone: Mars/Olympus\n",
       "collector.yaml:6: timezone: unknown time zone 'Mars/Olympus'"},
      {base + "to_user: a\nduplicate_check: yes\n", "duplicate_check"},
  };
  for (const Case& c : cases) {
    std::string errors = ConfigErrors(c.yaml);
    EXPECT_NE(errors.find(c.error), std::string::npos) << "yaml:\n"
                                                       << c.yaml << "\nerrors: " << errors;
    EXPECT_EQ(errors.find(kSecret), std::string::npos);
  }
  EXPECT_EQ(ConfigErrors(base + "to_user: a\n"), "");
}

}  // namespace
}  // namespace beacon::notifier
