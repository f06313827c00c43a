// beaconctl end to end against a fake HttpClient: each command's request (method, path, query,
// headers, body) and what the operator sees (tables, --json passthrough, errors, exit codes).
#include "ctl/cli.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ctl/api.h"
#include "tests/support/scripted_http_client.h"

namespace beacon::ctl {
namespace {

std::string UniqueTempPath(const std::string& name) {
  return ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" + name;
}

constexpr char kToken[] = "s3cr3t-admin-token-value";

class CliTest : public ::testing::Test {
 protected:
  // 2026-11-26T05:57:00Z
  CliTest() : clock_(1'795'672'620'000) {
    // Unique per process and test: ctest runs every test case as its own process in parallel.
    token_file_ = UniqueTempPath("ctl_admin.token");
    std::ofstream(token_file_) << "  " << kToken << "\n";
    env_vars_["BEACON_TOKEN_FILE"] = token_file_;
  }
  ~CliTest() override { std::remove(token_file_.c_str()); }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    Environment env;
    env.http = &http_;
    env.clock = &clock_;
    env.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = env_vars_.find(name);
      if (it == env_vars_.end()) return std::nullopt;
      return it->second;
    };
    env.out = &out_;
    env.err = &err_;
    return ::beacon::ctl::Run(args, env);
  }

  const http::HttpRequest& OnlyRequest() {
    EXPECT_EQ(http_.requests.size(), 1u);
    return http_.requests.back();
  }

  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }

  fakes::ScriptedHttpClient http_;
  FakeClock clock_;
  std::map<std::string, std::string> env_vars_;
  std::string token_file_;
  std::ostringstream out_, err_;
};

constexpr char kHostsBody[] = R"({"hosts":[
  {"name":"web-02","agent_version":"0.1.0","first_seen":"2026-11-20T01:00:00Z",
   "last_seen":"2026-11-26T02:00:00Z","last_seen_age_seconds":10620,"state":"stale",
   "last_seq":9,"events_total":0,"samples_total":40},
  {"name":"web-01","agent_version":"0.1.0","first_seen":"2026-11-20T01:00:00Z",
   "last_seen":"2026-11-26T05:56:41.123Z","last_seen_age_seconds":19,"state":"up",
   "last_seq":1234,"events_total":12,"samples_total":5678}]})";

TEST_F(CliTest, StatusListsHostsSortedWithLocalTimes) {
  http_.Reply(200, kHostsBody);
  ASSERT_EQ(Run({"status"}), kExitOk) << err();
  const auto& request = OnlyRequest();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.url, "http://127.0.0.1:8470/api/v1/hosts");
  EXPECT_EQ(request.headers.Get("Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(request.headers.Get("Accept"), "application/json");
  EXPECT_EQ(request.timeout_ms, 10000);
  EXPECT_EQ(out(),
            "NAME    STATE  LAST SEEN                            VERSION  EVENTS\n"
            "web-01  up     2026-11-26 13:56:41 CST (19s ago)    0.1.0    12\n"
            "web-02  stale  2026-11-26 10:00:00 CST (2h57m ago)  0.1.0    0\n");
  EXPECT_EQ(err(), "");
}

TEST_F(CliTest, StatusWithoutHostsSaysWhatToDo) {
  http_.Reply(200, R"({"hosts":[]})");
  ASSERT_EQ(Run({"status"}), kExitOk);
  EXPECT_NE(out().find("No hosts yet"), std::string::npos);
  EXPECT_NE(out().find("beaconctl token create"), std::string::npos);
}

TEST_F(CliTest, StatusHonoursUrlTimeZoneAndTimeoutOptions) {
  http_.Reply(200, kHostsBody);
  ASSERT_EQ(
      Run({"--url", "https://collector.example:9000/", "--tz", "UTC", "--timeout", "3s", "status"}),
      kExitOk)
      << err();
  EXPECT_EQ(OnlyRequest().url, "https://collector.example:9000/api/v1/hosts");
  EXPECT_EQ(OnlyRequest().timeout_ms, 3000);
  EXPECT_NE(out().find("2026-11-26 05:56:41 UTC (19s ago)"), std::string::npos) << out();
}

TEST_F(CliTest, HostStatusShowsHeaderMetricsWithUnitsAndRecentEvents) {
  http_.Reply(200, R"({"name":"web-01","agent_version":"0.1.0",
    "first_seen":"2026-11-20T01:00:00Z","last_seen":"2026-11-26T05:56:41Z",
    "last_seen_age_seconds":19,"state":"up","last_seq":1234,"events_total":1,
    "samples_total":5678,
    "metrics":[
      {"metric":"system.mem.used_bytes","labels":{},"value":2147483648,
       "ts":"2026-11-26T05:56:40Z"},
      {"metric":"system.cpu.util","labels":{"mode":"user"},"value":12.5,
       "ts":"2026-11-26T05:56:40Z"},
      {"metric":"system.fs.free_bytes","labels":{"mount":"/","fstype":"ext4"},"value":1536,
       "ts":"2026-11-26T05:56:40Z"}],
    "recent_events":[
      {"host":"web-01","seq":7,"ts":"2026-11-26T05:50:00Z","kind":"agent.started",
       "severity":"information","subject":"beacon-agent","message":"agent started\nv0.1.0",
       "data":{}}]})");
  ASSERT_EQ(Run({"status", "web-01"}), kExitOk) << err();
  EXPECT_EQ(OnlyRequest().url, "http://127.0.0.1:8470/api/v1/hosts/web-01");
  EXPECT_EQ(out(),
            "Host:        web-01\n"
            "State:       up\n"
            "Version:     0.1.0\n"
            "Last seen:   2026-11-26 13:56:41 CST (19s ago)\n"
            "First seen:  2026-11-20 09:00:00 CST\n"
            "Last seq:    1234\n"
            "Received:    5678 samples, 1 events\n"
            "\n"
            "METRIC                 LABELS               VALUE\n"
            "system.cpu.util        mode=user            12.5 %\n"
            "system.fs.free_bytes   fstype=ext4,mount=/  1.5 KiB\n"
            "system.mem.used_bytes  -                    2.0 GiB\n"
            "\n"
            "Recent events:\n"
            "TIME                     SEVERITY     KIND           SUBJECT       MESSAGE\n"
            "2026-11-26 13:50:00 CST  information  agent.started  beacon-agent  agent started "
            "v0.1.0\n");
}

TEST_F(CliTest, HostStatusWithoutMetricsSaysSo) {
  http_.Reply(200, R"({"name":"web-01","state":"up","last_seen":"2026-11-26T05:56:41Z",
                       "metrics":[],"recent_events":[]})");
  ASSERT_EQ(Run({"status", "web-01"}), kExitOk) << err();
  EXPECT_NE(out().find("No current metrics.\n"), std::string::npos);
  EXPECT_NE(out().find("No recent events.\n"), std::string::npos);
}

TEST_F(CliTest, HostNameIsUrlEncodedInThePath) {
  http_.Reply(404, R"({"error":"no such host 'a b/c'"})");
  EXPECT_EQ(Run({"status", "a b/c"}), kExitCollectorError);
  EXPECT_EQ(OnlyRequest().url, "http://127.0.0.1:8470/api/v1/hosts/a%20b%2Fc");
}

TEST_F(CliTest, UnknownHostIs404WithTheCollectorsMessageAndAHint) {
  http_.Reply(404, R"({"error":"no such host 'web-9'"})");
  EXPECT_EQ(Run({"status", "web-9"}), kExitCollectorError);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(),
            "beaconctl: collector: no such host 'web-9' (HTTP 404 Not Found)\n"
            "  hint: the collector has never heard from 'web-9'; list known hosts with "
            "'beaconctl status'\n");
}

TEST_F(CliTest, EventsSendsFiltersAsQueryAndPrintsTable) {
  http_.Reply(200, R"({"events":[
    {"host":"web-01","seq":8,"ts":"2026-11-26T05:56:00Z","kind":"fim.changed",
     "severity":"high","subject":"/etc/passwd","message":"content changed","data":{}},
    {"host":"数据库-01","seq":3,"ts":"2026-11-26T05:00:00Z","kind":"fim.changed",
     "severity":"warning","subject":"/etc/hosts","message":"mode changed","data":{}}]})");
  ASSERT_EQ(Run({"events", "--host", "web-01", "--kind", "fim.*", "--since", "1h", "--limit", "5"}),
            kExitOk)
      << err();
  EXPECT_EQ(OnlyRequest().method, "GET");
  EXPECT_EQ(OnlyRequest().url,
            "http://127.0.0.1:8470/api/v1/events?host=web-01&kind=fim.%2A&since=1h&limit=5");
  EXPECT_EQ(out(),
            "TIME                     HOST       SEVERITY  KIND         SUBJECT      MESSAGE\n"
            "2026-11-26 13:56:00 CST  web-01     high      fim.changed  /etc/passwd  content "
            "changed\n"
            "2026-11-26 13:00:00 CST  数据库-01  warning   fim.changed  /etc/hosts   mode "
            "changed\n");
}

TEST_F(CliTest, EventsWithoutFiltersSendsNoQuery) {
  http_.Reply(200, R"({"events":[]})");
  ASSERT_EQ(Run({"events"}), kExitOk);
  EXPECT_EQ(OnlyRequest().url, "http://127.0.0.1:8470/api/v1/events");
  EXPECT_EQ(out(), "No events.\n");
}

TEST_F(CliTest, JsonPassesTheCollectorsReplyThrough) {
  const std::string body = R"({"events":[{"host":"web-01","seq":1,"extra_field":true}]})";
  http_.Reply(200, body);
  ASSERT_EQ(Run({"events", "--json"}), kExitOk);
  EXPECT_EQ(out(), body + "\n");
  http_.Reply(200, std::string(kHostsBody) + "\n");
  ASSERT_EQ(Run({"--json", "status"}), kExitOk);
  EXPECT_EQ(out(), std::string(kHostsBody) + "\n");
}

TEST_F(CliTest, TokenCreatePrintsOnlyTheTokenOnStdout) {
  http_.Reply(
      201,
      R"({"id":7,"agent":"web-01","token":"agent-token-abc123","created":"2026-11-26T05:57:00Z"})");
  ASSERT_EQ(Run({"token", "create", "web-01"}), kExitOk) << err();
  const auto& request = OnlyRequest();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://127.0.0.1:8470/api/v1/admin/tokens");
  EXPECT_EQ(request.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(nlohmann::json::parse(request.body), nlohmann::json({{"agent", "web-01"}}));
  EXPECT_EQ(out(), "agent-token-abc123\n");
  EXPECT_NE(err().find("shown only this once"), std::string::npos);
  EXPECT_EQ(err().find("agent-token-abc123"), std::string::npos);
}

TEST_F(CliTest, TokenCreateJsonPrintsTheObject) {
  const std::string body =
      R"({"id":7,"agent":"web-01","token":"agent-token-abc123","created":"2026-11-26T05:57:00Z"})";
  http_.Reply(201, body);
  ASSERT_EQ(Run({"token", "create", "web-01", "--json"}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out()), nlohmann::json::parse(body));
}

TEST_F(CliTest, TokenCreateRejectedForBadNameShowsCollectorError) {
  http_.Reply(400, R"({"error":"invalid agent name '-x'"})");
  EXPECT_EQ(Run({"token", "create", "--", "-x"}), kExitCollectorError);
  EXPECT_EQ(out(), "");
  EXPECT_NE(err().find("collector: invalid agent name '-x' (HTTP 400 Bad Request)"),
            std::string::npos);
}

TEST_F(CliTest, TokenListShowsStateAndNeverUsed) {
  http_.Reply(200, R"({"tokens":[
    {"id":1,"agent":"web-01","created":"2026-11-20T01:00:00Z",
     "last_used":"2026-11-26T05:56:41Z","revoked":false},
    {"id":2,"agent":"web-02","created":"2026-11-21T01:00:00Z","last_used":null,"revoked":true}]})");
  ASSERT_EQ(Run({"token", "list"}), kExitOk) << err();
  EXPECT_EQ(OnlyRequest().method, "GET");
  EXPECT_EQ(OnlyRequest().url, "http://127.0.0.1:8470/api/v1/admin/tokens");
  EXPECT_EQ(out(),
            "ID  AGENT   CREATED                  LAST USED                STATE\n"
            "1   web-01  2026-11-20 09:00:00 CST  2026-11-26 13:56:41 CST  active\n"
            "2   web-02  2026-11-21 09:00:00 CST  never                    revoked\n");
}

TEST_F(CliTest, TokenRevokeSendsDeleteAndReportsCount) {
  http_.Reply(200, R"({"agent":"web-01","revoked":1})");
  ASSERT_EQ(Run({"token", "revoke", "web-01"}), kExitOk) << err();
  EXPECT_EQ(OnlyRequest().method, "DELETE");
  EXPECT_EQ(OnlyRequest().url, "http://127.0.0.1:8470/api/v1/admin/tokens/web-01");
  EXPECT_EQ(out(), "Revoked 1 token of agent 'web-01'; it is refused (401) from now on.\n");
  http_.Reply(200, R"({"agent":"web-01","revoked":0})");
  ASSERT_EQ(Run({"token", "revoke", "web-01"}), kExitOk);
  EXPECT_EQ(out(), "Agent 'web-01' had no active token; nothing revoked.\n");
}

TEST_F(CliTest, UnauthorizedPointsAtTheTokenFileAndNeverPrintsTheToken) {
  http_.Reply(401, R"({"error":"unknown token"})");
  EXPECT_EQ(Run({"status"}), kExitCollectorError);
  EXPECT_NE(err().find("collector: unknown token (HTTP 401 Unauthorized)"), std::string::npos);
  EXPECT_NE(err().find("check --token-file / BEACON_TOKEN_FILE"), std::string::npos);
  EXPECT_EQ(err().find(kToken), std::string::npos);
  EXPECT_EQ(out().find(kToken), std::string::npos);
}

TEST_F(CliTest, ForbiddenExplainsAdminTokenIsNeeded) {
  http_.Reply(403, R"({"error":"agent token cannot use the admin API"})");
  EXPECT_EQ(Run({"token", "list"}), kExitCollectorError);
  EXPECT_NE(err().find("HTTP 403 Forbidden"), std::string::npos);
  EXPECT_NE(err().find("use the collector's admin token"), std::string::npos);
}

TEST_F(CliTest, ConnectionRefusedExitsThreeAndAsksIfTheCollectorRuns) {
  http_.Fail(Status::Unavailable("connect to 127.0.0.1:8470: Connection refused"));
  EXPECT_EQ(Run({"--url", "http://127.0.0.1:8470", "status"}), kExitCannotConnect);
  EXPECT_EQ(err(),
            "beaconctl: cannot connect to http://127.0.0.1:8470: connect to 127.0.0.1:8470: "
            "Connection refused\n"
            "  hint: is beacon-collector running at http://127.0.0.1:8470? (set --url or "
            "BEACON_URL)\n");
}

TEST_F(CliTest, TimeoutExitsThreeAndNamesTheTimeout) {
  http_.Fail(Status::DeadlineExceeded("operation timed out"));
  EXPECT_EQ(Run({"--timeout", "2s", "events"}), kExitCannotConnect);
  EXPECT_NE(err().find("no answer from http://127.0.0.1:8470 within 2s"), std::string::npos);
}

TEST_F(CliTest, StoreUnavailableIsACollectorError) {
  http_.Reply(503, R"({"error":"database is locked"})");
  EXPECT_EQ(Run({"events"}), kExitCollectorError);
  EXPECT_NE(err().find("database is locked (HTTP 503 Service Unavailable)"), std::string::npos);
  EXPECT_NE(err().find("retry"), std::string::npos);
}

TEST_F(CliTest, NonJsonSuccessIsAnUnexpectedReply) {
  http_.Reply(200, "<html>proxy login</html>");
  EXPECT_EQ(Run({"status"}), kExitCollectorError);
  EXPECT_NE(err().find("unexpected reply from the collector: the body is not JSON"),
            std::string::npos);
  http_.Reply(200, R"({"nothosts":[]})");
  EXPECT_EQ(Run({"status"}), kExitCollectorError);
  EXPECT_NE(err().find("no \"hosts\" array"), std::string::npos);
  // A reply nested too deep to print safely is refused while parsing.
  http_.Reply(
      200, R"({"hosts":[{"agent":)" + std::string(100000, '[') + std::string(100000, ']') + "}]}");
  EXPECT_EQ(Run({"--json", "status"}), kExitCollectorError);
  EXPECT_NE(err().find("the body is not JSON (JSON nested deeper than 64 levels at byte"),
            std::string::npos)
      << err();
}

TEST_F(CliTest, TokenFromEnvironmentWhenNoFileIsNamed) {
  env_vars_.erase("BEACON_TOKEN_FILE");
  env_vars_["BEACON_TOKEN"] = "env-token-1234";
  http_.Reply(200, R"({"hosts":[]})");
  ASSERT_EQ(Run({"status"}), kExitOk);
  EXPECT_EQ(OnlyRequest().headers.Get("Authorization"), "Bearer env-token-1234");
}

TEST_F(CliTest, MissingTokenIsAUsageErrorAndSendsNothing) {
  env_vars_.clear();
  EXPECT_EQ(Run({"status"}), kExitUsage);
  EXPECT_TRUE(http_.requests.empty());
  EXPECT_NE(err().find("no admin token"), std::string::npos);
  EXPECT_NE(err().find("--token-file"), std::string::npos);
}

TEST_F(CliTest, UnreadableOrEmptyTokenFileIsAUsageError) {
  EXPECT_EQ(Run({"--token-file", "/nonexistent/admin.token", "status"}), kExitUsage);
  EXPECT_NE(err().find("cannot read token file /nonexistent/admin.token"), std::string::npos);
  std::string empty = UniqueTempPath("ctl_empty.token");
  std::ofstream(empty) << "\n  \n";
  EXPECT_EQ(Run({"--token-file", empty, "status"}), kExitUsage);
  EXPECT_NE(err().find("is empty"), std::string::npos);
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(CliTest, UsageErrorsExitTwoWithoutARequest) {
  EXPECT_EQ(Run({"status", "a", "b"}), kExitUsage);
  EXPECT_EQ(err(), "beaconctl: unexpected argument 'b' (see 'beaconctl status --help')\n");
  EXPECT_EQ(Run({"--tz", "Mars/Base", "status"}), kExitUsage);
  EXPECT_NE(err().find("--tz: unknown time zone 'Mars/Base'"), std::string::npos);
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(CliTest, HelpAndVersionNeedNoCollector) {
  env_vars_.clear();
  EXPECT_EQ(Run({"token", "create", "--help"}), kExitOk);
  EXPECT_NE(out().find("Usage: beaconctl token create AGENT"), std::string::npos);
  EXPECT_EQ(Run({"version"}), kExitOk);
  EXPECT_EQ(out(), std::string("beaconctl ") + BEACON_VERSION + "\n");
  EXPECT_EQ(Run({"version", "--json"}), kExitOk);
  EXPECT_EQ(nlohmann::json::parse(out())["version"], BEACON_VERSION);
  EXPECT_TRUE(http_.requests.empty());
}

TEST(DescribeHttpErrorTest, NonJsonErrorBodyIsShownShortAndOnOneLine) {
  std::string html = "<html>\n<body>" + std::string(500, 'x') + "</body></html>";
  Failure failure = DescribeHttpError(502, html, "");
  EXPECT_EQ(failure.exit_code, kExitCollectorError);
  EXPECT_EQ(failure.message.find('\n'), std::string::npos);
  EXPECT_LT(failure.message.size(), 260u);
  EXPECT_NE(failure.message.find("(HTTP 502 Bad Gateway)"), std::string::npos);
  EXPECT_EQ(failure.hint, "check the collector's log");
}

// ---- chat and audit (ctl/bot_commands.*) ----

TEST_F(CliTest, ChatPostsTheJoinedWordsAsTheChosenLocalUserAndPrintsTheReply) {
  http_.Reply(200, R"({"format":"text","reply":"web-01: up"})");
  ASSERT_EQ(Run({"chat", "--as", "alice", "status", "web-01"}), kExitOk) << err();
  const http::HttpRequest& request = OnlyRequest();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, "http://127.0.0.1:8470/api/v1/chat");
  auto body = nlohmann::json::parse(request.body);
  EXPECT_EQ(body["user"], "alice");
  EXPECT_EQ(body["text"], "status web-01");
  EXPECT_EQ(out(), "web-01: up\n");
}

TEST_F(CliTest, ChatUserComesFromTheEnvironmentAndIsRequired) {
  env_vars_["USER"] = "ops";
  http_.Reply(200, R"({"format":"text","reply":"ok\n"})");
  ASSERT_EQ(Run({"chat", "whoami"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(http_.requests.back().body)["user"], "ops");
  env_vars_["BEACON_CHAT_USER"] = "alice";
  http_.Reply(200, R"({"format":"text","reply":"ok\n"})");
  ASSERT_EQ(Run({"chat", "whoami"}), kExitOk) << err();
  EXPECT_EQ(nlohmann::json::parse(http_.requests.back().body)["user"], "alice");
  EXPECT_EQ(out(), "ok\n");
  env_vars_.erase("BEACON_CHAT_USER");
  env_vars_.erase("USER");
  EXPECT_EQ(Run({"chat", "whoami"}), kExitUsage);
  EXPECT_NE(err().find("--as USER"), std::string::npos);
  EXPECT_EQ(Run({"chat"}), kExitUsage);
}

TEST_F(CliTest, ChatRefusedForANonLocalUserExitsOne) {
  http_.Reply(403, R"x({"error":"'bob' is not a local user of the bot (bot.local_users)"})x");
  EXPECT_EQ(Run({"chat", "--as", "bob", "help"}), kExitCollectorError);
  EXPECT_NE(err().find("bot.local_users"), std::string::npos);
}

TEST_F(CliTest, AuditPrintsATableWithFiltersSent) {
  http_.Reply(200, R"({"entries":[{"id":2,"time":"2026-11-26T05:00:00.000Z","user":"local:alice",
    "channel":"cli","command":"fim accept","arguments":["web-01","/etc/hosts"],
    "decision":"proposed","result":"code sent"}]})");
  ASSERT_EQ(Run({"audit", "--since", "1h", "--user", "local:alice", "--tz", "UTC"}), kExitOk)
      << err();
  EXPECT_EQ(OnlyRequest().url, "http://127.0.0.1:8470/api/v1/audit?since=1h&user=local%3Aalice");
  EXPECT_NE(out().find("DECISION"), std::string::npos);
  EXPECT_NE(out().find("web-01 /etc/hosts"), std::string::npos);
  EXPECT_NE(out().find("2026-11-26 05:00:00"), std::string::npos);
  EXPECT_EQ(Run({"audit", "--since", "yesterday"}), kExitUsage);
}

TEST_F(CliTest, AuditVerifyExitsOneNamingTheFirstBrokenRow) {
  http_.Reply(200, R"({"ok":true,"rows":12,"first_bad_id":0,"problem":""})");
  ASSERT_EQ(Run({"audit", "verify"}), kExitOk) << err();
  EXPECT_EQ(http_.requests.back().url, "http://127.0.0.1:8470/api/v1/audit/verify");
  EXPECT_NE(out().find("12 rows"), std::string::npos);
  http_.Reply(200, R"({"ok":false,"rows":12,"first_bad_id":7,"problem":"row 7: hash mismatch"})");
  EXPECT_EQ(Run({"audit", "verify"}), kExitCollectorError);
  EXPECT_NE(out().find("BROKEN at row 7: row 7: hash mismatch"), std::string::npos);
  http_.Reply(200, R"({"rows":1})");
  EXPECT_EQ(Run({"audit", "verify"}), kExitCollectorError);
}

TEST_F(CliTest, ChatAndAuditHaveHelp) {
  ASSERT_EQ(Run({"chat", "--help"}), kExitOk);
  EXPECT_NE(out().find("bot.local_users"), std::string::npos);
  ASSERT_EQ(Run({"audit", "verify", "--help"}), kExitOk);
  EXPECT_NE(out().find("hash chain"), std::string::npos);
  ASSERT_EQ(Run({"help"}), kExitOk);
  EXPECT_NE(out().find("audit verify"), std::string::npos);
}

}  // namespace
}  // namespace beacon::ctl
