// The alerts API over real HTTP (port 0, curl client) with a real AlertStore in a temp dir and a
// recording sink in front of it: webhook authentication before the body, body limits and
// malformed bodies (nothing submitted), Zabbix problem/recovery and Splunk intake outcomes, the
// Splunk allow list, alert queries, silences and delivery retry; no token in any log line.
#include "collector/alerts/alerts_api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/api/token_auth.h"
#include "collector/store/sqlite_event_store.h"
#include "common/clock.h"
#include "common/http/client.h"
#include "common/http/server.h"
#include "common/log/log.h"

namespace beacon::collector::alerts {
namespace {

const char kAdminToken[] = "admin-token-for-alerts-api-test-0123";
const char kZabbixToken[] = "zabbix-webhook-token-9f8e7d6c5b4a";
const char kSplunkToken[] = "splunk-webhook-token-a1b2c3d4e5f6";

constexpr char kProblem[] =
    R"({"TriggerID":"23138","To":"wecom-group-1","Subject":"Problem: Trap too high on testhost: 500","Message":"Problem started at 03:20:40 on 2026.11.26\nHost: testhost","EventID":"24","EventValue":"1","EventSeverity":"High","EventNSeverity":"4","HostName":"testhost","HostIP":"127.0.0.1","TriggerStatus":"PROBLEM","EventTags":"[{\"tag\":\"svc\",\"value\":\"demo\"}]","EventDate":"2026.11.26 03:20:40","EventRecoveryDate":"{EVENT.RECOVERY.DATE}","ItemValue":"500","EventUpdateStatus":"0","EventSource":"0"})";

constexpr char kSplunkWebhook[] = R"({
	"result": {
		"sourcetype" : "mongod",
		"count" : "8"
	},
	"sid" : "scheduler_admin_search_W2_at_14232356_132",
	"results_link" : "http://web.example.local:8000/app/search/@go?sid=scheduler_admin_search_W2_at_14232356_132",
	"search_name" : null,
	"owner" : "admin",
	"app" : "search"
})";

nlohmann::json Recovery() {
  nlohmann::json params = nlohmann::json::parse(kProblem);
  params["EventValue"] = "0";
  params["TriggerStatus"] = "OK";
  params["EventRecoveryDate"] = "2026.11.26 03:25:40";
  return params;
}

// The sink the pipeline would be: records every input into the real store (so outcomes and
// listings are real) and can be told to fail like an unwritable disk.
class RecordingSink final : public AlertSink {
 public:
  RecordingSink(AlertStore* store, const Clock* clock) : store_(store), clock_(clock) {}
  Result<RecordResult> Submit(const AlertInput& input) override {
    std::lock_guard<std::mutex> lock(mutex_);
    inputs_.push_back(input);
    if (fail_) return Status::Unavailable("disk I/O error");
    return store_->Record(input, groups_, clock_->NowMs());
  }
  size_t calls() {
    std::lock_guard<std::mutex> lock(mutex_);
    return inputs_.size();
  }
  AlertInput last() {
    std::lock_guard<std::mutex> lock(mutex_);
    return inputs_.back();
  }
  void set_fail(bool fail) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_ = fail;
  }
  void set_groups(std::vector<GroupRef> groups) {
    std::lock_guard<std::mutex> lock(mutex_);
    groups_ = std::move(groups);
  }

 private:
  AlertStore* store_;
  const Clock* clock_;
  std::mutex mutex_;
  std::vector<AlertInput> inputs_;
  std::vector<GroupRef> groups_;
  bool fail_ = false;
};

class AlertsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("alerts_api_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    log_path_ = (dir_ / "collector.log").string();
    log::LogOptions log_options;
    log_options.level = "debug";
    log_options.file = log_path_;
    ASSERT_TRUE(log::Init(log_options, "alerts-api-test").ok());

    auto events = SqliteEventStore::Open((dir_ / "events.db").string());
    ASSERT_TRUE(events.ok()) << events.status().ToString();
    events_ = std::move(events).value();
    auth_ = std::make_unique<TokenAuth>(events_.get(), &clock_, kAdminToken);
    auto store = AlertStore::Open((dir_ / "alerts.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    sink_ = std::make_unique<RecordingSink>(store_.get(), &clock_);
    client_ = http::NewCurlHttpClient();
  }

  void TearDown() override {
    server_.reset();
    api_.reset();
    log::LogOptions quiet;
    (void)log::Init(quiet, "alerts-api-test");
    std::filesystem::remove_all(dir_);
  }

  static AlertsConfig Config() {
    AlertsConfig config;
    config.zabbix.token = config::Secret(kZabbixToken);
    config.zabbix.event_url = "https://zabbix.example.test/tr_events.php?eventid={event_id}";
    config.splunk.token = config::Secret(kSplunkToken);
    config.max_body_bytes = 4096;
    config.receivers.emplace_back("ops", notifier::NotifierFactory());
    return config;
  }

  void Start(const AlertsConfig& config = Config()) {
    api_ = std::make_unique<AlertsApi>(sink_.get(), store_.get(), auth_.get(), &clock_, config);
    server_ = std::make_unique<http::HttpServer>(http::ServerOptions{});
    api_->Register(*server_);
    Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }

  http::HttpResponse Send(const std::string& method, const std::string& path,
                          const std::string& bearer, const std::string& body = "") {
    http::HttpRequest request;
    request.method = method;
    request.url = base_ + path;
    if (!bearer.empty()) request.headers.Set("Authorization", "Bearer " + bearer);
    if (method == "POST") {
      request.headers.Set("Content-Type", "application/json");
      request.body = body;
    }
    Result<http::HttpResponse> response = client_->Send(request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : http::HttpResponse{};
  }

  nlohmann::json Json(const http::HttpResponse& response) {
    nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << response.body;
    return j;
  }

  // A 4xx/5xx with {"error": "..."}; returns the message.
  std::string ErrorOf(const http::HttpResponse& response, int status) {
    EXPECT_EQ(response.status, status) << response.body;
    nlohmann::json j = Json(response);
    EXPECT_TRUE(j.contains("error") && j["error"].is_string()) << response.body;
    return j.value("error", "");
  }

  http::HttpResponse PostZabbix(const std::string& body, const std::string& token = kZabbixToken) {
    return Send("POST", "/api/v1/alerts/zabbix", token, body);
  }
  http::HttpResponse PostSplunk(const std::string& body, const std::string& query) {
    return Send("POST", "/api/v1/alerts/splunk" + query, "", body);
  }

  nlohmann::json Alerts(const std::string& query = "") {
    http::HttpResponse response = Send("GET", "/api/v1/alerts" + query, kAdminToken);
    EXPECT_EQ(response.status, 200) << response.body;
    return Json(response)["alerts"];
  }

  std::string LogText() {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  FakeClock clock_{*ParseRfc3339("2026-11-26T04:00:00Z")};
  std::filesystem::path dir_;
  std::string log_path_;
  std::unique_ptr<SqliteEventStore> events_;
  std::unique_ptr<TokenAuth> auth_;
  std::unique_ptr<AlertStore> store_;
  std::unique_ptr<RecordingSink> sink_;
  std::unique_ptr<AlertsApi> api_;
  std::unique_ptr<http::HttpServer> server_;
  std::unique_ptr<http::HttpClient> client_;
  std::string base_;
};

TEST_F(AlertsApiTest, ZabbixWithoutTheRightTokenIs401AndNeverSubmitted) {
  Start();
  for (const std::string& token : {std::string(), std::string("not-the-token"),
                                   std::string(kSplunkToken), std::string(kAdminToken)}) {
    const std::string error = ErrorOf(PostZabbix(kProblem, token), 401);
    EXPECT_EQ(error.find(kZabbixToken), std::string::npos);
  }
  EXPECT_EQ(sink_->calls(), 0u);
  EXPECT_TRUE(Alerts().empty());
  const std::string log = LogText();
  EXPECT_EQ(log.find(kZabbixToken), std::string::npos);
  EXPECT_EQ(log.find(kSplunkToken), std::string::npos);
  EXPECT_EQ(log.find(kAdminToken), std::string::npos);
}

TEST_F(AlertsApiTest, UnconfiguredSourcesAreNotFound) {
  AlertsConfig config = Config();
  config.zabbix.token = config::Secret();
  config.splunk.token = config::Secret();
  Start(config);
  EXPECT_EQ(ErrorOf(PostZabbix(kProblem), 404),
            "the zabbix source is not configured (alerts.zabbix.token_file)");
  EXPECT_EQ(ErrorOf(PostSplunk(kSplunkWebhook, std::string("?token=") + kSplunkToken), 404),
            "the splunk source is not configured (alerts.splunk.token_file)");
  EXPECT_EQ(sink_->calls(), 0u);
}

TEST_F(AlertsApiTest, OversizedBodiesAre413) {
  Start();
  nlohmann::json big = nlohmann::json::parse(kProblem);
  big["Message"] = std::string(5000, 'x');
  ErrorOf(PostZabbix(big.dump()), 413);
  nlohmann::json splunk = nlohmann::json::parse(kSplunkWebhook);
  splunk["result"]["blob"] = std::string(5000, 'y');
  ErrorOf(PostSplunk(splunk.dump(), std::string("?token=") + kSplunkToken), 413);
  EXPECT_EQ(sink_->calls(), 0u);
}

TEST_F(AlertsApiTest, MalformedBodiesAre400AndNothingIsSubmitted) {
  Start();
  EXPECT_NE(ErrorOf(PostZabbix("{\"EventID\": \"24\""), 400).find("malformed JSON"),
            std::string::npos);
  EXPECT_NE(ErrorOf(PostZabbix("[1, 2]"), 400).find("expected a JSON object"), std::string::npos);
  EXPECT_NE(ErrorOf(PostZabbix("\"text\""), 400).find("expected a JSON object"), std::string::npos);
  EXPECT_NE(ErrorOf(PostZabbix(""), 400).find("empty body"), std::string::npos);
  nlohmann::json no_event = nlohmann::json::parse(kProblem);
  no_event.erase("EventID");
  EXPECT_NE(ErrorOf(PostZabbix(no_event.dump()), 400).find("EventID"), std::string::npos);
  nlohmann::json internal = nlohmann::json::parse(kProblem);
  internal["EventSource"] = "3";
  EXPECT_NE(ErrorOf(PostZabbix(internal.dump()), 400).find("EventSource"), std::string::npos);
  const std::string token = std::string("?token=") + kSplunkToken;
  EXPECT_NE(ErrorOf(PostSplunk("{oops", token), 400).find("malformed JSON"), std::string::npos);
  EXPECT_NE(ErrorOf(PostSplunk("{\"result\":{}}", token), 400).find("sid"), std::string::npos);
  // Nesting as deep as the test's 4 KiB bodies allow, in a result field and in Zabbix's
  // EventTags text (tests/integration/test_hostile_json.py sends 200 KB).
  const std::string deep = std::string(1900, '[') + std::string(1900, ']');
  EXPECT_EQ(ErrorOf(PostSplunk(R"({"sid":"s1","result":{"f":)" + deep + "}}", token), 400),
            "malformed JSON body: JSON nested deeper than 64 levels at byte 88");
  nlohmann::json deep_tags = nlohmann::json::parse(kProblem);
  deep_tags["EventTags"] = std::string(100, '[') + std::string(100, ']');
  EXPECT_EQ(ErrorOf(PostZabbix(deep_tags.dump()), 400)
                .find("EventTags: malformed JSON tag list: "
                      "JSON nested deeper than 64 levels"),
            0u);
  EXPECT_EQ(sink_->calls(), 0u);
  EXPECT_TRUE(Alerts().empty());
  // The operator finds why a template's posts are refused in the collector's log.
  const std::string log = LogText();
  EXPECT_NE(log.find("rejected zabbix webhook from 127.0.0.1"), std::string::npos) << log;
  EXPECT_NE(log.find("missing parameter EventID"), std::string::npos) << log;
  EXPECT_EQ(log.find(kSplunkToken), std::string::npos);
}

TEST_F(AlertsApiTest, ZabbixProblemAndRecovery) {
  Start();
  http::HttpResponse problem = PostZabbix(kProblem);
  ASSERT_EQ(problem.status, 200) << problem.body;
  const int64_t id = Json(problem)["alert_id"].get<int64_t>();
  EXPECT_GT(id, 0);
  EXPECT_EQ(Json(problem)["outcome"], "new");

  http::HttpResponse replay = PostZabbix(kProblem);  // Zabbix retried after a timeout
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(Json(replay)["outcome"], "duplicate");

  nlohmann::json update = nlohmann::json::parse(kProblem);
  update["EventUpdateStatus"] = "1";
  http::HttpResponse ignored = PostZabbix(update.dump());
  ASSERT_EQ(ignored.status, 200) << ignored.body;
  EXPECT_EQ(Json(ignored)["outcome"], "ignored");
  EXPECT_EQ(sink_->calls(), 2u);  // the update never reached the sink

  http::HttpResponse recovery = PostZabbix(Recovery().dump());
  ASSERT_EQ(recovery.status, 200) << recovery.body;
  EXPECT_EQ(Json(recovery)["outcome"], "resolved");
  EXPECT_EQ(Json(recovery)["alert_id"].get<int64_t>(), id);

  http::HttpResponse got = Send("GET", "/api/v1/alerts/" + std::to_string(id), kAdminToken);
  ASSERT_EQ(got.status, 200) << got.body;
  nlohmann::json alert = Json(got);
  EXPECT_EQ(alert["id"], id);
  EXPECT_EQ(alert["source"], "zabbix");
  EXPECT_EQ(alert["status"], "resolved");
  EXPECT_EQ(alert["severity"], "high");
  EXPECT_EQ(alert["host"], "testhost");
  EXPECT_EQ(alert["title"], "Problem: Trap too high on testhost: 500");
  EXPECT_EQ(alert["external_id"], "24");
  EXPECT_EQ(alert["tags"]["svc"], "demo");
  EXPECT_EQ(alert["url"], "https://zabbix.example.test/tr_events.php?eventid=24");
  EXPECT_EQ(alert["starts_at"], "2026-11-25T19:20:40.000Z");
  EXPECT_EQ(alert["ends_at"], "2026-11-25T19:25:40.000Z");
  EXPECT_EQ(alert["occurrences"], 1);
  EXPECT_TRUE(alert["deliveries"].is_array());

  // The store failing: the source gets a 503 and retries; nothing claims success.
  sink_->set_fail(true);
  nlohmann::json other = nlohmann::json::parse(kProblem);
  other["EventID"] = "25";
  const std::string error = ErrorOf(PostZabbix(other.dump()), 503);
  EXPECT_EQ(error.find("disk"), std::string::npos);  // internals stay in the log
}

// A report without EventTimestamp (script media type) is read in alerts.zabbix.timezone, not
// in alerts.timezone (the display zone, Asia/Shanghai by default).
TEST_F(AlertsApiTest, ZabbixDatesWithoutTimestampAreReadInTheZabbixZone) {
  AlertsConfig config = Config();
  config.zabbix.timezone = "UTC";
  Start(config);
  http::HttpResponse problem = PostZabbix(kProblem);
  ASSERT_EQ(problem.status, 200) << problem.body;
  nlohmann::json alerts = Alerts();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["starts_at"], "2026-11-26T03:20:40.000Z");
}

TEST_F(AlertsApiTest, SplunkAuthenticatesWithTheQueryToken) {
  Start();
  ErrorOf(PostSplunk(kSplunkWebhook, ""), 401);
  ErrorOf(PostSplunk(kSplunkWebhook, "?token=wrong-token-value"), 401);
  // A bearer header is not how Splunk authenticates.
  ErrorOf(Send("POST", "/api/v1/alerts/splunk", kSplunkToken, kSplunkWebhook), 401);
  EXPECT_EQ(sink_->calls(), 0u);

  const std::string query = std::string("?token=") + kSplunkToken;
  http::HttpResponse first = PostSplunk(kSplunkWebhook, query);
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(Json(first)["outcome"], "new");
  http::HttpResponse again = PostSplunk(kSplunkWebhook, query);  // the same sid replayed
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Json(again)["outcome"], "duplicate");

  nlohmann::json alerts = Alerts("?source=splunk");
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0]["title"], "Splunk alert scheduler_admin_search_W2_at_14232356_132");
  EXPECT_EQ(alerts[0]["severity"], "average");
  EXPECT_EQ(LogText().find(kSplunkToken), std::string::npos);
}

TEST_F(AlertsApiTest, SplunkOutsideAllowFromIs403) {
  AlertsConfig config = Config();
  config.splunk.allow_from = {"10.0.0.0/8", "2001:db8::/32", "not-an-address"};
  Start(config);
  const std::string query = std::string("?token=") + kSplunkToken;
  EXPECT_NE(ErrorOf(PostSplunk(kSplunkWebhook, query), 403).find("allow_from"), std::string::npos);
  EXPECT_EQ(sink_->calls(), 0u);

  server_.reset();
  config.splunk.allow_from = {"10.0.0.0/8", "127.0.0.1"};
  Start(config);
  http::HttpResponse allowed = PostSplunk(kSplunkWebhook, query);
  EXPECT_EQ(allowed.status, 200) << allowed.body;
  EXPECT_EQ(sink_->calls(), 1u);
}

TEST_F(AlertsApiTest, SilencesCreateListExpire) {
  Start();
  ErrorOf(Send("GET", "/api/v1/silences", ""), 401);
  ErrorOf(Send("POST", "/api/v1/silences", kZabbixToken,
               R"({"matchers":["host=~db-*"],"duration":"2h","reason":"x"})"),
          401);

  http::HttpResponse created =
      Send("POST", "/api/v1/silences", kAdminToken,
           R"({"matchers":["host=~db-*","severity>=high"],"duration":"2h",)"
           R"("reason":"maintenance window","created_by":"alice"})");
  ASSERT_EQ(created.status, 201) << created.body;
  nlohmann::json silence = Json(created);
  const int64_t id = silence["id"].get<int64_t>();
  EXPECT_GT(id, 0);
  EXPECT_EQ(silence["matchers"], nlohmann::json({"host=~db-*", "severity>=high"}));
  EXPECT_EQ(silence["starts_at"], "2026-11-26T04:00:00.000Z");
  EXPECT_EQ(silence["ends_at"], "2026-11-26T06:00:00.000Z");
  EXPECT_EQ(silence["reason"], "maintenance window");
  EXPECT_EQ(silence["created_by"], "alice");
  EXPECT_EQ(silence["state"], "active");

  http::HttpResponse defaulted =
      Send("POST", "/api/v1/silences", kAdminToken,
           R"({"matchers":["source=splunk"],"starts_at":"2026-11-26T05:00:00Z",)"
           R"("ends_at":"2026-11-26T07:00:00+08:00","reason":"later"})");
  // 07:00+08:00 is 23:00Z the day before: before it starts.
  EXPECT_NE(ErrorOf(defaulted, 400).find("ends_at"), std::string::npos);
  defaulted = Send("POST", "/api/v1/silences", kAdminToken,
                   R"({"matchers":["source=splunk"],"starts_at":"2026-11-26T05:00:00Z",)"
                   R"("ends_at":"2026-11-26T15:00:00+08:00","reason":"later"})");
  ASSERT_EQ(defaulted.status, 201) << defaulted.body;
  EXPECT_EQ(Json(defaulted)["created_by"], "admin");
  EXPECT_EQ(Json(defaulted)["state"], "pending");
  EXPECT_EQ(Json(defaulted)["ends_at"], "2026-11-26T07:00:00.000Z");

  struct Bad {
    const char* body;
    const char* named;
  };
  const Bad bad[] = {
      {R"({"matchers":["host=~db-*"],"duration":"2h"})", "reason"},
      {R"({"matchers":["host=~db-*"],"duration":"2h","reason":""})", "reason"},
      {R"({"matchers":[],"duration":"2h","reason":"r"})", "matchers"},
      {R"({"matchers":["nonsense"],"duration":"2h","reason":"r"})", "matchers[0]"},
      {R"({"matchers":["host=a", 5],"duration":"2h","reason":"r"})", "matchers[1]"},
      {R"({"matchers":["host=a"],"reason":"r"})", "duration"},
      {R"({"matchers":["host=a"],"duration":"2h","ends_at":"2026-11-26T09:00:00Z","reason":"r"})",
       "duration"},
      {R"({"matchers":["host=a"],"duration":"soon","reason":"r"})", "duration"},
      {R"({"matchers":["host=a"],"ends_at":"2026-11-26T03:00:00Z","reason":"r"})", "ends_at"},
      {R"({"matchers":["host=a"],"starts_at":"2026-11-26T01:00:00Z",)"
       R"("ends_at":"2026-11-26T03:00:00Z","reason":"r"})",
       "past"},
      {R"({"matchers":["host=a"],"ends_at":"tomorrow","reason":"r"})", "ends_at"},
      {R"(["host=a"])", "object"},
  };
  for (const Bad& b : bad) {
    const std::string error = ErrorOf(Send("POST", "/api/v1/silences", kAdminToken, b.body), 400);
    EXPECT_NE(error.find(b.named), std::string::npos) << b.body << " -> " << error;
  }

  http::HttpResponse listed = Send("GET", "/api/v1/silences", kAdminToken);
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(Json(listed)["silences"].size(), 2u);

  http::HttpResponse expired =
      Send("DELETE", "/api/v1/silences/" + std::to_string(id), kAdminToken);
  ASSERT_EQ(expired.status, 200) << expired.body;
  EXPECT_EQ(Json(expired)["id"], id);
  EXPECT_EQ(Json(expired)["state"], "expired");

  nlohmann::json active = Json(Send("GET", "/api/v1/silences", kAdminToken))["silences"];
  ASSERT_EQ(active.size(), 1u);
  EXPECT_NE(active[0]["id"], id);
  nlohmann::json all = Json(Send("GET", "/api/v1/silences?all=true", kAdminToken))["silences"];
  EXPECT_EQ(all.size(), 2u);
  ErrorOf(Send("DELETE", "/api/v1/silences/99999", kAdminToken), 404);
  ErrorOf(Send("DELETE", "/api/v1/silences/abc", kAdminToken), 400);
  ErrorOf(Send("GET", "/api/v1/silences?all=maybe", kAdminToken), 400);
}

TEST_F(AlertsApiTest, AlertListingFilters) {
  Start();
  ASSERT_EQ(PostZabbix(kProblem).status, 200);
  nlohmann::json db = nlohmann::json::parse(kProblem);
  db["EventID"] = "31";
  db["TriggerID"] = "23200";
  db["HostName"] = "dbhost";
  db["Subject"] = "Problem: disk full on dbhost";
  ASSERT_EQ(PostZabbix(db.dump()).status, 200);
  clock_.AdvanceMs(60 * 1000);
  ASSERT_EQ(PostSplunk(kSplunkWebhook, std::string("?token=") + kSplunkToken).status, 200);
  ASSERT_EQ(PostZabbix(Recovery().dump()).status, 200);

  EXPECT_EQ(Alerts().size(), 3u);
  EXPECT_EQ(Alerts("?source=zabbix").size(), 2u);
  nlohmann::json resolved = Alerts("?status=resolved");
  ASSERT_EQ(resolved.size(), 1u);
  EXPECT_EQ(resolved[0]["host"], "testhost");
  nlohmann::json firing = Alerts("?status=firing&source=zabbix");
  ASSERT_EQ(firing.size(), 1u);
  EXPECT_EQ(firing[0]["host"], "dbhost");
  nlohmann::json by_host = Alerts("?host=dbhost");
  ASSERT_EQ(by_host.size(), 1u);
  EXPECT_EQ(by_host[0]["title"], "Problem: disk full on dbhost");
  EXPECT_EQ(Alerts("?limit=1").size(), 1u);
  nlohmann::json recent = Alerts("?since=2026-11-26T04:00:30Z");
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0]["source"], "splunk");
  EXPECT_TRUE(Alerts("?since=2026-11-27T00:00:00Z").empty());
  EXPECT_EQ(Alerts("?since=30s"), recent);           // a duration ago, as for events and backups
  EXPECT_TRUE(Alerts("?undelivered=true").empty());  // no receiver was routed

  ErrorOf(Send("GET", "/api/v1/alerts?status=burning", kAdminToken), 400);
  EXPECT_EQ(ErrorOf(Send("GET", "/api/v1/alerts?since=yesterday", kAdminToken), 400),
            "since: expected an RFC 3339 time or a duration like 1h, got 'yesterday'");
  ErrorOf(Send("GET", "/api/v1/alerts?limit=0", kAdminToken), 400);
  ErrorOf(Send("GET", "/api/v1/alerts?undelivered=perhaps", kAdminToken), 400);
  ErrorOf(Send("GET", "/api/v1/alerts/424242", kAdminToken), 404);
  ErrorOf(Send("GET", "/api/v1/alerts/x1", kAdminToken), 400);
  ErrorOf(Send("GET", "/api/v1/alerts", ""), 401);
  ErrorOf(Send("GET", "/api/v1/alerts", kZabbixToken), 401);
}

TEST_F(AlertsApiTest, FailedDeliveriesAreListedAndRetried) {
  Start();
  GroupRef group;
  group.route = "default";
  group.receiver = "ops";
  group.group_key = "source=zabbix,host=testhost";
  group.timing.wait_ms = 0;
  sink_->set_groups({group});
  http::HttpResponse problem = PostZabbix(kProblem);
  ASSERT_EQ(problem.status, 200) << problem.body;
  const int64_t alert_id = Json(problem)["alert_id"].get<int64_t>();

  // What the outbox would do: flush the group, take its row into a delivery, fail it for good.
  const int64_t now = clock_.NowMs();
  Result<std::vector<int64_t>> due = store_->DueGroups(now);
  ASSERT_TRUE(due.ok() && due->size() == 1u) << due.status().ToString();
  Result<std::optional<int64_t>> row =
      store_->FlushGroup(due->front(), now, [](const AlertView&) { return false; });
  ASSERT_TRUE(row.ok() && row->has_value()) << row.status().ToString();
  Result<std::optional<Delivery>> delivery = store_->CreateDelivery("ops", now, 0);
  ASSERT_TRUE(delivery.ok() && delivery->has_value()) << delivery.status().ToString();
  const int64_t delivery_id = (*delivery)->id;
  ASSERT_TRUE(store_->MarkFailed(delivery_id, now, "errcode 60020: not allow to access").ok());

  http::HttpResponse failed = Send("GET", "/api/v1/deliveries?state=failed", kAdminToken);
  ASSERT_EQ(failed.status, 200) << failed.body;
  nlohmann::json list = Json(failed)["deliveries"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["id"], delivery_id);
  EXPECT_EQ(list[0]["receiver"], "ops");
  EXPECT_EQ(list[0]["state"], "failed");
  EXPECT_EQ(list[0]["last_error"], "errcode 60020: not allow to access");
  EXPECT_EQ(list[0]["alert_ids"], nlohmann::json::array({alert_id}));

  nlohmann::json undelivered = Alerts("?undelivered=true");
  ASSERT_EQ(undelivered.size(), 1u);
  ASSERT_EQ(undelivered[0]["deliveries"].size(), 1u);
  EXPECT_EQ(undelivered[0]["deliveries"][0]["receiver"], "ops");
  EXPECT_EQ(undelivered[0]["deliveries"][0]["state"], "failed");
  EXPECT_EQ(undelivered[0]["deliveries"][0]["status"], "firing");

  ErrorOf(Send("POST", "/api/v1/deliveries/retry", kAdminToken), 400);
  ErrorOf(Send("POST", "/api/v1/deliveries/retry?receiver=nobody", kAdminToken), 404);
  ErrorOf(Send("POST", "/api/v1/deliveries/retry?receiver=ops", ""), 401);
  ErrorOf(Send("GET", "/api/v1/deliveries?state=lost", kAdminToken), 400);
  http::HttpResponse retried = Send("POST", "/api/v1/deliveries/retry?receiver=ops", kAdminToken);
  ASSERT_EQ(retried.status, 200) << retried.body;
  EXPECT_EQ(Json(retried)["retried"], 1);
  EXPECT_TRUE(
      Json(Send("GET", "/api/v1/deliveries?state=failed", kAdminToken))["deliveries"].empty());
  nlohmann::json pending =
      Json(Send("GET", "/api/v1/deliveries?state=pending", kAdminToken))["deliveries"];
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0]["id"], delivery_id);
}

}  // namespace
}  // namespace beacon::collector::alerts
