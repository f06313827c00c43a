// RateLimiter: a token bucket in bytes per second shared by every upload of the agent
// (backup.bandwidth_limit). Thread-safe; time comes from the injected Clock, waiting from the
// injected sleep function (tests pass one that advances a FakeClock).
#pragma once

#include <cstdint>
#include <functional>

#include "common/clock.h"
#include "common/mutex.h"

namespace beacon::agent::backup {

class RateLimiter {
 public:
  using SleepFn = std::function<void(int64_t ms)>;

  // bytes_per_second > 0. The bucket holds one second of bytes (the largest burst) and starts
  // full. sleep defaults to std::this_thread::sleep_for.
  RateLimiter(int64_t bytes_per_second, const Clock& clock, SleepFn sleep = {});

  // Blocks until `bytes` may be sent. Requests above the bucket size are allowed and put the
  // bucket in debt, so later callers wait for them: the long-run rate stays at the limit.
  // Returns the milliseconds this call waited.
  int64_t Acquire(uint64_t bytes);

  int64_t bytes_per_second() const { return rate_; }

 private:
  const int64_t rate_;
  const Clock& clock_;
  SleepFn sleep_;
  Mutex mutex_;
  double tokens_ BEACON_GUARDED_BY(mutex_);    // negative = debt
  int64_t last_ms_ BEACON_GUARDED_BY(mutex_);  // monotonic
};

}  // namespace beacon::agent::backup
