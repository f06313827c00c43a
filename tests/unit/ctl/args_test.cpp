// Tests for beaconctl's command-line parsing: defaults, environment, and every usage error.
#include "ctl/args.h"

#include <gtest/gtest.h>

#include <map>

namespace beacon::ctl {
namespace {

Getenv EnvOf(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<Invocation> Parse(std::vector<std::string> argv,
                         std::map<std::string, std::string> env = {}) {
  return ParseArgs(argv, EnvOf(std::move(env)));
}

std::string ErrorOf(std::vector<std::string> argv) {
  auto result = Parse(std::move(argv));
  EXPECT_FALSE(result.ok());
  return result.ok() ? "" : result.status().message();
}

TEST(ParseArgsTest, Defaults) {
  auto inv = Parse({"status"});
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_EQ(inv->command, std::vector<std::string>{"status"});
  EXPECT_EQ(inv->global.url, "http://127.0.0.1:8470");
  EXPECT_EQ(inv->global.tz, "Asia/Shanghai");
  EXPECT_EQ(inv->global.timeout_ms, 10000);
  EXPECT_FALSE(inv->global.json);
  EXPECT_TRUE(inv->global.token_file.empty());
  EXPECT_TRUE(inv->args.empty());
}

TEST(ParseArgsTest, EnvironmentSetsDefaultsAndFlagsWin) {
  std::map<std::string, std::string> env = {{"BEACON_URL", "http://c:1/"},
                                            {"BEACON_TOKEN_FILE", "/env/token"},
                                            {"BEACON_TOKEN", "tok"},
                                            {"BEACON_TZ", "UTC"}};
  auto inv = Parse({"status"}, env);
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->global.url, "http://c:1");  // trailing '/' dropped
  EXPECT_EQ(inv->global.token_file, "/env/token");
  EXPECT_EQ(inv->global.env_token, "tok");
  EXPECT_EQ(inv->global.tz, "UTC");
  inv = Parse({"--url", "https://x", "status", "--token-file=/flag/token", "--tz", "Europe/Berlin"},
              env);
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->global.url, "https://x");
  EXPECT_EQ(inv->global.token_file, "/flag/token");
  EXPECT_EQ(inv->global.tz, "Europe/Berlin");
}

TEST(ParseArgsTest, GlobalOptionsAnywhereCommandOptionsAfterCommand) {
  auto inv = Parse({"events", "--json", "--host", "web-01", "--kind=fim.*", "--since", "1h",
                    "--limit", "50", "--timeout", "3s"});
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_TRUE(inv->global.json);
  EXPECT_EQ(inv->global.timeout_ms, 3000);
  EXPECT_EQ(inv->options,
            (std::map<std::string, std::string>{
                {"host", "web-01"}, {"kind", "fim.*"}, {"since", "1h"}, {"limit", "50"}}));
  // A bare number of seconds is a timeout too.
  inv = Parse({"--timeout", "2", "status", "web-01"});
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->global.timeout_ms, 2000);
  EXPECT_EQ(inv->args, std::vector<std::string>{"web-01"});
}

TEST(ParseArgsTest, TokenSubcommands) {
  auto inv = Parse({"token", "create", "web-01"});
  ASSERT_TRUE(inv.ok());
  EXPECT_EQ(inv->command, (std::vector<std::string>{"token", "create"}));
  EXPECT_EQ(inv->args, std::vector<std::string>{"web-01"});
  EXPECT_TRUE(Parse({"token", "list"}).ok());
  EXPECT_TRUE(Parse({"token", "revoke", "web-01"}).ok());
}

TEST(ParseArgsTest, UsageErrorsNameTheProblemAndTheHelpToRead) {
  EXPECT_EQ(ErrorOf({}), "missing command (see 'beaconctl --help')");
  EXPECT_EQ(ErrorOf({"stauts"}), "unknown command 'stauts' (see 'beaconctl --help')");
  EXPECT_EQ(ErrorOf({"token", "make", "x"}),
            "unknown command 'token make' (see 'beaconctl token --help')");
  EXPECT_EQ(ErrorOf({"token"}), "'token' needs a subcommand (see 'beaconctl token --help')");
  EXPECT_EQ(ErrorOf({"token", "create"}), "missing argument (see 'beaconctl token create --help')");
  EXPECT_EQ(ErrorOf({"status", "a", "b"}),
            "unexpected argument 'b' (see 'beaconctl status --help')");
  EXPECT_EQ(ErrorOf({"status", "--host", "x"}),
            "unknown option '--host' for 'status' (see 'beaconctl status --help')");
  EXPECT_EQ(ErrorOf({"--host", "x", "events"}), "unknown option '--host' (see 'beaconctl --help')");
  EXPECT_EQ(ErrorOf({"events", "--host"}),
            "option --host needs a value (see 'beaconctl events --help')");
  EXPECT_EQ(ErrorOf({"status", "--json=yes"}),
            "--json takes no value (see 'beaconctl status --help')");
}

TEST(ParseArgsTest, ValidatesValues) {
  EXPECT_EQ(ErrorOf({"events", "--limit", "0"}),
            "--limit must be a number from 1 to 10000, got '0' (see 'beaconctl events --help')");
  EXPECT_EQ(ErrorOf({"events", "--limit", "ten"}),
            "--limit must be a number from 1 to 10000, got 'ten' (see 'beaconctl events --help')");
  EXPECT_NE(ErrorOf({"events", "--since", "yesterday"}).find("--since takes a duration ago"),
            std::string::npos);
  EXPECT_TRUE(Parse({"events", "--since", "2026-11-26T05:00:00Z"}).ok());
  EXPECT_EQ(ErrorOf({"--url", "127.0.0.1:8470", "status"}),
            "--url must start with http:// or https://, got '127.0.0.1:8470' (see 'beaconctl "
            "status --help')");
  EXPECT_NE(ErrorOf({"--timeout", "-1", "status"}).find("--timeout takes a duration"),
            std::string::npos);
  EXPECT_NE(ErrorOf({"--timeout", "soon", "status"}).find("--timeout takes a duration"),
            std::string::npos);
}

TEST(ParseArgsTest, HelpAtEveryLevel) {
  for (auto argv : std::vector<std::vector<std::string>>{{"--help"},
                                                         {"-h"},
                                                         {"help"},
                                                         {"status", "--help"},
                                                         {"token", "--help"},
                                                         {"token", "create", "-h"},
                                                         {"help", "token", "revoke"},
                                                         {"events", "--limit", "0", "--help"}}) {
    auto inv = Parse(argv);
    ASSERT_TRUE(inv.ok()) << argv[0] << ": " << inv.status().ToString();
    EXPECT_TRUE(inv->help);
  }
  EXPECT_EQ(Parse({"token", "--help"})->command, std::vector<std::string>{"token"});
  EXPECT_EQ(Parse({"help", "token", "revoke"})->command,
            (std::vector<std::string>{"token", "revoke"}));
  EXPECT_NE(HelpText({}).find("token create AGENT"), std::string::npos);
  EXPECT_NE(HelpText({"events"}).find("--since D"), std::string::npos);
  EXPECT_NE(HelpText({"token"}).find("revoke AGENT"), std::string::npos);
  EXPECT_NE(HelpText({"token", "create"}).find("> agent.token"), std::string::npos);
  // Every help page lists the global options and the exit codes.
  EXPECT_NE(HelpText({"status"}).find("BEACON_TOKEN_FILE"), std::string::npos);
  EXPECT_NE(HelpText({"status"}).find("3 cannot connect"), std::string::npos);
}

TEST(ParseArgsTest, DoubleDashEndsOptions) {
  auto inv = Parse({"token", "revoke", "--", "--json"});
  // Agent names may not start with '-', but the parser must still not treat it as a flag.
  ASSERT_TRUE(inv.ok());
  EXPECT_FALSE(inv->global.json);
  EXPECT_EQ(inv->args, std::vector<std::string>{"--json"});
}

}  // namespace
}  // namespace beacon::ctl
