// Mutex, MutexLock and UniqueLock: exclusion, try_lock, release/retake, condition-variable waits.
#include "common/mutex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <thread>

namespace beacon {
namespace {

// Whether another thread can take `mu` right now (try_lock from the same thread is undefined).
bool FreeFromAnotherThread(Mutex& mu) {
  return std::async(std::launch::async,
                    [&mu] {
                      if (!mu.try_lock()) return false;
                      mu.unlock();
                      return true;
                    })
      .get();
}

TEST(MutexTest, TryLockFailsWhileHeldAndSucceedsAfterUnlock) {
  Mutex mu;
  mu.lock();
  EXPECT_FALSE(FreeFromAnotherThread(mu));
  mu.unlock();
  EXPECT_TRUE(FreeFromAnotherThread(mu));
  if (mu.try_lock()) {
    EXPECT_FALSE(FreeFromAnotherThread(mu));
    mu.unlock();
  } else {
    ADD_FAILURE() << "try_lock failed on a free mutex";
  }
}

TEST(MutexTest, MutexLockHoldsForItsScope) {
  Mutex mu;
  {
    MutexLock lock(mu);
    EXPECT_FALSE(FreeFromAnotherThread(mu));
  }
  EXPECT_TRUE(FreeFromAnotherThread(mu));
}

TEST(MutexTest, UniqueLockReleasesAndRetakes) {
  Mutex mu;
  {
    UniqueLock lock(mu);
    EXPECT_FALSE(FreeFromAnotherThread(mu));
    lock.unlock();
    EXPECT_TRUE(FreeFromAnotherThread(mu));
    lock.lock();
    EXPECT_FALSE(FreeFromAnotherThread(mu));
  }
  EXPECT_TRUE(FreeFromAnotherThread(mu));
  {
    UniqueLock lock(mu);
    lock.unlock();  // the destructor must not unlock a second time
  }
  EXPECT_TRUE(FreeFromAnotherThread(mu));
}

// The shape the tree uses: a class with a mutex and the members it guards.
struct Counter {
  Mutex mu;
  int value BEACON_GUARDED_BY(mu) = 0;
  bool ready BEACON_GUARDED_BY(mu) = false;
};

TEST(MutexTest, ExcludesConcurrentWriters) {
  Counter c;
  auto add = [&c] {
    for (int i = 0; i < 100000; ++i) {
      MutexLock lock(c.mu);
      ++c.value;
    }
  };
  std::thread a(add);
  std::thread b(add);
  a.join();
  b.join();
  MutexLock lock(c.mu);
  EXPECT_EQ(c.value, 200000);
}

TEST(MutexTest, ConditionVariableWakesAWaiterWithAPredicate) {
  Counter c;
  std::condition_variable_any cv;
  auto waited = std::async(std::launch::async, [&] {
    UniqueLock lock(c.mu);
    // Long enough that only the notification ends the wait.
    return cv.wait_for(lock, std::chrono::seconds(30),
                       [&]() BEACON_REQUIRES(c.mu) { return c.ready; });
  });
  {
    MutexLock lock(c.mu);
    c.ready = true;
  }
  cv.notify_all();
  EXPECT_TRUE(waited.get());
}

TEST(MutexTest, ConditionVariableTimesOutWhenNotNotified) {
  Mutex mu;
  std::condition_variable_any cv;
  UniqueLock lock(mu);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(cv.wait_for(lock, std::chrono::milliseconds(20)), std::cv_status::timeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
  // The wait returns with the lock held again.
  EXPECT_FALSE(FreeFromAnotherThread(mu));
}

}  // namespace
}  // namespace beacon
