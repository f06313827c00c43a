// Walks the built-in input list and checks the plugin conventions: each input has
// docs/inputs/<name>.md documenting every declared metric with its unit, a sample config block
// that the agent config loader accepts, and declared metrics with valid names and units.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "agent/config.h"
#include "agent/inputs/builtin.h"
#include "common/wire/wire.h"
#include "tests/unit/docs_page.h"

namespace beacon::agent::inputs {
namespace {

std::string ReadDoc(const std::string& name) {
  return testing::ReadSourceFile("docs/inputs/" + name + ".md");
}

TEST(InputConventions, EveryBuiltinInputIsDocumented) {
  auto factories = BuiltinInputs();
  ASSERT_FALSE(factories.empty());
  std::set<std::string> names;
  for (const auto& f : factories) {
    SCOPED_TRACE(f.name);
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate input name";
    auto input = f.create();
    EXPECT_EQ(input->name(), f.name);
    const std::string doc = ReadDoc(f.name);
    ASSERT_FALSE(doc.empty()) << "docs/inputs/" << f.name << ".md is missing";
    static const std::set<std::string> kUnits = {"percent", "bytes", "seconds", "count", ""};
    for (const auto& m : input->metrics()) {
      EXPECT_TRUE(wire::IsValidMetricName(m.name)) << m.name;
      EXPECT_TRUE(kUnits.count(m.unit)) << m.name << " unit " << m.unit;
      EXPECT_FALSE(m.description.empty()) << m.name;
      // The row: | `metric` | unit | ...
      const std::string row = "| `" + m.name + "` | " + m.unit + (m.unit.empty() ? "|" : " |");
      EXPECT_NE(doc.find(row), std::string::npos) << "no table row '" << row << "'";
    }
  }
}

TEST(InputConventions, SampleConfigBlocksLoad) {
  for (const auto& f : BuiltinInputs()) {
    SCOPED_TRACE(f.name);
    const std::string block = testing::FirstYamlBlock(ReadDoc(f.name));
    ASSERT_FALSE(block.empty()) << "no ```yaml block in docs/inputs/" << f.name << ".md";
    auto cfg = LoadAgentConfigFromString(block, "docs/inputs/" + f.name + ".md");
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    bool found = false;
    for (const auto& in : cfg->inputs) found = found || in.name == f.name;
    EXPECT_TRUE(found);
  }
}

}  // namespace
}  // namespace beacon::agent::inputs
