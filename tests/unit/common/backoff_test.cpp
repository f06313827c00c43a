// Exponential backoff with jitter and the per-thread random source.
#include "common/backoff.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <thread>
#include <vector>

namespace beacon {
namespace {

TEST(BackoffTest, CeilingDoublesFromInitialUpToMax) {
  const Backoff backoff{60'000, 3'600'000};
  EXPECT_EQ(backoff.CeilingMs(0), 60'000);
  EXPECT_EQ(backoff.CeilingMs(1), 60'000);
  EXPECT_EQ(backoff.CeilingMs(2), 120'000);
  EXPECT_EQ(backoff.CeilingMs(3), 240'000);
  EXPECT_EQ(backoff.CeilingMs(6), 1'920'000);
  EXPECT_EQ(backoff.CeilingMs(7), 3'600'000);
  EXPECT_EQ(backoff.CeilingMs(1'000'000), 3'600'000);
}

TEST(BackoffTest, CeilingEdgeCases) {
  EXPECT_EQ((Backoff{0, 5000}.CeilingMs(3)), 0);  // retries at once
  EXPECT_EQ((Backoff{-5, 5000}.CeilingMs(3)), 0);
  EXPECT_EQ((Backoff{2000, 1000}.CeilingMs(1)), 1000);           // max wins over initial
  EXPECT_EQ((Backoff{1, INT64_MAX}.CeilingMs(200)), INT64_MAX);  // no overflow
  EXPECT_EQ((Backoff{INT64_MAX / 2 + 1, INT64_MAX}.CeilingMs(3)), INT64_MAX);
}

TEST(BackoffTest, DelayIsInTheUpperHalfByDefault) {
  const Backoff backoff{1000, 60'000};
  EXPECT_EQ(backoff.DelayMs(1, 0.0), 500);
  EXPECT_EQ(backoff.DelayMs(1, 1.0), 1000);
  EXPECT_EQ(backoff.DelayMs(3, 0.5), 3000);
  EXPECT_EQ(backoff.DelayMs(100, 0.0), 30'000);
  EXPECT_EQ(backoff.DelayMs(100, 1.0), 60'000);
  EXPECT_EQ(backoff.DelayMs(1, -3.0), 500);  // clamped into [0, 1]
  EXPECT_EQ(backoff.DelayMs(1, 7.0), 1000);
}

TEST(BackoffTest, DelayFromInitialSpansTheWholeRange) {
  // The uplink's and the command channel's retries after `failures` failed tries.
  const Backoff backoff{500, 60'000};
  auto after_failures = [&](int failures, double random01) {
    return backoff.DelayMs(failures + 1, random01, JitterFloor::kInitial);
  };
  EXPECT_EQ(after_failures(1, 0.0), 500);
  EXPECT_EQ(after_failures(1, 1.0), 1000);
  EXPECT_EQ(after_failures(3, 1.0), 4000);
  EXPECT_EQ(after_failures(3, 0.5), 2250);
  EXPECT_EQ(after_failures(20, 1.0), 60'000);
  EXPECT_EQ(after_failures(1000, 0.999), 59'940);
  EXPECT_EQ(after_failures(1000, 0.0), 500);
}

TEST(BackoffTest, ZeroInitialNeverWaits) {
  EXPECT_EQ((Backoff{0, 5000}.DelayMs(4, 1.0)), 0);
  EXPECT_EQ((Backoff{0, 5000}.DelayMs(4, 1.0, JitterFloor::kInitial)), 0);
}

TEST(RandomUnitTest, StaysInTheUnitIntervalAndVaries) {
  std::set<double> seen;
  for (int i = 0; i < 1000; ++i) {
    const double r = RandomUnit();
    ASSERT_GE(r, 0.0);
    ASSERT_LT(r, 1.0);
    seen.insert(r);
  }
  EXPECT_GT(seen.size(), 990u);
}

TEST(RandomUnitTest, IsSafeFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<double> sums(4, 0.0);
  for (size_t t = 0; t < sums.size(); ++t) {
    threads.emplace_back([&sums, t] {
      for (int i = 0; i < 10'000; ++i) sums[t] += RandomUnit();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (double sum : sums) {
    EXPECT_GT(sum, 4000.0);  // mean 0.5: 5000 expected, far from either end
    EXPECT_LT(sum, 6000.0);
  }
}

}  // namespace
}  // namespace beacon
