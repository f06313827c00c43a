// beaconctl backup run / fim accept against a scripted HttpClient: the exact request, the
// command printed without --wait, progress lines then the result table with --wait, the agent's
// refusal on stderr with exit 1, --json, usage errors and the help texts.
#include "ctl/agent_commands.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "ctl/api.h"
#include "ctl/args.h"
#include "ctl/cli.h"
#include "tests/support/scripted_http_client.h"

namespace beacon::ctl {
namespace {

using nlohmann::json;

constexpr char kBase[] = "http://127.0.0.1:8470";

class AgentCommandsCliTest : public ::testing::Test {
 protected:
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    Environment env;
    env.http = &http_;
    env.clock = &clock_;
    env.getenv = [](const std::string& name) -> std::optional<std::string> {
      if (name == "BEACON_TOKEN") return std::string("admin-token");
      return std::nullopt;
    };
    env.out = &out_;
    env.err = &err_;
    env.sleep_ms = [this](int64_t ms) { clock_.AdvanceMs(ms); };
    return ::beacon::ctl::Run(args, env);
  }
  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }

  fakes::ScriptedHttpClient http_;
  FakeClock clock_{1'795'672'620'000};
  std::ostringstream out_, err_;
};

json Command(const std::string& kind, const std::string& state, const std::string& message = "",
             uint64_t done = 0, uint64_t total = 0, json result = json::object()) {
  return {{"id", 31},           {"host", "web-01"},           {"kind", kind},
          {"state", state},     {"done_bytes", done},         {"total_bytes", total},
          {"message", message}, {"result", std::move(result)}};
}

TEST_F(AgentCommandsCliTest, BackupRunQueuesFollowsAndListsTheVersions) {
  http_.Reply(202, json{{"command", Command("backup.run", "queued")}}.dump());
  http_.Reply(200, Command("backup.run", "delivered").dump());
  http_.Reply(200, Command("backup.run", "running", "started").dump());
  http_.Reply(
      200,
      Command("backup.run", "running", "backing up set app: 1/4 files", 1 << 20, 4 << 20).dump());
  json result = {{"stored", 1},
                 {"versions",
                  {{{"path", "/srv/app/app.yaml"},
                    {"size", 4 << 20},
                    {"stored_size", 1 << 20},
                    {"sha256", std::string(64, 'a')},
                    {"key", "beacon/web-01/srv/app/app.yaml@20261126T055641Z-aaaaaaaaaaaa.zst"}}}},
                 {"versions_omitted", 2}};
  http_.Reply(200,
              Command("backup.run", "succeeded", "set app: 1 version stored (4.0 MiB), 3 unchanged",
                      4 << 20, 4 << 20, result)
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

TEST_F(AgentCommandsCliTest, WithoutWaitTheCommandIsPrintedAndAFailureGoesToStderr) {
  http_.Reply(202, json{{"command", Command("backup.run", "queued")}}.dump());
  ASSERT_EQ(Run({"backup", "run", "web-01", "app"}), kExitOk);
  EXPECT_EQ(out(), "backup.run #31 web-01 set app: queued, waiting for the agent\n");
  EXPECT_EQ(http_.requests.size(), 1u);

  http_.Reply(202, json{{"command", Command("backup.run", "queued")}}.dump());
  http_.Reply(200,
              Command("backup.run", "failed", "unknown backup set 'nope' (known: app)").dump());
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

TEST_F(AgentCommandsCliTest, FimAcceptPrintsWhatTheBaselineTookAndJsonPrintsTheCommand) {
  json result = {{"path", "/etc/app"},
                 {"updated", 1},
                 {"added", 1},
                 {"removed", 0},
                 {"changes",
                  {{{"kind", "updated"}, {"path", "/etc/app/app.conf"}},
                   {{"kind", "added"}, {"path", "/etc/app/new.conf"}}}},
                 {"changes_omitted", 0},
                 {"errors", {{{"path", "/etc/app/secret"}, {"message", "Permission denied"}}}}};
  const json done = Command(
      "fim.accept", "succeeded",
      "accepted /etc/app into the fim baseline: 1 updated, 1 added, 0 removed", 0, 0, result);
  http_.Reply(202, json{{"command", Command("fim.accept", "queued")}}.dump());
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

  http_.Reply(202, json{{"command", Command("fim.accept", "queued")}}.dump());
  http_.Reply(200, done.dump());
  ASSERT_EQ(Run({"--json", "fim", "accept", "web-01", "/etc/app", "--wait"}), kExitOk);
  EXPECT_EQ(json::parse(out()), done);
}

TEST_F(AgentCommandsCliTest, UsageErrorsAndHelp) {
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
