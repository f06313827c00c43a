// Restore: the target checks refuse every escape from the restore roots (outside, "..",
// prefix tricks, symlinked directories, symlinked targets) with a clear message; corrupt or
// mismatching objects never touch the target; downloads are ranged and report progress.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "agent/backup/object_format.h"
#include "agent/backup/restore.h"
#include "backup_test_store.h"
#include "common/crypto/crypto.h"

namespace beacon::agent::backup {
namespace {

using testing::LogText;
using testing::MemoryStore;
using testing::Op;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

TEST(CheckRestoreTargetTest, LexicalRefusalsHaveClearMessages) {
  const std::vector<std::string> roots = {"/srv/restore"};
  Status s = CheckRestoreTarget("/etc/passwd", roots);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "restore target /etc/passwd is outside the restore roots (/srv/restore)");

  s = CheckRestoreTarget("srv/restore/a", roots);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("not an absolute path"), std::string::npos);

  for (const char* t :
       {"/srv/restore/../../etc/passwd", "/srv/restore/a/../b", "/srv/restore/./a"}) {
    s = CheckRestoreTarget(t, roots);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << t;
    EXPECT_NE(s.message().find("'.' or '..'"), std::string::npos) << s.message();
  }
  // The root itself is not a file below the root.
  EXPECT_EQ(CheckRestoreTarget("/srv/restore", roots).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckRestoreTarget("/srv/restore/", roots).code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(CheckRestoreTarget("/srv/x", {}).code(), StatusCode::kPermissionDenied);
}

TEST(CheckRestoreTargetTest, PrefixOfARootNameIsNotInsideIt) {
  TempDir dir;
  std::filesystem::create_directories(dir / "srv/app");
  std::filesystem::create_directories(dir / "srv/app2");
  const std::vector<std::string> roots = {dir / "srv/app"};
  Status s = CheckRestoreTarget(dir / "srv/app2/conf.yaml", roots);
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("outside the restore roots"), std::string::npos);
  EXPECT_TRUE(CheckRestoreTarget(dir / "srv/app/conf.yaml", roots).ok());
  // Double slashes and a trailing slash on the root are only spelling.
  EXPECT_TRUE(CheckRestoreTarget(dir / "srv//app/new/dir/f", {dir / "srv/app/"}).ok());
}

TEST(CheckRestoreTargetTest, SymlinksBelowTheRootAreRefused) {
  TempDir dir;
  const std::string root = dir / "restore";
  std::filesystem::create_directories(root + "/real");
  std::filesystem::create_directories(dir / "outside");
  std::filesystem::create_directory_symlink(dir / "outside", root + "/escape");
  WriteFile(dir / "outside/passwd", "root:x:0:0");
  std::filesystem::create_symlink(dir / "outside/passwd", root + "/real/passwd");

  Status s = CheckRestoreTarget(root + "/escape/passwd", {root});
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find(root + "/escape is a symbolic link"), std::string::npos)
      << s.message();
  s = CheckRestoreTarget(root + "/real/passwd", {root});
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("real/passwd is a symbolic link"), std::string::npos);
  EXPECT_TRUE(CheckRestoreTarget(root + "/real/new/deeper/file", {root}).ok());
}

class RestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_ / "restore";
    std::filesystem::create_directories(root_);
  }

  // Stores `content` as a plain version the way the uploader does and returns its record.
  wire::BackupVersion Store(const std::string& content, std::string key_text = "",
                            std::string key_id = "") {
    BodyEncoder enc;
    EXPECT_TRUE(enc.Init(3, 0, key_text, key_text.empty() ? "" : "abcdefghijkl").ok());
    std::string body;
    EXPECT_TRUE(enc.Update(content, &body).ok());
    EXPECT_TRUE(enc.Finish(&body).ok());
    wire::BackupVersion v;
    v.set = "app";
    v.path = "/srv/app/file";
    v.size = content.size();
    v.mtime_ns = 1'600'000'000'000'000'000;
    v.mode = 0604;
    v.uid = getuid();
    v.gid = getgid();
    v.sha256 = crypto::Sha256Hex(content);
    v.key = "beacon/h/srv/app/file@x-" + std::to_string(++n_) + ".zst";
    v.key_id = std::move(key_id);
    v.stored_size = body.size();
    EXPECT_TRUE(store_.Put(v.key, body, {}).ok());
    return v;
  }

  Status Restore(const wire::BackupVersion& v, const std::string& target, uint64_t chunk = 8 * 1024,
                 RestoreProgressFn progress = nullptr, bool allow_setid = false) {
    wire::RestoreArgs args;
    args.version = v;
    args.target = target;
    RestoreOptions options;
    options.roots = {root_};
    options.chunk_bytes = chunk;
    options.allow_setid = allow_setid;
    return RestoreVersion(args, store_, options, progress);
  }

  std::vector<std::string> Listing(const std::string& d) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(d)) {
      names.push_back(e.path().filename());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  TempDir dir_;
  std::string root_;
  MemoryStore store_;
  int n_ = 0;
};

TEST_F(RestoreTest, RangedDownloadCreatesParentsAndReportsProgress) {
  const std::string content = LogText(200 * 1024);
  const wire::BackupVersion v = Store(content);
  std::vector<RestoreProgress> seen;
  const std::string target = root_ + "/a/b/c/file.log";
  const int gets_before = store_.Calls(Op::kGet);
  Status s = Restore(v, target, 1000, [&](const RestoreProgress& p) { seen.push_back(p); });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ReadFile(target), content);
  EXPECT_EQ(store_.Calls(Op::kGet) - gets_before, static_cast<int>((v.stored_size + 999) / 1000));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back().done_bytes, content.size());
  EXPECT_EQ(seen.back().total_bytes, content.size());
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].done_bytes, seen[i - 1].done_bytes);
  struct stat st {};
  ASSERT_EQ(stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0604u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1'600'000'000);
}

TEST_F(RestoreTest, SetIdBitsAreRemovedUnlessAllowed) {
  wire::BackupVersion v = Store("#!/bin/sh\necho hi\n");
  v.mode = 06755;
  const std::string stripped = root_ + "/stripped";
  ASSERT_TRUE(Restore(v, stripped).ok());
  struct stat st {};
  ASSERT_EQ(stat(stripped.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  const std::string kept = root_ + "/kept";
  ASSERT_TRUE(Restore(v, kept, 8 * 1024, nullptr, /*allow_setid=*/true).ok());
  ASSERT_EQ(stat(kept.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 06755u);

  EXPECT_EQ(RestoredMode(0104755, false), 0755u);   // file type bits never pass either
  EXPECT_EQ(RestoredMode(0101755, false), 01755u);  // sticky is not a set-id bit
  EXPECT_EQ(RestoredMode(0102750, true), 02750u);
}

TEST_F(RestoreTest, ReplacesAnExistingFileAtomically) {
  const std::string target = root_ + "/conf.yaml";
  WriteFile(target, "old");
  struct stat before {};
  ASSERT_EQ(stat(target.c_str(), &before), 0);
  ASSERT_TRUE(Restore(Store("new contents"), target).ok());
  EXPECT_EQ(ReadFile(target), "new contents");
  struct stat after {};
  ASSERT_EQ(stat(target.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);  // a rename, not an in-place rewrite
  EXPECT_EQ(Listing(root_), std::vector<std::string>{"conf.yaml"});
}

TEST_F(RestoreTest, ShaMismatchLeavesTargetUntouched) {
  const std::string target = root_ + "/conf.yaml";
  WriteFile(target, "current");
  wire::BackupVersion v = Store("stored bytes");
  v.sha256 = crypto::Sha256Hex("other bytes");
  Status s = Restore(v, target);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("SHA-256 mismatch"), std::string::npos) << s.message();
  EXPECT_EQ(ReadFile(target), "current");
  EXPECT_EQ(Listing(root_), std::vector<std::string>{"conf.yaml"});
}

TEST_F(RestoreTest, CorruptOrShortObjectLeavesTargetUntouched) {
  const std::string target = root_ + "/conf.yaml";
  WriteFile(target, "current");
  const std::string content = LogText(50 * 1024, 4);
  wire::BackupVersion v = Store(content);
  store_.FlipByte(v.key, v.stored_size / 2);
  EXPECT_FALSE(Restore(v, target).ok());
  EXPECT_EQ(ReadFile(target), "current");

  wire::BackupVersion w = Store(content);
  std::string body = *store_.Get(w.key, std::nullopt);
  store_.SetBody(w.key, body.substr(0, body.size() - 10));
  Status s = Restore(w, target);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_EQ(ReadFile(target), "current");
  EXPECT_EQ(Listing(root_), std::vector<std::string>{"conf.yaml"});
}

TEST_F(RestoreTest, StoreErrorIsReturnedWithContext) {
  wire::BackupVersion v = Store("x");
  store_.FailNth(Op::kGet, 1);
  Status s = Restore(v, root_ + "/x");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find(v.key), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(root_ + "/x"));
  EXPECT_TRUE(Listing(root_).empty());
}

TEST_F(RestoreTest, RefusesEscapesWithoutWritingAnything) {
  const wire::BackupVersion v = Store("payload");
  std::filesystem::create_directories(dir_ / "outside");
  std::filesystem::create_directory_symlink(dir_ / "outside", root_ + "/link");
  std::filesystem::create_symlink(dir_ / "outside/f", root_ + "/target-link");
  for (const std::string& target :
       {root_ + "/link/f", root_ + "/target-link", root_ + "/../outside/f", dir_ / "outside/f",
        dir_ / "restore2/f"}) {
    Status s = Restore(v, target);
    EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << target << " " << s.ToString();
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "outside"));
  EXPECT_EQ(store_.Calls(Op::kGet), 0);
}

TEST_F(RestoreTest, EncryptedVersionNeedsItsKey) {
  const std::string key(32, '\x07');
  const std::string id = EncryptionKeyId(key);
  const wire::BackupVersion v = Store("secret", key, id);
  wire::RestoreArgs args{v, root_ + "/s"};
  RestoreOptions options;
  options.roots = {root_};
  Status s = RestoreVersion(args, store_, options, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find(id), std::string::npos);
  EXPECT_EQ(s.message().find(key), std::string::npos);
  options.keys_by_id[id] = key;
  ASSERT_TRUE(RestoreVersion(args, store_, options, nullptr).ok());
  EXPECT_EQ(ReadFile(root_ + "/s"), "secret");
}

}  // namespace
}  // namespace beacon::agent::backup
