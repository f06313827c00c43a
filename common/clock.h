// Clock: the one source of time, injectable so tests control it (like leveldb's Env).
// Also RFC 3339 and duration ("30s", "1h", "7d") parsing and formatting. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, milliseconds since the Unix epoch (UTC).
  virtual int64_t NowMs() const = 0;
  // Monotonic time in milliseconds, for measuring intervals and deadlines.
  virtual int64_t MonotonicMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override;
  int64_t MonotonicMs() const override;
  static SystemClock& Instance();
};

// A clock that only moves when told to.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(int64_t now_ms = 1'700'000'000'000) : now_ms_(now_ms) {}
  int64_t NowMs() const override { return now_ms_.load(); }
  int64_t MonotonicMs() const override { return now_ms_.load(); }
  void AdvanceMs(int64_t ms) { now_ms_ += ms; }
  void SetMs(int64_t ms) { now_ms_ = ms; }

 private:
  std::atomic<int64_t> now_ms_;
};

// "2026-11-26T05:56:41.123Z" (always UTC, millisecond precision).
std::string FormatRfc3339(int64_t unix_ms);
// Accepts "2026-11-26T05:56:41Z", fractional seconds, and "+08:00"-style offsets.
Result<int64_t> ParseRfc3339(std::string_view text);
// "500ms", "30s", "5m", "1h", "7d", also combined "1h30m". Returns milliseconds.
Result<int64_t> ParseDurationMs(std::string_view text);
// The instant a `since` / `until` / `at` value names: an RFC 3339 time, or a duration ago
// ("30m", "1h", "7d") before now_ms. The one parser of the REST API's time parameters and
// beaconctl's time flags. InvalidArgument naming the parameter:
// "<name>: expected an RFC 3339 time or a duration like 1h, got '<text>'".
Result<int64_t> ParseTimeOrAgo(std::string_view name, std::string_view text, int64_t now_ms);

// Exact, every unit that is not zero: "7d", "1h30m", "1s500ms", "0s", "-2m" (the sign for
// offsets). ParseDurationMs reads a non-negative result back to the same value.
std::string FormatDurationMs(int64_t ms);

// What RoughDuration calls each unit ("d" or "天").
struct DurationUnitNames {
  std::string_view day, hour, minute, second;
};
inline constexpr DurationUnitNames kEnglishDurationUnits = {"d", "h", "m", "s"};
// For people, not for parsing back: the largest unit of |ms| and the next one when it is not
// zero, in whole seconds: "4d4h", "2h5m", "3m12s", "3m", "42s", "0s".
std::string RoughDuration(int64_t ms, const DurationUnitNames& units = kEnglishDurationUnits);

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace beacon
