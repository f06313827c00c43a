// PeriodicLoop: first pass at start or after one interval, Wake, Stop, paced passes.
#include "common/periodic_loop.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>

namespace beacon {
namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr auto kPatience = std::chrono::seconds(20);

// Counts passes; tests await a count instead of sleeping.
class Passes {
 public:
  void Add() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++count_;
    }
    changed_.notify_all();
  }
  bool AwaitAtLeast(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, kPatience, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int count_ = 0;
};

TEST(PeriodicLoopTest, RunFirstPassesAtOnceThenWaitsTheInterval) {
  Passes passes;
  PeriodicLoop loop;
  loop.Start(PeriodicLoop::FirstPass::kAtStart, kHourMs, [&] { passes.Add(); });
  ASSERT_TRUE(passes.AwaitAtLeast(1));
  const auto before = std::chrono::steady_clock::now();
  loop.Stop();  // ends the hour's wait at once
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(10));
  EXPECT_EQ(passes.count(), 1);
}

TEST(PeriodicLoopTest, WaitFirstRunsNothingBeforeTheInterval) {
  Passes passes;
  PeriodicLoop loop;
  loop.Start(PeriodicLoop::FirstPass::kAfterInterval, kHourMs, [&] { passes.Add(); });
  loop.Stop();
  EXPECT_EQ(passes.count(), 0);
}

TEST(PeriodicLoopTest, WaitFirstRunsAfterTheInterval) {
  Passes passes;
  PeriodicLoop loop;
  loop.Start(PeriodicLoop::FirstPass::kAfterInterval, 1, [&] { passes.Add(); });
  EXPECT_TRUE(passes.AwaitAtLeast(3));
}

TEST(PeriodicLoopTest, WakeBringsTheNextPassForward) {
  Passes passes;
  PeriodicLoop loop;
  loop.Start(PeriodicLoop::FirstPass::kAtStart, kHourMs, [&] { passes.Add(); });
  ASSERT_TRUE(passes.AwaitAtLeast(1));
  loop.Wake();
  EXPECT_TRUE(passes.AwaitAtLeast(2));
  loop.Wake();
  EXPECT_TRUE(passes.AwaitAtLeast(3));
}

TEST(PeriodicLoopTest, WakeDuringAPassCutsTheWaitAfterIt) {
  Passes passes;
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  PeriodicLoop loop;
  loop.Start(PeriodicLoop::FirstPass::kAtStart, kHourMs, [&] {
    if (first.exchange(false)) {
      entered.set_value();
      released.wait();
    }
    passes.Add();
  });
  entered.get_future().wait();
  loop.Wake();  // while the first pass runs
  release.set_value();
  EXPECT_TRUE(passes.AwaitAtLeast(2));  // not an hour later
}

TEST(PeriodicLoopTest, StopLetsThePassUnderWayFinish) {
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> finished{false};
  PeriodicLoop loop;
  loop.Start(PeriodicLoop::FirstPass::kAtStart, kHourMs, [&] {
    entered.set_value();
    released.wait();
    finished = true;
  });
  entered.get_future().wait();
  std::future<void> stopped = std::async(std::launch::async, [&] { loop.Stop(); });
  EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  release.set_value();
  stopped.get();
  EXPECT_TRUE(finished);
}

TEST(PeriodicLoopTest, PacedPassesChooseTheirOwnWait) {
  Passes passes;
  PeriodicLoop loop;
  loop.StartPaced([&] {
    passes.Add();
    return passes.count() < 5 ? int64_t{0} : kHourMs;  // four at once, then an hour
  });
  ASSERT_TRUE(passes.AwaitAtLeast(5));
  loop.Stop();
  EXPECT_EQ(passes.count(), 5);
}

TEST(PeriodicLoopTest, StartWhileRunningIsIgnoredAndRestartAfterStopWorks) {
  Passes first;
  Passes second;
  PeriodicLoop loop;
  loop.Start(PeriodicLoop::FirstPass::kAtStart, kHourMs, [&] { first.Add(); });
  ASSERT_TRUE(first.AwaitAtLeast(1));
  loop.Start(PeriodicLoop::FirstPass::kAtStart, kHourMs, [&] { second.Add(); });
  loop.Stop();
  EXPECT_EQ(second.count(), 0);
  loop.Start(PeriodicLoop::FirstPass::kAtStart, kHourMs, [&] { second.Add(); });
  EXPECT_TRUE(second.AwaitAtLeast(1));
  loop.Stop();
  EXPECT_EQ(first.count(), 1);
}

TEST(PeriodicLoopTest, StopWithoutStartAndTwiceIsHarmless) {
  Passes passes;
  PeriodicLoop loop;
  loop.Stop();
  loop.Stop();
  loop.Start(PeriodicLoop::FirstPass::kAtStart, kHourMs, [&] { passes.Add(); });
  EXPECT_TRUE(passes.AwaitAtLeast(1));
}

}  // namespace
}  // namespace beacon
