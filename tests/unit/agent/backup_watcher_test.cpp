// The backup watcher on real directories: bursts into directories created during the burst are
// all reported (watch first, then scan), renames into place are reported under the final name,
// reading files is invisible, excluded directories are not watched, and a full kernel queue
// turns into an overflow callback.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>

#include "agent/backup/globs.h"
#include "agent/backup/watcher.h"

namespace beacon::agent::backup {
namespace {

namespace fs = std::filesystem;
constexpr auto kWait = std::chrono::seconds(30);  // a guard against hangs, not a timing check

// prefix + number + suffix (appending avoids GCC 12's false -Wrestrict on "lit" + string&&).
std::string Name(const char* prefix, int n, const char* suffix = "") {
  std::string name = prefix;
  name += std::to_string(n);
  name += suffix;
  return name;
}

class BackupWatcherTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() / ("beacon-bwatch-" + std::to_string(getpid()) + "-" +
                                     testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "root");
    root_ = (dir_ / "root").string();
  }
  void TearDown() override {
    if (watcher_) watcher_->Stop();
    fs::remove_all(dir_);
  }

  BackupWatcher::Callbacks Callbacks() {
    BackupWatcher::Callbacks callbacks;
    callbacks.wants_dir = [this](const std::string& dir) {
      std::string rel;
      return RelativeTo(root_, dir, &rel) && filter_.EntersDirectory(rel);
    };
    callbacks.wants_file = [this](const std::string& file) {
      std::string rel;
      return RelativeTo(root_, file, &rel) && filter_.SelectsFile(rel);
    };
    callbacks.on_files = [this](std::vector<std::string> files) {
      std::unique_lock lock(mu_);
      ++calls_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return !paused_; });
      for (auto& f : files) {
        reported_.push_back(f);
        seen_.insert(f);
      }
      cv_.notify_all();
    };
    callbacks.on_overflow = [this] {
      std::lock_guard lock(mu_);
      ++overflows_;
      cv_.notify_all();
    };
    return callbacks;
  }

  void StartWatcher() {
    watcher_ = std::make_unique<BackupWatcher>(std::vector<BackupWatcher::Root>{{root_, true}},
                                               Callbacks());
    ASSERT_TRUE(watcher_->Start().ok());
  }

  static void Write(const fs::path& path, const std::string& content) {
    std::ofstream(path, std::ios::binary) << content;
  }

  bool WaitSeen(const std::set<std::string>& expected) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] {
      for (const auto& e : expected) {
        if (!seen_.count(e)) return false;
      }
      return true;
    });
  }

  fs::path dir_;
  std::string root_;
  PathFilter filter_;
  std::unique_ptr<BackupWatcher> watcher_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> reported_;
  std::set<std::string> seen_;
  int calls_ = 0;
  int overflows_ = 0;
  bool paused_ = false;
};

TEST_F(BackupWatcherTest, BurstsIntoNewDirectoriesMissNothing) {
  StartWatcher();
  std::set<std::string> expected;
  for (int r = 0; r < 40; ++r) {
    const fs::path deep = fs::path(root_) / Name("r", r) / "a" / "b" / "c";
    fs::create_directories(deep);  // mkdir -p, then files at every level at once
    for (fs::path level = deep; level != fs::path(root_); level = level.parent_path()) {
      for (int i = 0; i < 5; ++i) {
        const fs::path file = level / Name("f", i, ".log");
        Write(file, Name("round ", r));
        expected.insert(file.string());
      }
    }
  }
  ASSERT_TRUE(WaitSeen(expected));
  EXPECT_EQ(seen_.size(), expected.size());  // nothing that was not written
  EXPECT_GE(watcher_->watch_count(), 1u + 40 * 4);
}

TEST_F(BackupWatcherTest, RenameIntoPlaceIsReportedUnderTheFinalName) {
  StartWatcher();
  // rsync-style: a temp name in the same directory, then rename.
  Write(fs::path(root_) / ".app.conf.Ab12Cd", "v2");
  fs::rename(fs::path(root_) / ".app.conf.Ab12Cd", fs::path(root_) / "app.conf");
  // A whole directory moved in from outside the root: its files are found by the scan.
  fs::create_directories(dir_ / "outside" / "sub");
  Write(dir_ / "outside" / "x.bin", "x");
  Write(dir_ / "outside" / "sub" / "y.bin", "y");
  fs::rename(dir_ / "outside", fs::path(root_) / "moved");
  const std::set<std::string> expected = {root_ + "/app.conf", root_ + "/moved/x.bin",
                                          root_ + "/moved/sub/y.bin"};
  ASSERT_TRUE(WaitSeen(expected));
  std::lock_guard lock(mu_);
  EXPECT_EQ(seen_, expected);  // never the temp name
}

TEST_F(BackupWatcherTest, MovedInDirectoryIsWatched) {
  StartWatcher();
  fs::create_directories(dir_ / "outside");
  fs::rename(dir_ / "outside", fs::path(root_) / "moved");
  Write(fs::path(root_) / "sentinel", "s");
  ASSERT_TRUE(WaitSeen({root_ + "/sentinel"}));
  Write(fs::path(root_) / "moved" / "later.log", "later");
  ASSERT_TRUE(WaitSeen({root_ + "/moved/later.log"}));
}

TEST_F(BackupWatcherTest, ReadingFilesIsInvisible) {
  StartWatcher();
  Write(fs::path(root_) / "a.log", "aaaa");
  ASSERT_TRUE(WaitSeen({root_ + "/a.log"}));
  for (int i = 0; i < 50; ++i) {
    std::ifstream in(fs::path(root_) / "a.log");
    std::string content;
    in >> content;
    ASSERT_EQ(content, "aaaa");
  }
  Write(fs::path(root_) / "b.log", "b");
  ASSERT_TRUE(WaitSeen({root_ + "/b.log"}));
  std::lock_guard lock(mu_);
  EXPECT_EQ(reported_, (std::vector<std::string>{root_ + "/a.log", root_ + "/b.log"}));
}

TEST_F(BackupWatcherTest, ExcludedDirectoriesAndTempFilesAreIgnored) {
  filter_ = PathFilter({}, {"cache"});
  fs::create_directories(fs::path(root_) / "cache");
  StartWatcher();
  Write(fs::path(root_) / "cache" / "c.bin", "c");
  fs::create_directories(fs::path(root_) / "sub" / "cache");
  Write(fs::path(root_) / "sub" / "cache" / "d.bin", "d");
  Write(fs::path(root_) / ".a.conf.swp", "swap");
  Write(fs::path(root_) / "sentinel", "s");
  ASSERT_TRUE(WaitSeen({root_ + "/sentinel"}));
  std::lock_guard lock(mu_);
  EXPECT_EQ(reported_, std::vector<std::string>{root_ + "/sentinel"});
}

TEST_F(BackupWatcherTest, FullKernelQueueReportsOverflow) {
  int max_queued = 16384;
  std::ifstream("/proc/sys/fs/inotify/max_queued_events") >> max_queued;
  if (max_queued > 200000) GTEST_SKIP() << "max_queued_events is " << max_queued;
  fs::create_directories(fs::path(root_) / "flood");  // watched from the start
  StartWatcher();
  {
    std::lock_guard lock(mu_);
    paused_ = true;  // the next on_files call blocks: the reader stops reading
  }
  Write(fs::path(root_) / "first", "1");
  {
    std::unique_lock lock(mu_);
    ASSERT_TRUE(cv_.wait_for(lock, kWait, [this] { return calls_ > 0; }));
  }
  // Each new file queues IN_CREATE and IN_CLOSE_WRITE; this is well beyond the queue.
  for (int i = 0; i < max_queued / 2 + 1000; ++i) {
    const std::string path = root_ + "/flood/" + std::to_string(i);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    ::close(fd);
  }
  {
    std::lock_guard lock(mu_);
    paused_ = false;
  }
  cv_.notify_all();
  std::unique_lock lock(mu_);
  ASSERT_TRUE(cv_.wait_for(lock, kWait, [this] { return overflows_ > 0; }));
  EXPECT_EQ(overflows_, 1);
}

}  // namespace
}  // namespace beacon::agent::backup
