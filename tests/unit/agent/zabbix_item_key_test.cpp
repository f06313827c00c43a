// Item key parsing, with the accept/refuse decisions and parameter values that zabbix_agentd
// 6.0.14 showed through zabbix_get (docs/zabbix.md "Passive checks").
#include <gtest/gtest.h>

#include "agent/zabbix/item_key.h"

namespace beacon::agent::zabbix {
namespace {

ItemKey MustParse(std::string_view text) {
  auto key = ParseItemKey(text);
  EXPECT_TRUE(key.ok()) << text << ": " << key.status().ToString();
  return key.ok() ? *key : ItemKey{};
}

TEST(ZabbixItemKey, NameOnly) {
  ItemKey key = MustParse("agent.ping");
  EXPECT_EQ(key.name, "agent.ping");
  EXPECT_FALSE(key.has_params);
  EXPECT_TRUE(key.params.empty());
  EXPECT_EQ(MustParse("X.Y-Z_1").name, "X.Y-Z_1");
}

TEST(ZabbixItemKey, EmptyBracketsAreOneEmptyParameter) {
  ItemKey key = MustParse("agent.ping[]");
  EXPECT_TRUE(key.has_params);
  ASSERT_EQ(key.params.size(), 1u);
  EXPECT_EQ(key.params[0].value, "");
  EXPECT_EQ(MustParse("x[,]").params.size(), 2u);
}

TEST(ZabbixItemKey, UnquotedParametersLoseLeadingSpacesOnly) {
  ItemKey key = MustParse("vfs.fs.size[ / ,pfree]");
  ASSERT_EQ(key.params.size(), 2u);
  EXPECT_EQ(key.params[0].value, "/ ");  // zabbix_agentd then fails statvfs("/ ")
  EXPECT_EQ(key.params[1].value, "pfree");
  EXPECT_EQ(MustParse("x[a b]").Param(0), "a b");
  EXPECT_EQ(MustParse("x[a\"b]").Param(0), "a\"b");
  EXPECT_EQ(MustParse("x[ ]").Param(0), "");
}

TEST(ZabbixItemKey, QuotedParameters) {
  ItemKey key = MustParse(R"(x["a, b" ,"c\"d",  "e\f"])");
  ASSERT_EQ(key.params.size(), 3u);
  EXPECT_EQ(key.params[0].value, "a, b");
  EXPECT_TRUE(key.params[0].quoted);
  EXPECT_EQ(key.params[1].value, "c\"d");
  EXPECT_EQ(key.params[2].value, "e\\f");  // only \" is an escape
  EXPECT_EQ(MustParse(R"(vfs.fs.size[ "/" ])").Param(0), "/");
}

TEST(ZabbixItemKey, Arrays) {
  ItemKey key = MustParse(R"(vfs.file.exists[/etc/passwd,[file, "dir"] ,x])");
  ASSERT_EQ(key.params.size(), 3u);
  EXPECT_TRUE(key.params[1].is_array);
  EXPECT_EQ(key.params[1].elements, (std::vector<std::string>{"file", "dir"}));
  EXPECT_EQ(key.params[1].value, "file,dir");
  EXPECT_EQ(key.params[2].value, "x");
  EXPECT_EQ(MustParse("x[[a], b]").params.size(), 2u);
}

TEST(ZabbixItemKey, RefusesWhatZabbixAgentdRefuses) {
  for (std::string_view bad :
       {"", " agent.ping", "agent.ping ", "bad key", "a[b", "x[a]b", "x[\"a]", "x[[[a]]]",
        "x[a,\"b\"c]", "x[a]]", "x/y", "x[[a]b]", "[a]", "x[", "x[\"", "x[[a", "x[[a,"}) {
    auto key = ParseItemKey(bad);
    ASSERT_FALSE(key.ok()) << "'" << bad << "'";
    EXPECT_EQ(key.status().message(), "Invalid item key format.") << bad;
  }
}

TEST(ZabbixItemKey, HostileInputIsBounded) {
  // Deep brackets, long keys, NUL bytes: refused or parsed, never a crash or recursion.
  EXPECT_FALSE(ParseItemKey(std::string(100'000, '[')).ok());
  EXPECT_FALSE(ParseItemKey("x" + std::string(100'000, '[')).ok());
  EXPECT_TRUE(ParseItemKey(std::string(100'000, 'a')).ok());
  std::string many = "x[";
  for (int i = 0; i < 10'000; ++i) many += "a,";
  many += "b]";
  auto key = ParseItemKey(many);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->params.size(), 10'001u);
  EXPECT_TRUE(ParseItemKey(std::string("x[a\0b]", 6)).ok());
}

}  // namespace
}  // namespace beacon::agent::zabbix
