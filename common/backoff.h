// Retry delays: capped exponential backoff with jitter, one policy for every retry loop (the
// uplink, the command channel, the outbox, the object stores, per-file backup retries), and a
// thread-safe source of the random numbers that spread them. Thread-safe.
#pragma once

#include <cstdint>

namespace beacon {

// The lower end of a jittered delay.
enum class JitterFloor {
  kHalfCeiling,  // in [ceiling / 2, ceiling]: spread out, never much shorter than the backoff
  kInitial,      // in [initial_ms, ceiling]: the full range down to the first delay
};

struct Backoff {
  int64_t initial_ms = 1000;
  int64_t max_ms = 60'000;

  // initial_ms doubled for each attempt after the first, at most max_ms: attempt 1 (or less)
  // -> initial_ms, 2 -> 2 * initial_ms, ...; 0 when initial_ms <= 0 (retries at once).
  int64_t CeilingMs(int attempt) const;
  // A delay before `attempt` spread uniformly between the floor and CeilingMs(attempt) by
  // `random01` in [0, 1] (clamped): many clients that failed together retry apart.
  int64_t DelayMs(int attempt, double random01,
                  JitterFloor floor = JitterFloor::kHalfCeiling) const;
};

// Uniform in [0, 1) from an engine of the calling thread, seeded from std::random_device.
double RandomUnit();

}  // namespace beacon
