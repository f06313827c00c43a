// Backup set file selection: include/exclude globs on the relative path, directory pruning,
// the built-in temporary names, and which absolute paths a set's roots select.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/backup/globs.h"

namespace beacon::agent::backup {
namespace {

TEST(BackupGlobs, TemporaryNamesOfEditorsAndSyncTools) {
  for (const char* name : {".app.conf.swp", ".app.conf.swx", "app.conf~", ".#app.conf",
                           "upload.tmp", ".app.log.Xy12Zq", "sedAb3dEf"}) {
    EXPECT_TRUE(IsTempName(name)) << name;
  }
  for (const char* name : {"app.conf", "app.log.1", ".bashrc", "sed.conf", "swp", "tmp",
                           ".app.log.gz", "sedimentary.txt"}) {
    EXPECT_FALSE(IsTempName(name)) << name;
  }
}

TEST(BackupGlobs, EmptyIncludeSelectsEverythingButTempFiles) {
  PathFilter filter;
  EXPECT_TRUE(filter.SelectsFile("app.log"));
  EXPECT_TRUE(filter.SelectsFile("a/b/c/data.bin"));
  EXPECT_FALSE(filter.SelectsFile("a/.data.bin.swp"));
  EXPECT_FALSE(filter.SelectsFile("a/b/.data.bin.AbCdEf"));
  EXPECT_FALSE(filter.SelectsFile(""));
}

TEST(BackupGlobs, PatternWithoutSlashMatchesTheNameAtAnyDepth) {
  PathFilter filter({"*.log"}, {});
  EXPECT_TRUE(filter.SelectsFile("app.log"));
  EXPECT_TRUE(filter.SelectsFile("2026/11/app.log"));
  EXPECT_FALSE(filter.SelectsFile("app.log.gz"));
  // A directory called x.log does not select the files in it.
  EXPECT_FALSE(filter.SelectsFile("x.log/data.bin"));
}

TEST(BackupGlobs, PatternWithSlashMatchesTheWholeRelativePath) {
  PathFilter filter({"conf/*.yaml"}, {});
  EXPECT_TRUE(filter.SelectsFile("conf/app.yaml"));
  // '*' stays within one component (common/glob.h), as in fim; '**' crosses '/'.
  EXPECT_FALSE(filter.SelectsFile("conf/sub/app.yaml"));
  EXPECT_FALSE(filter.SelectsFile("other/conf/app.yaml"));
  EXPECT_FALSE(filter.SelectsFile("app.yaml"));
  PathFilter deep({"conf/**/*.yaml"}, {});
  EXPECT_TRUE(deep.SelectsFile("conf/app.yaml"));
  EXPECT_TRUE(deep.SelectsFile("conf/sub/app.yaml"));
  EXPECT_FALSE(deep.SelectsFile("other/conf/app.yaml"));
}

TEST(BackupGlobs, ExcludeWithSlashPrunesEverythingBelowAMatchingDirectory) {
  PathFilter filter({}, {"build/*", "**/node_modules"});
  EXPECT_FALSE(filter.SelectsFile("build/out/deep/a.o"));  // below the excluded "build/out"
  EXPECT_FALSE(filter.EntersDirectory("build/out"));
  EXPECT_TRUE(filter.SelectsFile("src/build.c"));
  EXPECT_FALSE(filter.SelectsFile("node_modules/x/index.js"));
  EXPECT_FALSE(filter.SelectsFile("web/app/node_modules/x/index.js"));
  EXPECT_FALSE(filter.EntersDirectory("web/node_modules/x"));
  EXPECT_TRUE(filter.EntersDirectory("web/src"));
}

TEST(BackupGlobs, ExcludeWinsAndPrunesDirectories) {
  PathFilter filter({"*.log"}, {"cache", "debug-*.log", "tmp/*"});
  EXPECT_TRUE(filter.SelectsFile("app.log"));
  EXPECT_FALSE(filter.SelectsFile("debug-1.log"));
  EXPECT_FALSE(filter.SelectsFile("cache/app.log"));
  EXPECT_FALSE(filter.SelectsFile("a/cache/b/app.log"));
  EXPECT_FALSE(filter.SelectsFile("tmp/app.log"));
  EXPECT_TRUE(filter.SelectsFile("a/tmp2/app.log"));
  EXPECT_TRUE(filter.EntersDirectory(""));
  EXPECT_TRUE(filter.EntersDirectory("a/b"));
  EXPECT_FALSE(filter.EntersDirectory("cache"));
  EXPECT_FALSE(filter.EntersDirectory("a/cache"));
  EXPECT_FALSE(filter.EntersDirectory("tmp/x"));
}

TEST(BackupGlobs, RelativeTo) {
  std::string rel;
  EXPECT_TRUE(RelativeTo("/srv/app", "/srv/app/a/b.log", &rel));
  EXPECT_EQ(rel, "a/b.log");
  EXPECT_TRUE(RelativeTo("/srv/app", "/srv/app", &rel));
  EXPECT_EQ(rel, "");
  EXPECT_FALSE(RelativeTo("/srv/app", "/srv/application/x", &rel));
  EXPECT_FALSE(RelativeTo("/srv/app", "/srv", &rel));
  EXPECT_TRUE(RelativeTo("/", "/etc/passwd", &rel));
  EXPECT_EQ(rel, "etc/passwd");
}

TEST(BackupGlobs, SetSelectorWithDirectoryAndFileRoots) {
  auto dir = std::filesystem::temp_directory_path() / ("beacon-globs-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "logs" / "old");
  std::filesystem::create_directories(dir / "etc");
  std::ofstream(dir / "etc" / "app.conf") << "x";
  BackupSetConfig set;
  set.paths = {(dir / "logs").string(), (dir / "etc" / "app.conf").string()};
  set.include = {"*.log"};
  set.exclude = {"old"};
  SetSelector selector(set);
  EXPECT_TRUE(selector.SelectsFile((dir / "logs" / "a.log").string()));
  EXPECT_TRUE(selector.SelectsFile((dir / "logs" / "x" / "a.log").string()));
  EXPECT_FALSE(selector.SelectsFile((dir / "logs" / "old" / "a.log").string()));
  EXPECT_FALSE(selector.SelectsFile((dir / "logs" / "a.txt").string()));
  // A file root is selected by name, whatever the globs say; its neighbours are not.
  EXPECT_TRUE(selector.SelectsFile((dir / "etc" / "app.conf").string()));
  EXPECT_FALSE(selector.SelectsFile((dir / "etc" / "other.log").string()));
  EXPECT_TRUE(selector.EntersDirectory((dir / "etc").string()));
  EXPECT_FALSE(selector.EntersDirectory((dir / "etc" / "sub").string()));
  EXPECT_FALSE(selector.EntersDirectory((dir / "logs" / "old").string()));
  ASSERT_EQ(selector.watch_roots().size(), 2u);
  EXPECT_EQ(selector.watch_roots()[0], std::make_pair((dir / "logs").string(), true));
  EXPECT_EQ(selector.watch_roots()[1], std::make_pair((dir / "etc").string(), false));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace beacon::agent::backup
