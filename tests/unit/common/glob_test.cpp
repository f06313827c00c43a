// The one path glob dialect of include/exclude lists (fim, backup sets): `*` stays within a
// component, `**` crosses '/', a pattern without '/' looks at the last component only.
#include "common/glob.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace beacon {
namespace {

struct Case {
  const char* pattern;
  const char* path;
  bool matches;
};

void ExpectAll(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.path), c.matches) << c.pattern << " vs " << c.path;
  }
}

TEST(GlobTest, StarStaysWithinOneComponent) {
  ExpectAll({
      {"/etc/*.conf", "/etc/a.conf", true},
      {"/etc/*.conf", "/etc/x/a.conf", false},
      {"conf/*.yaml", "conf/app.yaml", true},
      {"conf/*.yaml", "conf/sub/app.yaml", false},
      {"tmp/*", "tmp/app.log", true},
      {"tmp/*", "tmp/x/app.log", false},
      {"a*b/c", "axb/c", true},
      {"a*b/c", "ax/b/c", false},
      {"*/c", "x/c", true},
      {"*/c", "x/y/c", false},
      {"/etc/passw?", "/etc/passwd", true},
      {"/etc/?", "/etc//", false},
      {"a?b", "a/b", false},
  });
}

TEST(GlobTest, DoubleStarCrossesSlashesAndMayMatchNoComponent) {
  ExpectAll({
      {"/etc/**/*.conf", "/etc/a.conf", true},
      {"/etc/**/*.conf", "/etc/x/y/a.conf", true},
      {"/var/log/**", "/var/log/a/b", true},
      {"/var/log/**", "/var/log/", true},
      {"/var/log/**", "/var/log", false},
      {"**/*.swp", "/home/u/.a.swp", true},
      {"**/*.swp", "a.swp", true},
      {"**/*.swp", "x/y/a.swp", true},
      {"conf/**/*.yaml", "conf/app.yaml", true},
      {"conf/**/*.yaml", "conf/sub/deep/app.yaml", true},
      {"conf/**/*.yaml", "other/conf/app.yaml", false},
      {"a/**/b", "a/b", true},
      {"a/**/b", "a/x/y/b", true},
      {"a/**/b", "a/xb", false},
      {"a/***/b", "a/x/y/b", true},  // a longer run of stars is `**`
      {"/data**", "/data/x/y", true},
  });
}

TEST(GlobTest, PatternWithoutSlashLooksAtTheLastComponent) {
  ExpectAll({
      {"*.swp", "/home/u/.a.swp", true},
      {"*.swp", "/home/u/a.swpx", false},
      {"*.log", "2026/11/app.log", true},
      {"*.log", "x.log/data.bin", false},
      {"cache", "a/cache", true},
      {"cache", "a/cache/b", false},
      {"*", ".bashrc", true},  // a leading dot is not special
      {"*", "", true},
  });
}

TEST(GlobTest, ClassesAndEscapes) {
  ExpectAll({
      {"/etc/[a-c]*", "/etc/bash.bashrc", true},
      {"/etc/[!a-c]*", "/etc/bash.bashrc", false},
      {"/etc/[^a-c]*", "/etc/dash", true},
      {"x[/]y", "x/y", false},  // a class never matches '/'
      {"[]]", "]", true},       // ']' first in a class is a member
      {"[!]]", "a", true},
      {"[!]]", "]", false},
      {"a[b", "a[b", true},  // an unclosed '[' is literal
      {"sed[A-Za-z0-9][A-Za-z0-9]", "sedAb", true},
      {"sed[A-Za-z0-9][A-Za-z0-9]", "sed.b", false},
      {"\\*.log", "*.log", true},
      {"\\*.log", "a.log", false},
      {"a\\", "a\\", true},  // a trailing backslash is literal
  });
}

TEST(GlobTest, EscapeGlobMatchesOnlyItself) {
  const std::string odd = "/srv/we*ird?/[x]\\y";
  EXPECT_EQ(EscapeGlob(odd), "/srv/we\\*ird\\?/\\[x]\\\\y");
  EXPECT_TRUE(GlobMatch(EscapeGlob(odd), odd));
  EXPECT_FALSE(GlobMatch(EscapeGlob(odd), "/srv/weXird?/[x]\\y"));
  EXPECT_TRUE(GlobMatch(EscapeGlob(odd) + "/**", odd + "/a/b"));
}

TEST(GlobTest, MatchesAny) {
  EXPECT_FALSE(GlobMatchesAny({}, "a"));
  EXPECT_TRUE(GlobMatchesAny({"*.c", "*.h"}, "src/x.h"));
  EXPECT_FALSE(GlobMatchesAny({"*.c", "*.h"}, "src/x.cpp"));
}

// A naive backtracking matcher takes exponential time on these; they must stay instant.
TEST(GlobTest, PathologicalPatternsStayFast) {
  const std::string as(60, 'a');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*a*a*b", as));
  EXPECT_FALSE(GlobMatch("/**a**a**a**a**a**a**a**a**a**b", "/" + as + "/" + as + "/" + as));
  EXPECT_TRUE(GlobMatch("**a**a**a**a**a**a**a**a**a", "/" + as + "/" + as + "/" + as));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 500);
}

}  // namespace
}  // namespace beacon
