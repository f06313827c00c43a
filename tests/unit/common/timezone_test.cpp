// Tests for beaconctl's display time zone.
#include "common/timezone.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

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

}  // namespace
}  // namespace beacon
