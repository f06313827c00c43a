// The display time zone of beaconctl: formats UTC instants as "2026-11-26 13:56:41 CST".
// libstdc++ 12 has no std::chrono::zoned_time, so this uses the system tz database through
// TZ + localtime_r, serialized by a mutex and with TZ restored afterwards. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::ctl {

class TimeZone {
 public:
  // `name` is an IANA zone ("Asia/Shanghai", "Europe/Berlin", "UTC") looked up in
  // `zoneinfo_dir` (empty: $TZDIR, else /usr/share/zoneinfo). "UTC" and "Asia/Shanghai" work
  // even without the tz database (China has kept UTC+8 without DST since 1991).
  // InvalidArgument for a malformed or unknown name.
  static Result<TimeZone> Load(std::string_view name, std::string zoneinfo_dir = "");

  const std::string& name() const { return name_; }
  // "2026-11-26 13:56:41 CST" (seconds precision, abbreviation of the zone at that instant).
  std::string Format(int64_t unix_ms) const;

 private:
  TimeZone(std::string name, std::string tz_value)
      : name_(std::move(name)), tz_value_(std::move(tz_value)) {}
  std::string name_;
  std::string tz_value_;  // the TZ value: ":/usr/share/zoneinfo/Asia/Shanghai" or "CST-8"
};

}  // namespace beacon::ctl
