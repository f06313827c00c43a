// UserParameters: zabbix_agentd's key forms, $0..$9 and $$ substitution and unsafe-character
// refusal, word splitting without a shell, include files, running commands (output trimmed,
// stderr kept, exit code ignored, timeout killing the whole group, output limit) and the
// `zabbix:` keys that configure them.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/zabbix/user_parameters.h"
#include "agent/zabbix/zabbix_config.h"
#include "common/config/config.h"

namespace beacon::agent::zabbix {
namespace {

const char kUnsafe[] =
    "Special characters \"\\, ', \", `, *, ?, [, ], {, }, ~, $, !, &, ;, (, ), <, >, |, #, @, "
    "0x0a\" are not allowed in the parameters.";

TEST(ZabbixUserParameters, KeyForms) {
  auto flexible = ParseUserParameter("my.echo[*],echo $1", false);
  ASSERT_TRUE(flexible.ok());
  EXPECT_EQ(flexible->name, "my.echo");
  EXPECT_TRUE(flexible->flexible);
  EXPECT_EQ(flexible->words, (std::vector<std::string>{"echo", "$1"}));
  auto fixed = ParseUserParameter(" my.key , /bin/true", false);
  ASSERT_TRUE(fixed.ok());
  EXPECT_EQ(fixed->name, "my.key");
  EXPECT_FALSE(fixed->flexible);
  EXPECT_EQ(fixed->command, "/bin/true");
  for (const char* bad : {"no comma", ",cmd", "my key,cmd", "k[a],cmd", "k[*]x,cmd", "k,   "}) {
    EXPECT_FALSE(ParseUserParameter(bad, false).ok()) << bad;
  }
}

TEST(ZabbixUserParameters, SubstitutionLikeZabbixAgentd) {
  // Checked against zabbix_agentd 6.0.14: $1..$9, missing ones empty, $0 the command, $$ a $,
  // any other $ kept.
  auto out = SubstituteUserParams("$1-$2-$$1-$3x-$-$a-$", "CMD", {"a", "b"}, false);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, "a-b-$1-x-$-$a-$");
  EXPECT_EQ(*SubstituteUserParams("echo $0", "echo $0", {}, false), "echo echo $0");
  EXPECT_EQ(*SubstituteUserParams("$9", "", {"1", "2", "3", "4", "5", "6", "7", "8", "9"}, false),
            "9");
  auto refused = SubstituteUserParams("echo $1", "", {"a;b"}, false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(), kUnsafe);
  // Only parameters the command uses are checked, as in zabbix_agentd.
  EXPECT_TRUE(SubstituteUserParams("echo $1", "", {"ok", "x|y"}, false).ok());
  for (const char* c : {"\\", "'", "\"", "`", "*", "?", "[", "]", "{", "}", "~", "$",
                        "!",  "&", ";",  "(", ")", "<", ">", "|", "#", "@", "\n"}) {
    EXPECT_FALSE(SubstituteUserParams("$1", "", {std::string("a") + c}, false).ok()) << c;
    EXPECT_TRUE(SubstituteUserParams("$1", "", {std::string("a") + c}, true).ok()) << c;
  }
}

TEST(ZabbixUserParameters, SplitsWordsWithoutAShell) {
  auto words = SplitCommandWords(R"(awk '{print $2}' "a b" c\ d "q\"x" e$1 $$2)");
  ASSERT_TRUE(words.ok()) << words.status().ToString();
  EXPECT_EQ(*words,
            (std::vector<std::string>{"awk", "{print $2}", "a b", "c d", "q\"x", "e$1", "$$2"}));
  for (const char* shell :
       {"a | b", "a > f", "a; b", "a && b", "echo $(id)", "echo `id`", "echo $HOME", "ls /tmp/*",
        "echo ~", "X=1 cmd", "echo \"$(id)\"", "echo ${1}", "cat <f", "a #c"}) {
    auto refused = SplitCommandWords(shell);
    ASSERT_FALSE(refused.ok()) << shell;
    EXPECT_NE(refused.status().message().find("shell: true"), std::string::npos) << shell;
  }
  EXPECT_FALSE(SplitCommandWords("echo 'open").ok());
  EXPECT_FALSE(SplitCommandWords("echo \"open").ok());
  EXPECT_FALSE(SplitCommandWords("   ").ok());
  // With shell: true the same command is kept as written.
  auto piped = ParseUserParameter("k,ps -e | wc -l", true);
  ASSERT_TRUE(piped.ok());
  EXPECT_TRUE(piped->words.empty());
  EXPECT_FALSE(ParseUserParameter("k,ps -e | wc -l", false).ok());
}

TEST(ZabbixUserParameters, IncludeFileReadsOnlyUserParameterLines) {
  const std::string text =
      "# a comment\n"
      "Server=127.0.0.1\n"
      "UserParameter=a.one,echo 1\r\n"
      "  UserParameter = b.two[*] , echo $1\n"
      "UserParameterDir=/tmp\n"
      "UserParameter=broken\n"
      "\n"
      "UserParameter=c.pipe,ps | wc -l\n";
  IncludedParameters found = ParseUserParameterFile(text, "/etc/z.conf", false);
  ASSERT_EQ(found.parameters.size(), 2u);
  EXPECT_EQ(found.parameters[0].name, "a.one");
  EXPECT_EQ(found.parameters[0].command, "echo 1");
  EXPECT_EQ(found.parameters[0].origin, "/etc/z.conf:3");
  EXPECT_EQ(found.parameters[1].name, "b.two");
  ASSERT_EQ(found.errors.size(), 2u);
  EXPECT_EQ(found.errors[0].rfind("/etc/z.conf:6: ", 0), 0u);
  EXPECT_EQ(found.errors[1].rfind("/etc/z.conf:8: ", 0), 0u);
  EXPECT_EQ(ParseUserParameterFile(text, "f", true).parameters.size(), 3u);
}

ItemResult Ask(const ItemTable& table, const std::string& key, int64_t timeout_ms = 3000) {
  ItemContext context;
  context.timeout_ms = timeout_ms;
  return table.Run(key, context);
}

TEST(ZabbixUserParameters, RunsLikeZabbixAgentd) {
  ItemTable table;
  std::vector<UserParameter> params;
  for (auto [text, shell] :
       std::vector<std::pair<const char*, bool>>{{"u.echo[*],printf '%s|%s' $1 $2", false},
                                                 {"u.ws,printf '  a b \\t\\n\\n'", false},
                                                 {"u.fail,echo out; echo err >&2; exit 3", true},
                                                 {"u.empty,true", false},
                                                 {"u.missing,/nonexistent/command", false},
                                                 {"u.shell[*],echo \"$1\" | tr a-z A-Z", true}}) {
    auto p = ParseUserParameter(text, shell);
    ASSERT_TRUE(p.ok()) << text << ": " << p.status().ToString();
    params.push_back(*p);
  }
  ASSERT_TRUE(AddUserParameters(&table, params, false).ok());
  EXPECT_EQ(table.Find("u.echo")->cost, ItemCost::kSlow);
  EXPECT_EQ(Ask(table, "u.echo[a b,\"c d\"]").text, "a b|c d");  // one argument each
  EXPECT_EQ(Ask(table, "u.echo[a]").text, "a|");
  EXPECT_EQ(Ask(table, "u.ws").text, "  a b");
  EXPECT_EQ(Ask(table, "u.fail").text, "out\nerr");  // stderr too, exit code ignored
  auto empty = Ask(table, "u.empty");
  EXPECT_TRUE(empty.supported);
  EXPECT_EQ(empty.text, "");
  auto missing = Ask(table, "u.missing");
  EXPECT_FALSE(missing.supported);
  EXPECT_EQ(missing.text, "Cannot execute command: [2] No such file or directory");
  auto params_refused = Ask(table, "u.empty[x]");
  EXPECT_FALSE(params_refused.supported);
  EXPECT_EQ(params_refused.text, "Item does not allow parameters.");
  auto unsafe = Ask(table, "u.shell[\"a;reboot\"]");
  EXPECT_FALSE(unsafe.supported);
  EXPECT_EQ(unsafe.text, kUnsafe);
  EXPECT_EQ(Ask(table, "u.shell[abc]").text, "ABC");
  EXPECT_FALSE(AddUserParameters(&table, {params[0]}, false).ok());  // already defined
}

TEST(ZabbixUserParameters, TimeoutKillsTheWholeGroup) {
  const std::string marker = ::testing::TempDir() + "/zbx_group_" + std::to_string(::getpid());
  std::filesystem::remove(marker);
  // The shell starts a grandchild in the background that would write the marker after 2 s.
  auto p = ParseUserParameter("u.hang,(sleep 2; touch " + marker + ") & sleep 30", true);
  ASSERT_TRUE(p.ok());
  ItemTable table;
  ASSERT_TRUE(AddUserParameters(&table, {*p}, false).ok());
  const auto start = std::chrono::steady_clock::now();
  auto result = Ask(table, "u.hang", 500);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(result.supported);
  EXPECT_EQ(result.text, "Timeout while executing a shell script.");
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_FALSE(std::filesystem::exists(marker)) << "the background child survived the timeout";
}

TEST(ZabbixUserParameters, OutputLimit) {
  auto big =
      RunUserCommand({"head", "-c", std::to_string(kMaxUserCommandOutput + 1), "/dev/zero"}, 5000);
  EXPECT_FALSE(big.supported);
  EXPECT_EQ(big.text, "Command output exceeded limit of 512 KB.");
  auto fits =
      RunUserCommand({"head", "-c", std::to_string(kMaxUserCommandOutput), "/dev/zero"}, 5000);
  EXPECT_TRUE(fits.supported);
}

ZabbixConfig Read(const std::string& yaml, std::string* errors) {
  auto doc = config::Document::LoadString(yaml, "agent.yaml");
  EXPECT_TRUE(doc.ok());
  ZabbixConfig cfg = ReadZabbixConfig((*doc)->root().Child("zabbix"), "web-01");
  Status finished = (*doc)->Finish();
  *errors = finished.ok() ? "" : finished.message();
  return cfg;
}

TEST(ZabbixUserParameters, ConfigAndInclude) {
  const std::string dir = ::testing::TempDir() + "/zbx_include_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir + "/d");
  std::ofstream(dir + "/d/a.conf") << "UserParameter=inc.a,echo a\nHostname=x\n";
  std::ofstream(dir + "/d/b.conf") << "UserParameter=inc.b[*],df | grep $1\n";
  std::string errors;
  ZabbixConfig cfg = Read(R"(zabbix:
  unsafe_user_parameters: true
  user_parameters:
    - "my.a,echo a"
    - {key: "my.b[*]", command: "echo $1 | wc -c", shell: true}
  include:
    - )" + dir + R"(/d/a.conf
    - {path: ")" + dir + R"(/d/b*.conf", shell: true}
    - )" + dir + R"(/d/none-*.conf
)",
                          &errors);
  EXPECT_EQ(errors, "");
  ASSERT_EQ(cfg.user_parameters.size(), 4u);
  EXPECT_TRUE(cfg.unsafe_user_parameters);
  EXPECT_EQ(cfg.user_parameters[1].name, "my.b");
  EXPECT_TRUE(cfg.user_parameters[1].shell);
  EXPECT_EQ(cfg.user_parameters[2].origin, dir + "/d/a.conf:1");
  EXPECT_TRUE(cfg.user_parameters[3].shell);

  // A directory reads every file; without shell the pipe in b.conf is an error naming the line.
  Read("zabbix:\n  include: [" + dir + "/d]\n", &errors);
  EXPECT_NE(errors.find(dir + "/d/b.conf:1: the command uses shell syntax"), std::string::npos)
      << errors;
  Read("zabbix:\n  include: [" + dir + "/missing.conf]\n", &errors);
  EXPECT_NE(errors.find("does not exist"), std::string::npos) << errors;
  Read("zabbix:\n  user_parameters: [\"agent.ping,echo 1\"]\n", &errors);
  EXPECT_NE(errors.find("agent.ping is a built-in item"), std::string::npos) << errors;
  Read("zabbix:\n  user_parameters: [\"a,echo 1\", \"a[*],echo 2\"]\n", &errors);
  EXPECT_NE(errors.find("a is defined twice"), std::string::npos) << errors;
  Read("zabbix:\n  user_parameters: [\"a,echo $(id)\"]\n", &errors);
  EXPECT_NE(errors.find("zabbix.user_parameters[0]"), std::string::npos) << errors;
}

TEST(ZabbixActiveConfigKeys, DefaultsAndRanges) {
  std::string errors;
  ZabbixConfig defaults = Read("zabbix:\n  server_active: [zabbix.example]\n", &errors);
  EXPECT_EQ(errors, "");
  ASSERT_EQ(defaults.server_active.size(), 1u);
  EXPECT_EQ(defaults.server_active[0].port, 10051);
  EXPECT_EQ(defaults.refresh_active_checks_ms, 120000);
  EXPECT_EQ(defaults.buffer_send_ms, 5000);
  EXPECT_EQ(defaults.buffer_size, 100);
  ZabbixConfig set = Read(R"(zabbix:
  server_active: ["192.0.2.1:20051", "[::1]"]
  refresh_active_checks: 2m
  host_metadata: linux web
  buffer_send: 10s
  buffer_size: 1000
)",
                          &errors);
  EXPECT_EQ(errors, "");
  EXPECT_EQ(set.server_active.size(), 2u);
  EXPECT_EQ(set.refresh_active_checks_ms, 120000);
  EXPECT_EQ(set.host_metadata, "linux web");
  EXPECT_EQ(set.buffer_size, 1000);
  Read("zabbix:\n  server_active: [\"a;b\"]\n  buffer_size: 1\n  buffer_send: 2h\n", &errors);
  EXPECT_NE(errors.find("zabbix.server_active"), std::string::npos) << errors;
  EXPECT_NE(errors.find("zabbix.buffer_size"), std::string::npos) << errors;
  EXPECT_NE(errors.find("zabbix.buffer_send"), std::string::npos) << errors;
}

}  // namespace
}  // namespace beacon::agent::zabbix
