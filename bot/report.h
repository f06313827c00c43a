// The ops report: its time windows (today / the previous day / the previous 7 days, in the
// configured zone), its WeCom markdown rendering, and the schedule of `bot.reports` (next run
// of a daily or weekly report). Used by the `report` command and by the collector's scheduled
// delivery. Pure functions (time and zone passed in); thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bot/ports.h"
#include "common/status.h"
#include "common/timezone.h"

namespace beacon::bot {

enum class ReportPeriod {
  kToday,   // local midnight .. now
  kDaily,   // the previous local day
  kWeekly,  // the 7 local days before today
};
std::string_view ReportPeriodName(ReportPeriod period);  // "today" | "daily" | "weekly"
// "today"/"今天"/"今日", "daily"/"日报"/"昨天", "weekly"/"周报"/"本周"; nullopt otherwise.
std::optional<ReportPeriod> ParseReportPeriod(std::string_view text);

// [from_ms, to_ms) of `period` at now_ms in `tz`. InvalidArgument only for instants the zone
// cannot convert.
Result<std::pair<int64_t, int64_t>> ReportWindow(ReportPeriod period, int64_t now_ms,
                                                 const TimeZone& tz);

// WeCom markdown: title with the window, alerts by severity and by source, noisiest hosts,
// mean time to resolve, backups done/failed and bytes, FIM and port findings. User text is
// escaped; the body stays within max_bytes (lists are cut first).
std::string RenderReport(const ReportData& data, ReportPeriod period, const TimeZone& tz, bool zh,
                         size_t max_bytes);

// One entry of `bot.reports`.
struct ReportSchedule {
  std::string name;
  ReportPeriod period = ReportPeriod::kDaily;  // daily or weekly (the schedule and the window)
  int hour = 9, minute = 0;                    // local time of day, in the bot's zone
  int weekday = 1;                             // 0 = Sunday .. 6 = Saturday; weekly only
  std::vector<std::string> to_users;           // WeCom UserIDs (app message)
  std::vector<std::string> to_robots;          // notifier receiver names (group robots)
  bool zh = true;                              // language: zh (default) or en
};

// The first instant strictly after now_ms at which the schedule fires, in `tz` (a wall-clock
// time that a DST change skips fires at the shifted instant).
Result<int64_t> NextReportRun(const ReportSchedule& schedule, int64_t now_ms, const TimeZone& tz);

}  // namespace beacon::bot
