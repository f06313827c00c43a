// FIM engine on a temp tree: each kind of change is found with exactly the attributes that
// changed, odd names survive the baseline, bad files are reported once without stopping the scan.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>

#include "agent/inputs/fim/engine.h"
#include "common/crypto/crypto.h"

namespace beacon::agent::fim {
namespace {

namespace fs = std::filesystem;

std::set<std::string> Keys(const std::map<std::string, std::pair<std::string, std::string>>& m) {
  std::set<std::string> out;
  for (const auto& [k, v] : m) out.insert(k);
  return out;
}

// Waits until the kernel's coarse clock has moved past its current value, so a change made
// after this gets a ctime different from anything recorded before it, on every kernel.
void PassClockTick() {
  timespec start{}, now{};
  clock_gettime(CLOCK_REALTIME_COARSE, &start);
  do {
    clock_gettime(CLOCK_REALTIME_COARSE, &now);
  } while (now.tv_sec == start.tv_sec && now.tv_nsec == start.tv_nsec);
}

class FimEngineTest : public testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() / ("beacon-fim-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "tree" / "etc" / "deep" / "er");
    fs::create_directories(root_ / "tree" / "cache");
    Write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
    Write("etc/app.conf", "listen 8080\n");
    Write("etc/deep/er/x.conf", std::string(3 << 20, 'x'));  // several read buffers
    Write("etc/notes.txt", "hello\n");
    Write("cache/blob.log", "log\n");
    fs::permissions(tree() + "/etc/app.conf", fs::perms(0644));
    options_.paths = {tree()};
    options_.workers = 2;
    auto baseline = Baseline::Open((root_ / "baseline.db").string(), true);
    ASSERT_TRUE(baseline.ok()) << baseline.status().ToString();
    baseline_ = std::move(*baseline);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string tree() const { return (root_ / "tree").string(); }
  std::string P(const std::string& rel) const { return tree() + "/" + rel; }
  void Write(const std::string& rel, const std::string& content) {
    std::ofstream(P(rel), std::ios::binary | std::ios::trunc) << content;
  }

  CheckReport InitOk(OpenForHash open = nullptr) {
    Scanner scanner(options_, open);
    auto report = Init(scanner, *baseline_);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    PassClockTick();
    return report.ok() ? *report : CheckReport{};
  }
  CheckReport CheckOk(bool update = false, OpenForHash open = nullptr) {
    Scanner scanner(options_, open);
    auto report = Check(scanner, *baseline_, update);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : CheckReport{};
  }
  // The only change for `path` (fails if there is none or several).
  const Change* ChangeFor(const CheckReport& report, const std::string& path) {
    const Change* found = nullptr;
    for (const Change& c : report.changes) {
      if (c.path == path) {
        EXPECT_EQ(found, nullptr) << "two changes for " << path;
        found = &c;
      }
    }
    EXPECT_NE(found, nullptr) << "no change for " << EscapePath(path);
    return found;
  }

  fs::path root_;
  FimOptions options_;
  std::unique_ptr<Baseline> baseline_;
};

TEST_F(FimEngineTest, UnchangedTreeHasNoChanges) {
  CheckReport init = InitOk();
  EXPECT_EQ(init.files, 10);  // tree, etc, deep, er, cache + 5 files
  EXPECT_TRUE(init.errors.empty());
  EXPECT_EQ(baseline_->Count(), 10);
  CheckReport check = CheckOk();
  EXPECT_TRUE(check.changes.empty());
  EXPECT_TRUE(check.errors.empty());
  EXPECT_EQ(check.files, 10);
}

TEST_F(FimEngineTest, OneByteChangeWithMtimeRestoredIsFound) {
  InitOk();
  struct stat before {};
  ASSERT_EQ(::lstat(P("etc/passwd").c_str(), &before), 0);
  int fd = ::open(P("etc/passwd").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "R", 1, 0), 1);
  ::close(fd);
  const timespec times[2] = {before.st_atim, before.st_mtim};  // touch -r
  ASSERT_EQ(::utimensat(AT_FDCWD, P("etc/passwd").c_str(), times, AT_SYMLINK_NOFOLLOW), 0);

  CheckReport check = CheckOk();
  ASSERT_EQ(check.changes.size(), 1u);
  const Change* c = ChangeFor(check, P("etc/passwd"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->kind, ChangeKind::kChanged);
  EXPECT_EQ(Keys(c->attributes), (std::set<std::string>{"ctime", "sha256"}));
  EXPECT_EQ(c->attributes.at("sha256").first,
            crypto::Sha256Hex("root:x:0:0:root:/root:/bin/bash\n"));
  EXPECT_EQ(c->attributes.at("sha256").second,
            crypto::Sha256Hex("Root:x:0:0:root:/root:/bin/bash\n"));
}

TEST_F(FimEngineTest, ChmodIsFound) {
  InitOk();
  fs::permissions(P("etc/app.conf"), fs::perms(0600));
  CheckReport check = CheckOk();
  ASSERT_EQ(check.changes.size(), 1u);
  const Change* c = ChangeFor(check, P("etc/app.conf"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Keys(c->attributes), (std::set<std::string>{"ctime", "mode"}));
  EXPECT_EQ(c->attributes.at("mode"), std::make_pair(std::string("0644"), std::string("0600")));
}

TEST_F(FimEngineTest, ChownIsFound) {
  if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
  InitOk();
  ASSERT_EQ(::lchown(P("etc/app.conf").c_str(), 4321, 8765), 0);
  CheckReport check = CheckOk();
  ASSERT_EQ(check.changes.size(), 1u);
  const Change* c = ChangeFor(check, P("etc/app.conf"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Keys(c->attributes), (std::set<std::string>{"ctime", "uid", "gid"}));
  EXPECT_EQ(c->attributes.at("uid").second, "4321");
  EXPECT_EQ(c->attributes.at("gid").second, "8765");
}

TEST_F(FimEngineTest, AddAndRemoveAreFoundWithTheirDirectory) {
  InitOk();
  Write("etc/new.conf", "new\n");
  fs::remove(P("etc/notes.txt"));
  CheckReport check = CheckOk();
  const Change* added = ChangeFor(check, P("etc/new.conf"));
  ASSERT_NE(added, nullptr);
  EXPECT_EQ(added->kind, ChangeKind::kAdded);
  EXPECT_EQ(added->entry.sha256, crypto::Sha256Hex("new\n"));
  const Change* removed = ChangeFor(check, P("etc/notes.txt"));
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->kind, ChangeKind::kRemoved);
  EXPECT_EQ(removed->entry.sha256, crypto::Sha256Hex("hello\n"));
  const Change* dir = ChangeFor(check, P("etc"));
  ASSERT_NE(dir, nullptr);
  EXPECT_EQ(dir->kind, ChangeKind::kChanged);
  EXPECT_TRUE(dir->attributes.count("mtime"));
  EXPECT_TRUE(dir->attributes.count("ctime"));
  EXPECT_EQ(check.changes.size(), 3u);
}

TEST_F(FimEngineTest, ReplaceByRenameShowsNewInode) {
  InitOk();
  struct stat before {};
  ASSERT_EQ(::lstat(P("etc/passwd").c_str(), &before), 0);
  // Same size, same mtime, same mode: only the inode, ctime and content give it away.
  Write("etc/.passwd.tmp", "evil:x:0:0:root:/root:/bin/bash\n");
  fs::permissions(P("etc/.passwd.tmp"), fs::perms(before.st_mode & 07777));
  const timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(::utimensat(AT_FDCWD, P("etc/.passwd.tmp").c_str(), times, 0), 0);
  fs::rename(P("etc/.passwd.tmp"), P("etc/passwd"));
  CheckReport check = CheckOk();
  const Change* c = ChangeFor(check, P("etc/passwd"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Keys(c->attributes), (std::set<std::string>{"ctime", "inode", "sha256"}));
  EXPECT_EQ(c->attributes.at("inode").first, std::to_string(before.st_ino));
}

TEST_F(FimEngineTest, OddNamesSurviveTheBaseline) {
  const std::string newline = "etc/two\nlines";
  const std::string invalid = std::string("etc/bad\xff\xfe") + "name";
  Write(newline, "a");
  Write(invalid, "b");
  InitOk();
  EXPECT_TRUE(CheckOk().changes.empty());
  Write(invalid, "c");
  CheckReport check = CheckOk();
  ASSERT_EQ(check.changes.size(), 1u);
  EXPECT_EQ(check.changes[0].path, P(invalid));
  EXPECT_EQ(EscapePath(check.changes[0].path), tree() + "/etc/bad\\xff\\xfename");
  EXPECT_EQ(EscapePath(P(newline)), tree() + "/etc/two\\x0alines");
  // Event data is valid JSON even for names that are not UTF-8.
  EXPECT_NO_THROW(ChangeJson(check.changes[0]).dump());
  fs::remove(P(newline));
  check = CheckOk();
  const Change* removed = ChangeFor(check, P(newline));
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->kind, ChangeKind::kRemoved);
}

TEST_F(FimEngineTest, SymlinkLoopsAreRecordedNotFollowed) {
  fs::create_directory_symlink(".", P("etc/self"));
  fs::create_symlink(P("etc/l2"), P("etc/l1"));
  fs::create_symlink(P("etc/l1"), P("etc/l2"));
  CheckReport init = InitOk();
  EXPECT_EQ(init.files, 13);
  EXPECT_TRUE(init.errors.empty());
  auto entries = baseline_->Load();
  ASSERT_TRUE(entries.ok());
  bool found = false;
  for (const Entry& e : *entries) {
    if (e.path == P("etc/self")) {
      found = true;
      EXPECT_EQ(e.type, 'l');
      EXPECT_EQ(e.link_target, ".");
      EXPECT_TRUE(e.sha256.empty());
    }
  }
  EXPECT_TRUE(found);
  fs::remove(P("etc/l1"));
  fs::create_symlink("/etc/shadow", P("etc/l1"));
  CheckReport check = CheckOk();
  const Change* c = ChangeFor(check, P("etc/l1"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->attributes.at("link_target"),
            std::make_pair(P("etc/l2"), std::string("/etc/shadow")));
}

TEST_F(FimEngineTest, UnreadableFileIsReportedOnceAndScanGoesOn) {
  const std::string locked = P("etc/notes.txt");
  std::atomic<int> attempts{0};
  auto open = [&](const std::string& path) {
    if (path == locked) {
      ++attempts;
      return -EACCES;
    }
    return DefaultOpenForHash(path);
  };
  CheckReport init = InitOk(open);
  ASSERT_EQ(init.errors.size(), 1u);
  EXPECT_EQ(init.errors[0].path, locked);
  EXPECT_EQ(init.errors[0].message, "cannot open: Permission denied");
  EXPECT_EQ(attempts.load(), 1);
  EXPECT_EQ(init.files, 10);  // still recorded, with its metadata
  // The other files were hashed.
  auto entries = baseline_->Load();
  ASSERT_TRUE(entries.ok());
  for (const Entry& e : *entries) {
    if (e.type == 'f' && e.path != locked) {
      EXPECT_EQ(e.sha256.size(), 64u) << e.path;
    }
  }
  // Still unreadable: the check shows no change for it, only the error.
  CheckReport check = CheckOk(false, open);
  EXPECT_TRUE(check.changes.empty());
  ASSERT_EQ(check.errors.size(), 1u);
}

TEST_F(FimEngineTest, FileVanishingMidScanIsAnErrorNotACrash) {
  InitOk();
  Write("etc/passwd", "changed so that it is re-hashed\n");
  const std::string target = P("etc/passwd");
  auto open = [&](const std::string& path) {
    if (path == target) ::unlink(path.c_str());  // gone between lstat and open
    return DefaultOpenForHash(path);
  };
  CheckReport check = CheckOk(false, open);
  ASSERT_EQ(check.errors.size(), 1u);
  EXPECT_EQ(check.errors[0].message, "vanished during the scan");
  const Change* c = ChangeFor(check, target);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->kind, ChangeKind::kRemoved);
}

TEST_F(FimEngineTest, ExcludeAndIncludeGlobs) {
  options_.exclude = {"**/*.log", P("etc/deep")};
  InitOk();
  Write("cache/other.log", "x");
  Write("etc/deep/er/y.conf", "x");
  Write("etc/deep/z.conf", "x");
  CheckReport check = CheckOk();
  // Only the directory mtime of cache/ shows; nothing inside the excluded places.
  ASSERT_EQ(check.changes.size(), 1u);
  EXPECT_EQ(check.changes[0].path, P("cache"));

  options_.exclude.clear();
  options_.include = {"*.conf"};
  CheckReport init = InitOk();
  auto entries = baseline_->Load();
  ASSERT_TRUE(entries.ok());
  for (const Entry& e : *entries) {
    if (e.type != 'd') {
      EXPECT_TRUE(e.path.ends_with(".conf")) << e.path;
    }
  }
  EXPECT_EQ(init.files, 9);  // 5 directories + app.conf, x.conf, y.conf, z.conf
}

TEST_F(FimEngineTest, AcceptClearsAChange) {
  InitOk();
  fs::permissions(P("etc/app.conf"), fs::perms(0600));
  fs::remove(P("cache/blob.log"));
  ASSERT_EQ(CheckOk().changes.size(), 3u);  // app.conf, blob.log, cache dir
  auto accepted = Accept(Scanner(options_), *baseline_, {P("etc/app.conf"), P("cache")});
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  EXPECT_EQ(accepted->changes.size(), 3u);
  EXPECT_TRUE(CheckOk().changes.empty());

  auto outside = Accept(Scanner(options_), *baseline_, {"/usr/bin/ls"});
  EXPECT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("not under any configured fim path"),
            std::string::npos);
}

TEST_F(FimEngineTest, CheckWithUpdateReportsAChangeOnce) {
  InitOk();
  fs::permissions(P("etc/app.conf"), fs::perms(0600));
  EXPECT_EQ(CheckOk(true).changes.size(), 1u);
  EXPECT_TRUE(CheckOk(true).changes.empty());
}

TEST_F(FimEngineTest, UnchangedFilesAreNotRehashedUnlessParanoid) {
  InitOk();
  std::atomic<int> opened{0};
  auto counting = [&](const std::string& path) {
    ++opened;
    return DefaultOpenForHash(path);
  };
  EXPECT_TRUE(CheckOk(false, counting).changes.empty());
  EXPECT_EQ(opened.load(), 0);
  options_.paranoid = true;
  EXPECT_TRUE(CheckOk(false, counting).changes.empty());
  EXPECT_EQ(opened.load(), 5);
}

// What `fim check --full` is for: a content change that leaves type, size, mtime, ctime and
// inode as recorded. User space cannot set a ctime back, so the baseline is made to record
// another hash for an untouched file, as an offline edit of the disk would leave it.
TEST_F(FimEngineTest, OnlyAFullCheckRehashesFilesWithUnchangedMetadata) {
  InitOk();
  auto entries = baseline_->Load();
  ASSERT_TRUE(entries.ok());
  Entry tampered;
  for (const Entry& e : *entries) {
    if (e.path == P("etc/app.conf")) tampered = e;
  }
  ASSERT_EQ(tampered.sha256, crypto::Sha256Hex("listen 8080\n"));
  tampered.sha256 = crypto::Sha256Hex("listen 80\n");
  ASSERT_TRUE(baseline_->Apply({tampered}, {}).ok());

  EXPECT_TRUE(CheckOk().changes.empty());  // metadata unchanged: the recorded hash is trusted
  options_.paranoid = true;                // what --full sets
  CheckReport full = CheckOk();
  ASSERT_EQ(full.changes.size(), 1u);
  const Change* c = ChangeFor(full, P("etc/app.conf"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(
      c->attributes,
      (std::map<std::string, std::pair<std::string, std::string>>{
          {"sha256", {crypto::Sha256Hex("listen 80\n"), crypto::Sha256Hex("listen 8080\n")}}}));
}

// Init streams entries into the baseline as they are hashed: overlapping roots give each path
// once, and more files than the hashing queue holds (1,024) all arrive with their hash.
TEST_F(FimEngineTest, InitRecordsEveryFileOnceWhateverTheQueue) {
  fs::create_directories(root_ / "tree" / "many");
  for (int i = 0; i < 3000; ++i) Write("many/f" + std::to_string(i), std::to_string(i) + "\n");
  options_.paths = {tree(), P("etc")};
  CheckReport init = InitOk();
  EXPECT_TRUE(init.errors.empty());
  EXPECT_EQ(init.files, 10 + 1 + 3000);
  EXPECT_EQ(baseline_->Count(), 10 + 1 + 3000);
  auto entries = baseline_->Load();
  ASSERT_TRUE(entries.ok());
  int many = 0;
  for (const Entry& e : *entries) {
    const std::string prefix = P("many/f");
    if (e.path.rfind(prefix, 0) != 0) continue;
    ++many;
    EXPECT_EQ(e.sha256, crypto::Sha256Hex(e.path.substr(prefix.size()) + "\n")) << e.path;
    EXPECT_EQ(e.type, 'f');
  }
  EXPECT_EQ(many, 3000);
  EXPECT_TRUE(CheckOk().changes.empty());
}

// Init does not lstat a file readdir calls regular (the worker's fstat describes it); a path
// that turns into a link, or vanishes, before the worker opens it is still handled right.
TEST_F(FimEngineTest, InitHandlesFilesReplacedOrRemovedBeforeTheirOpen) {
  const std::string linked = P("etc/app.conf");
  const std::string gone = P("etc/notes.txt");
  auto open = [&](const std::string& path) {
    if (path == linked) {
      fs::remove(path);
      fs::create_symlink("/etc/hostname", path);
    }
    if (path == gone) fs::remove(path);
    return DefaultOpenForHash(path);
  };
  CheckReport init = InitOk(open);
  ASSERT_EQ(init.errors.size(), 1u);
  EXPECT_EQ(init.errors[0].path, gone);
  EXPECT_EQ(init.errors[0].message, "vanished during the scan");
  EXPECT_EQ(init.files, 9);
  auto entries = baseline_->Load();
  ASSERT_TRUE(entries.ok());
  bool saw_link = false;
  for (const Entry& e : *entries) {
    EXPECT_NE(e.path, gone);
    if (e.path == linked) {
      saw_link = true;
      EXPECT_EQ(e.type, 'l');
      EXPECT_EQ(e.link_target, "/etc/hostname");
      EXPECT_TRUE(e.sha256.empty());
    }
  }
  EXPECT_TRUE(saw_link);
}

TEST_F(FimEngineTest, XattrsAreRecordedWhenAsked) {
  options_.xattrs = true;
  InitOk();
  if (::lsetxattr(P("etc/passwd").c_str(), "user.beacon", "1", 1, 0) != 0) {
    GTEST_SKIP() << "user xattrs not supported here";
  }
  CheckReport check = CheckOk();
  const Change* c = ChangeFor(check, P("etc/passwd"));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(Keys(c->attributes), (std::set<std::string>{"ctime", "xattrs"}));
  EXPECT_EQ(c->attributes.at("xattrs").second, "user.beacon=31\\x0a");
}

}  // namespace
}  // namespace beacon::agent::fim
