// beaconctl alerts / alerts show / silence add|list|expire / zabbix alert against a fake
// HttpClient: the exact requests (method, path, query, body), the rendered output, usage errors,
// collector errors, and how a Zabbix script media type's message lines become webhook parameters.
#include "ctl/alert_commands.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ctl/api.h"
#include "ctl/cli.h"
#include "tests/support/scripted_http_client.h"

namespace beacon::ctl {
namespace {

using nlohmann::json;

constexpr char kAdminToken[] = "s3cr3t-admin-token-value";
constexpr char kZabbixToken[] = "zbx-source-token-0123456789";
constexpr char kBase[] = "http://127.0.0.1:8470";

class AlertCommandsTest : public ::testing::Test {
 protected:
  // 2026-11-26T05:57:00Z, 13:57:00 CST.
  AlertCommandsTest() : clock_(1'795'672'620'000) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    token_file_ = ::testing::TempDir() + "/alert_commands_" + std::to_string(getpid()) + "_" +
                  info->name() + ".token";
    std::ofstream(token_file_) << kZabbixToken << "\n";
  }
  ~AlertCommandsTest() override { std::remove(token_file_.c_str()); }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    Environment env;
    env.http = &http_;
    env.clock = &clock_;
    env.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_.find(name);
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
    env.out = &out_;
    env.err = &err_;
    env.sleep_ms = [](int64_t) {};
    return ::beacon::ctl::Run(args, env);
  }

  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }
  const http::HttpRequest& request(size_t i = 0) const { return http_.requests.at(i); }

  fakes::ScriptedHttpClient http_;
  FakeClock clock_;
  std::map<std::string, std::string> env_ = {{"BEACON_TOKEN", kAdminToken}, {"USER", "alice"}};
  std::string token_file_;
  std::ostringstream out_, err_;
};

constexpr char kAlertsBody[] = R"({"alerts":[
  {"id":17,"source":"zabbix","status":"firing","severity":"high","host":"db-01",
   "title":"MySQL is down on db-01","message":"Problem started at 13:40:00","tags":{"svc":"db"},
   "url":"","fingerprint":"9f2c","external_id":"24","starts_at":"2026-11-26T05:40:00Z",
   "ends_at":null,"occurrences":1,"received_at":"2026-11-26T05:40:01Z",
   "deliveries":[
     {"receiver":"ops-app","state":"delivered","attempts":1,"last_error":"",
      "delivered_at":"2026-11-26T05:40:11Z","status":"firing"},
     {"receiver":"robot","state":"pending","attempts":3,"last_error":"wecom errcode 45009",
      "delivered_at":null,"status":"firing"}]},
  {"id":16,"source":"splunk","status":"resolved","severity":"average","host":"",
   "title":"Failed logins","message":"","tags":{},"url":"http://splunk:8000/x",
   "fingerprint":"77aa","external_id":"sid-1","starts_at":"2026-11-26T04:00:00Z",
   "ends_at":"2026-11-26T04:30:00Z","occurrences":1,"received_at":"2026-11-26T04:00:02Z",
   "deliveries":[]}]})";

TEST_F(AlertCommandsTest, AlertsSendsEveryFilterAndShowsDeliveriesPerReceiver) {
  http_.Reply(200, kAlertsBody);
  ASSERT_EQ(Run({"alerts", "--status", "firing", "--source", "zabbix", "--host", "db-01", "--since",
                 "2h", "--undelivered", "--limit", "5"}),
            kExitOk)
      << err();
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(request().method, "GET");
  // --since is resolved against the operator's clock: 05:57 - 2h.
  EXPECT_EQ(request().url, std::string(kBase) +
                               "/api/v1/alerts?status=firing&source=zabbix&host=db-01"
                               "&since=2026-11-26T03%3A57%3A00.000Z&undelivered=true&limit=5");
  EXPECT_EQ(request().headers.Get("Authorization"), std::string("Bearer ") + kAdminToken);
  EXPECT_EQ(out(),
            "TIME                     SEVERITY  STATUS    ID   HOST   TITLE                   "
            "DELIVERY\n"
            "2026-11-26 13:40:00 CST  high      firing    #17  db-01  MySQL is down on db-01  "
            "ops-app:delivered robot:pending(3) last error: wecom errcode 45009\n"
            "2026-11-26 12:00:00 CST  average   resolved  #16  -      Failed logins           "
            "-\n");
}

TEST_F(AlertCommandsTest, AlertsWithoutMatchesSaysSoAndJsonPassesTheReplyThrough) {
  http_.Reply(200, R"({"alerts":[]})");
  ASSERT_EQ(Run({"alerts"}), kExitOk);
  EXPECT_EQ(request().url, std::string(kBase) + "/api/v1/alerts");
  EXPECT_EQ(out(), "No alerts match.\n");
  http_.Reply(200, kAlertsBody);
  ASSERT_EQ(Run({"alerts", "--json"}), kExitOk);
  EXPECT_EQ(json::parse(out()), json::parse(kAlertsBody));
}

TEST_F(AlertCommandsTest, AlertsUsageErrorsSendNothing) {
  EXPECT_EQ(Run({"alerts", "--status", "open"}), kExitUsage);
  EXPECT_EQ(err(),
            "beaconctl: --status takes firing or resolved, got 'open' (see 'beaconctl alerts "
            "--help')\n");
  EXPECT_EQ(Run({"alerts", "--since", "yesterday"}), kExitUsage);
  EXPECT_NE(err().find("--since takes a duration ago"), std::string::npos) << err();
  EXPECT_EQ(Run({"alerts", "show"}), kExitUsage);
  EXPECT_EQ(err(), "beaconctl: missing argument (see 'beaconctl alerts show --help')\n");
  EXPECT_EQ(Run({"alerts", "show", "seventeen"}), kExitUsage);
  EXPECT_EQ(err(),
            "beaconctl: ID must be an alert id such as 17 or #17, got 'seventeen' (see "
            "'beaconctl alerts show --help')\n");
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(AlertCommandsTest, AlertsCollectorErrorsExitOneOrThreeWithoutTheToken) {
  http_.Reply(401, R"({"error":"invalid token"})");
  EXPECT_EQ(Run({"alerts"}), kExitCollectorError);
  EXPECT_NE(err().find("beaconctl: collector: invalid token (HTTP 401 Unauthorized)"),
            std::string::npos)
      << err();
  http_.Fail(Status::Unavailable("connection refused"));
  EXPECT_EQ(Run({"alerts"}), kExitCannotConnect);
  EXPECT_NE(err().find("cannot connect to http://127.0.0.1:8470"), std::string::npos) << err();
  http_.Reply(200, R"({"items":[]})");
  EXPECT_EQ(Run({"alerts"}), kExitCollectorError);
  EXPECT_NE(err().find("unexpected reply from the collector: no \"alerts\" array"),
            std::string::npos)
      << err();
  EXPECT_EQ(err().find(kAdminToken), std::string::npos);
  EXPECT_EQ(out(), "");
}

TEST_F(AlertCommandsTest, AlertShowPrintsFieldsMessageAndEveryDelivery) {
  json alert = json::parse(kAlertsBody)["alerts"][0];
  alert["message"] = "Problem started at 13:40:00\nHost: db-01\x1b[31m\n";
  alert["occurrences"] = 3;
  http_.Reply(200, alert.dump());
  ASSERT_EQ(Run({"alerts", "show", "#17"}), kExitOk) << err();
  EXPECT_EQ(request().method, "GET");
  EXPECT_EQ(request().url, std::string(kBase) + "/api/v1/alerts/17");
  EXPECT_EQ(out(),
            "Alert:        #17\n"
            "Status:       firing (3 occurrences)\n"
            "Severity:     high\n"
            "Source:       zabbix\n"
            "Host:         db-01\n"
            "Title:        MySQL is down on db-01\n"
            "Started:      2026-11-26 13:40:00 CST\n"
            "Resolved:     - (firing for 17m)\n"
            "Received:     2026-11-26 13:40:01 CST\n"
            "Tags:         svc=db\n"
            "URL:          -\n"
            "External ID:  24\n"
            "Fingerprint:  9f2c\n"
            "\n"
            "Message:\n"
            "  Problem started at 13:40:00\n"
            "  Host: db-01?[31m\n"
            "\n"
            "RECEIVER  STATE      ATTEMPTS  DELIVERED                FOR     LAST ERROR\n"
            "ops-app   delivered  1         2026-11-26 13:40:11 CST  firing  -\n"
            "robot     pending    3         -                        firing  wecom errcode "
            "45009\n");
}

TEST_F(AlertCommandsTest, AlertShowOfAResolvedAlertGivesTheDurationAndAnUnknownIdIsAnError) {
  http_.Reply(200, json::parse(kAlertsBody)["alerts"][1].dump());
  ASSERT_EQ(Run({"alerts", "show", "16"}), kExitOk) << err();
  EXPECT_NE(out().find("Resolved:     2026-11-26 12:30:00 CST (lasted 30m)\n"), std::string::npos)
      << out();
  EXPECT_NE(out().find("No deliveries"), std::string::npos) << out();
  http_.Reply(404, R"({"error":"no such alert"})");
  EXPECT_EQ(Run({"alerts", "show", "99"}), kExitCollectorError);
  EXPECT_EQ(request(1).url, std::string(kBase) + "/api/v1/alerts/99");
  EXPECT_EQ(err(),
            "beaconctl: collector: no such alert (HTTP 404 Not Found)\n"
            "  hint: no alert #99; list alerts with 'beaconctl alerts'\n");
}

TEST_F(AlertCommandsTest, SilenceAddForADurationPostsMatchersReasonAndOperator) {
  http_.Reply(201, R"({"id":5,"matchers":["host=~db-*","severity<=high"],
    "starts_at":"2026-11-26T05:57:00Z","ends_at":"2026-11-26T07:57:00Z","created_by":"alice",
    "reason":"DB maintenance","created_at":"2026-11-26T05:57:00Z","expired_at":null})");
  ASSERT_EQ(Run({"silence", "add", "host=~db-*", "severity<=high", "--for", "2h", "--reason",
                 "DB maintenance"}),
            kExitOk)
      << err();
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(request().method, "POST");
  EXPECT_EQ(request().url, std::string(kBase) + "/api/v1/silences");
  EXPECT_EQ(request().headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(request().body), json({{"matchers", {"host=~db-*", "severity<=high"}},
                                               {"duration", "2h"},
                                               {"reason", "DB maintenance"},
                                               {"created_by", "alice"}}));
  EXPECT_EQ(out(),
            "Created silence #5 until 2026-11-26 15:57:00 CST: host=~db-*, severity<=high\n");
}

TEST_F(AlertCommandsTest, SilenceAddUntilATimeSendsEndsAtAndTheGivenOperator) {
  http_.Reply(201, R"({"id":6,"matchers":["tag:svc=demo"],"ends_at":"2026-11-26T10:00:00Z"})");
  ASSERT_EQ(Run({"silence", "add", "tag:svc=demo", "--until", "2026-11-26T18:00:00+08:00",
                 "--reason", "release", "--by", "bob"}),
            kExitOk)
      << err();
  EXPECT_EQ(json::parse(request().body), json({{"matchers", {"tag:svc=demo"}},
                                               {"ends_at", "2026-11-26T10:00:00.000Z"},
                                               {"reason", "release"},
                                               {"created_by", "bob"}}));
  EXPECT_EQ(out(), "Created silence #6 until 2026-11-26 18:00:00 CST: tag:svc=demo\n");
}

TEST_F(AlertCommandsTest, SilenceAddUsageErrorsSendNothing) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  const std::vector<Case> cases = {
      {{"silence", "add", "host=~db-*", "--for", "2h"}, "--reason is required"},
      {{"silence", "add", "host=~db-*", "--reason", "x"},
       "give exactly one of --for DURATION and --until TIME"},
      {{"silence", "add", "host=~db-*", "--for", "2h", "--until", "2026-11-27T00:00:00Z",
        "--reason", "x"},
       "give exactly one of --for DURATION and --until TIME"},
      {{"silence", "add", "host=~db-*", "--for", "soon", "--reason", "x"},
       "--for takes a duration such as 30m, 2h or 1d, got 'soon'"},
      {{"silence", "add", "host=~db-*", "--until", "2h", "--reason", "x"},
       "--until takes an RFC 3339 time"},
      {{"silence", "add", "host=~db-*", "--until", "2026-11-26T05:00:00Z", "--reason", "x"},
       "--until 2026-11-26T05:00:00Z is in the past"},
      {{"silence", "add", "hostname=db-01", "--for", "2h", "--reason", "x"},
       "matcher 'hostname=db-01' must be FIELD OP VALUE"},
      {{"silence", "add", "host>=db", "--for", "2h", "--reason", "x"},
       "matcher 'host>=db' must be FIELD OP VALUE"},
      {{"silence", "add", "--for", "2h", "--reason", "x"}, "missing argument"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Run(c.args), kExitUsage) << c.error;
    EXPECT_NE(err().find("beaconctl: " + c.error), std::string::npos) << err();
    EXPECT_NE(err().find("(see 'beaconctl silence add --help')"), std::string::npos) << err();
  }
  EXPECT_TRUE(http_.requests.empty());
}

TEST(ValidateMatcherTest, AcceptsEveryDocumentedFieldAndOperator) {
  for (const char* ok :
       {"source=zabbix", "host!=web-01", "host=~db-*", "title!~*disk*", "severity>=high",
        "severity<=average", "fingerprint=9f2c", "status=firing", "tag:svc=demo"}) {
    EXPECT_TRUE(ValidateMatcher(ok).ok()) << ok;
  }
  for (const char* bad : {"host", "=db", "host=", "tag:=x", "host<=x", "owner=bob"}) {
    EXPECT_FALSE(ValidateMatcher(bad).ok()) << bad;
  }
}

TEST_F(AlertCommandsTest, SilenceListShowsStateAndTimeLeft) {
  http_.Reply(200, R"({"silences":[
    {"id":5,"matchers":["host=~db-*","severity<=high"],"starts_at":"2026-11-26T05:00:00Z",
     "ends_at":"2026-11-26T07:00:00Z","created_by":"alice","reason":"DB maintenance",
     "created_at":"2026-11-26T05:00:00Z","expired_at":null},
    {"id":6,"matchers":["tag:svc=demo"],"starts_at":"2026-11-26T08:00:00Z",
     "ends_at":"2026-11-26T09:00:00Z","created_by":"bob","reason":"release",
     "created_at":"2026-11-26T05:00:00Z","expired_at":null,"state":"pending"},
    {"id":4,"matchers":["host=web-01"],"starts_at":"2026-11-26T01:00:00Z",
     "ends_at":"2026-11-26T09:00:00Z","created_by":"alice","reason":"reboot",
     "created_at":"2026-11-26T01:00:00Z","expired_at":"2026-11-26T02:00:00Z"}]})");
  ASSERT_EQ(Run({"silence", "list", "--all"}), kExitOk) << err();
  EXPECT_EQ(request().method, "GET");
  EXPECT_EQ(request().url, std::string(kBase) + "/api/v1/silences?all=true");
  EXPECT_EQ(out(),
            "ID  STATE               MATCHERS                    STARTS                   "
            "ENDS                     BY     REASON\n"
            "5   active (1h3m left)  host=~db-*, severity<=high  2026-11-26 13:00:00 CST  "
            "2026-11-26 15:00:00 CST  alice  DB maintenance\n"
            "6   pending             tag:svc=demo                2026-11-26 16:00:00 CST  "
            "2026-11-26 17:00:00 CST  bob    release\n"
            "4   expired             host=web-01                 2026-11-26 09:00:00 CST  "
            "2026-11-26 17:00:00 CST  alice  reboot\n");
  http_.Reply(200, R"({"silences":[]})");
  ASSERT_EQ(Run({"silence", "list"}), kExitOk);
  EXPECT_EQ(request(1).url, std::string(kBase) + "/api/v1/silences");
  EXPECT_EQ(out(), "No silences.\n");
}

TEST_F(AlertCommandsTest, SilenceExpireDeletesAndAcceptsAnEmptyReply) {
  http_.Reply(204, "");
  ASSERT_EQ(Run({"silence", "expire", "5"}), kExitOk) << err();
  EXPECT_EQ(request().method, "DELETE");
  EXPECT_EQ(request().url, std::string(kBase) + "/api/v1/silences/5");
  EXPECT_EQ(out(), "Expired silence #5; alerts it matched are notified again.\n");
  http_.Reply(404, R"({"error":"no such silence"})");
  EXPECT_EQ(Run({"silence", "expire", "7"}), kExitCollectorError);
  EXPECT_EQ(err(),
            "beaconctl: collector: no such silence (HTTP 404 Not Found)\n"
            "  hint: no silence #7; list them with 'beaconctl silence list --all'\n");
}

TEST_F(AlertCommandsTest, DeliveriesListsTheOutboxAndRetryPutsFailedOnesBack) {
  http_.Reply(200, R"({"deliveries":[
    {"id":31,"receiver":"robot","state":"failed","kind":"summary","attempts":9,
     "next_try_at":null,"last_error":"wecom errcode 93000: invalid webhook url",
     "created_at":"2026-11-26T05:00:00Z","delivered_at":null,"rows":5,"total_alerts":5,
     "alert_ids":[11,12,13,14,15]},
    {"id":30,"receiver":"ops-app","state":"pending","kind":"firing","attempts":2,
     "next_try_at":"2026-11-26T05:58:00Z","last_error":"HTTP 503","created_at":
     "2026-11-26T05:50:00Z","delivered_at":null,"rows":1,"total_alerts":1,"alert_ids":[17]}]})");
  ASSERT_EQ(Run({"deliveries", "--state", "failed", "--limit", "2"}), kExitOk) << err();
  EXPECT_EQ(request().method, "GET");
  EXPECT_EQ(request().url, std::string(kBase) + "/api/v1/deliveries?state=failed&limit=2");
  EXPECT_EQ(out(),
            "ID  RECEIVER  STATE    KIND     ATTEMPTS  CREATED                  NEXT TRY          "
            "       ALERTS          LAST ERROR\n"
            "31  robot     failed   summary  9         2026-11-26 13:00:00 CST  -                 "
            "       #11 #12 #13 +2  wecom errcode 93000: invalid webhook url\n"
            "30  ops-app   pending  firing   2         2026-11-26 13:50:00 CST  2026-11-26 "
            "13:58:00 CST  #17             HTTP 503\n");

  http_.Reply(200, R"({"receiver":"robot","retried":1})");
  ASSERT_EQ(Run({"deliveries", "retry", "robot"}), kExitOk) << err();
  EXPECT_EQ(request(1).method, "POST");
  EXPECT_EQ(request(1).url, std::string(kBase) + "/api/v1/deliveries/retry?receiver=robot");
  EXPECT_EQ(request(1).body, "");
  EXPECT_EQ(out(), "Retrying 1 failed delivery to 'robot' now.\n");

  http_.Reply(404, R"({"error":"no such receiver 'robto'"})");
  EXPECT_EQ(Run({"deliveries", "retry", "robto"}), kExitCollectorError);
  EXPECT_NE(err().find("hint: no receiver 'robto'; receivers are named in collector.yaml"),
            std::string::npos)
      << err();
  EXPECT_EQ(Run({"deliveries", "--state", "stuck"}), kExitUsage);
  EXPECT_EQ(http_.requests.size(), 3u);
}

// The message our script media type's PROBLEM template produces (frontends save CRLF).
constexpr char kProblemMessage[] =
    "Event ID: 24\r\n"
    "Event value: 1\r\n"
    "Severity: 4\r\n"
    "Host: testhost\r\n"
    "Host IP: 127.0.0.1\r\n"
    "Trigger ID: 23138\r\n"
    "Trigger status: PROBLEM\r\n"
    "Event tags: [{\"tag\":\"svc\",\"value\":\"demo\"}]\r\n"
    "Event date: 2026.11.26 03:20:40\r\n"
    "Recovery date: {EVENT.RECOVERY.DATE} {EVENT.RECOVERY.TIME}\r\n"
    "Item value: 500\r\n"
    "Update status: 0\r\n"
    "Event source: 0\r\n"
    "\r\n"
    "Problem started at 03:20:40 on 2026.11.26\r\n"
    "Host: second line keeps its text\r\n";

TEST_F(AlertCommandsTest, ZabbixAlertPostsTheProblemWithTheZabbixToken) {
  http_.Reply(200, R"({"alert_id":17,"outcome":"new"})");
  ASSERT_EQ(
      Run({"--url", "http://collector:8470", "zabbix", "alert", "--zabbix-token-file", token_file_,
           "--", "ops-team", "Problem: Trap too high on testhost: 500", kProblemMessage}),
      kExitOk)
      << out() << err();
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(request().method, "POST");
  EXPECT_EQ(request().url, "http://collector:8470/api/v1/alerts/zabbix");
  EXPECT_EQ(request().headers.Get("Authorization"), std::string("Bearer ") + kZabbixToken);
  EXPECT_EQ(request().headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(
      json::parse(request().body),
      json({{"EventID", "24"},
            {"EventValue", "1"},
            {"EventSeverity", "High"},
            {"EventNSeverity", "4"},
            {"HostName", "testhost"},
            {"HostIP", "127.0.0.1"},
            {"TriggerID", "23138"},
            {"TriggerStatus", "PROBLEM"},
            {"EventTags", R"([{"tag":"svc","value":"demo"},{"tag":"sendto","value":"ops-team"}])"},
            {"Subject", "Problem: Trap too high on testhost: 500"},
            {"Message",
             "Problem started at 03:20:40 on 2026.11.26\nHost: second line keeps its text"},
            {"EventDate", "2026.11.26 03:20:40"},
            {"EventRecoveryDate", "{EVENT.RECOVERY.DATE} {EVENT.RECOVERY.TIME}"},
            {"ItemValue", "500"},
            {"EventUpdateStatus", "0"},
            {"EventSource", "0"}}));
  EXPECT_EQ(out(), "beaconctl: event 24 -> alert #17 new\n");
  EXPECT_EQ(err(), "");
}

TEST_F(AlertCommandsTest, ZabbixAlertPostsTheRecoveryWithTheTokenFileFromTheEnvironment) {
  env_.erase("BEACON_TOKEN");  // the admin token is not needed
  env_["BEACON_ZABBIX_TOKEN_FILE"] = token_file_;
  http_.Reply(200, R"({"alert_id":17,"outcome":"resolved"})");
  ASSERT_EQ(Run({"zabbix", "alert", "", "Resolved: Trap too high on testhost",
                 "Event ID: 24\nEvent value: 0\nSeverity: High\nHost: testhost\n"
                 "Trigger ID: 23138\nTrigger status: OK\nEvent tags: {EVENT.TAGSJSON}\n"
                 "Event date: 2026.11.26 03:20:40\nRecovery date: 2026.11.26 03:25:10\n"
                 "Problem has been resolved in 4m 30s"}),
            kExitOk)
      << out();
  json body = json::parse(request().body);
  EXPECT_EQ(request().headers.Get("Authorization"), std::string("Bearer ") + kZabbixToken);
  EXPECT_EQ(body["EventID"], "24");
  EXPECT_EQ(body["EventValue"], "0");
  EXPECT_EQ(body["TriggerStatus"], "OK");
  EXPECT_EQ(body["EventSeverity"], "High");
  EXPECT_EQ(body["EventNSeverity"], "4");
  EXPECT_EQ(body["EventRecoveryDate"], "2026.11.26 03:25:10");
  EXPECT_EQ(body["EventTags"], "{EVENT.TAGSJSON}");  // no SENDTO: passed on as Zabbix sent it
  EXPECT_EQ(body["Message"], "Problem has been resolved in 4m 30s");
  EXPECT_FALSE(body.contains("HostIP"));
  EXPECT_EQ(out(), "beaconctl: event 24 -> alert #17 resolved\n");

  http_.Reply(200, R"({"alert_id":0,"outcome":"ignored","reason":"ignored: update"})");
  ASSERT_EQ(Run({"zabbix", "alert", "ops", "Updated problem",
                 "Event ID: 24\nEvent value: 1\nHost: testhost\nUpdate status: 1\nacked"}),
            kExitOk)
      << out();
  EXPECT_EQ(json::parse(request(1).body)["EventUpdateStatus"], "1");
  EXPECT_EQ(out(), "beaconctl: event 24: ignored\n");
}

TEST_F(AlertCommandsTest, ZabbixAlertFailuresAreOneLineOnStdoutAndExitOne) {
  env_["BEACON_ZABBIX_TOKEN_FILE"] = token_file_;
  http_.Reply(401, R"({"error":"invalid token"})");
  EXPECT_EQ(Run({"zabbix", "alert", "ops", "subject", kProblemMessage}), kExitCollectorError);
  EXPECT_EQ(out(),
            "beaconctl: collector: invalid token (HTTP 401 Unauthorized); the token file must "
            "hold the collector's alerts.zabbix token\n");

  http_.Reply(500, R"({"error":"store unavailable"})");
  EXPECT_EQ(Run({"zabbix", "alert", "ops", "subject", kProblemMessage}), kExitCollectorError);
  EXPECT_EQ(out(), "beaconctl: collector: store unavailable (HTTP 500 Internal Server Error)\n");

  http_.Fail(Status::Unavailable("connection refused"));
  EXPECT_EQ(Run({"zabbix", "alert", "ops", "subject", kProblemMessage}), kExitCollectorError);
  EXPECT_EQ(out(), "beaconctl: cannot connect to http://127.0.0.1:8470: connection refused\n");
  const size_t sent = http_.requests.size();
  EXPECT_EQ(sent, 3u);

  EXPECT_EQ(Run({"zabbix", "alert", "ops", "subject", "Host: testhost\nno event id here"}),
            kExitCollectorError);
  EXPECT_EQ(out(),
            "beaconctl: the message has no 'Event ID:' line; use the message templates of "
            "templates/zabbix/beacon_media_script.yaml\n");

  EXPECT_EQ(Run({"--url", "http://collector:8470", "zabbix", "alert", "ops", "subject"}),
            kExitCollectorError);
  EXPECT_EQ(out(), "beaconctl: missing argument (see 'beaconctl zabbix alert --help')\n");
  EXPECT_EQ(Run({"zabbix", "alert", "--bogus", "ops", "subject", "m"}), kExitCollectorError);
  EXPECT_EQ(out(),
            "beaconctl: unknown option '--bogus' for 'zabbix alert' (see 'beaconctl zabbix alert "
            "--help')\n");

  env_.erase("BEACON_ZABBIX_TOKEN_FILE");
  EXPECT_EQ(Run({"zabbix", "alert", "ops", "subject", kProblemMessage}), kExitCollectorError);
  EXPECT_EQ(out(),
            "beaconctl: no Zabbix source token: pass --zabbix-token-file FILE or set "
            "BEACON_ZABBIX_TOKEN_FILE (the token of alerts.zabbix in collector.yaml)\n");
  EXPECT_EQ(Run({"zabbix", "alert", "--zabbix-token-file", token_file_ + ".missing", "ops", "s",
                 kProblemMessage}),
            kExitCollectorError);
  EXPECT_NE(out().find("beaconctl: cannot read token file " + token_file_ + ".missing"),
            std::string::npos)
      << out();
  EXPECT_EQ(http_.requests.size(), sent);  // nothing posted without a parseable alert and token
  for (const auto& text : {out(), err()}) EXPECT_EQ(text.find(kZabbixToken), std::string::npos);
}

TEST(ZabbixAlertParamsTest, TakesTheFirstLineOfEachKeyAndMapsSeverityNames) {
  auto params = ZabbixAlertParams("", "s",
                                  "event id: 7\nSeverity: Disaster\nHost: a\nHost: b\n"
                                  "Event update status line\nUpdate status: 1");
  ASSERT_TRUE(params.ok()) << params.status().message();
  EXPECT_EQ((*params)["EventID"], "7");
  EXPECT_EQ((*params)["EventSeverity"], "Disaster");
  EXPECT_EQ((*params)["EventNSeverity"], "5");
  EXPECT_EQ((*params)["HostName"], "a");
  EXPECT_EQ((*params)["EventUpdateStatus"], "1");
  EXPECT_EQ((*params)["Message"], "Host: b\nEvent update status line");
  EXPECT_FALSE(params->contains("EventTags"));
  EXPECT_FALSE(ZabbixAlertParams("ops", "s", "just text").ok());
}

TEST_F(AlertCommandsTest, HelpDescribesTheNewCommands) {
  ASSERT_EQ(Run({"--help"}), kExitOk);
  for (const char* line : {"alerts [--undelivered]", "silence add MATCHER", "silence expire ID",
                           "zabbix alert SENDTO SUBJECT MESSAGE"}) {
    EXPECT_NE(out().find(line), std::string::npos) << line;
  }
  ASSERT_EQ(Run({"help", "zabbix", "alert"}), kExitOk);
  EXPECT_NE(out().find("BEACON_ZABBIX_TOKEN_FILE"), std::string::npos) << out();
  ASSERT_EQ(Run({"silence", "add", "--help"}), kExitOk);
  EXPECT_NE(out().find("tag:NAME"), std::string::npos) << out();
  EXPECT_TRUE(http_.requests.empty());
}

}  // namespace
}  // namespace beacon::ctl
