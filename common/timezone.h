// A time zone for display and wall-clock rules (beaconctl, alert messages, route time windows):
// formats UTC instants as "2026-11-26 13:56:41 CST". The zone's TZif file is read once, at
// Load, by Abseil's time-zone library (cctz); conversions only read that immutable data and
// never touch the process environment (TZ/tzset are MT-unsafe in glibc). A TimeZone is cheap
// to copy and thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon {

// A wall-clock reading of an instant in a zone.
struct LocalTime {
  bool valid = false;  // false only when the instant's year does not fit an int
  int64_t unix_seconds = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int weekday = 0;  // 0 = Sunday ... 6 = Saturday
  long utc_offset_seconds = 0;
  std::string abbreviation;  // "CST", "CEST", "UTC"
};

class TimeZone {
 public:
  // `name` is an IANA zone ("Asia/Shanghai", "Europe/Berlin", "UTC") looked up in
  // `zoneinfo_dir` (empty: $TZDIR, else /usr/share/zoneinfo). "UTC" and "Asia/Shanghai" work
  // even without the tz database (China has kept UTC+8 without DST since 1991).
  // InvalidArgument for a malformed or unknown name, or a zone file that cannot be read.
  static Result<TimeZone> Load(std::string_view name, std::string zoneinfo_dir = "");

  const std::string& name() const { return name_; }
  // "2026-11-26 13:56:41 CST" (seconds precision, abbreviation of the zone at that instant).
  std::string Format(int64_t unix_ms) const;
  // The instant's local date, time, weekday and offset in this zone.
  LocalTime Local(int64_t unix_ms) const;
  // The inverse: a wall-clock reading in this zone as UTC milliseconds (around a DST change,
  // read with the offset in force at that instant). InvalidArgument for out-of-range fields.
  Result<int64_t> FromLocal(int year, int month, int day, int hour, int minute, int second) const;

 private:
  struct Zone;  // the loaded rules (timezone.cpp)
  TimeZone(std::string name, std::shared_ptr<const Zone> zone)
      : name_(std::move(name)), zone_(std::move(zone)) {}
  std::string name_;
  std::shared_ptr<const Zone> zone_;  // never null; shared by copies, never modified
};

}  // namespace beacon
