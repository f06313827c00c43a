// RateWindow: "at most N messages in any window" holds for every window, clamps long messages,
// and keeps the limit across a restart when seeded with the stored send times.
#include "collector/outbox/rate_window.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

namespace beacon::collector::outbox {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMinute = 60'000;

// The most sends inside any half-open window [s, s + window_ms): it suffices to check the
// windows that start at a send.
int MaxInAnyWindow(std::vector<int64_t> sends, int64_t window_ms) {
  std::sort(sends.begin(), sends.end());
  int most = 0;
  for (size_t i = 0; i < sends.size(); ++i) {
    const auto end = std::lower_bound(sends.begin(), sends.end(), sends[i] + window_ms);
    most = std::max(most, static_cast<int>(end - (sends.begin() + static_cast<int64_t>(i))));
  }
  return most;
}

TEST(RateWindowTest, AllowsTheLimitThenRefusesUntilTheOldestSendLeaves) {
  RateWindow window(3, kMinute);
  window.Record(1, kT0);
  window.Record(1, kT0 + 10'000);
  EXPECT_TRUE(window.CanSend(1, kT0 + 20'000));
  window.Record(1, kT0 + 20'000);

  EXPECT_FALSE(window.CanSend(1, kT0 + 20'001));
  EXPECT_FALSE(window.CanSend(1, kT0 + kMinute - 1));
  EXPECT_EQ(window.NextFreeMs(1, kT0 + 30'000), kT0 + kMinute);
  // Two messages need the two oldest sends gone.
  EXPECT_EQ(window.NextFreeMs(2, kT0 + 30'000), kT0 + 10'000 + kMinute);
  EXPECT_TRUE(window.CanSend(1, kT0 + kMinute));
  EXPECT_FALSE(window.CanSend(2, kT0 + kMinute));
  EXPECT_TRUE(window.CanSend(2, kT0 + 10'000 + kMinute));
  EXPECT_EQ(window.NextFreeMs(1, kT0 + kMinute), kT0 + kMinute);
}

TEST(RateWindowTest, NotATokenBucketABurstBlocksTheWholeWindow) {
  // A token bucket refilling 20/min would allow a 21st message after 3 s; the limit must hold
  // for the window that contains the burst.
  RateWindow window(20, kMinute);
  for (int i = 0; i < 20; ++i) window.Record(1, kT0 + i);
  for (int64_t t = kT0 + 100; t < kT0 + kMinute; t += 997) {
    EXPECT_FALSE(window.CanSend(1, t)) << "at +" << (t - kT0) << " ms";
  }
  EXPECT_TRUE(window.CanSend(1, kT0 + kMinute));
}

TEST(RateWindowTest, GreedySenderNeverExceedsTheLimitInAnyWindow) {
  RateWindow window(20, kMinute);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> parts(1, 4);
  std::uniform_int_distribution<int> step(1, 2000);
  std::vector<int64_t> sends;
  int64_t now = kT0;
  for (int i = 0; i < 5000; ++i) {
    now += step(rng);
    const int count = parts(rng);
    if (!window.CanSend(count, now)) {
      const int64_t free_ms = window.NextFreeMs(count, now);
      EXPECT_GT(free_ms, now);
      EXPECT_FALSE(window.CanSend(count, free_ms - 1));
      EXPECT_TRUE(window.CanSend(count, free_ms));
      continue;
    }
    window.Record(count, now);
    for (int p = 0; p < count; ++p) sends.push_back(now);
  }
  EXPECT_GT(sends.size(), 1000u);
  EXPECT_LE(MaxInAnyWindow(sends, kMinute), 20);
}

TEST(RateWindowTest, MessageLongerThanTheLimitIsClampedAndNeedsAnEmptyWindow) {
  RateWindow window(5, kMinute);
  EXPECT_EQ(window.Clamp(12), 5);
  EXPECT_TRUE(window.CanSend(12, kT0));  // never blocked forever
  window.Record(1, kT0);
  EXPECT_FALSE(window.CanSend(12, kT0 + 1));
  EXPECT_EQ(window.NextFreeMs(12, kT0 + 1), kT0 + kMinute);
  window.Record(12, kT0 + kMinute);
  EXPECT_EQ(window.InWindow(kT0 + kMinute), 5);
  EXPECT_FALSE(window.CanSend(1, kT0 + kMinute + 1));
}

TEST(RateWindowTest, SeededSendsCountAfterARestart) {
  RateWindow window(3, kMinute);
  // AlertStore::RecentSends returns newest first.
  window.Seed({kT0 + 2'000, kT0 + 1'000, kT0});
  EXPECT_FALSE(window.CanSend(1, kT0 + 30'000));
  EXPECT_EQ(window.NextFreeMs(1, kT0 + 30'000), kT0 + kMinute);
  // Seeding replaces: old sends outside the window do not block.
  window.Seed({kT0 - 2 * kMinute, kT0 - kMinute});
  EXPECT_TRUE(window.CanSend(3, kT0));
  EXPECT_FALSE(window.CanSend(3, kT0 - kMinute + 1));
}

TEST(RateWindowTest, ZeroMeansUnlimited) {
  RateWindow window(0, kMinute);
  for (int i = 0; i < 1000; ++i) window.Record(5, kT0);
  EXPECT_TRUE(window.CanSend(100, kT0));
  EXPECT_EQ(window.NextFreeMs(100, kT0), kT0);
  EXPECT_EQ(window.Clamp(100), 100);
}

}  // namespace
}  // namespace beacon::collector::outbox
