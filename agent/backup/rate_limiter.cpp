// Token bucket with debt: a caller takes its bytes at once and sleeps off any deficit outside
// the lock, so concurrent uploads queue fairly behind each other at the configured rate.
#include "agent/backup/rate_limiter.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

namespace beacon::agent::backup {

RateLimiter::RateLimiter(int64_t bytes_per_second, const Clock& clock, SleepFn sleep)
    : rate_(std::max<int64_t>(1, bytes_per_second)),
      clock_(clock),
      sleep_(std::move(sleep)),
      tokens_(static_cast<double>(rate_)),
      last_ms_(clock.MonotonicMs()) {
  if (!sleep_) {
    sleep_ = [](int64_t ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); };
  }
}

int64_t RateLimiter::Acquire(uint64_t bytes) {
  int64_t wait_ms = 0;
  {
    MutexLock lock(mutex_);
    const int64_t now = clock_.MonotonicMs();
    if (now > last_ms_) {
      tokens_ = std::min(static_cast<double>(rate_),
                         tokens_ + static_cast<double>(now - last_ms_) * rate_ / 1000.0);
      last_ms_ = now;
    }
    tokens_ -= static_cast<double>(bytes);
    if (tokens_ < 0) wait_ms = static_cast<int64_t>(std::ceil(-tokens_ * 1000.0 / rate_));
  }
  if (wait_ms > 0) sleep_(wait_ms);
  return wait_ms;
}

}  // namespace beacon::agent::backup
