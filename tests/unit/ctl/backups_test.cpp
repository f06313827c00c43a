// beaconctl backups list / backups lifecycle / restore / backup run / fim accept against a fake
// HttpClient: the exact requests (paths, queries, bodies), the tables, progress then result,
// exit codes, usage errors and help. Waiting between polls advances a FakeClock instead of
// sleeping.
#include <gtest/gtest.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ctl/api.h"
#include "ctl/cli.h"
#include "ctl/commands.h"
#include "tests/support/scripted_http_client.h"

namespace beacon::ctl {
namespace {

using nlohmann::json;

constexpr char kToken[] = "s3cr3t-admin-token-value";
constexpr char kBase[] = "http://127.0.0.1:8470";

class BackupsCliTest : public ::testing::Test {
 protected:
  // 2026-11-26T05:57:00Z
  BackupsCliTest() : clock_(1'795'672'620'000) {}

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    Environment env;
    env.http = &http_;
    env.clock = &clock_;
    env.getenv = [](const std::string& name) -> std::optional<std::string> {
      if (name == "BEACON_TOKEN") return std::string(kToken);
      return std::nullopt;
    };
    env.out = &out_;
    env.err = &err_;
    env.sleep_ms = [this](int64_t ms) {
      slept_ms_.push_back(ms);
      clock_.AdvanceMs(ms);
    };
    return ::beacon::ctl::Run(args, env);
  }

  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }

  fakes::ScriptedHttpClient http_;
  FakeClock clock_;
  std::vector<int64_t> slept_ms_;
  std::ostringstream out_, err_;
};

constexpr char kVersionsBody[] = R"({"versions":[
  {"id":43,"host":"web-01","set":"app","path":"/srv/app/conf/app.yaml","size":12582912,
   "mtime":"2026-11-26T05:50:00Z","mode":420,"uid":0,"gid":0,"owner":"root","group":"root",
   "sha256":"1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b","stored_size":3145728,
   "store":"oss-main","key":"k2","storage_class":"standard","key_id":"",
   "created":"2026-11-26T05:56:42.000Z","state":"stored","restore_state":"none"},
  {"id":42,"host":"web-01","set":"app","path":"/srv/app/conf/app.yaml","size":1234,
   "mtime":"2026-11-01T01:00:00Z","mode":420,"uid":0,"gid":0,"owner":"root","group":"root",
   "sha256":"ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100","stored_size":512,
   "store":"oss-main","key":"k1","storage_class":"archive","key_id":"",
   "created":"2026-11-01T01:00:05.000Z","state":"stored","restore_state":"in_progress"}]})";

TEST_F(BackupsCliTest, BackupsListSendsTheFiltersAndPrintsATable) {
  http_.Reply(200, kVersionsBody);
  ASSERT_EQ(Run({"backups", "list", "--host", "web-01", "--path", "/srv/app/*", "--set", "app",
                 "--since", "30d", "--until", "2026-11-26T06:00:00Z", "--limit", "5"}),
            kExitOk)
      << err();
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].method, "GET");
  EXPECT_EQ(http_.requests[0].url, std::string(kBase) +
                                       "/api/v1/backups?host=web-01&path=%2Fsrv%2Fapp%2F%2A&set=app"
                                       "&since=30d&until=2026-11-26T06%3A00%3A00Z&limit=5");
  EXPECT_EQ(http_.requests[0].headers.Get("Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(out(),
            "CREATED                  HOST    PATH                    SIZE      STORED   "
            "CLASS                          SHA256        ID\n"
            "2026-11-26 13:56:42 CST  web-01  /srv/app/conf/app.yaml  12.0 MiB  3.0 MiB  "
            "standard                       1a2b3c4d5e6f  43\n"
            "2026-11-01 09:00:05 CST  web-01  /srv/app/conf/app.yaml  1.2 KiB   512 B    "
            "archive (restore in_progress)  ffeeddccbbaa  42\n");
}

TEST_F(BackupsCliTest, BackupsListWithoutMatchesSaysSoAndJsonPassesThrough) {
  http_.Reply(200, R"({"versions":[]})");
  ASSERT_EQ(Run({"backups", "list"}), kExitOk);
  EXPECT_EQ(http_.requests.back().url, std::string(kBase) + "/api/v1/backups");
  EXPECT_EQ(out(), "No backed-up versions match.\n");
  http_.Reply(200, kVersionsBody);
  ASSERT_EQ(Run({"backups", "list", "--json", "--tz", "UTC"}), kExitOk);
  EXPECT_EQ(json::parse(out()), json::parse(kVersionsBody));
}

TEST_F(BackupsCliTest, LifecycleDryRunListsActionsAndSaysNothingChanged) {
  http_.Reply(200, R"({"dry_run":true,"actions":[
    {"version_id":42,"host":"web-01","path":"/srv/app/conf/app.yaml","action":"transition",
     "target_class":"archive","reason":"older than 30d","state":"pending","error":""},
    {"version_id":17,"host":"db-01","path":"/etc/my.cnf","action":"delete","target_class":"",
     "reason":"older than 365d","state":"pending","error":""},
    {"version_id":18,"host":"db-01","path":"/etc/my.cnf","action":"delete","target_class":"",
     "reason":"thinned: one per week after 30d","state":"pending","error":""}]})");
  ASSERT_EQ(Run({"backups", "lifecycle", "--dry-run"}), kExitOk) << err();
  ASSERT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(http_.requests[0].method, "POST");
  EXPECT_EQ(http_.requests[0].url, std::string(kBase) + "/api/v1/backups/lifecycle?dry_run=true");
  EXPECT_EQ(http_.requests[0].body, "");
  EXPECT_EQ(out(),
            "ACTION      VERSION  HOST    PATH                    TARGET   STATE    REASON\n"
            "transition  42       web-01  /srv/app/conf/app.yaml  archive  pending  older than "
            "30d\n"
            "delete      17       db-01   /etc/my.cnf             -        pending  older than "
            "365d\n"
            "delete      18       db-01   /etc/my.cnf             -        pending  thinned: one "
            "per week after 30d\n"
            "Dry run: 3 actions would be taken (2 delete, 1 transition); nothing was changed.\n");
}

TEST_F(BackupsCliTest, LifecycleWithAFailedActionShowsTheErrorAndExitsOne) {
  http_.Reply(200, R"({"dry_run":false,"actions":[
    {"version_id":42,"host":"web-01","path":"/a","action":"transition","target_class":"archive",
     "reason":"older than 30d","state":"done","error":""},
    {"version_id":43,"host":"web-01","path":"/b","action":"delete","target_class":"",
     "reason":"older than 365d","state":"failed","error":"oss: 503 ServiceUnavailable"}]})");
  EXPECT_EQ(Run({"backups", "lifecycle"}), kExitCollectorError);
  EXPECT_EQ(http_.requests[0].url, std::string(kBase) + "/api/v1/backups/lifecycle?dry_run=false");
  EXPECT_EQ(out(),
            "ACTION      VERSION  HOST    PATH  TARGET   STATE   REASON           ERROR\n"
            "transition  42       web-01  /a    archive  done    older than 30d   -\n"
            "delete      43       web-01  /b    -        failed  older than 365d  oss: 503 "
            "ServiceUnavailable\n"
            "2 actions (1 delete, 1 transition): 1 done, 1 failed. Failed actions are retried by "
            "the collector.\n");
}

TEST_F(BackupsCliTest, LifecycleWithNothingDue) {
  http_.Reply(200, R"({"dry_run":false,"actions":[]})");
  EXPECT_EQ(Run({"backups", "lifecycle"}), kExitOk);
  EXPECT_EQ(out(), "No lifecycle actions were due.\n");
}

std::string CommandBody(const std::string& state, uint64_t done = 0, uint64_t total = 0,
                        const std::string& message = "") {
  return json{{"id", 12},
              {"host", "web-01"},
              {"kind", "restore"},
              {"state", state},
              {"done_bytes", done},
              {"total_bytes", total},
              {"message", message},
              {"created", "2026-11-26T05:57:00Z"},
              {"updated", "2026-11-26T05:57:00Z"}}
      .dump();
}

TEST_F(BackupsCliTest, RestorePostsThenPrintsEachChangeAndTheResult) {
  http_.Reply(
      202, R"({"command":)" + CommandBody("waiting_archive_restore") + R"(,"version":{"id":42}})");
  http_.Reply(200, CommandBody("waiting_archive_restore"));
  http_.Reply(200, CommandBody("queued"));
  http_.Reply(200, CommandBody("running", 4 << 20, 12 << 20));
  http_.Reply(200, CommandBody("running", 4 << 20, 12 << 20));
  http_.Reply(200, CommandBody("succeeded", 12 << 20, 12 << 20,
                               "restored /srv/app/app.yaml (12.0 MiB) to /srv/app/app.yaml, "
                               "sha256 verified"));
  ASSERT_EQ(Run({"restore", "web-01", "/srv/app/app.yaml", "--at", "1h"}), kExitOk) << err();

  ASSERT_EQ(http_.requests.size(), 6u);
  EXPECT_EQ(http_.requests[0].method, "POST");
  EXPECT_EQ(http_.requests[0].url, std::string(kBase) + "/api/v1/restores");
  EXPECT_EQ(http_.requests[0].headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(json::parse(http_.requests[0].body), json({{"host", "web-01"},
                                                       {"path", "/srv/app/app.yaml"},
                                                       {"at", "2026-11-26T04:57:00.000Z"}}));
  for (size_t i = 1; i < 6; ++i) {
    EXPECT_EQ(http_.requests[i].method, "GET");
    EXPECT_EQ(http_.requests[i].url, std::string(kBase) + "/api/v1/commands/12");
  }
  EXPECT_EQ(slept_ms_, std::vector<int64_t>(5, 1000));
  EXPECT_EQ(out(),
            "restore #12 web-01:/srv/app/app.yaml: waiting for archive restore\n"
            "restore #12 web-01:/srv/app/app.yaml: queued, waiting for the agent\n"
            "restore #12 web-01:/srv/app/app.yaml: running 4.0 MiB / 12.0 MiB (33%)\n"
            "restore #12 web-01:/srv/app/app.yaml: succeeded: restored /srv/app/app.yaml "
            "(12.0 MiB) to /srv/app/app.yaml, sha256 verified\n");
  EXPECT_EQ(err(), "");
}

TEST_F(BackupsCliTest, RestoreFailureExitsOneWithTheAgentsMessageOnStderr) {
  http_.Reply(202, R"({"command":)" + CommandBody("queued") + "}");
  http_.Reply(200, CommandBody("running", 0, 100));
  http_.Reply(200, CommandBody("failed", 0, 100,
                               "restore target /etc/passwd is outside the restore roots"));
  EXPECT_EQ(Run({"restore", "web-01", "/etc/passwd", "--version", "42", "--to", "/tmp/r"}),
            kExitCollectorError);
  EXPECT_EQ(json::parse(http_.requests[0].body),
            json({{"host", "web-01"}, {"path", "/etc/passwd"}, {"version", 42}, {"to", "/tmp/r"}}));
  EXPECT_EQ(out(),
            "restore #12 web-01:/etc/passwd: queued, waiting for the agent\n"
            "restore #12 web-01:/etc/passwd: running 0 B / 100 B (0%)\n");
  EXPECT_EQ(err(),
            "beaconctl: restore #12 web-01:/etc/passwd failed: restore target /etc/passwd is "
            "outside the restore roots\n");
}

TEST_F(BackupsCliTest, RestoreNoWaitPrintsTheCommandAndReturns) {
  http_.Reply(202, R"({"command":)" + CommandBody("queued") + "}");
  ASSERT_EQ(Run({"restore", "web-01", "/srv/app/app.yaml", "--no-wait"}), kExitOk);
  EXPECT_EQ(http_.requests.size(), 1u);
  EXPECT_EQ(json::parse(http_.requests[0].body),
            json({{"host", "web-01"}, {"path", "/srv/app/app.yaml"}}));
  EXPECT_EQ(out(), "restore #12 web-01:/srv/app/app.yaml: queued, waiting for the agent\n");
  EXPECT_TRUE(slept_ms_.empty());
}

TEST_F(BackupsCliTest, RestoreJsonPrintsOnlyTheFinalCommand) {
  http_.Reply(202, R"({"command":)" + CommandBody("queued") + "}");
  http_.Reply(200, CommandBody("succeeded", 10, 10, "restored"));
  ASSERT_EQ(Run({"restore", "web-01", "/srv/app/app.yaml", "--json"}), kExitOk);
  EXPECT_EQ(json::parse(out()), json::parse(CommandBody("succeeded", 10, 10, "restored")));
}

TEST_F(BackupsCliTest, RestoreGivesUpWaitingAfterTimeoutWait) {
  http_.Reply(202, R"({"command":)" + CommandBody("queued") + "}");
  for (int i = 0; i < 3; ++i) http_.Reply(200, CommandBody("delivered"));
  EXPECT_EQ(Run({"restore", "web-01", "/srv/app/app.yaml", "--timeout-wait", "3s"}),
            kExitCollectorError);
  EXPECT_EQ(slept_ms_.size(), 3u);
  EXPECT_EQ(out(),
            "restore #12 web-01:/srv/app/app.yaml: queued, waiting for the agent\n"
            "restore #12 web-01:/srv/app/app.yaml: delivered to the agent\n");
  EXPECT_NE(err().find("stopped waiting for restore #12 web-01:/srv/app/app.yaml after 3s"),
            std::string::npos)
      << err();
  EXPECT_NE(err().find("GET /api/v1/commands/12"), std::string::npos);
}

TEST_F(BackupsCliTest, RestoreKeepsWaitingThroughATransientCollectorOutage) {
  http_.Reply(202, R"({"command":)" + CommandBody("queued") + "}");
  http_.Reply(503, R"({"error":"shutting down"})");
  http_.Fail(Status::Unavailable("connect to 127.0.0.1:8470: Connection refused"));
  http_.Reply(200, CommandBody("succeeded", 10, 10, "restored"));
  EXPECT_EQ(Run({"restore", "web-01", "/srv/app/app.yaml"}), kExitOk) << err();
  EXPECT_EQ(http_.requests.size(), 4u);
  EXPECT_EQ(err(), "");
  EXPECT_EQ(out(),
            "restore #12 web-01:/srv/app/app.yaml: queued, waiting for the agent\n"
            "restore #12 web-01:/srv/app/app.yaml: succeeded: restored\n");
}

TEST_F(BackupsCliTest, RestoreReportsAnOutageThatLastsPastTheWait) {
  http_.Reply(202, R"({"command":)" + CommandBody("queued") + "}");
  http_.Reply(503, R"({"error":"shutting down"})");
  http_.Reply(503, R"({"error":"shutting down"})");
  EXPECT_EQ(Run({"restore", "web-01", "/srv/app/app.yaml", "--timeout-wait", "2s"}),
            kExitCollectorError);
  EXPECT_NE(err().find("collector: shutting down (HTTP 503 Service Unavailable)"),
            std::string::npos)
      << err();
}

TEST_F(BackupsCliTest, RestoreOfAnUnknownFileIsA404WithAHint) {
  http_.Reply(404, R"({"error":"no stored version of /srv/x on web-01"})");
  EXPECT_EQ(Run({"restore", "web-01", "/srv/x"}), kExitCollectorError);
  EXPECT_EQ(err(),
            "beaconctl: collector: no stored version of /srv/x on web-01 (HTTP 404 Not Found)\n"
            "  hint: no such backup; list versions with 'beaconctl backups list --host web-01 "
            "--path /srv/x'\n");
}

TEST_F(BackupsCliTest, UsageErrorsExitTwoWithoutARequest) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"restore", "web-01"}, "missing argument (see 'beaconctl restore --help')"},
      {{"restore", "web-01", "/a", "--version", "4", "--at", "1h"},
       "--version and --at exclude each other"},
      {{"restore", "web-01", "/a", "--version", "abc"}, "--version takes a version id"},
      {{"restore", "web-01", "relative/a"}, "PATH must be the absolute path"},
      {{"restore", "web-01", "/a", "--to", "tmp"}, "--to takes an absolute directory"},
      {{"restore", "web-01", "/a", "--at", "yesterday"}, "--at takes a duration ago"},
      {{"restore", "web-01", "/a", "--timeout-wait", "soon"}, "--timeout-wait takes a duration"},
      {{"restore", "web-01", "/a", "--no-wait=yes"}, "--no-wait takes no value"},
      {{"backups", "lifecycle", "--dry-run=1"}, "--dry-run takes no value"},
      {{"backups", "list", "--limit", "0"}, "--limit must be a number from 1 to 10000"},
      {{"backups", "list", "--dry-run"}, "unknown option '--dry-run' for 'backups list'"},
      {{"backups"}, "'backups' needs a subcommand"},
  };
  for (const auto& [args, message] : cases) {
    EXPECT_EQ(Run(args), kExitUsage) << args.back();
    EXPECT_NE(err().find(message), std::string::npos) << err();
  }
  EXPECT_TRUE(http_.requests.empty());
}

TEST_F(BackupsCliTest, HelpDescribesTheNewCommands) {
  ASSERT_EQ(Run({"--help"}), kExitOk);
  EXPECT_NE(out().find("backups list"), std::string::npos);
  EXPECT_NE(out().find("restore HOST PATH"), std::string::npos);
  ASSERT_EQ(Run({"restore", "--help"}), kExitOk);
  EXPECT_NE(out().find("Usage: beaconctl restore HOST PATH [--version ID | --at TIME]"),
            std::string::npos);
  EXPECT_NE(out().find("--timeout-wait D"), std::string::npos);
  ASSERT_EQ(Run({"backups", "lifecycle", "--help"}), kExitOk);
  EXPECT_NE(out().find("--dry-run"), std::string::npos);
  EXPECT_TRUE(http_.requests.empty());
}

TEST(RestoreProgressTextTest, DescribesEveryState) {
  EXPECT_EQ(RestoreProgressText(json{{"state", "waiting_archive_restore"}}),
            "waiting for archive restore");
  EXPECT_EQ(RestoreProgressText(json{{"state", "running"}}), "running");
  EXPECT_EQ(RestoreProgressText(
                json{{"state", "running"}, {"done_bytes", 6 << 20}, {"total_bytes", 12 << 20}}),
            "running 6.0 MiB / 12.0 MiB (50%)");
  EXPECT_EQ(RestoreProgressText(json{{"state", "succeeded"}, {"message", "ok\nthen"}}),
            "succeeded: ok then");
}

TEST(TimeOptionTest, AcceptsRfc3339OrADurationAgo) {
  const int64_t now = 1'795'672'620'000;  // 2026-11-26T05:57:00Z
  EXPECT_EQ(*TimeOption("--at", "2026-11-20T08:00:00+08:00", now), "2026-11-20T00:00:00.000Z");
  EXPECT_EQ(*TimeOption("--at", "2d", now), "2026-11-24T05:57:00.000Z");
  EXPECT_FALSE(TimeOption("--at", "last tuesday", now).ok());
}

// ---- backup run / fim accept ----

json AgentCommand(const std::string& kind, const std::string& state,
                  const std::string& message = "", uint64_t done = 0, uint64_t total = 0,
                  json result = json::object()) {
  return {{"id", 31},           {"host", "web-01"},           {"kind", kind},
          {"state", state},     {"done_bytes", done},         {"total_bytes", total},
          {"message", message}, {"result", std::move(result)}};
}

TEST_F(BackupsCliTest, BackupRunQueuesFollowsAndListsTheVersions) {
  http_.Reply(202, json{{"command", AgentCommand("backup.run", "queued")}}.dump());
  http_.Reply(200, AgentCommand("backup.run", "delivered").dump());
  http_.Reply(200, AgentCommand("backup.run", "running", "started").dump());
  http_.Reply(
      200, AgentCommand("backup.run", "running", "backing up set app: 1/4 files", 1 << 20, 4 << 20)
               .dump());
  json result = {{"stored", 1},
                 {"versions",
                  {{{"path", "/srv/app/app.yaml"},
                    {"size", 4 << 20},
                    {"stored_size", 1 << 20},
                    {"sha256", std::string(64, 'a')},
                    {"key", "beacon/web-01/srv/app/app.yaml@20261126T055641Z-aaaaaaaaaaaa.zst"}}}},
                 {"versions_omitted", 2}};
  http_.Reply(200, AgentCommand("backup.run", "succeeded",
                                "set app: 1 version stored (4.0 MiB), 3 unchanged", 4 << 20,
                                4 << 20, result)
                       .dump());
  ASSERT_EQ(Run({"backup", "run", "web-01", "app", "--wait"}), kExitOk) << err();
  ASSERT_EQ(http_.requests.size(), 5u);
  EXPECT_EQ(http_.requests[0].method, "POST");
  EXPECT_EQ(http_.requests[0].url, std::string(kBase) + "/api/v1/agents/web-01/commands");
  EXPECT_EQ(json::parse(http_.requests[0].body),
            (json{{"kind", "backup.run"}, {"args", {{"set", "app"}}}}));
  EXPECT_EQ(http_.requests[4].url, std::string(kBase) + "/api/v1/commands/31");
  EXPECT_EQ(out(),
            "backup.run #31 web-01 set app: queued, waiting for the agent\n"
            "backup.run #31 web-01 set app: delivered to the agent\n"
            "backup.run #31 web-01 set app: running\n"
            "backup.run #31 web-01 set app: running: backing up set app: 1/4 files (1.0 MiB / "
            "4.0 MiB, 25%)\n"
            "backup.run #31 web-01 set app: succeeded: set app: 1 version stored (4.0 MiB), 3 "
            "unchanged\n"
            "PATH               SIZE     STORED   SHA256        KEY\n"
            "/srv/app/app.yaml  4.0 MiB  1.0 MiB  aaaaaaaaaaaa  "
            "beacon/web-01/srv/app/app.yaml@20261126T055641Z-aaaaaaaaaaaa.zst\n"
            "... and 2 more (beaconctl backups list --host HOST --set SET shows them all)\n");
  EXPECT_EQ(err(), "");
}

TEST_F(BackupsCliTest, WithoutWaitTheCommandIsPrintedAndAFailureGoesToStderr) {
  http_.Reply(202, json{{"command", AgentCommand("backup.run", "queued")}}.dump());
  ASSERT_EQ(Run({"backup", "run", "web-01", "app"}), kExitOk);
  EXPECT_EQ(out(), "backup.run #31 web-01 set app: queued, waiting for the agent\n");
  EXPECT_EQ(http_.requests.size(), 1u);

  http_.Reply(202, json{{"command", AgentCommand("backup.run", "queued")}}.dump());
  http_.Reply(
      200, AgentCommand("backup.run", "failed", "unknown backup set 'nope' (known: app)").dump());
  EXPECT_EQ(Run({"backup", "run", "web-01", "nope", "--wait"}), kExitCollectorError);
  EXPECT_EQ(err(),
            "beaconctl: backup.run #31 web-01 set nope failed: unknown backup set 'nope' (known: "
            "app)\n");

  // The collector's 400 is shown as it is.
  http_.Reply(
      400,
      R"x({"error":"args: set: not a backup set name (1 to 128 letters, digits, '_', '.', '-')"})x");
  EXPECT_EQ(Run({"backup", "run", "web-01", "a/b"}), kExitCollectorError);
  EXPECT_NE(err().find("args: set: not a backup set name"), std::string::npos) << err();
}

TEST_F(BackupsCliTest, FimAcceptPrintsWhatTheBaselineTookAndJsonPrintsTheCommand) {
  json result = {{"path", "/etc/app"},
                 {"updated", 1},
                 {"added", 1},
                 {"removed", 0},
                 {"changes",
                  {{{"kind", "updated"}, {"path", "/etc/app/app.conf"}},
                   {{"kind", "added"}, {"path", "/etc/app/new.conf"}}}},
                 {"changes_omitted", 0},
                 {"errors", {{{"path", "/etc/app/secret"}, {"message", "Permission denied"}}}}};
  const json done = AgentCommand(
      "fim.accept", "succeeded",
      "accepted /etc/app into the fim baseline: 1 updated, 1 added, 0 removed", 0, 0, result);
  http_.Reply(202, json{{"command", AgentCommand("fim.accept", "queued")}}.dump());
  http_.Reply(200, done.dump());
  ASSERT_EQ(Run({"fim", "accept", "web-01", "/etc/app", "--wait"}), kExitOk) << err();
  EXPECT_EQ(json::parse(http_.requests[0].body),
            (json{{"kind", "fim.accept"}, {"args", {{"path", "/etc/app"}}}}));
  EXPECT_EQ(out(),
            "fim.accept #31 web-01:/etc/app: queued, waiting for the agent\n"
            "fim.accept #31 web-01:/etc/app: succeeded: accepted /etc/app into the fim baseline: "
            "1 updated, 1 added, 0 removed\n"
            "BASELINE  PATH\n"
            "updated   /etc/app/app.conf\n"
            "added     /etc/app/new.conf\n"
            "not readable: /etc/app/secret: Permission denied\n");

  http_.Reply(202, json{{"command", AgentCommand("fim.accept", "queued")}}.dump());
  http_.Reply(200, done.dump());
  ASSERT_EQ(Run({"--json", "fim", "accept", "web-01", "/etc/app", "--wait"}), kExitOk);
  EXPECT_EQ(json::parse(out()), done);
}

TEST_F(BackupsCliTest, UsageErrorsAndHelp) {
  EXPECT_EQ(Run({"fim", "accept", "web-01", "etc/app"}), kExitUsage);
  EXPECT_NE(err().find("PATH must be an absolute path on the host, got 'etc/app'"),
            std::string::npos);
  EXPECT_EQ(Run({"fim", "accept", "web-01", "/etc/\xff"}), kExitUsage);
  EXPECT_NE(err().find("PATH is not valid UTF-8"), std::string::npos);
  EXPECT_EQ(Run({"backup", "run", "web-01"}), kExitUsage);
  EXPECT_EQ(Run({"backup", "run", "web-01", "app", "--timeout-wait", "soon"}), kExitUsage);
  EXPECT_TRUE(http_.requests.empty());

  EXPECT_EQ(Run({"backup", "run", "--help"}), kExitOk);
  EXPECT_EQ(out().rfind("Usage: beaconctl backup run HOST SET [--wait] [--timeout-wait D]", 0), 0u);
  EXPECT_EQ(Run({"help", "fim", "accept"}), kExitOk);
  EXPECT_EQ(out().rfind("Usage: beaconctl fim accept HOST PATH [--wait] [--timeout-wait D]", 0),
            0u);
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_NE(out().find("  backup run HOST SET [--wait]  back up a set on a host now\n"),
            std::string::npos);
  EXPECT_NE(out().find("  fim accept HOST PATH [--wait] accept"), std::string::npos);
}

}  // namespace
}  // namespace beacon::ctl
