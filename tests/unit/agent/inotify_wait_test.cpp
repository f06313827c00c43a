// InotifyWait: a watcher thread blocked in Wait() learns of file events, of a Wake() from
// another thread (how watchers stop promptly), and of a timeout, each as what it is.
#include "agent/inotify_wait.h"

#include <gtest/gtest.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

namespace beacon::agent {
namespace {

namespace fs = std::filesystem;

fs::path TempDir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(::testing::TempDir()) /
                 ("inotify-wait-" + std::to_string(::getpid()) + "-" + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

TEST(InotifyWaitTest, ReportsEventsWakesAndTimeouts) {
  const fs::path dir = TempDir();
  InotifyWait wait;
  ASSERT_TRUE(wait.Open().ok());
  ASSERT_GE(wait.fd(), 0);
  ASSERT_GE(::inotify_add_watch(wait.fd(), dir.c_str(), IN_CLOSE_WRITE), 0);

  EXPECT_EQ(wait.Wait(0), InotifyWait::Ready::kTimeout);
  std::ofstream(dir / "f") << "x";
  EXPECT_EQ(wait.Wait(5000), InotifyWait::Ready::kEvents);

  char buffer[4096];
  ASSERT_GT(::read(wait.fd(), buffer, sizeof(buffer)), 0);
  std::thread waker([&wait] { wait.Wake(); });
  EXPECT_EQ(wait.Wait(-1), InotifyWait::Ready::kWoken);
  waker.join();

  wait.Close();
  EXPECT_EQ(wait.fd(), -1);
  fs::remove_all(dir);
}

// Stop() ends a loop blocked in Wait(-1) and closes the descriptors.
TEST(InotifyWaitTest, StopEndsARunningLoop) {
  InotifyWait wait;
  ASSERT_TRUE(wait.Open().ok());
  std::atomic<bool> waiting{false};
  std::atomic<int> rounds{0};
  wait.Run([&] {
    while (!wait.stopping()) {
      waiting = true;
      (void)wait.Wait(-1);  // the wake is an eventfd count: not lost if it comes first
      ++rounds;
    }
  });
  while (!waiting) std::this_thread::yield();
  wait.Stop();
  EXPECT_TRUE(wait.stopping());
  EXPECT_GE(rounds.load(), 1);
  EXPECT_EQ(wait.fd(), -1);
}

}  // namespace
}  // namespace beacon::agent
