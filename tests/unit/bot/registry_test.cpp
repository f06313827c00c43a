// Registry: argument specs, lookup by the longest name or alias, and group words.
#include "bot/commands/registry.h"

#include <gtest/gtest.h>

namespace beacon::bot {
namespace {

Result<CommandOutcome> Noop(CommandContext&, const std::vector<std::string>&) {
  return CommandOutcome(Reply{});
}

TEST(ParseArgSpec, CountsRequiredOptionalAndRepeatedWords) {
  EXPECT_EQ(ParseArgSpec("").value().min, 0u);
  EXPECT_EQ(ParseArgSpec("").value().max, 0u);
  Arity a = ParseArgSpec("HOST PATH [VERSION]").value();
  EXPECT_EQ(a.min, 2u);
  EXPECT_EQ(a.max, 3u);
  Arity alt = ParseArgSpec("[HOST|GROUP]").value();
  EXPECT_EQ(alt.min, 0u);
  EXPECT_EQ(alt.max, 1u);
  Arity silence = ParseArgSpec("MATCHER... DURATION REASON...").value();
  EXPECT_EQ(silence.min, 3u);
  EXPECT_EQ(silence.max, SIZE_MAX);
  Arity any = ParseArgSpec("[COMMAND...]").value();
  EXPECT_EQ(any.min, 0u);
  EXPECT_EQ(any.max, SIZE_MAX);
}

TEST(ParseArgSpec, RejectsMalformedSpecs) {
  EXPECT_FALSE(ParseArgSpec("[HOST").ok());
  EXPECT_FALSE(ParseArgSpec("HOST]").ok());
  EXPECT_FALSE(ParseArgSpec("[]").ok());
  EXPECT_NE(ParseArgSpec("[HOST] PATH").status().message().find("required word after an optional"),
            std::string::npos);
}

TEST(Registry, TheLongestNameOrAliasWins) {
  std::vector<CommandSpec> rows;
  rows.push_back(CommandSpec("backup", Role::kViewer, "[X...]", Noop).Zh({"备份"}));
  rows.push_back(CommandSpec("backup list", Role::kViewer, "HOST PATH", Noop).Zh({"备份 列表"}));
  rows.push_back(CommandSpec("st", Role::kViewer, "", Noop).En({"stat"}));
  Registry r(std::move(rows));
  CommandMatch list = r.Find({"BACKUP", "List", "a", "b"});
  ASSERT_NE(list.spec, nullptr);
  EXPECT_EQ(list.spec->name, "backup list");
  EXPECT_EQ(list.words, 2u);
  EXPECT_FALSE(list.zh);
  CommandMatch zh = r.Find({"备份", "列表"});
  EXPECT_EQ(zh.spec->name, "backup list");
  EXPECT_TRUE(zh.zh);
  EXPECT_EQ(r.Find({"backup", "run"}).spec->name, "backup");
  EXPECT_EQ(r.Find({"stat"}).spec->name, "st");
  EXPECT_EQ(r.Find({"status"}).spec, nullptr);
  EXPECT_EQ(r.Find({}).spec, nullptr);
  auto group = r.Group("Backup");
  ASSERT_EQ(group.size(), 1u);
  EXPECT_EQ(group[0]->name, "backup list");
}

}  // namespace
}  // namespace beacon::bot
