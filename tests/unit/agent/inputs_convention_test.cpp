// Walks the built-in input list and checks the plugin conventions that make a new input one
// folder plus one line in BuiltinInputs(): every folder under agent/inputs/ is a built-in input
// and every built-in input has its folder; its page agent/inputs/<name>/README.md documents
// every declared metric with its unit and every declared event kind, and has a sample config
// block that the agent config loader accepts; declared metrics have valid names and units.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "agent/config.h"
#include "agent/inputs/builtin.h"
#include "common/wire/wire.h"
#include "tests/unit/docs_page.h"

namespace beacon::agent::inputs {
namespace {

const std::string kInputsDir = std::string(BEACON_SOURCE_DIR) + "/agent/inputs";

std::string DocPath(const std::string& name) { return "agent/inputs/" + name + "/README.md"; }

std::string ReadDoc(const std::string& name) { return testing::ReadSourceFile(DocPath(name)); }

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
    ASSERT_FALSE(doc.empty()) << DocPath(f.name) << " is missing";
    static const std::set<std::string> kUnits = {"percent", "bytes", "seconds", "count", ""};
    for (const auto& m : input->metrics()) {
      EXPECT_TRUE(wire::IsValidMetricName(m.name)) << m.name;
      EXPECT_TRUE(kUnits.count(m.unit)) << m.name << " unit " << m.unit;
      EXPECT_FALSE(m.description.empty()) << m.name;
      // The row: | `metric` | unit | ...
      const std::string row = "| `" + m.name + "` | " + m.unit + (m.unit.empty() ? "|" : " |");
      EXPECT_NE(doc.find(row), std::string::npos) << "no table row '" << row << "'";
    }
    for (const auto& e : input->events()) {
      EXPECT_TRUE(wire::IsValidMetricName(e.kind)) << e.kind;
      EXPECT_FALSE(e.description.empty()) << e.kind;
      EXPECT_NE(doc.find("`" + e.kind + "`"), std::string::npos)
          << DocPath(f.name) << " does not name the event `" << e.kind << "`";
    }
  }
}

// One folder per input, one line per input in BuiltinInputs(): neither without the other.
TEST(InputConventions, EveryInputFolderIsBuiltInAndEveryBuiltinHasItsFolder) {
  std::set<std::string> folders;
  for (const auto& entry : std::filesystem::directory_iterator(kInputsDir)) {
    if (entry.is_directory()) folders.insert(entry.path().filename().string());
  }
  std::set<std::string> builtin;
  for (const auto& f : BuiltinInputs()) builtin.insert(f.name);
  for (const std::string& folder : folders) {
    EXPECT_TRUE(builtin.count(folder))
        << "agent/inputs/" << folder
        << "/ has no line in BuiltinInputs() (agent/inputs/builtin.cpp)";
  }
  for (const std::string& name : builtin) {
    EXPECT_TRUE(folders.count(name)) << "input " << name << " has no folder agent/inputs/" << name;
  }
}

TEST(InputConventions, SampleConfigBlocksLoad) {
  for (const auto& f : BuiltinInputs()) {
    SCOPED_TRACE(f.name);
    const std::string block = testing::FirstYamlBlock(ReadDoc(f.name));
    ASSERT_FALSE(block.empty()) << "no ```yaml block in " << DocPath(f.name);
    auto cfg = LoadAgentConfigFromString(block, DocPath(f.name));
    ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
    bool found = false;
    for (const auto& in : cfg->inputs) found = found || in.name == f.name;
    EXPECT_TRUE(found);
  }
}

}  // namespace
}  // namespace beacon::agent::inputs
