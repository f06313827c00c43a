// Clock implementations, RFC 3339 formatting/parsing and duration parsing and formatting.
#include "common/clock.h"

#include <gtest/gtest.h>

namespace beacon {
namespace {

TEST(SystemClockTest, ReturnsPlausibleWallTimeAndIsASingleton) {
  SystemClock& clock = SystemClock::Instance();
  EXPECT_EQ(&clock, &SystemClock::Instance());
  // After 2020-01-01 and before 2200-01-01: catches seconds/microseconds unit mistakes.
  EXPECT_GT(clock.NowMs(), 1'577'836'800'000);
  EXPECT_LT(clock.NowMs(), 7'258'118'400'000);
  const int64_t a = clock.MonotonicMs();
  const int64_t b = clock.MonotonicMs();
  EXPECT_LE(a, b);
}

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMs(), 1000);
  clock.AdvanceMs(250);
  EXPECT_EQ(clock.NowMs(), 1250);
  EXPECT_EQ(clock.MonotonicMs(), 1250);
  clock.SetMs(5);
  EXPECT_EQ(clock.NowMs(), 5);
}

TEST(Rfc3339Test, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339(1'700'000'000'000), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(FormatRfc3339(1'795'672'601'123), "2026-11-26T05:56:41.123Z");
  EXPECT_EQ(FormatRfc3339(1'709'208'000'007), "2024-02-29T12:00:00.007Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999Z");
}

TEST(Rfc3339Test, ParsesZuluAndFractions) {
  EXPECT_EQ(ParseRfc3339("2026-11-26T05:56:41Z").value(), 1'795'672'601'000);
  EXPECT_EQ(ParseRfc3339("2026-11-26T05:56:41.123Z").value(), 1'795'672'601'123);
  EXPECT_EQ(ParseRfc3339("2026-11-26T05:56:41.1Z").value(), 1'795'672'601'100);
  // Sub-millisecond digits are truncated.
  EXPECT_EQ(ParseRfc3339("2026-11-26T05:56:41.123999999Z").value(), 1'795'672'601'123);
  EXPECT_EQ(ParseRfc3339("1970-01-01T00:00:00Z").value(), 0);
  EXPECT_EQ(ParseRfc3339("2024-02-29T12:00:00z").value(), 1'709'208'000'000);
}

TEST(Rfc3339Test, AppliesOffsets) {
  const int64_t utc = ParseRfc3339("2026-11-26T05:56:41Z").value();
  EXPECT_EQ(ParseRfc3339("2026-11-26T13:56:41+08:00").value(), utc);
  EXPECT_EQ(ParseRfc3339("2026-11-26T00:26:41-05:30").value(), utc);
  EXPECT_EQ(ParseRfc3339("2026-11-26T05:56:41+00:00").value(), utc);
  // Offset crossing a year boundary.
  EXPECT_EQ(ParseRfc3339("2027-01-01T07:00:00+08:00").value(),
            ParseRfc3339("2026-12-31T23:00:00Z").value());
}

TEST(Rfc3339Test, RoundTripsFormattedValues) {
  for (int64_t ms : {int64_t{0}, int64_t{951'782'400'000}, int64_t{1'795'672'601'123},
                     int64_t{4'102'444'799'999}, int64_t{-86'400'001}}) {
    Result<int64_t> parsed = ParseRfc3339(FormatRfc3339(ms));
    ASSERT_TRUE(parsed.ok()) << FormatRfc3339(ms) << ": " << parsed.status().ToString();
    EXPECT_EQ(*parsed, ms);
  }
}

TEST(Rfc3339Test, RejectsGarbageNamingTheText) {
  for (const char* bad :
       {"", "garbage", "2026-11-26", "2026-11-26T05:56:41", "2026-11-26T05:56:41Zjunk",
        "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z",
        "2026-11-26T24:00:00Z", "2026-11-26T05:60:00Z", "2026-11-26T05:56:41.Z",
        "2026-11-26T05:56:41+8", "2026-11-26T05:56:41+08:60", "26-11-26T05:56:41Z",
        "2026-11-26X05:56:41Z"}) {
    Result<int64_t> r = ParseRfc3339(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    std::string quoted = "'";
    quoted += bad;
    quoted += "'";
    EXPECT_NE(r.status().message().find(quoted), std::string::npos) << r.status().message();
  }
}

TEST(DurationTest, ParsesUnitsAndCombinations) {
  EXPECT_EQ(ParseDurationMs("500ms").value(), 500);
  EXPECT_EQ(ParseDurationMs("30s").value(), 30'000);
  EXPECT_EQ(ParseDurationMs("5m").value(), 300'000);
  EXPECT_EQ(ParseDurationMs("1h").value(), 3'600'000);
  EXPECT_EQ(ParseDurationMs("7d").value(), 604'800'000);
  EXPECT_EQ(ParseDurationMs("1h30m").value(), 5'400'000);
  EXPECT_EQ(ParseDurationMs("1d2h3m4s5ms").value(), 93'784'005);
  EXPECT_EQ(ParseDurationMs("0s").value(), 0);
  EXPECT_EQ(ParseDurationMs("0").value(), 0);  // "0" alone needs no unit ("0 disables")
}

TEST(DurationTest, RejectsBadInput) {
  for (const char* bad : {"", "-5s", "5", "s", "5x", "5 s", "1h 30m", "1.5h", "ms", "5sec",
                          "99999999999999999999s", "9223372036854775807d", "106751991167d1d"}) {
    Result<int64_t> r = ParseDurationMs(bad);
    ASSERT_FALSE(r.ok()) << bad << " gave " << r.value_or(-1);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
    std::string quoted = "'";
    quoted += bad;
    quoted += "'";
    EXPECT_NE(r.status().message().find(quoted), std::string::npos) << r.status().message();
  }
  EXPECT_NE(ParseDurationMs("5x").status().message().find("unknown unit 'x'"), std::string::npos);
}

TEST(TimeOrAgoTest, TakesRfc3339OrADurationBeforeNow) {
  const int64_t now = ParseRfc3339("2026-11-26T06:00:00Z").value();
  EXPECT_EQ(ParseTimeOrAgo("since", "2026-11-26T08:00:00+08:00", now).value(),
            ParseRfc3339("2026-11-26T00:00:00Z").value());
  EXPECT_EQ(ParseTimeOrAgo("since", "1h", now).value(), now - 3'600'000);
  EXPECT_EQ(ParseTimeOrAgo("since", "30m", now).value(), now - 1'800'000);
  EXPECT_EQ(ParseTimeOrAgo("until", "7d", now).value(), now - 604'800'000);
  EXPECT_EQ(ParseTimeOrAgo("until", "0", now).value(), now);
}

TEST(TimeOrAgoTest, RejectionNamesTheParameterAndTheText) {
  for (const char* bad : {"", "yesterday", "-1h", "2026-11-26", "1h ago"}) {
    Result<int64_t> r = ParseTimeOrAgo("until", bad, 0);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), std::string("until: expected an RFC 3339 time or a duration "
                                                "like 1h, got '") +
                                        bad + "'");
  }
}

TEST(DurationFormatTest, FormatDurationMsIsExactAndParsesBack) {
  EXPECT_EQ(FormatDurationMs(7 * 86'400'000LL), "7d");
  EXPECT_EQ(FormatDurationMs(90 * 60'000), "1h30m");
  EXPECT_EQ(FormatDurationMs(1500), "1s500ms");
  EXPECT_EQ(FormatDurationMs(100), "100ms");
  EXPECT_EQ(FormatDurationMs(0), "0s");
  EXPECT_EQ(FormatDurationMs(-120'000), "-2m");
  for (int64_t ms : {int64_t{1}, int64_t{999}, int64_t{61'001}, int64_t{86'400'000 + 3'600'000},
                     int64_t{400} * 86'400'000 + 59'999}) {
    EXPECT_EQ(*ParseDurationMs(FormatDurationMs(ms)), ms) << FormatDurationMs(ms);
  }
}

TEST(DurationFormatTest, RoughDurationShowsTheTwoLargestUnits) {
  EXPECT_EQ(RoughDuration(0), "0s");
  EXPECT_EQ(RoughDuration(999), "0s");
  EXPECT_EQ(RoughDuration(42'000), "42s");
  EXPECT_EQ(RoughDuration(192'000), "3m12s");
  EXPECT_EQ(RoughDuration(180'000), "3m");
  EXPECT_EQ(RoughDuration(7'500'000), "2h5m");
  EXPECT_EQ(RoughDuration(7'200'000 + 59'000), "2h");
  EXPECT_EQ(RoughDuration(4 * 86'400'000LL + 3'600'000 * 4 + 59'000), "4d4h");
  EXPECT_EQ(RoughDuration(4 * 86'400'000LL + 60'000), "4d");
  EXPECT_EQ(RoughDuration(-192'000), "3m12s");  // the magnitude
}

TEST(DurationFormatTest, RoughDurationUsesTheGivenUnitNames) {
  const DurationUnitNames chinese = {"天", "小时", "分", "秒"};
  EXPECT_EQ(RoughDuration(125 * 60'000, chinese), "2小时5分");
  EXPECT_EQ(RoughDuration(26 * 3'600'000, chinese), "1天2小时");
  EXPECT_EQ(RoughDuration(5 * 60'000 + 59'000, chinese), "5分59秒");
  EXPECT_EQ(RoughDuration(45'000, chinese), "45秒");
}

}  // namespace
}  // namespace beacon
