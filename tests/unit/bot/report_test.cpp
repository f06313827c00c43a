// Report windows and schedules in a zone: local midnights, weekdays and a DST change.
#include "bot/report.h"

#include <gtest/gtest.h>

namespace beacon::bot {
namespace {

TimeZone Zone(const char* name) { return TimeZone::Load(name).value(); }

int64_t Utc(int y, int mo, int d, int h, int mi) {
  return Zone("UTC").FromLocal(y, mo, d, h, mi, 0).value();
}

TEST(ReportPeriod, ParsesBothLanguages) {
  EXPECT_EQ(ParseReportPeriod("Today"), ReportPeriod::kToday);
  EXPECT_EQ(ParseReportPeriod("今日"), ReportPeriod::kToday);
  EXPECT_EQ(ParseReportPeriod("日报"), ReportPeriod::kDaily);
  EXPECT_EQ(ParseReportPeriod("weekly"), ReportPeriod::kWeekly);
  EXPECT_EQ(ParseReportPeriod("monthly"), std::nullopt);
  EXPECT_EQ(ReportPeriodName(ReportPeriod::kDaily), "daily");
}

TEST(ReportWindow, UsesLocalMidnights) {
  const TimeZone sh = Zone("Asia/Shanghai");
  // 2026-11-26 01:30 CST = 2026-11-25 17:30 UTC: "today" began at 16:00 UTC the day before.
  const int64_t now = Utc(2026, 11, 25, 17, 30);
  EXPECT_EQ(ReportWindow(ReportPeriod::kToday, now, sh).value(),
            std::make_pair(Utc(2026, 11, 25, 16, 0), now));
  EXPECT_EQ(ReportWindow(ReportPeriod::kDaily, now, sh).value(),
            std::make_pair(Utc(2026, 11, 24, 16, 0), Utc(2026, 11, 25, 16, 0)));
  EXPECT_EQ(ReportWindow(ReportPeriod::kWeekly, now, sh).value(),
            std::make_pair(Utc(2026, 11, 18, 16, 0), Utc(2026, 11, 25, 16, 0)));
}

TEST(ReportWindow, ADayAcrossADstChangeIsTwentyThreeHours) {
  if (!TimeZone::Load("Europe/Berlin").ok()) GTEST_SKIP() << "no tz database";
  const TimeZone berlin = Zone("Europe/Berlin");
  // 2026-03-29 is 23 hours long in Berlin; at noon on the 30th, "daily" is the 29th.
  auto w = ReportWindow(ReportPeriod::kDaily, Utc(2026, 3, 30, 10, 0), berlin).value();
  EXPECT_EQ(w.first, Utc(2026, 3, 28, 23, 0));
  EXPECT_EQ(w.second, Utc(2026, 3, 29, 22, 0));
}

TEST(NextReportRun, DailyIsTodayIfStillAheadElseTomorrow) {
  const TimeZone sh = Zone("Asia/Shanghai");
  ReportSchedule s;
  s.hour = 9;
  s.minute = 0;
  // 08:59 CST -> 09:00 the same day; 09:00 exactly -> the next day.
  EXPECT_EQ(NextReportRun(s, Utc(2026, 11, 26, 0, 59), sh).value(), Utc(2026, 11, 26, 1, 0));
  EXPECT_EQ(NextReportRun(s, Utc(2026, 11, 26, 1, 0), sh).value(), Utc(2026, 11, 27, 1, 0));
  // 23:30 CST on the 30th -> 09:00 on December 1st (month end).
  EXPECT_EQ(NextReportRun(s, Utc(2026, 11, 30, 15, 30), sh).value(), Utc(2026, 12, 1, 1, 0));
}

TEST(NextReportRun, WeeklyWaitsForItsWeekday) {
  const TimeZone sh = Zone("Asia/Shanghai");
  ReportSchedule s;
  s.period = ReportPeriod::kWeekly;
  s.weekday = 1;  // Monday
  s.hour = 9;
  // Thursday 2026-11-26 -> Monday 2026-11-30 09:00 CST.
  EXPECT_EQ(NextReportRun(s, Utc(2026, 11, 26, 5, 0), sh).value(), Utc(2026, 11, 30, 1, 0));
  // Monday after 09:00 -> the next Monday.
  EXPECT_EQ(NextReportRun(s, Utc(2026, 11, 30, 2, 0), sh).value(), Utc(2026, 12, 7, 1, 0));
  // Monday before 09:00 CST (Sunday 23:00 UTC) -> that Monday.
  EXPECT_EQ(NextReportRun(s, Utc(2026, 11, 29, 23, 0), sh).value(), Utc(2026, 11, 30, 1, 0));
}

TEST(NextReportRun, AcrossADstChangeKeepsTheWallClockTime) {
  if (!TimeZone::Load("Europe/Berlin").ok()) GTEST_SKIP() << "no tz database";
  const TimeZone berlin = Zone("Europe/Berlin");
  ReportSchedule s;
  s.hour = 9;
  // Saturday 2026-03-28 10:00 CET -> Sunday 09:00 CEST (07:00 UTC).
  EXPECT_EQ(NextReportRun(s, Utc(2026, 3, 28, 9, 0), berlin).value(), Utc(2026, 3, 29, 7, 0));
}

TEST(RenderReport, StaysWithinTheBudgetByCuttingTheFindings) {
  ReportData d;
  for (int i = 0; i < 500; ++i) {
    d.top_findings.push_back({"web-" + std::to_string(i), "fim.changed", "/etc/file", 0});
  }
  std::string md = RenderReport(d, ReportPeriod::kToday, Zone("UTC"), false, 2048);
  EXPECT_LE(md.size(), 2048u);
  EXPECT_NE(md.find("more"), std::string::npos);
  EXPECT_NE(md.find("> mean time to resolve: -"), std::string::npos);
}

}  // namespace
}  // namespace beacon::bot
