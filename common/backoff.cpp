// Exponential backoff with jitter (see backoff.h).
#include "common/backoff.h"

#include <algorithm>
#include <random>

namespace beacon {

int64_t Backoff::CeilingMs(int attempt) const {
  if (initial_ms <= 0) return 0;
  const int64_t cap = std::max(max_ms, int64_t{0});
  int64_t ceiling = initial_ms;
  for (int i = 1; i < attempt && ceiling < cap; ++i)
    ceiling = ceiling > cap / 2 ? cap : ceiling * 2;
  return std::min(ceiling, cap);
}

int64_t Backoff::DelayMs(int attempt, double random01, JitterFloor floor) const {
  const int64_t ceiling = CeilingMs(attempt);
  const int64_t low = floor == JitterFloor::kHalfCeiling
                          ? ceiling / 2
                          : std::clamp<int64_t>(initial_ms, 0, ceiling);
  random01 = std::clamp(random01, 0.0, 1.0);
  return low + static_cast<int64_t>(random01 * static_cast<double>(ceiling - low));
}

double RandomUnit() {
  thread_local std::mt19937_64 engine(std::random_device{}());
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

}  // namespace beacon
