// Checks the command table's conventions, so adding a command is one row plus its handler and
// the docs cannot fall behind: every row has help in both languages, a valid argument spec and
// an example that parses back to the row, names and aliases are unique, changes need at least
// the operator role, and docs/bot.md shows every example in English and Chinese and has a
// configuration sample the config loader accepts.
#include <gtest/gtest.h>

#include <map>

#include "bot/commands/registry.h"
#include "bot/config.h"
#include "bot/tokenize.h"
#include "tests/unit/docs_page.h"

namespace beacon::bot {
namespace {

const std::string kDoc = "docs/bot.md";

// The example typed with the row's first Chinese alias instead of its name.
std::string ChineseExample(const CommandSpec& spec) {
  return spec.aliases_zh.front() + spec.example.substr(spec.name.size());
}

TEST(CommandConventions, EveryRowIsComplete) {
  Registry registry(BuiltinCommands());
  ASSERT_FALSE(registry.commands().empty());
  for (const CommandSpec& spec : registry.commands()) {
    SCOPED_TRACE(spec.name);
    EXPECT_NE(spec.handler, nullptr);
    EXPECT_FALSE(spec.help_en.empty());
    EXPECT_FALSE(spec.help_zh.empty());
    EXPECT_FALSE(spec.aliases_zh.empty()) << "needs a Chinese alias";
    EXPECT_TRUE(ParseArgSpec(spec.args).ok()) << ParseArgSpec(spec.args).status().ToString();
    if (spec.mutating || spec.writes) {
      EXPECT_GE(spec.min_role, Role::kOperator) << "a change needs at least the operator role";
    }
    EXPECT_FALSE(spec.mutating && spec.writes) << "mutating (confirm) or writes (direct), not both";
  }
}

TEST(CommandConventions, ExamplesParseBackToTheirRowInBothLanguages) {
  Registry registry(BuiltinCommands());
  for (const CommandSpec& spec : registry.commands()) {
    SCOPED_TRACE(spec.name);
    ASSERT_TRUE(spec.example.starts_with(spec.name)) << spec.example;
    for (const std::string& line : {spec.example, ChineseExample(spec)}) {
      auto words = Tokenize(line);
      ASSERT_TRUE(words.ok()) << line;
      CommandMatch m = registry.Find(*words);
      EXPECT_EQ(m.spec, &spec) << line;
      Arity arity = ParseArgSpec(spec.args).value();
      const size_t args = words->size() - m.words;
      EXPECT_GE(args, arity.min) << line;
      EXPECT_LE(args, arity.max) << line;
    }
  }
}

TEST(CommandConventions, NamesAndAliasesAreUnique) {
  std::map<std::string, std::string> seen;
  for (const CommandSpec& spec : BuiltinCommands()) {
    std::vector<std::string> names = spec.aliases_zh;
    names.insert(names.end(), spec.aliases_en.begin(), spec.aliases_en.end());
    names.push_back(spec.name);
    for (const std::string& n : names) {
      auto [it, inserted] = seen.emplace(n, spec.name);
      EXPECT_TRUE(inserted) << "'" << n << "' names both " << it->second << " and " << spec.name;
    }
  }
}

TEST(CommandConventions, DocsShowEveryCommandWithExamplesInBothLanguages) {
  const std::string doc = testing::ReadSourceFile(kDoc);
  ASSERT_FALSE(doc.empty()) << kDoc << " is missing";
  for (const CommandSpec& spec : BuiltinCommands()) {
    SCOPED_TRACE(spec.name);
    std::string synopsis = CommandSynopsis(spec);
    // Markdown tables escape '|' inside cells.
    for (size_t at = synopsis.find('|'); at != std::string::npos; at = synopsis.find('|', at + 2)) {
      synopsis.replace(at, 1, "\\|");
    }
    EXPECT_NE(doc.find("| `" + synopsis + "` |"), std::string::npos)
        << "no table row for " << synopsis;
    EXPECT_NE(doc.find("`" + spec.example + "`"), std::string::npos) << spec.example;
    EXPECT_NE(doc.find("`" + ChineseExample(spec) + "`"), std::string::npos)
        << ChineseExample(spec);
  }
}

TEST(CommandConventions, TheDocsConfigSampleLoads) {
  // The roles sample, the first yaml block of the "## Roles" section.
  const std::string doc = testing::ReadSourceFile(kDoc);
  const size_t roles = doc.find("\n## Roles\n");
  ASSERT_NE(roles, std::string::npos) << "no ## Roles section in " << kDoc;
  const std::string block = testing::FirstYamlBlock(doc.substr(roles));
  ASSERT_FALSE(block.empty()) << "no ```yaml block in " << kDoc;
  auto config = LoadBotConfigFromString(block, kDoc);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->reports.size(), 2u);
}

}  // namespace
}  // namespace beacon::bot
