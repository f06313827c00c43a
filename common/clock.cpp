// System clock plus RFC 3339 and duration parsing/formatting. Calendar math is done by hand
// (Howard Hinnant's days_from_civil) so results never depend on the process time zone.
#include "common/clock.h"

#include <cstdio>
#include <utility>

namespace beacon {
namespace {

constexpr int64_t kMsPerSecond = 1000;
constexpr int64_t kMsPerDay = 86'400'000;

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool IsLeapYear(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeapYear(y) ? 29 : kDays[m - 1];
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `width` digits at text[*pos].
bool ReadFixed(std::string_view text, size_t* pos, size_t width, int* out) {
  if (*pos + width > text.size()) return false;
  int v = 0;
  for (size_t i = 0; i < width; ++i) {
    const char c = text[*pos + i];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += width;
  *out = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

Status BadTimestamp(std::string_view text, std::string_view why) {
  std::string m = "invalid RFC 3339 timestamp '";
  m.append(text.substr(0, 64));
  m += "': ";
  m += why;
  return Status::InvalidArgument(std::move(m));
}

Status BadDuration(std::string_view text, std::string_view why) {
  std::string m = "invalid duration '";
  m.append(text.substr(0, 64));
  m += "': ";
  m += why;
  m += " (expected e.g. 500ms, 30s, 5m, 1h, 7d, 1h30m)";
  return Status::InvalidArgument(std::move(m));
}

}  // namespace

// Days since 1970-01-01 for a proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

int64_t SystemClock::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t SystemClock::MonotonicMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

SystemClock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

std::string FormatRfc3339(int64_t unix_ms) {
  // Floor division so instants before 1970 still format with a positive time of day.
  int64_t days = unix_ms / kMsPerDay;
  int64_t ms_of_day = unix_ms % kMsPerDay;
  if (ms_of_day < 0) {
    ms_of_day += kMsPerDay;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  const int64_t hh = ms_of_day / 3'600'000;
  const int64_t mm = ms_of_day / 60'000 % 60;
  const int64_t ss = ms_of_day / kMsPerSecond % 60;
  const int64_t ms = ms_of_day % kMsPerSecond;
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(y), m, d, static_cast<long long>(hh),
                static_cast<long long>(mm), static_cast<long long>(ss), static_cast<long long>(ms));
  return buf;
}

Result<int64_t> ParseRfc3339(std::string_view text) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadFixed(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadFixed(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadFixed(text, &pos, 2, &day)) {
    return BadTimestamp(text, "expected YYYY-MM-DD");
  }
  if (pos >= text.size() || (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ')) {
    return BadTimestamp(text, "expected 'T' between date and time");
  }
  ++pos;
  if (!ReadFixed(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadFixed(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadFixed(text, &pos, 2, &second)) {
    return BadTimestamp(text, "expected hh:mm:ss");
  }
  if (month < 1 || month > 12) return BadTimestamp(text, "month out of range");
  if (day < 1 || static_cast<unsigned>(day) > DaysInMonth(year, month)) {
    return BadTimestamp(text, "day out of range");
  }
  // 60 is a leap second; it is folded into the next second as POSIX time does.
  if (hour > 23 || minute > 59 || second > 60) return BadTimestamp(text, "time out of range");

  int64_t frac_ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      // Digits beyond milliseconds are truncated, not rounded, so a parse never moves forward.
      if (digits < 3) frac_ms = frac_ms * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return BadTimestamp(text, "expected digits after '.'");
    for (size_t i = digits; i < 3; ++i) frac_ms *= 10;
  }

  int64_t offset_minutes = 0;
  if (pos >= text.size()) return BadTimestamp(text, "missing time zone ('Z' or +hh:mm)");
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const bool negative = text[pos] == '-';
    ++pos;
    int oh = 0, om = 0;
    if (!ReadFixed(text, &pos, 2, &oh) || !Expect(text, &pos, ':') ||
        !ReadFixed(text, &pos, 2, &om) || oh > 23 || om > 59) {
      return BadTimestamp(text, "invalid offset, expected +hh:mm or -hh:mm");
    }
    offset_minutes = (negative ? -1 : 1) * (int64_t{oh} * 60 + om);
  } else {
    return BadTimestamp(text, "unexpected character where time zone was expected");
  }
  if (pos != text.size()) return BadTimestamp(text, "trailing characters");

  const int64_t days = DaysFromCivil(year, month, day);
  const int64_t seconds = days * 86'400 + int64_t{hour} * 3600 + int64_t{minute} * 60 + second;
  // A local time with offset +08:00 is 8 hours ahead of UTC, so subtract the offset.
  return (seconds - offset_minutes * 60) * kMsPerSecond + frac_ms;
}

Result<int64_t> ParseDurationMs(std::string_view text) {
  if (text == "0") return 0;  // "0" needs no unit (e.g. "0 disables")
  if (text.empty()) return BadDuration(text, "empty");
  if (text[0] == '-') return BadDuration(text, "negative durations are not allowed");
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!IsDigit(text[pos])) return BadDuration(text, "expected a number");
    int64_t n = 0;
    while (pos < text.size() && IsDigit(text[pos])) {
      if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, text[pos] - '0', &n)) {
        return BadDuration(text, "too large");
      }
      ++pos;
    }
    const size_t unit_start = pos;
    while (pos < text.size() && !IsDigit(text[pos])) ++pos;
    const std::string_view unit = text.substr(unit_start, pos - unit_start);
    int64_t factor;
    if (unit == "ms") {
      factor = 1;
    } else if (unit == "s") {
      factor = kMsPerSecond;
    } else if (unit == "m") {
      factor = 60 * kMsPerSecond;
    } else if (unit == "h") {
      factor = 3600 * kMsPerSecond;
    } else if (unit == "d") {
      factor = kMsPerDay;
    } else if (unit.empty()) {
      return BadDuration(text, "missing unit");
    } else {
      return BadDuration(text, "unknown unit '" + std::string(unit.substr(0, 16)) + "'");
    }
    int64_t part;
    if (__builtin_mul_overflow(n, factor, &part) || __builtin_add_overflow(total, part, &total)) {
      return BadDuration(text, "too large");
    }
  }
  return total;
}

Result<int64_t> ParseTimeOrAgo(std::string_view name, std::string_view text, int64_t now_ms) {
  if (Result<int64_t> absolute = ParseRfc3339(text); absolute.ok()) return *absolute;
  if (Result<int64_t> ago = ParseDurationMs(text); ago.ok()) return now_ms - *ago;
  return Status::InvalidArgument(std::string(name) +
                                 ": expected an RFC 3339 time or a duration like 1h, got '" +
                                 std::string(text) + "'");
}

std::string FormatDurationMs(int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  const std::pair<int64_t, const char*> units[] = {{kMsPerDay, "d"},
                                                   {3600 * kMsPerSecond, "h"},
                                                   {60 * kMsPerSecond, "m"},
                                                   {kMsPerSecond, "s"},
                                                   {1, "ms"}};
  for (const auto& [size, suffix] : units) {
    if (ms >= size) {
      out += std::to_string(ms / size) + suffix;
      ms %= size;
    }
  }
  return out;
}

std::string RoughDuration(int64_t ms, const DurationUnitNames& units) {
  if (ms < 0) ms = -ms;
  int64_t seconds = ms / kMsPerSecond;
  const int64_t days = seconds / 86400;
  const int64_t hours = seconds % 86400 / 3600;
  const int64_t minutes = seconds % 3600 / 60;
  seconds %= 60;
  auto part = [](int64_t value, std::string_view unit) {
    return std::to_string(value) + std::string(unit);
  };
  // Two units at most: the reader wants the order of magnitude, not the seconds of a day.
  if (days > 0) return part(days, units.day) + (hours > 0 ? part(hours, units.hour) : "");
  if (hours > 0) return part(hours, units.hour) + (minutes > 0 ? part(minutes, units.minute) : "");
  if (minutes > 0) {
    return part(minutes, units.minute) + (seconds > 0 ? part(seconds, units.second) : "");
  }
  return part(seconds, units.second);
}

}  // namespace beacon
