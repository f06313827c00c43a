// bot.slb parsing (bot/release/slb_config.h): the docs/bot.md sample loads, and each rule's
// error names its key path; and WeightMemory keeps what it is told across a re-open.
#include "bot/release/slb_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "bot/release/weight_memory.h"
#include "tests/unit/docs_page.h"

namespace beacon::bot::release {
namespace {

std::optional<std::string> Env(const char* name) {
  if (std::string(name) == "ALIBABA_CLOUD_ACCESS_KEY_ID") return "LTAI5tTestKey";
  if (std::string(name) == "ALIBABA_CLOUD_ACCESS_KEY_SECRET") return "test-secret";
  return std::nullopt;
}

Result<SlbConfig> Load(const std::string& slb_body) {
  return LoadSlbConfigFromString("bot:\n  slb:\n" + slb_body, "collector.yaml", Env);
}

TEST(SlbConfig, TheDocsSampleLoads) {
  const std::string doc = beacon::testing::ReadSourceFile("docs/bot.md");
  const size_t section = doc.find("\n## SLB and gray release\n");
  ASSERT_NE(section, std::string::npos);
  std::string block = beacon::testing::FirstYamlBlock(doc.substr(section));
  ASSERT_FALSE(block.empty());
  // The credentials come from the (injected) environment instead of the sample's file.
  const size_t line = block.find("    credentials_file:");
  ASSERT_NE(line, std::string::npos);
  block.erase(line, block.find('\n', line) - line + 1);
  auto c = LoadSlbConfigFromString(block, "docs/bot.md", Env);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->client.region, "cn-hangzhou");
  EXPECT_EQ(c->client.credentials.access_key_id, "LTAI5tTestKey");
  ASSERT_EQ(c->production.size(), 2u);
  EXPECT_EQ(c->production[0].id, "lb-bp1web");
  EXPECT_EQ(c->production[0].name, "web");
  ASSERT_EQ(c->production[0].vserver_groups.size(), 2u);
  EXPECT_EQ(c->production[0].vserver_groups[0].name, "api");
  EXPECT_EQ(c->production[0].vserver_groups[1].id, "rsp-bp1static");
  EXPECT_EQ(c->production[0].vserver_groups[1].name, "rsp-bp1static");
  EXPECT_EQ(c->gray.id, "lb-bp1gray");
  EXPECT_EQ(c->gray.listener_port, 80);
  EXPECT_EQ(c->gray.weight, 100);
  EXPECT_EQ(c->servers.at("web-01"), "i-bp1abc");
  EXPECT_EQ(c->state_db, "slb-state.db");
}

TEST(SlbConfig, ErrorsNameTheirKeyPath) {
  const std::string head = "    region: cn-hangzhou\n    state_db: s.db\n";
  struct Case {
    std::string body;
    std::string error;
  };
  const Case cases[] = {
      {"    region: cn-hangzhou\n    production: [{id: lb-1}]\n",
       "bot.slb.state_db: required key is missing"},
      {head, "bot.slb.production: required key is missing"},
      {head + "    production: [{id: lb-1}, {id: lb-1}]\n",
       "bot.slb.production[1].id: 'lb-1' names two things in bot.slb"},
      {head + "    production: [{id: lb-1, name: web}, {id: lb-2, name: web}]\n",
       "bot.slb.production[1].name: 'web' names two things in bot.slb"},
      {head + "    production: [{id: 'lb 1'}]\n",
       "bot.slb.production[0].id: expected an id of letters, digits"},
      {head + "    production: [{name: web}]\n", "bot.slb.production[0].id: required key"},
      {head + "    production: [{id: lb-1, vserver_groups: ['rsp,2']}]\n",
       "bot.slb.production[0].vserver_groups: expected a VServer group id or {id, name}"},
      {head + "    production: [{id: lb-1}]\n    gray: {id: lb-g, weight: 0}\n",
       "bot.slb.gray.weight"},
      {head + "    production: [{id: lb-1}]\n    gray: {id: lb-1}\n",
       "bot.slb.gray.id: 'lb-1' names two things"},
      {head + "    production: [{id: lb-1}]\n    servers: {web-01: 'i abc'}\n",
       "bot.slb.servers.web-01: expected `alias: server-id`"},
      {head + "    production: [{id: lb-1}]\n    colour: blue\n", "bot.slb.colour: unknown key"},
  };
  for (const Case& c : cases) {
    auto loaded = Load(c.body);
    ASSERT_FALSE(loaded.ok()) << c.body;
    EXPECT_NE(loaded.status().message().find(c.error), std::string::npos)
        << c.body << "\n"
        << loaded.status().message();
  }
}

TEST(WeightMemory, KeepsWhatItIsToldAcrossAReopen) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("slb_memory_test_" + std::to_string(::getpid()) + ".db"))
                               .string();
  std::filesystem::remove(path);
  RememberedWeight a{"i-abc", "lb-1", "", 0, 100, "slb drain", "op1", 1000};
  RememberedWeight b{"i-abc", "lb-1", "rsp-1", 8080, 70, "slb drain", "op1", 1000};
  RememberedWeight other{"i-def", "lb-1", "", 0, 50, "release gray", "op2", 2000};
  {
    auto memory = WeightMemory::Open(path);
    ASSERT_TRUE(memory.ok()) << memory.status().ToString();
    ASSERT_TRUE((*memory)->Remember({a, b, other}).ok());
    b.weight = 60;  // a newer drain of the same member replaces it
    ASSERT_TRUE((*memory)->Remember({b}).ok());
  }
  auto memory = WeightMemory::Open(path);
  ASSERT_TRUE(memory.ok());
  auto rows = (*memory)->Recall("i-abc");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].group_id, "");
  EXPECT_EQ((*rows)[0].weight, 100);
  EXPECT_EQ((*rows)[1].port, 8080);
  EXPECT_EQ((*rows)[1].weight, 60);
  EXPECT_EQ((*rows)[1].by, "op1");
  ASSERT_TRUE((*memory)->Forget({a}).ok());
  EXPECT_EQ((*memory)->Recall("i-abc")->size(), 1u);
  EXPECT_EQ((*memory)->Recall("i-def")->front().command, "release gray");
  memory->reset();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace beacon::bot::release
