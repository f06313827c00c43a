// Engine: roles (default deny), lookup by name and alias, argument checks, and the audit row
// every attempt leaves. The commands themselves are in commands_test.cpp, confirmations in
// confirm_flow_test.cpp.
#include "bot/engine.h"

#include <gtest/gtest.h>

#include "bot/tokenize.h"
#include "common/store/sqlite.h"
#include "tests/unit/bot/fakes.h"

namespace beacon::bot {
namespace {

using testing::BotHarness;

bool Has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Engine, UnknownUserIsRefusedPolitelyInBothLanguagesAndAudited) {
  BotHarness h;
  Reply r = h.Say("stranger", "status web-01");
  EXPECT_TRUE(Has(r.body, "Sorry")) << r.body;
  EXPECT_TRUE(Has(r.body, "抱歉")) << r.body;
  EXPECT_TRUE(Has(r.body, "stranger"));
  auto rows = h.AuditRows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].entry.user, "stranger");
  EXPECT_EQ(rows[0].entry.decision, kDecisionRefused);
  EXPECT_EQ(rows[0].entry.result, "unknown user");
  EXPECT_EQ(rows[0].entry.command, "status");
  EXPECT_EQ(rows[0].entry.arguments, std::vector<std::string>{"web-01"});
  // Even help is refused: nothing reaches a handler.
  EXPECT_TRUE(Has(h.Say("stranger", "help").body, "Sorry"));
  // An empty user id and an unknown channel have no role either.
  EXPECT_TRUE(Has(h.Say("", "help").body, "Sorry"));
  EXPECT_TRUE(Has(h.Say("admin1", "help", testing::kNow, "smtp").body, "Sorry"));
}

TEST(Engine, LocalUsersOnlyThroughTheCliAndWecomUsersOnlyThroughWecom) {
  BotHarness h;
  EXPECT_TRUE(Has(h.Say("alice", "whoami", testing::kNow, kChannelCli).body, "role: admin"));
  EXPECT_TRUE(Has(h.Say("alice", "whoami").body, "Sorry"));  // no WeCom user alice
  EXPECT_TRUE(Has(h.Say("admin1", "whoami", testing::kNow, kChannelCli).body, "Sorry"));
  Reply robot = h.Say("op1", "whoami", testing::kNow, kChannelWecomRobot);
  EXPECT_TRUE(Has(robot.body, "role: operator")) << robot.body;
  auto rows = h.AuditRows();
  EXPECT_EQ(rows.back().entry.user, "local:alice");
  EXPECT_EQ(rows.back().entry.channel, kChannelCli);
}

TEST(Engine, DepartmentsAndTagsGrantRolesAndTheHighestWins) {
  BotHarness h;
  ChatRequest r;
  r.sender = Sender{"newcomer", kChannelWecomApp, {"7", "42"}, {}, ""};
  r.text = "whoami";
  r.now_ms = testing::kNow;
  EXPECT_TRUE(Has(h.engine->Handle(r).body, "role: operator"));
  r.sender.tags = {"sre"};
  EXPECT_TRUE(Has(h.engine->Handle(r).body, "role: admin"));
  r.sender = Sender{"viewer1", kChannelWecomApp, {"42"}, {}, ""};
  EXPECT_TRUE(Has(h.engine->Handle(r).body, "role: operator"));
}

TEST(Engine, ChineseAliasesAnswerInChinese) {
  BotHarness h;
  Reply who = h.Say("op1", "我是谁");
  EXPECT_TRUE(Has(who.body, "角色：操作员")) << who.body;
  Reply help = h.Say("viewer1", "帮助");
  EXPECT_TRUE(Has(help.body, "你可以使用的命令")) << help.body;
  EXPECT_TRUE(Has(help.body, "状态")) << help.body;
  // English names are case-insensitive.
  EXPECT_TRUE(Has(h.Say("op1", "WhoAmI").body, "role: operator"));
}

TEST(Engine, HelpListsOnlyWhatTheRoleMayRunAndExplainsAnyCommand) {
  BotHarness h;
  Reply viewer = h.Say("viewer1", "help");
  EXPECT_TRUE(Has(viewer.body, "status [HOST|GROUP]"));
  EXPECT_TRUE(Has(viewer.body, "backup list HOST PATH"));
  EXPECT_FALSE(Has(viewer.body, "backup restore"));
  EXPECT_FALSE(Has(viewer.body, "audit"));
  Reply op = h.Say("op1", "help");
  EXPECT_TRUE(Has(op.body, "backup restore HOST PATH [VERSION]"));
  EXPECT_TRUE(Has(op.body, "[confirm]"));
  EXPECT_FALSE(Has(op.body, "audit [N|verify]"));
  EXPECT_TRUE(Has(h.Say("admin1", "help").body, "audit [N|verify]"));

  Reply one = h.Say("viewer1", "help backup restore");
  EXPECT_TRUE(Has(one.body, "backup restore HOST PATH [VERSION]")) << one.body;
  EXPECT_TRUE(Has(one.body, "role: operator (needs confirm CODE)")) << one.body;
  EXPECT_TRUE(Has(one.body, "(your role may not run it)")) << one.body;
  EXPECT_TRUE(Has(one.body, "example: backup restore web-01"));
  Reply zh = h.Say("viewer1", "帮助 备份 恢复");
  EXPECT_TRUE(Has(zh.body, "最低角色：操作员（需要确认）")) << zh.body;
  Reply group = h.Say("viewer1", "help backup");
  EXPECT_TRUE(Has(group.body, "backup list") && Has(group.body, "backup run") &&
              Has(group.body, "backup restore"))
      << group.body;
  EXPECT_TRUE(Has(h.Say("viewer1", "help frobnicate").body, "no command 'frobnicate'"));
}

TEST(Engine, AGroupWordAloneListsItsCommands) {
  BotHarness h;
  Reply r = h.Say("viewer1", "backup");
  EXPECT_TRUE(Has(r.body, "backup list HOST PATH")) << r.body;
  EXPECT_TRUE(Has(r.body, "backup run HOST SET")) << r.body;
  EXPECT_TRUE(Has(h.Say("viewer1", "备份").body, "backup list"));
}

TEST(Engine, UnknownCommandsAndEmptyLinesPointToHelp) {
  BotHarness h;
  Reply r = h.Say("viewer1", "frobnicate now");
  EXPECT_TRUE(Has(r.body, "Unknown command 'frobnicate'")) << r.body;
  EXPECT_EQ(h.AuditRows()[0].entry.decision, kDecisionFailed);
  EXPECT_TRUE(Has(h.Say("viewer1", "  \xE3\x80\x80 ").body, "help"));
}

TEST(Engine, TooLowARoleIsRefusedAndAudited) {
  BotHarness h;
  for (const char* line :
       {"backup restore web-01 /etc/hosts", "backup run web-01 etc",
        "fim accept web-01 /etc/passwd", "ack 1", "silence host=a 1h x", "unsilence 1", "audit"}) {
    SCOPED_TRACE(line);
    Reply r = h.Say("viewer1", line);
    EXPECT_TRUE(Has(r.body, "role; you are viewer")) << r.body;
    EXPECT_TRUE(Has(r.body, "你的角色是只读")) << r.body;
    auto row = h.AuditRows(1).at(0);
    EXPECT_EQ(row.entry.decision, kDecisionRefused);
    EXPECT_TRUE(Has(row.entry.result, "needs role")) << row.entry.result;
  }
  EXPECT_TRUE(h.backups.requests.empty());
  EXPECT_EQ(h.confirmations->PendingCount(), 0u);
  EXPECT_TRUE(Has(h.Say("op1", "audit").body, "needs the admin role"));
}

TEST(Engine, WrongArgumentCountsGetTheUsage) {
  BotHarness h;
  Reply few = h.Say("op1", "backup list web-01");
  EXPECT_TRUE(Has(few.body, "usage: backup list HOST PATH")) << few.body;
  EXPECT_TRUE(Has(few.body, "example: backup list web-01")) << few.body;
  EXPECT_TRUE(Has(h.Say("op1", "status a b").body, "usage: status [HOST|GROUP]"));
  EXPECT_TRUE(Has(h.Say("op1", "备份 列表").body, "用法："));
  EXPECT_EQ(h.AuditRows(1)[0].entry.result, "usage");
}

TEST(Engine, UnreadableLinesAreAnsweredAndAudited) {
  BotHarness h;
  Reply r = h.Say("viewer1", "status \"web-01");
  EXPECT_TRUE(Has(r.body, "unclosed quote")) << r.body;
  EXPECT_EQ(h.AuditRows(1)[0].entry.decision, kDecisionFailed);
  EXPECT_TRUE(Has(h.Say("viewer1", std::string(kMaxLineBytes + 10, 'x')).body, "at most"));
}

TEST(Engine, HandlerErrorsAreShownAndAuditedAsFailed) {
  BotHarness h;
  h.hosts.fail = Status::Unavailable("event store busy");
  Reply r = h.Say("viewer1", "status");
  EXPECT_TRUE(Has(r.body, "event store busy")) << r.body;
  auto row = h.AuditRows(1)[0];
  EXPECT_EQ(row.entry.decision, kDecisionFailed);
  EXPECT_TRUE(Has(row.entry.result, "Unavailable")) << row.entry.result;
}

TEST(Engine, ReadCommandsAreAuditedAsReadAndDirectChangesAsExecuted) {
  BotHarness h;
  h.alerts.alerts.push_back(testing::MakeAlert(5, "web-01", "disk"));
  h.Say("viewer1", "alerts");
  EXPECT_EQ(h.AuditRows(1)[0].entry.decision, kDecisionRead);
  h.Say("op1", "ack 5");
  auto row = h.AuditRows(1)[0];
  EXPECT_EQ(row.entry.decision, kDecisionExecuted);
  EXPECT_EQ(row.entry.command, "ack");
  EXPECT_EQ(row.entry.arguments, std::vector<std::string>{"5"});
}

TEST(Engine, APortThatIsNotWiredIsAClearError) {
  BotHarness h;
  EngineDeps deps;
  deps.rbac = &h.rbac;
  deps.confirmations = h.confirmations.get();
  deps.audit = h.audit.get();
  deps.tz = TimeZone::Load("UTC").value();
  Engine bare(Registry(BuiltinCommands()), deps);
  ChatRequest r;
  r.sender = Sender{"admin1", kChannelWecomApp, {}, {}, ""};
  r.now_ms = testing::kNow;
  for (const char* line : {"status", "alerts", "ack 1", "backup list a /b", "backup run a b",
                           "fim accept a /b", "progress 1", "report"}) {
    r.text = line;
    EXPECT_TRUE(Has(bare.Handle(r).body, "not available here")) << line;
  }
}

TEST(Engine, AMutatingCommandIsNotParkedWhenItsAuditRowCannotBeWritten) {
  BotHarness h;
  h.backups.versions.push_back({"web-01", testing::MakeVersion(3, "/etc/hosts")});
  {
    auto db = store::Database::Open((h.dir() / "audit.db").string());
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("DROP TABLE audit_anchor").ok());
  }
  Reply r = h.Say("op1", "backup restore web-01 /etc/hosts");
  EXPECT_TRUE(Has(r.body, "audit log cannot be written")) << r.body;
  EXPECT_EQ(h.confirmations->PendingCount(), 0u);
  EXPECT_TRUE(h.backups.requests.empty());
}

}  // namespace
}  // namespace beacon::bot
