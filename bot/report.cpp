// Report windows, rendering and schedules; see report.h.
#include "bot/report.h"

#include "bot/commands/format.h"
#include "common/strings.h"
#include "notifier/render/render.h"

namespace beacon::bot {
namespace {

constexpr int64_t kDayMs = 24LL * 3600 * 1000;
constexpr size_t kListRows = 5;

// Noon of the local day holding `instant`: stepping whole days from noon never skips or repeats
// a date across a DST change (offsets move by at most a few hours).
Result<int64_t> LocalNoon(const TimeZone& tz, int64_t instant) {
  LocalTime t = tz.Local(instant);
  if (!t.valid) return Status::InvalidArgument("time out of range");
  return tz.FromLocal(t.year, t.month, t.day, 12, 0, 0);
}

Result<int64_t> LocalMidnight(const TimeZone& tz, int64_t instant) {
  LocalTime t = tz.Local(instant);
  if (!t.valid) return Status::InvalidArgument("time out of range");
  return tz.FromLocal(t.year, t.month, t.day, 0, 0, 0);
}

std::string Line(std::string_view key, const std::string& value) {
  return "> " + std::string(key) + ": " + value + "\n";
}

std::string CountList(const std::vector<CountBy>& items, bool severity, bool zh) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < items.size() && i < kListRows; ++i) {
    std::string key = items[i].key;
    if (severity) {
      if (auto s = alerting::ParseSeverity(key)) {
        key = std::string(notifier::render::SeverityMarker(*s)) +
              std::string(notifier::render::SeverityLabel(*s, zh ? "zh" : "en"));
      }
    }
    parts.push_back(Md(key) + " " + std::to_string(items[i].count));
  }
  std::string out = Join(parts, ", ");
  if (items.size() > kListRows) out += zh ? " 等" : ", …";
  return out.empty() ? "-" : out;
}

}  // namespace

std::string_view ReportPeriodName(ReportPeriod period) {
  switch (period) {
    case ReportPeriod::kToday:
      return "today";
    case ReportPeriod::kDaily:
      return "daily";
    case ReportPeriod::kWeekly:
      return "weekly";
  }
  return "today";
}

std::optional<ReportPeriod> ParseReportPeriod(std::string_view text) {
  const std::string t = Lower(text);
  if (t == "today" || t == "今天" || t == "今日") return ReportPeriod::kToday;
  if (t == "daily" || t == "日报" || t == "昨天") return ReportPeriod::kDaily;
  if (t == "weekly" || t == "周报" || t == "本周") return ReportPeriod::kWeekly;
  return std::nullopt;
}

Result<std::pair<int64_t, int64_t>> ReportWindow(ReportPeriod period, int64_t now_ms,
                                                 const TimeZone& tz) {
  BEACON_ASSIGN_OR_RETURN(int64_t today, LocalMidnight(tz, now_ms));
  if (period == ReportPeriod::kToday) return std::make_pair(today, now_ms);
  BEACON_ASSIGN_OR_RETURN(int64_t noon, LocalNoon(tz, now_ms));
  const int days = period == ReportPeriod::kDaily ? 1 : 7;
  BEACON_ASSIGN_OR_RETURN(int64_t from, LocalMidnight(tz, noon - days * kDayMs));
  return std::make_pair(from, today);
}

std::string RenderReport(const ReportData& d, ReportPeriod period, const TimeZone& tz, bool zh,
                         size_t max_bytes) {
  const std::string_view lang = zh ? "zh" : "en";
  std::string title;
  switch (period) {
    case ReportPeriod::kToday:
      title = zh ? "今日运维报告" : "Ops report: today";
      break;
    case ReportPeriod::kDaily:
      title = zh ? "运维日报" : "Daily ops report";
      break;
    case ReportPeriod::kWeekly:
      title = zh ? "运维周报" : "Weekly ops report";
      break;
  }
  int64_t alerts = 0;
  for (const CountBy& c : d.alerts_by_severity) alerts += c.count;
  std::string out = "## " + title + "\n";
  out += "<font color=\"comment\">" + tz.Format(d.from_ms) + " — " + tz.Format(d.to_ms) +
         "</font>\n\n";
  out += zh ? "**告警**\n" : "**Alerts**\n";
  out += Line(zh ? "总数" : "total", std::to_string(alerts));
  out += Line(zh ? "按级别" : "by severity", CountList(d.alerts_by_severity, true, zh));
  out += Line(zh ? "按来源" : "by source", CountList(d.alerts_by_source, false, zh));
  out += Line(zh ? "最多告警的主机" : "noisiest hosts", CountList(d.noisiest_hosts, false, zh));
  out += Line(zh ? "平均恢复时间" : "mean time to resolve",
              d.mttr_ms ? notifier::render::FormatDuration(*d.mttr_ms, lang) + " (" +
                              std::to_string(d.resolved) + (zh ? " 条已恢复)" : " resolved)")
                        : "-");
  out += zh ? "\n**备份**\n" : "\n**Backups**\n";
  out += Line(zh ? "成功" : "done", std::to_string(d.backups_done));
  out += Line(zh ? "失败" : "failed",
              d.backups_failed > 0
                  ? "<font color=\"warning\">" + std::to_string(d.backups_failed) + "</font>"
                  : "0");
  out += Line(zh ? "数据量" : "bytes", FormatSize(d.backup_bytes));
  out += zh ? "\n**巡检**\n" : "\n**Inspections**\n";
  out += Line(zh ? "文件完整性变更" : "FIM findings", std::to_string(d.fim_findings));
  out += Line(zh ? "异常端口" : "port findings", std::to_string(d.port_findings));
  std::vector<std::string> findings;
  for (const Finding& f : d.top_findings) {
    findings.push_back("- " + Md(f.host) + " " + Md(f.kind) + " " + Md(f.subject));
  }
  // The findings list is what gives way when the report would not fit.
  const size_t room = max_bytes > out.size() + 64 ? max_bytes - out.size() : 64;
  if (!findings.empty()) out += JoinBounded(findings, room, zh) + "\n";
  return out;
}

Result<int64_t> NextReportRun(const ReportSchedule& s, int64_t now_ms, const TimeZone& tz) {
  BEACON_ASSIGN_OR_RETURN(int64_t noon, LocalNoon(tz, now_ms));
  for (int k = 0; k <= 8; ++k) {
    LocalTime day = tz.Local(noon + k * kDayMs);
    if (!day.valid) return Status::InvalidArgument("time out of range");
    if (s.period == ReportPeriod::kWeekly && day.weekday != s.weekday) continue;
    BEACON_ASSIGN_OR_RETURN(int64_t at,
                            tz.FromLocal(day.year, day.month, day.day, s.hour, s.minute, 0));
    if (at > now_ms) return at;
  }
  return Status::Internal("no run within 8 days");  // unreachable for valid schedules
}

}  // namespace beacon::bot
