// Tests for the display time zone: formatting, daylight saving, the built-in zones, names, and
// that conversions leave the process environment (TZ) alone, also from many threads at once.
#include "common/timezone.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"

namespace beacon {
namespace {

int64_t Ms(const char* rfc3339) { return ParseRfc3339(rfc3339).value(); }

TEST(TimeZoneTest, ShanghaiIsUtcPlusEightCst) {
  auto tz = TimeZone::Load("Asia/Shanghai");
  ASSERT_TRUE(tz.ok()) << tz.status().ToString();
  EXPECT_EQ(tz->Format(Ms("2026-11-26T05:56:41.123Z")), "2026-11-26 13:56:41 CST");
  // Crossing midnight changes the date.
  EXPECT_EQ(tz->Format(Ms("2026-12-31T16:30:00Z")), "2027-01-01 00:30:00 CST");
}

TEST(TimeZoneTest, Utc) {
  auto tz = TimeZone::Load("UTC");
  ASSERT_TRUE(tz.ok()) << tz.status().ToString();
  EXPECT_EQ(tz->Format(Ms("2026-11-26T05:56:41Z")), "2026-11-26 05:56:41 UTC");
}

TEST(TimeZoneTest, FollowsDaylightSavingFromTheTzDatabase) {
  if (!std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin")) {
    GTEST_SKIP() << "tzdata not installed";
  }
  auto tz = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(tz.ok()) << tz.status().ToString();
  EXPECT_EQ(tz->Format(Ms("2026-07-01T10:00:00Z")), "2026-07-01 12:00:00 CEST");
  EXPECT_EQ(tz->Format(Ms("2026-01-01T10:00:00Z")), "2026-01-01 11:00:00 CET");
}

TEST(TimeZoneTest, DefaultZoneWorksWithoutTheTzDatabase) {
  std::string empty_dir = ::testing::TempDir() + "/no_zoneinfo";
  std::filesystem::create_directories(empty_dir);
  auto tz = TimeZone::Load("Asia/Shanghai", empty_dir);
  ASSERT_TRUE(tz.ok()) << tz.status().ToString();
  EXPECT_EQ(tz->Format(Ms("2026-11-26T05:56:41Z")), "2026-11-26 13:56:41 CST");
  auto other = TimeZone::Load("Europe/Berlin", empty_dir);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("unknown time zone 'Europe/Berlin'"), std::string::npos);
}

TEST(TimeZoneTest, RejectsMalformedAndUnknownNames) {
  for (const char* name : {"", "../etc/passwd", "/etc/localtime", "Asia/Shang hai"}) {
    auto tz = TimeZone::Load(name);
    ASSERT_FALSE(tz.ok()) << name;
    EXPECT_NE(tz.status().message().find("invalid time zone name"), std::string::npos);
  }
  auto tz = TimeZone::Load("Mars/Olympus_Mons");
  ASSERT_FALSE(tz.ok());
  EXPECT_NE(tz.status().message().find("unknown time zone"), std::string::npos);
}

TEST(TimeZoneTest, RestoresTheProcessTz) {
  setenv("TZ", "UTC0", 1);
  auto tz = TimeZone::Load("Asia/Shanghai");
  ASSERT_TRUE(tz.ok());
  tz->Format(0);
  ASSERT_NE(std::getenv("TZ"), nullptr);
  EXPECT_STREQ(std::getenv("TZ"), "UTC0");
  unsetenv("TZ");
  tz->Format(0);
  EXPECT_EQ(std::getenv("TZ"), nullptr);
}

TEST(TimeZoneTest, FromLocalIsTheInverseOfLocalAcrossDaylightSaving) {
  auto shanghai = TimeZone::Load("Asia/Shanghai");
  ASSERT_TRUE(shanghai.ok());
  // 2026.11.26 03:20:40 in Shanghai is 19:20:40 UTC the day before.
  EXPECT_EQ(*shanghai->FromLocal(2026, 11, 26, 3, 20, 40), 1795634440000);
  auto berlin = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  // Summer (UTC+2) and winter (UTC+1) readings of the same wall-clock time.
  EXPECT_EQ(*berlin->FromLocal(2026, 7, 1, 12, 0, 0), 1782900000000);
  EXPECT_EQ(*berlin->FromLocal(2026, 1, 1, 12, 0, 0), 1767265200000);
  EXPECT_FALSE(berlin->FromLocal(2026, 2, 29, 0, 0, 0).ok());
  EXPECT_FALSE(berlin->FromLocal(2026, 13, 1, 0, 0, 0).ok());
}

bool HaveZone(const char* name) {
  return std::filesystem::exists(std::string("/usr/share/zoneinfo/") + name);
}

TEST(TimeZoneTest, BerlinAcrossBothDaylightSavingChanges) {
  if (!HaveZone("Europe/Berlin")) GTEST_SKIP() << "tzdata not installed";
  auto tz = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(tz.ok()) << tz.status().ToString();
  // 2026-03-29 01:00 UTC: 02:00 CET becomes 03:00 CEST.
  EXPECT_EQ(tz->Format(Ms("2026-03-29T00:59:59Z")), "2026-03-29 01:59:59 CET");
  EXPECT_EQ(tz->Format(Ms("2026-03-29T01:00:00Z")), "2026-03-29 03:00:00 CEST");
  // 2026-10-25 01:00 UTC: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
  EXPECT_EQ(tz->Format(Ms("2026-10-25T00:30:00Z")), "2026-10-25 02:30:00 CEST");
  EXPECT_EQ(tz->Format(Ms("2026-10-25T01:30:00Z")), "2026-10-25 02:30:00 CET");
  const LocalTime summer = tz->Local(Ms("2026-07-01T10:00:00Z"));
  EXPECT_TRUE(summer.valid);
  EXPECT_EQ(summer.utc_offset_seconds, 7200);
  EXPECT_EQ(summer.weekday, 3);  // a Wednesday
  // Far beyond the transitions a zone file lists (2037 in "fat" files): the file's rule.
  EXPECT_EQ(tz->Format(Ms("2050-07-01T10:00:00Z")), "2050-07-01 12:00:00 CEST");
  EXPECT_EQ(tz->Format(Ms("2050-12-01T10:00:00Z")), "2050-12-01 11:00:00 CET");
}

TEST(TimeZoneTest, NewYorkAcrossDaylightSavingBothWays) {
  if (!HaveZone("America/New_York")) GTEST_SKIP() << "tzdata not installed";
  auto tz = TimeZone::Load("America/New_York");
  ASSERT_TRUE(tz.ok()) << tz.status().ToString();
  // 2026-03-08 07:00 UTC: 02:00 EST becomes 03:00 EDT.
  EXPECT_EQ(tz->Format(Ms("2026-03-08T06:59:59Z")), "2026-03-08 01:59:59 EST");
  EXPECT_EQ(tz->Format(Ms("2026-03-08T07:00:00Z")), "2026-03-08 03:00:00 EDT");
  // 2026-11-01 06:00 UTC: 02:00 EDT becomes 01:00 EST.
  EXPECT_EQ(tz->Format(Ms("2026-11-01T05:59:59Z")), "2026-11-01 01:59:59 EDT");
  EXPECT_EQ(tz->Format(Ms("2026-11-01T06:00:00Z")), "2026-11-01 01:00:00 EST");
  EXPECT_EQ(tz->Local(Ms("2026-01-15T12:00:00Z")).utc_offset_seconds, -5 * 3600);
  // Wall-clock readings on either side of the change, and one before 1970.
  EXPECT_EQ(*tz->FromLocal(2026, 7, 4, 12, 0, 0), Ms("2026-07-04T16:00:00Z"));
  EXPECT_EQ(*tz->FromLocal(2026, 12, 24, 18, 30, 0), Ms("2026-12-24T23:30:00Z"));
  EXPECT_EQ(tz->Format(Ms("1969-07-20T20:17:40Z")), "1969-07-20 16:17:40 EDT");
}

TEST(TimeZoneTest, ShanghaiFromTheTzDatabaseAndBuiltInAgree) {
  if (!HaveZone("Asia/Shanghai")) GTEST_SKIP() << "tzdata not installed";
  auto file = TimeZone::Load("Asia/Shanghai");
  std::string empty_dir = ::testing::TempDir() + "/no_zoneinfo_agree";
  std::filesystem::create_directories(empty_dir);
  auto builtin = TimeZone::Load("Asia/Shanghai", empty_dir);
  ASSERT_TRUE(file.ok() && builtin.ok());
  for (const char* instant :
       {"2026-01-01T00:00:00Z", "2026-07-01T12:34:56Z", "2031-02-28T23:59:59Z"}) {
    EXPECT_EQ(file->Format(Ms(instant)), builtin->Format(Ms(instant))) << instant;
    EXPECT_EQ(file->Local(Ms(instant)).utc_offset_seconds, 8 * 3600) << instant;
  }
}

TEST(TimeZoneTest, UnknownZoneSaysWhereItLooked) {
  std::string dir = ::testing::TempDir() + "/zoneinfo_unknown";
  std::filesystem::create_directories(dir + "/Europe");
  {
    std::ofstream not_a_zone(dir + "/Europe/Atlantis");
    not_a_zone << "not a TZif file\n";
  }
  for (const char* name : {"Europe/Atlantis", "Europe/Nowhere"}) {
    auto tz = TimeZone::Load(name, dir);
    ASSERT_FALSE(tz.ok()) << name;
    EXPECT_EQ(tz.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(tz.status().message(), std::string("unknown time zone '") + name +
                                         "' (no zone file " + dir + "/" + name +
                                         "; is the tzdata package installed?)");
  }
}

// Issue 11: conversions must not write TZ (setenv/tzset are MT-unsafe in glibc, and libcurl,
// OpenSSL and the resolver read the environment on other threads).
TEST(TimeZoneTest, ConversionsNeverTouchTheEnvironment) {
  if (!HaveZone("Europe/Berlin")) GTEST_SKIP() << "tzdata not installed";
  setenv("TZ", "America/Sao_Paulo", 1);
  const char* before = std::getenv("TZ");  // the environment's own storage
  auto berlin = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(berlin.ok());
  std::atomic<bool> stop{false};
  std::atomic<int> changed{0};
  // A watcher compares the environment's TZ pointer and value while other threads convert: a
  // setenv anywhere replaces the pointer, even when it writes the same value back.
  std::thread watcher([&] {
    while (!stop) {
      const char* now = std::getenv("TZ");
      if (now != before || std::string(now == nullptr ? "" : now) != "America/Sao_Paulo") {
        ++changed;
      }
    }
  });
  std::vector<std::thread> converters;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    converters.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        if (berlin->Format(Ms("2026-07-01T10:00:00Z")) != "2026-07-01 12:00:00 CEST") ++wrong;
        if (berlin->Format(Ms("2026-01-01T10:00:00Z")) != "2026-01-01 11:00:00 CET") ++wrong;
      }
    });
  }
  for (std::thread& t : converters) t.join();
  stop = true;
  watcher.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(changed.load(), 0) << "TZ was rewritten during conversions";
  EXPECT_EQ(std::getenv("TZ"), before);
  unsetenv("TZ");
}

}  // namespace
}  // namespace beacon
