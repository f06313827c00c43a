// The collector's bot host: the `bot:` section inside collector.yaml (unknown keys, the reply
// secret, listener TLS pairs, unsupported robot reports), the durable reply queue and its sender
// (split replies, retries, order per recipient, permanent failures, response_url), and the
// admin API handlers (chat as a local user, audit listing and verification) on real files.
#include "collector/bot/bot_host.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "collector/config.h"
#include "collector/store/sqlite_event_store.h"
#include "common/store/sqlite.h"
#include "notifier/wecom/limits.h"
#include "notifier/wecom/token_cache.h"
#include "notifier/wecom_robot/wecom_robot.h"
#include "tests/support/scripted_http_client.h"

namespace beacon::collector::bot_host {
namespace {

constexpr int64_t kT0 = 1'764'136'000'000;
const char kAdmin[] = "admin-token-for-bot-host-test-0123";

std::filesystem::path TempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("bot_host_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string Write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path) << text << "\n";
  return path.string();
}

// ---- configuration ----

class BotConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ::setenv("BOT_HOST_TEST_ADMIN", kAdmin, 1);
    secret_ = Write(dir_ / "secret", "app-secret");
    token_ = Write(dir_ / "token", "callbacktoken");
    key_ = Write(dir_ / "key", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Result<CollectorConfig> Load(const std::string& bot) {
    return LoadCollectorConfigFromString(
        "api:\n  admin_token_env: BOT_HOST_TEST_ADMIN\nstore:\n  path: /tmp/x/collector.db\n" + bot,
        "collector.yaml");
  }
  std::string Wecom() {
    return "  wecom:\n    corp_id: wwcorp\n    agent_id: 1000002\n    token_file: " + token_ +
           "\n    encoding_aes_key_file: " + key_ + "\n";
  }
  std::filesystem::path dir_;
  std::string secret_, token_, key_;
};

TEST_F(BotConfigTest, AbsentSectionDisablesTheBot) {
  auto cfg = Load("");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_FALSE(cfg->bot.enabled);
}

TEST_F(BotConfigTest, FullSectionIsReadWithDefaults) {
  auto cfg = Load("bot:\n  local_users: {alice: admin}\n  listen: {host: 0.0.0.0, port: 8443}\n" +
                  Wecom() + "  reply:\n    secret_file: " + secret_ + "\n    retry_initial: 1s\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  EXPECT_TRUE(cfg->bot.enabled);
  EXPECT_EQ(cfg->bot.listen.host, "0.0.0.0");
  EXPECT_EQ(cfg->bot.listen.port, 8443);
  EXPECT_EQ(cfg->bot.reply.secret.value(), "app-secret");
  EXPECT_EQ(cfg->bot.reply.retry_initial_ms, 1000);
  EXPECT_EQ(cfg->bot.reply.api_url, "https://qyapi.weixin.qq.com/cgi-bin/");
  EXPECT_EQ(BotAuditPath(*cfg), "/tmp/x/bot-audit.db");
  EXPECT_EQ(BotStatePath(*cfg), "/tmp/x/bot.db");
  EXPECT_TRUE(cfg->bot.bot.wecom.app_enabled);
}

TEST_F(BotConfigTest, EveryRuleNamesItsKey) {
  auto error = [&](const std::string& bot) {
    auto cfg = Load(bot);
    EXPECT_FALSE(cfg.ok()) << bot;
    return cfg.ok() ? std::string() : cfg.status().message();
  };
  EXPECT_NE(error("bot:\n  listen: {colour: blue}\n").find("bot.listen.colour"), std::string::npos);
  EXPECT_NE(error("bot:\n  nonsense: 1\n").find("bot.nonsense"), std::string::npos);
  EXPECT_NE(error("bot:\n" + Wecom()).find("bot.reply.secret_file: required"), std::string::npos);
  EXPECT_NE(error("bot:\n  listen: {tls_cert_file: a.pem}\n" + Wecom() +
                  "  reply: {secret_file: " + secret_ + "}\n")
                .find("bot.listen.tls_cert_file"),
            std::string::npos);
  EXPECT_NE(error("bot:\n  reports:\n    - {name: d, to_robots: [ops]}\n")
                .find("to_robots names 'ops', which is not a receiver in alerts.receivers"),
            std::string::npos);
  EXPECT_NE(error("alerts:\n  receivers:\n    ops: {type: console}\nbot:\n  reports:\n"
                  "    - {name: d, to_robots: [ops]}\n")
                .find("a console receiver, not a wecom_robot one"),
            std::string::npos);
  // A robot-only bot cannot read the departments and tags roles are granted to.
  EXPECT_NE(error("bot:\n  roles: {operator: {departments: [\"2\"]}}\n  wecom:\n    robot: "
                  "{token_file: " +
                  token_ + ", encoding_aes_key_file: " + key_ + "}\n")
                .find("bot.roles: departments and tags are read from WeCom's contact directory"),
            std::string::npos);
  // The secret never appears in an error.
  std::string text = error("bot:\n" + Wecom() + "  reply: {secret_file: " + secret_ +
                           ", retry_initial: 5s, retry_max: 1s}\n");
  EXPECT_NE(text.find("bot.reply.retry_max"), std::string::npos);
  EXPECT_EQ(text.find("app-secret"), std::string::npos);
}

TEST_F(BotConfigTest, ReportsGoToGroupRobotsOfAlertsReceivers) {
  auto cfg = Load("alerts:\n  receivers:\n    oncall: {type: wecom_robot, key_file: " + secret_ +
                  "}\nbot:\n  local_users: {alice: admin}\n  reports:\n"
                  "    - {name: d, to_robots: [oncall]}\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  ASSERT_EQ(cfg->bot.bot.reports.size(), 1u);
  EXPECT_EQ(cfg->bot.bot.reports[0].to_robots, std::vector<std::string>{"oncall"});
}

// ---- reply queue and sender ----

class ReplySenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    auto queue = ReplyQueue::Open((dir_ / "bot.db").string());
    ASSERT_TRUE(queue.ok()) << queue.status().ToString();
    queue_ = std::move(*queue);
    tokens_ = std::make_unique<notifier::wecom::TokenCache>(
        "https://wecom.test/cgi-bin/", "wwcorp", config::Secret("s3cret"), &http_, &clock_);
    ReplySenderOptions options;
    options.agent_id = 1000002;
    options.api_url = "https://wecom.test/cgi-bin/";
    options.backoff = Backoff{1000, 1000};
    options.give_up_after_ms = 3600'000;
    sender_ = std::make_unique<ReplySender>(queue_.get(), &http_, tokens_.get(), &clock_, options);
  }
  void TearDown() override {
    sender_.reset();
    queue_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Token() { http_.Reply(200, R"({"errcode":0,"access_token":"T1","expires_in":7200})"); }
  void Ok() { http_.Reply(200, R"({"errcode":0,"errmsg":"ok"})"); }
  int64_t Enqueue(const std::string& user, const std::string& body) {
    auto id =
        queue_->Enqueue(kTargetAppUser, user, {bot::Reply::Format::kText, body}, clock_.NowMs());
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : 0;
  }
  std::filesystem::path dir_;
  FakeClock clock_{kT0};
  fakes::ScriptedHttpClient http_;
  std::unique_ptr<ReplyQueue> queue_;
  std::unique_ptr<notifier::wecom::TokenCache> tokens_;
  std::unique_ptr<ReplySender> sender_;
};

TEST(AppReplyRequests, LongRepliesSplitOnLinesUnderTheLimitAndNeverInsideACharacter) {
  std::string body;
  for (int i = 0; i < 300; ++i) body += "第" + std::to_string(i) + "行 status line\n";
  auto parts = AppReplyRequests("zhangsan", 7, {bot::Reply::Format::kText, body});
  ASSERT_GT(parts.size(), 1u);
  std::string joined;
  for (const std::string& p : parts) {
    auto j = nlohmann::json::parse(p);
    EXPECT_EQ(j["touser"], "zhangsan");
    EXPECT_EQ(j["agentid"], 7);
    EXPECT_EQ(j["msgtype"], "text");
    const std::string content = j["text"]["content"];
    EXPECT_LE(content.size(), notifier::wecom::kTextMaxBytes);
    EXPECT_EQ(content.back(), '\n');  // cut at a line end
    joined += content;
  }
  EXPECT_EQ(joined, body);
  auto md =
      nlohmann::json::parse(AppReplyRequests("u", 7, {bot::Reply::Format::kMarkdown, "**x**"})[0]);
  EXPECT_EQ(md["markdown"]["content"], "**x**");
  auto robot = nlohmann::json::parse(
      ResponseUrlBody({bot::Reply::Format::kMarkdown, std::string(5000, 'x')}));
  EXPECT_EQ(robot["markdown"]["content"].get<std::string>().size(),
            notifier::wecom::kRobotMarkdownMaxBytes);
}

TEST_F(ReplySenderTest, SendsInOrderAndRetriesTransientFailuresFromTheFirstUnsentPart) {
  std::string long_body;
  for (int i = 0; i < 200; ++i) long_body += "line " + std::to_string(i) + " of a long reply\n";
  const int64_t first = Enqueue("zhangsan", long_body);  // 3 parts
  const int64_t second = Enqueue("zhangsan", "second");
  const int64_t other = Enqueue("lisi", "for lisi");
  Token();
  Ok();
  http_.Reply(200, R"({"errcode":-1,"errmsg":"system busy"})");  // part 2 of the first
  Ok();                                                          // lisi's
  // The retry is due within the jittered backoff: [500, 1000] ms.
  const int64_t wait = sender_->RunOnce();
  EXPECT_GE(wait, 500);
  EXPECT_LE(wait, 1000);
  EXPECT_EQ(queue_->Get(first)->state, "pending");
  EXPECT_EQ(queue_->Get(first)->parts_done, 1);
  EXPECT_NE(queue_->Get(first)->last_error.find("-1"), std::string::npos);
  EXPECT_EQ(queue_->Get(second)->state, "pending");  // waits behind the first: in order
  EXPECT_EQ(queue_->Get(other)->state, "sent");      // another recipient is not held up
  ASSERT_EQ(http_.requests.size(), 4u);

  clock_.AdvanceMs(1000);
  Ok();
  Ok();
  Ok();
  sender_->RunOnce();
  EXPECT_EQ(queue_->Get(first)->state, "sent");
  EXPECT_EQ(queue_->Get(second)->state, "sent");
  ASSERT_EQ(http_.requests.size(), 7u);
  // The retry resent part 2, not part 1; then part 3, then the second reply.
  EXPECT_EQ(http_.requests[4].body, http_.requests[2].body);
  EXPECT_NE(http_.requests[6].body.find("second"), std::string::npos);
  auto counts = queue_->Counts();
  EXPECT_EQ(counts->sent, 3);
  EXPECT_EQ(counts->pending, 0);
}

TEST_F(ReplySenderTest, PermanentErrorsAndOldRepliesFailWithTheReason) {
  const int64_t id = Enqueue("nobody", "hello");
  Token();
  http_.Reply(200, R"({"errcode":81013,"errmsg":"user & party & tag all invalid"})");
  sender_->RunOnce();
  EXPECT_EQ(queue_->Get(id)->state, "failed");
  EXPECT_NE(queue_->Get(id)->last_error.find("81013"), std::string::npos);

  const int64_t old = Enqueue("zhangsan", "late");
  clock_.AdvanceMs(3600'001);
  sender_->RunOnce();
  EXPECT_EQ(queue_->Get(old)->state, "failed");
  EXPECT_NE(queue_->Get(old)->last_error.find("give_up_after"), std::string::npos);
  EXPECT_EQ(http_.requests.size(), 2u);  // nothing sent for the old one
}

TEST_F(ReplySenderTest, RobotRepliesGoToTheirResponseUrlOnce) {
  auto id = queue_->Enqueue(kTargetResponseUrl, "https://wecom.test/cgi-bin/aibot/response?c=1",
                            {bot::Reply::Format::kMarkdown, "**ok**"}, clock_.NowMs());
  ASSERT_TRUE(id.ok());
  Ok();
  sender_->RunOnce();
  EXPECT_EQ(queue_->Get(*id)->state, "sent");
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].url, "https://wecom.test/cgi-bin/aibot/response?c=1");
  EXPECT_EQ(nlohmann::json::parse(http_.requests[0].body)["markdown"]["content"], "**ok**");
}

TEST_F(ReplySenderTest, GroupRobotRepliesGoThroughTheNamedReceiverAndRetryItsLimit) {
  auto doc = config::Document::LoadString(
      "oncall: {type: wecom_robot, key_file: " + Write(dir_ / "robot.key", "robot-key-1") +
          ", api_url: \"https://wecom.test/cgi-bin/\"}\n",
      "collector.yaml");
  ASSERT_TRUE(doc.ok());
  notifier::NotifierFactory factory =
      notifier::ParseWecomRobotReceiver("oncall", (*doc)->root().Child("oncall"));
  ASSERT_TRUE((*doc)->Finish().ok());
  notifier::NotifierDeps deps;
  deps.http = &http_;
  deps.clock = &clock_;
  std::unique_ptr<notifier::Notifier> robot = factory(deps);
  ReplySenderOptions options;
  options.backoff = Backoff{1000, 1000};
  options.give_up_after_ms = 3600'000;
  options.group_robot = [&robot](const std::string& name, const bot::Reply& reply, int done) {
    return name == "oncall"
               ? static_cast<notifier::WecomRobotNotifier*>(robot.get())
                     ->SendMarkdown(reply.body, done)
               : notifier::wecom::SendFailure(notifier::DeliveryOutcome::kPermanent, "unknown");
  };
  sender_ = std::make_unique<ReplySender>(queue_.get(), &http_, tokens_.get(), &clock_, options);
  std::string report = "# Daily report\n";
  for (int i = 0; i < 300; ++i) report += "- host-" + std::to_string(i) + ": 3 alerts\n";
  auto id = queue_->Enqueue(kTargetGroupRobot, "oncall", {bot::Reply::Format::kMarkdown, report},
                            clock_.NowMs());
  ASSERT_TRUE(id.ok());
  Ok();
  http_.Reply(200, R"({"errcode":45009,"errmsg":"api freq out of limit"})");
  sender_->RunOnce();
  EXPECT_EQ(queue_->Get(*id)->state, "pending");
  EXPECT_EQ(queue_->Get(*id)->parts_done, 1);
  EXPECT_NE(queue_->Get(*id)->last_error.find("20 messages a minute"), std::string::npos);
  // After the robot's throttle block only the second part is sent again.
  clock_.AdvanceMs(10 * 60'000);
  Ok();
  sender_->RunOnce();
  EXPECT_EQ(queue_->Get(*id)->state, "sent");
  ASSERT_EQ(http_.requests.size(), 3u);
  for (const auto& request : http_.requests) {
    EXPECT_EQ(request.url, "https://wecom.test/cgi-bin/webhook/send?key=robot-key-1");
    auto body = nlohmann::json::parse(request.body);
    EXPECT_EQ(body["msgtype"], "markdown");
    EXPECT_LE(body["markdown"]["content"].get<std::string>().size(),
              notifier::wecom::kRobotMarkdownMaxBytes);
  }
  EXPECT_EQ(http_.requests[2].body, http_.requests[1].body);
  auto content = [&](size_t i) {
    return nlohmann::json::parse(http_.requests[i].body)["markdown"]["content"].get<std::string>();
  };
  EXPECT_EQ(content(0) + content(2), report);  // split on lines, nothing lost or repeated
  // An unknown robot fails at once with the reason.
  auto unknown =
      queue_->Enqueue(kTargetGroupRobot, "gone", {bot::Reply::Format::kText, "x"}, clock_.NowMs());
  sender_->RunOnce();
  EXPECT_EQ(queue_->Get(*unknown)->state, "failed");
}

TEST_F(ReplySenderTest, PruneDeletesOnlyFinishedRepliesOlderThanTheCutoff) {
  const int64_t sent = Enqueue("zhangsan", "old");
  ASSERT_TRUE(queue_->MarkSent(sent, kT0).ok());
  const int64_t pending = Enqueue("zhangsan", "still waiting");
  EXPECT_EQ(queue_->Prune(kT0).value(), 0);  // finished at the cutoff: kept
  EXPECT_EQ(queue_->Prune(kT0 + 1).value(), 1);
  EXPECT_EQ(queue_->Get(sent).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(queue_->Get(pending)->state, "pending");
}

TEST_F(ReplySenderTest, QueueSurvivesReopening) {
  const int64_t id = Enqueue("zhangsan", "kept");
  queue_.reset();
  auto reopened = ReplyQueue::Open((dir_ / "bot.db").string());
  ASSERT_TRUE(reopened.ok());
  auto pending = (*reopened)->Pending(10);
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ((*pending)[0].id, id);
  EXPECT_EQ((*pending)[0].reply.body, "kept");
}

// ---- admin API handlers ----

class BotHostApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    events_ = SqliteEventStore::Open((dir_ / "collector.db").string()).value();
    alerts_ = alerts::AlertStore::Open((dir_ / "alerts.db").string()).value();
    catalog_ = backups::Catalog::Open((dir_ / "catalog.db").string()).value();
    auth_ = std::make_unique<TokenAuth>(events_.get(), &clock_, kAdmin);
    auto doc = config::Document::LoadString(
        "bot:\n  timezone: UTC\n  local_users: {alice: admin, bob: viewer}\n"
        "  reports:\n    - {name: daily, at: \"09:00\", to_users: [zhangsan], to_robots: "
        "[oncall]}\n"
        "  wecom:\n    corp_id: wwcorp\n    agent_id: 1000002\n    token_file: " +
            Write(dir_ / "token", "callbacktoken") + "\n    encoding_aes_key_file: " +
            Write(dir_ / "key", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C") +
            "\n  reply:\n    secret_file: " + Write(dir_ / "secret", "app-secret") + "\n",
        "collector.yaml");
    ASSERT_TRUE(doc.ok());
    BotHostConfig config = ReadBotHostConfig((*doc)->root().Child("bot"));
    Status finished = (*doc)->Finish();
    ASSERT_TRUE(finished.ok()) << finished.ToString();
    BotHostDeps deps;
    deps.events = events_.get();
    deps.alerts = alerts_.get();
    deps.catalog = catalog_.get();
    deps.auth = auth_.get();
    deps.clock = &clock_;
    deps.http = &http_;
    deps.audit_path = (dir_ / "bot-audit.db").string();
    deps.state_path = (dir_ / "bot.db").string();
    auto host = BotHost::Create(config, std::move(deps));
    ASSERT_TRUE(host.ok()) << host.status().ToString();
    host_ = std::move(*host);
  }
  void TearDown() override {
    host_.reset();
    auth_.reset();
    catalog_.reset();
    alerts_.reset();
    events_.reset();
    std::filesystem::remove_all(dir_);
  }
  http::ServerResponse Chat(const std::string& body) {
    http::ServerRequest request;
    request.method = "POST";
    request.body = body;
    return host_->Chat(request);
  }
  http::ServerResponse Audit(std::map<std::string, std::string> query) {
    http::ServerRequest request;
    request.method = "GET";
    request.query = std::move(query);
    return host_->Audit(request);
  }
  std::filesystem::path dir_;
  FakeClock clock_{kT0};
  fakes::ScriptedHttpClient http_;
  std::unique_ptr<SqliteEventStore> events_;
  std::unique_ptr<alerts::AlertStore> alerts_;
  std::unique_ptr<backups::Catalog> catalog_;
  std::unique_ptr<TokenAuth> auth_;
  std::unique_ptr<BotHost> host_;
};

TEST_F(BotHostApiTest, ChatRunsTheEngineAsALocalUserWithItsRole) {
  auto r = Chat(R"({"user":"alice","text":"whoami"})");
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_NE(j["reply"].get<std::string>().find("admin"), std::string::npos);
  EXPECT_EQ(j["format"], "text");
  // A viewer cannot propose a mutating command.
  r = Chat(R"({"user":"bob","text":"fim accept web-01 /etc/hosts"})");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(nlohmann::json::parse(r.body)["reply"].get<std::string>().find("operator"),
            std::string::npos);
  // Refusals before the engine: not a local user, bad bodies.
  EXPECT_EQ(Chat(R"({"user":"zhangsan","text":"whoami"})").status, 403);
  EXPECT_EQ(Chat(R"({"user":"alice"})").status, 400);
  EXPECT_EQ(Chat(R"({"user":"alice","text":"  "})").status, 400);
  EXPECT_EQ(Chat(R"({"user":"alice","text":"x","extra":1})").status, 400);
  EXPECT_EQ(Chat(R"({"user":7,"text":"x"})").status, 400);
  EXPECT_EQ(Chat("[" + std::string(100, '[')).status, 400);
  EXPECT_EQ(Chat("not json").status, 400);
}

TEST(ParseChatRequestBody, AcceptsExactlyUserAndTextAndRefusesHostileBodies) {
  auto ok = ParseChatRequestBody(R"({"text":"确认 123456","user":"alice"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->user, "alice");
  EXPECT_EQ(ok->text, "确认 123456");
  for (const std::string& body : std::vector<std::string>{
           "", "{}", "[]", "\"x\"", R"({"user":"a"})", R"({"user":"","text":"x"})",
           R"({"user":"a","text":"x","as":"admin"})", R"({"user":["a"],"text":"x"})",
           R"({"user":"a","text":"x")", std::string(10000, '['),
           std::string("{\"user\":\"\xff\"}")}) {
    auto r = ParseChatRequestBody(body);
    ASSERT_FALSE(r.ok()) << body.substr(0, 40);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << body.substr(0, 40);
  }
}

TEST_F(BotHostApiTest, AuditListsFiltersAndVerifiesTheChain) {
  ASSERT_EQ(Chat(R"({"user":"alice","text":"whoami"})").status, 200);
  clock_.AdvanceMs(60'000);
  ASSERT_EQ(Chat(R"({"user":"bob","text":"help"})").status, 200);
  auto all = nlohmann::json::parse(Audit({}).body)["entries"];
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["user"], "local:bob");  // newest first
  EXPECT_EQ(all[1]["channel"], "cli");
  EXPECT_EQ(nlohmann::json::parse(Audit({{"user", "local:alice"}}).body)["entries"].size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(Audit({{"since", "30s"}}).body)["entries"].size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(Audit({{"limit", "1"}}).body)["entries"].size(), 1u);
  EXPECT_EQ(Audit({{"limit", "0"}}).status, 400);
  EXPECT_EQ(Audit({{"since", "yesterday"}}).status, 400);
  EXPECT_EQ(Audit({{"colour", "x"}}).status, 400);

  http::ServerRequest verify;
  auto v = nlohmann::json::parse(host_->AuditVerify(verify).body);
  EXPECT_TRUE(v["ok"]);
  EXPECT_EQ(v["rows"], 2);
  {
    auto db = store::Database::Open((dir_ / "bot-audit.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)->Exec("UPDATE audit SET result = 'edited' WHERE id = 1").ok());
  }
  v = nlohmann::json::parse(host_->AuditVerify(verify).body);
  EXPECT_FALSE(v["ok"]);
  EXPECT_EQ(v["first_bad_id"], 1);
}

TEST_F(BotHostApiTest, ScheduledReportIsQueuedForItsUsersWhenDue) {
  // kT0 is 05:46:40 UTC: the first run is 09:00 today; the schedule looks at least hourly.
  EXPECT_EQ(host_->RunReports(kT0), 3600'000);
  EXPECT_EQ(host_->replies().Counts()->pending, 0);
  const int64_t nine = kT0 + (3 * 3600 + 13 * 60 + 20) * 1000;
  EXPECT_EQ(host_->RunReports(nine - 1000), 1000);
  EXPECT_EQ(host_->replies().Counts()->pending, 0);
  EXPECT_EQ(host_->RunReports(nine), 3600'000);
  auto pending = host_->replies().Pending(10);
  ASSERT_EQ(pending->size(), 2u);
  EXPECT_EQ((*pending)[0].target, "zhangsan");
  EXPECT_EQ((*pending)[0].target_kind, kTargetAppUser);
  EXPECT_EQ((*pending)[0].reply.format, bot::Reply::Format::kMarkdown);
  EXPECT_LE((*pending)[0].reply.body.size(), notifier::wecom::kAppMarkdownMaxBytes);
  EXPECT_EQ((*pending)[1].target, "oncall");
  EXPECT_EQ((*pending)[1].target_kind, kTargetGroupRobot);
  EXPECT_EQ((*pending)[1].reply.body, (*pending)[0].reply.body);
  // Not again until tomorrow's run.
  host_->RunReports(nine + 3600'000);
  EXPECT_EQ(host_->replies().Pending(10)->size(), 2u);
}

}  // namespace
}  // namespace beacon::collector::bot_host
