// TimeZone on Abseil's cctz: the TZif file is parsed once by absl::LoadTimeZone, including its
// footer rule for instants after the last transition (slim TZif files have few transitions).
#include "common/timezone.h"

#include <absl/time/civil_time.h>
#include <absl/time/time.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "common/clock.h"

namespace beacon {

struct TimeZone::Zone {
  absl::TimeZone rules;
  // Replaces the rules' abbreviation when set: a built-in fixed offset has none of its own.
  std::string abbreviation;
};

namespace {

bool IsValidZoneName(std::string_view name) {
  if (name.empty() || name.size() > 128 || name.front() == '/') return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '/' || c == '_' || c == '-' || c == '+';
    if (!ok) return false;
  }
  return name.find("..") == std::string_view::npos;
}

// A zone file starts with the magic "TZif" (RFC 8536); anything else is not a zone.
bool IsZoneFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  char magic[4] = {};
  return file.read(magic, 4) && std::string_view(magic, 4) == "TZif";
}

// Zones that work without the tz database: fixed offsets with their usual abbreviation.
std::optional<std::pair<int, std::string>> BuiltinZone(std::string_view name) {
  if (name == "UTC" || name == "Etc/UTC" || name == "Zulu") return std::pair(0, "UTC");
  if (name == "Asia/Shanghai" || name == "PRC") return std::pair(8 * 3600, "CST");
  return std::nullopt;
}

}  // namespace

Result<TimeZone> TimeZone::Load(std::string_view name, std::string zoneinfo_dir) {
  if (!IsValidZoneName(name)) {
    return Status::InvalidArgument("invalid time zone name '" + std::string(name) +
                                   "' (expected an IANA name such as Asia/Shanghai or UTC)");
  }
  if (zoneinfo_dir.empty()) {
    const char* env_dir = std::getenv("TZDIR");
    zoneinfo_dir = env_dir != nullptr && *env_dir != '\0' ? env_dir : "/usr/share/zoneinfo";
  }
  const std::string path = zoneinfo_dir + "/" + std::string(name);
  auto zone = std::make_shared<Zone>();
  if (IsZoneFile(path)) {
    // "file:" makes cctz read exactly this path instead of looking the name up in $TZDIR.
    if (!absl::LoadTimeZone("file:" + path, &zone->rules)) {
      return Status::InvalidArgument("time zone '" + std::string(name) + "': cannot read " + path);
    }
    return TimeZone(std::string(name), std::move(zone));
  }
  if (auto builtin = BuiltinZone(name)) {
    zone->rules = absl::FixedTimeZone(builtin->first);
    zone->abbreviation = builtin->second;
    return TimeZone(std::string(name), std::move(zone));
  }
  return Status::InvalidArgument("unknown time zone '" + std::string(name) + "' (no zone file " +
                                 path + "; is the tzdata package installed?)");
}

LocalTime TimeZone::Local(int64_t unix_ms) const {
  // Floor division so instants before 1970 still land in the right second.
  int64_t seconds = unix_ms / 1000;
  if (unix_ms % 1000 < 0) --seconds;
  const absl::TimeZone::CivilInfo info = zone_->rules.At(absl::FromUnixSeconds(seconds));
  LocalTime out;
  out.unix_seconds = seconds;
  if (info.cs.year() < INT_MIN + 1900 || info.cs.year() > INT_MAX) return out;
  out.valid = true;
  out.year = static_cast<int>(info.cs.year());
  out.month = info.cs.month();
  out.day = info.cs.day();
  out.hour = info.cs.hour();
  out.minute = info.cs.minute();
  out.second = info.cs.second();
  // absl counts from Monday = 0.
  out.weekday = (static_cast<int>(absl::GetWeekday(info.cs)) + 1) % 7;
  out.utc_offset_seconds = info.offset;
  out.abbreviation = !zone_->abbreviation.empty() ? zone_->abbreviation
                     : info.zone_abbr != nullptr  ? info.zone_abbr
                                                  : "";
  return out;
}

std::string TimeZone::Format(int64_t unix_ms) const {
  const LocalTime local = Local(unix_ms);
  if (!local.valid) return std::to_string(local.unix_seconds);
  char buffer[96] = {};
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02d %02d:%02d:%02d %s", local.year, local.month,
                local.day, local.hour, local.minute, local.second, local.abbreviation.c_str());
  return buffer;
}

Result<int64_t> TimeZone::FromLocal(int year, int month, int day, int hour, int minute,
                                    int second) const {
  static constexpr int kDaysInMonth[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 ||
      day > kDaysInMonth[month - 1] || hour > 23 || minute > 59 || second > 60) {
    return Status::InvalidArgument("date or time out of range");
  }
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  if (month == 2 && day == 29 && !leap) return Status::InvalidArgument("date out of range");
  const int64_t as_utc_ms =
      ((DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 24 + hour) *
           60 +
       minute) *
          60000 +
      second * 1000LL;
  // The offset at the wall-clock reading taken as UTC is off by at most one DST change; the
  // second lookup uses the offset in force at the candidate instant.
  const LocalTime first = Local(as_utc_ms);
  if (!first.valid) return Status::InvalidArgument("time zone conversion failed");
  int64_t guess = as_utc_ms - first.utc_offset_seconds * 1000LL;
  const LocalTime second_look = Local(guess);
  if (second_look.valid && second_look.utc_offset_seconds != first.utc_offset_seconds) {
    guess = as_utc_ms - second_look.utc_offset_seconds * 1000LL;
  }
  return guess;
}

}  // namespace beacon
