// BackupState: file records, pending multipart uploads with their parts and the per-set
// success time survive reopening the database (an agent restart), and recording a stored
// version clears the upload it completed.
#include <gtest/gtest.h>

#include <thread>

#include "agent/backup/state.h"
#include "backup_test_store.h"

namespace beacon::agent::backup {
namespace {

using testing::TempDir;

std::unique_ptr<BackupState> OpenState(const std::string& path) {
  auto state = BackupState::Open(path);
  EXPECT_TRUE(state.ok()) << state.status().ToString();
  return state.ok() ? std::move(state).value() : nullptr;
}

FileRecord Record(std::string sha, std::string key) {
  FileRecord r;
  r.sha256 = std::move(sha);
  r.size = 42;
  r.mtime_ns = 1'700'000'000'000'000'001;
  r.ctime_ns = 1'700'000'000'000'000'002;
  r.inode = 1ULL << 40;
  r.key = std::move(key);
  r.stored_ms = 1'700'000'000'000;
  return r;
}

TEST(BackupStateTest, FileRecordsPersistAcrossReopen) {
  TempDir dir;
  const std::string db = dir / "backup/state.db";  // parent created on open
  {
    auto state = BackupState::Open(db);
    ASSERT_TRUE(state.ok()) << state.status().ToString();
    EXPECT_FALSE((*state)->GetFile("etc", "/etc/hosts")->has_value());
    ASSERT_TRUE((*state)->RecordStored("etc", "/etc/hosts", Record("aa", "k1"), 1000).ok());
    ASSERT_TRUE((*state)->RecordStored("etc", "/etc/fstab", Record("bb", "k2"), 2000).ok());
    ASSERT_TRUE((*state)->RecordStored("etc", "/etc/hosts", Record("cc", "k3"), 3000).ok());
  }
  auto state = BackupState::Open(db);
  ASSERT_TRUE(state.ok());
  auto hosts = (*state)->GetFile("etc", "/etc/hosts");
  ASSERT_TRUE(hosts.ok() && hosts->has_value());
  EXPECT_EQ((*hosts)->sha256, "cc");
  EXPECT_EQ((*hosts)->key, "k3");
  EXPECT_EQ((*hosts)->size, 42u);
  EXPECT_EQ((*hosts)->mtime_ns, 1'700'000'000'000'000'001);
  EXPECT_EQ((*hosts)->ctime_ns, 1'700'000'000'000'000'002);
  EXPECT_EQ((*hosts)->inode, 1ULL << 40);
  EXPECT_FALSE((*state)->GetFile("other", "/etc/hosts")->has_value());
  EXPECT_EQ(*(*state)->ListPaths("etc"), (std::vector<std::string>{"/etc/fstab", "/etc/hosts"}));
  EXPECT_EQ(**(*state)->LastSuccessMs("etc"), 3000);
  EXPECT_FALSE((*state)->LastSuccessMs("other")->has_value());
  ASSERT_TRUE((*state)->RemoveFile("etc", "/etc/fstab").ok());
  EXPECT_EQ(*(*state)->ListPaths("etc"), (std::vector<std::string>{"/etc/hosts"}));
}

TEST(BackupStateTest, PendingUploadWithPartsSurvivesRestartAndIsClearedByRecordStored) {
  TempDir dir;
  const std::string db = dir / "state.db";
  PendingUpload up;
  up.set = "logs";
  up.path = "/var/log/big.log";
  up.key = "beacon/h/var/log/big.log@x";
  up.upload_id = "u-1";
  up.sha256 = std::string(64, 'e');
  up.iv = std::string("\x00\x01\x02\xff\x00\x05\x06\x07\x08\x09\x0a\x0b", 12);
  up.size = 1 << 30;
  up.mtime_ns = 5;
  up.inode = 77;
  up.started_ms = 123;
  {
    auto state = OpenState(db);
    ASSERT_TRUE(state->BeginUpload(up).ok());
    ASSERT_TRUE(state->AddPart(up.set, up.path, {2, "e2", "d2", 100}).ok());
    ASSERT_TRUE(state->AddPart(up.set, up.path, {1, "e1", "d1", 100}).ok());
    ASSERT_TRUE(state->AddPart(up.set, up.path, {2, "e2b", "d2b", 100}).ok());  // replaced
  }
  auto state = OpenState(db);
  auto got = state->GetUpload(up.set, up.path);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->key, up.key);
  EXPECT_EQ((*got)->upload_id, "u-1");
  EXPECT_EQ((*got)->iv, up.iv);  // binary-safe
  EXPECT_EQ((*got)->size, up.size);
  EXPECT_EQ((*got)->inode, 77u);
  ASSERT_EQ((*got)->parts.size(), 2u);
  EXPECT_EQ((*got)->parts[0].number, 1);
  EXPECT_EQ((*got)->parts[1].etag, "e2b");
  EXPECT_EQ((*got)->parts[1].digest, "d2b");
  auto all = state->ListUploads();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].parts.size(), 2u);

  // A new upload of the same path replaces the old one, parts included.
  PendingUpload again = up;
  again.upload_id = "u-2";
  ASSERT_TRUE(state->BeginUpload(again).ok());
  EXPECT_TRUE((*state->GetUpload(up.set, up.path))->parts.empty());

  ASSERT_TRUE(state->RecordStored(up.set, up.path, Record(up.sha256, up.key), 9).ok());
  EXPECT_FALSE(state->GetUpload(up.set, up.path)->has_value());
  EXPECT_TRUE(state->ListUploads()->empty());
}

TEST(BackupStateTest, RecordStoredBatchRecordsEveryFileAndClearsTheirUploads) {
  TempDir dir;
  const std::string db = dir / "state.db";
  {
    auto state = OpenState(db);
    ASSERT_NE(state, nullptr);
    PendingUpload up;
    up.set = "logs";
    up.path = "/var/log/big.log";
    up.key = "k-big";
    up.upload_id = "u1";
    up.sha256 = "ff";
    ASSERT_TRUE(state->BeginUpload(up).ok());
    ASSERT_TRUE(state->RecordStored("logs", "/var/log/old.log", Record("00", "k0"), 500).ok());
    std::vector<BackupState::StoredFile> files;
    for (int i = 0; i < 300; ++i) {
      files.push_back({"/var/log/f" + std::to_string(i), Record(std::to_string(i), "k")});
    }
    files.push_back({"/var/log/big.log", Record("ff", "k-big")});
    ASSERT_TRUE(state->RecordStoredBatch("logs", files, 2000).ok());
    ASSERT_TRUE(state->RecordStoredBatch("logs", {}, 9000).ok()) << "an empty batch is a no-op";
  }
  auto state = OpenState(db);  // committed: survives a reopen
  ASSERT_NE(state, nullptr);
  EXPECT_EQ(state->ListPaths("logs")->size(), 302u);
  EXPECT_EQ((*state->GetFile("logs", "/var/log/f299"))->sha256, "299");
  EXPECT_EQ((*state->GetFile("logs", "/var/log/old.log"))->sha256, "00");
  EXPECT_FALSE(state->GetUpload("logs", "/var/log/big.log")->has_value());
  EXPECT_EQ(**state->LastSuccessMs("logs"), 2000);
  auto files = state->ListFiles("logs");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 302u);
  EXPECT_EQ(files->front().first, "/var/log/big.log");  // sorted by path
  EXPECT_EQ(files->front().second.key, "k-big");
  EXPECT_EQ(files->back().first, "/var/log/old.log");
  EXPECT_EQ(files->back().second.inode, 1ULL << 40);
  EXPECT_TRUE(state->ListFiles("other")->empty());
}

TEST(BackupStateTest, ConcurrentWritersFromManyThreads) {
  TempDir dir;
  auto state = OpenState(dir / "state.db");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        const std::string path = "/f/" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(state->RecordStored("s", path, Record("x", path), i).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(state->ListPaths("s")->size(), 100u);
}

}  // namespace
}  // namespace beacon::agent::backup
