// Tests for the external checks' on-disk cache (ctl/check_cache): an entry is fetched once per
// TTL, a failed fetch is not stored, a broken file counts as absent, and concurrent callers
// (separate lock file descriptions, as separate processes have) make one fetch between them.
#include "ctl/check_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace beacon::ctl {
namespace {

using nlohmann::json;

std::string TempDir() {
  auto dir = std::filesystem::temp_directory_path() /
             ("check_cache_test_" + std::to_string(::getpid()) + "_" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::filesystem::remove_all(dir);
  return (dir / "state").string();  // created by the cache
}

TEST(CheckCache, FetchesOncePerTtl) {
  FakeClock clock;
  CheckCache cache(TempDir(), 50'000, clock);
  int fetches = 0;
  auto fetch = [&]() -> Result<json> { return json{{"n", ++fetches}}; };
  EXPECT_EQ(*cache.GetOrFetch("perf-rm-1", fetch), json({{"n", 1}}));
  clock.AdvanceMs(49'000);
  EXPECT_EQ(*cache.GetOrFetch("perf-rm-1", fetch), json({{"n", 1}}));
  EXPECT_EQ(*cache.GetOrFetch("perf-rm-2", fetch), json({{"n", 2}}));
  clock.AdvanceMs(1'000);
  EXPECT_EQ(*cache.GetOrFetch("perf-rm-1", fetch), json({{"n", 3}}));
  clock.AdvanceMs(-3'600'000);  // the clock stepped back: the entry is not trusted
  EXPECT_EQ(*cache.GetOrFetch("perf-rm-1", fetch), json({{"n", 4}}));
}

TEST(CheckCache, FailuresAreNotStoredAndBrokenFilesAreRefetched) {
  FakeClock clock;
  const std::string dir = TempDir();
  CheckCache cache(dir, 50'000, clock);
  auto failed = cache.GetOrFetch(
      "usage-rm-1", []() -> Result<json> { return Status::Unavailable("Throttling"); });
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  int fetches = 0;
  auto fetch = [&]() -> Result<json> { return json(++fetches); };
  EXPECT_EQ(*cache.GetOrFetch("usage-rm-1", fetch), json(1));
  std::ofstream(dir + "/usage-rm-1.json") << "{\"fetched_ms\":";  // truncated
  EXPECT_EQ(*cache.GetOrFetch("usage-rm-1", fetch), json(2));
  EXPECT_FALSE(cache.GetOrFetch("../escape", fetch).ok());
  EXPECT_FALSE(cache.GetOrFetch("", fetch).ok());
  EXPECT_EQ(std::filesystem::status(dir).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
}

TEST(CheckCache, ConcurrentCallersMakeOneFetch) {
  SystemClock& clock = SystemClock::Instance();
  const std::string dir = TempDir();
  std::atomic<int> fetches{0};
  auto fetch = [&]() -> Result<json> {
    ++fetches;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return json("value");
  };
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      CheckCache cache(dir, 60'000, clock);  // its own lock file descriptor, like a process
      if (cache.GetOrFetch("perf-rm-1", fetch).ok()) ++ok;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(fetches.load(), 1);
}

}  // namespace
}  // namespace beacon::ctl
