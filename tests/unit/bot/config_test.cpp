// BotConfig and Rbac::Parse: a full `bot:` section, defaults, and one bad-config case per rule
// with the exact key path of the error.
#include "bot/config.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace beacon::bot {
namespace {

Sender Wecom(std::string user, std::vector<std::string> departments = {},
             std::vector<std::string> tags = {}) {
  return Sender{std::move(user), kChannelWecomApp, std::move(departments), std::move(tags), ""};
}

std::string ErrorOf(const std::string& yaml) {
  auto c = LoadBotConfigFromString(yaml, "collector.yaml");
  EXPECT_FALSE(c.ok()) << yaml;
  return c.ok() ? "" : c.status().message();
}

TEST(BotConfig, ReadsTheWholeSection) {
  auto c = LoadBotConfigFromString(R"(
bot:
  roles:
    admin: {users: [zhangsan], tags: [sre]}
    operator: {users: [lisi], departments: ["42"]}
    viewer: {departments: ["1"]}
  local_users:
    alice: admin
    bob: viewer
  confirm_ttl: 90s
  timezone: UTC
  audit_db: /var/lib/beacon/bot-audit.db
  limits: {max_reply_bytes: 4KiB, workers: 2, queue: 50, per_user_queue: 5}
  reports:
    - name: morning
      at: "08:30"
      to_users: [zhangsan]
    - name: monday
      period: weekly
      weekday: monday
      at: "09:00"
      to_robots: [ops-group]
      language: en
)",
                                   "collector.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->confirm_ttl_ms, 90'000);
  EXPECT_EQ(c->timezone, "UTC");
  EXPECT_EQ(c->audit_db, "/var/lib/beacon/bot-audit.db");
  EXPECT_EQ(c->limits.max_reply_bytes, 4096);
  EXPECT_EQ(c->limits.workers, 2);
  EXPECT_EQ(c->limits.queue, 50);
  EXPECT_EQ(c->limits.per_user_queue, 5);
  EXPECT_EQ(c->rbac.RoleOf(Wecom("zhangsan")), Role::kAdmin);
  EXPECT_EQ(c->rbac.RoleOf(Wecom("lisi")), Role::kOperator);
  EXPECT_EQ(c->rbac.RoleOf(Wecom("wangwu", {"1"})), Role::kViewer);
  EXPECT_EQ(c->rbac.RoleOf(Wecom("wangwu", {"1", "42"})), Role::kOperator);
  EXPECT_EQ(c->rbac.RoleOf(Wecom("wangwu", {}, {"sre"})), Role::kAdmin);
  EXPECT_EQ(c->rbac.RoleOf(Wecom("wangwu")), std::nullopt);
  EXPECT_EQ(c->rbac.RoleOf(Sender{"alice", kChannelCli, {}, {}, ""}), Role::kAdmin);
  EXPECT_EQ(c->rbac.RoleOf(Sender{"zhangsan", kChannelCli, {}, {}, ""}), std::nullopt);
  // Department and tag grants: the host looks senders up, and only for the tags named here.
  EXPECT_TRUE(c->rbac.UsesDirectory());
  EXPECT_EQ(c->rbac.GrantedTags(), std::set<std::string>{"sre"});
  ASSERT_EQ(c->reports.size(), 2u);
  EXPECT_EQ(c->reports[0].period, ReportPeriod::kDaily);
  EXPECT_EQ(c->reports[0].hour, 8);
  EXPECT_EQ(c->reports[0].minute, 30);
  EXPECT_TRUE(c->reports[0].zh);
  EXPECT_EQ(c->reports[1].period, ReportPeriod::kWeekly);
  EXPECT_EQ(c->reports[1].weekday, 1);
  EXPECT_EQ(c->reports[1].to_robots, std::vector<std::string>{"ops-group"});
  EXPECT_FALSE(c->reports[1].zh);
}

TEST(BotConfig, DefaultsDenyEveryoneAndConfirmWithinTwoMinutes) {
  auto c = LoadBotConfigFromString("bot: {}\n", "collector.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->confirm_ttl_ms, 120'000);
  EXPECT_EQ(c->timezone, "Asia/Shanghai");
  EXPECT_EQ(c->limits.max_reply_bytes, 2048);
  EXPECT_EQ(c->rbac.RoleOf(Wecom("anyone")), std::nullopt);
  EXPECT_FALSE(c->rbac.UsesDirectory());  // no directory lookups without such grants
  EXPECT_TRUE(c->reports.empty());
  EXPECT_FALSE(c->wecom.app_enabled);
  EXPECT_FALSE(c->wecom.robot_enabled);
}

TEST(BotConfig, TheWecomSectionIsReadByTheCallbacksParser) {
  auto c = LoadBotConfigFromString("bot:\n  wecom:\n    robot: {}\n    token_env: X\n", "c.yaml");
  // The callback parser's own errors (no such variable) come back with their key path.
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("bot.wecom."), std::string::npos) << c.status().ToString();
}

TEST(BotConfig, TheDnsSectionIsReadByTheZonesParser) {
  auto none = LoadBotConfigFromString("bot: {}\n", "c.yaml");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->dns.zones.empty());
  ::setenv("BEACON_TEST_BOT_DNS_TSIG", "c2VjcmV0LWtleS1ieXRlcw==", 1);
  auto c = LoadBotConfigFromString(
      "bot:\n  dns:\n    zones:\n      - {zone: example.com, provider: rfc2136, server: "
      "127.0.0.1, tsig_key: k, tsig_secret_env: BEACON_TEST_BOT_DNS_TSIG}\n",
      "c.yaml");
  ::unsetenv("BEACON_TEST_BOT_DNS_TSIG");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->dns.zones.size(), 1u);
  EXPECT_EQ(c->dns.zones[0].zone.zone, "example.com");
  auto bad =
      LoadBotConfigFromString("bot:\n  dns:\n    zones:\n      - {zone: example.com}\n", "c.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("bot.dns.zones[0].provider"), std::string::npos)
      << bad.status().ToString();
}

TEST(BotConfig, EachBadValueIsReportedAtItsKeyPath) {
  EXPECT_NE(ErrorOf("bot:\n  roles:\n    admin: {users: [a]}\n    viewer: {users: [a]}\n")
                .find("collector.yaml:3: bot.roles.admin.users: user 'a' is also listed under "
                      "viewer"),
            std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  local_users:\n    alice: root\n")
                .find("bot.local_users.alice: unknown role 'root'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  roles:\n    boss: {users: [a]}\n").find("bot.roles.boss"),
            std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  roles:\n    admin: {users: [\"\"]}\n")
                .find("bot.roles.admin.users: empty entry"),
            std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  confirm_ttl: 1s\n").find("bot.confirm_ttl"), std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  timezone: Mars/Olympus\n").find("bot.timezone"), std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  limits: {workers: 0}\n").find("bot.limits.workers"),
            std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  reports:\n    - {name: r, at: \"25:00\", to_users: [a]}\n")
                .find("bot.reports[0].at: expected a local time like 09:00, got '25:00'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  reports:\n    - {name: r}\n")
                .find("bot.reports[0].to_users: a report needs to_users or to_robots"),
            std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  reports:\n    - {name: r, weekday: friday, to_users: [a]}\n")
                .find("bot.reports[0].weekday: only a weekly report has a weekday"),
            std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  reports:\n    - {name: r, period: hourly, to_users: [a]}\n")
                .find("bot.reports[0].period"),
            std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  reports:\n    - {name: r, to_users: [a]}\n    - {name: r, "
                    "to_users: [b]}\n")
                .find("bot.reports[1].name: a second report named 'r'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("bot:\n  confirm: 1m\n").find("unknown key"), std::string::npos);
}

}  // namespace
}  // namespace beacon::bot
