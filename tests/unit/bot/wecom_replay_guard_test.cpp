// bot/wecom/replay_guard.h: the timestamp window, de-duplication, retention and the cap.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "bot/wecom/replay_guard.h"

namespace beacon::bot::wecom {
namespace {

constexpr int64_t kNowMs = 1'700'000'000'000;

TEST(WecomReplayGuardTest, TimestampWindow) {
  ReplayGuard guard(ReplayOptions{});
  EXPECT_TRUE(guard.CheckTimestamp("1700000000", kNowMs).ok());
  EXPECT_TRUE(guard.CheckTimestamp("1699999700", kNowMs).ok());  // exactly 300 s old
  EXPECT_TRUE(guard.CheckTimestamp("1700000300", kNowMs).ok());  // 300 s ahead
  Status stale = guard.CheckTimestamp("1699999699", kNowMs);
  EXPECT_EQ(stale.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(stale.message().find("outside max_clock_skew 300 s"), std::string::npos);
  EXPECT_EQ(guard.CheckTimestamp("1700000301", kNowMs).code(), StatusCode::kPermissionDenied);
  for (const char* bad : {"", "abc", "17e8", "-5", "1700000000 ", "99999999999999999999"}) {
    EXPECT_EQ(guard.CheckTimestamp(bad, kNowMs).code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(WecomReplayGuardTest, WindowZeroDisablesTheTimestampCheck) {
  ReplayOptions options;
  options.max_clock_skew_ms = 0;
  ReplayGuard guard(options);
  EXPECT_TRUE(guard.CheckTimestamp("1", kNowMs).ok());
  EXPECT_TRUE(guard.CheckTimestamp("not even a number", kNowMs).ok());
}

TEST(WecomReplayGuardTest, SameKeyTwiceIsADuplicate) {
  ReplayGuard guard(ReplayOptions{});
  EXPECT_TRUE(guard.FirstSeen("app:msg:1", kNowMs));
  EXPECT_FALSE(guard.FirstSeen("app:msg:1", kNowMs + 5'000));
  EXPECT_TRUE(guard.FirstSeen("app:msg:2", kNowMs + 5'000));
  EXPECT_TRUE(guard.FirstSeen("", kNowMs));
  EXPECT_TRUE(guard.FirstSeen("", kNowMs));
}

TEST(WecomReplayGuardTest, KeysExpireAfterTheRetention) {
  ReplayGuard guard(ReplayOptions{});
  EXPECT_EQ(guard.RetentionMs(), 600'000);  // 2 x 300 s is below the 10 minute floor
  EXPECT_TRUE(guard.FirstSeen("k", kNowMs));
  EXPECT_FALSE(guard.FirstSeen("k", kNowMs + guard.RetentionMs()));
  EXPECT_TRUE(guard.FirstSeen("k", kNowMs + guard.RetentionMs() + 1));
  ReplayOptions wide;
  wide.max_clock_skew_ms = 3'600'000;
  EXPECT_EQ(ReplayGuard(wide).RetentionMs(), 7'200'000);
}

TEST(WecomReplayGuardTest, CapacityDropsTheOldestKeys) {
  ReplayOptions options;
  options.capacity = 3;
  ReplayGuard guard(options);
  for (const char* key : {"a", "b", "c", "d"}) EXPECT_TRUE(guard.FirstSeen(key, kNowMs));
  EXPECT_EQ(guard.size(), 3u);
  EXPECT_TRUE(guard.FirstSeen("a", kNowMs));  // forgotten
  EXPECT_FALSE(guard.FirstSeen("d", kNowMs));
}

TEST(WecomReplayGuardTest, ConcurrentCallersAcceptEachKeyOnce) {
  ReplayGuard guard(ReplayOptions{});
  std::atomic<int> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (guard.FirstSeen("k" + std::to_string(i), kNowMs)) ++accepted;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(accepted.load(), 1000);
}

}  // namespace
}  // namespace beacon::bot::wecom
