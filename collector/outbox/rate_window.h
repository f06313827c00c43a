// RateWindow: a sliding-window send limiter, "at most N messages in any window_ms", for one
// receiver of the outbox. Not a token bucket: the bound holds for every window, also across a
// restart when seeded with the sends the store remembers. Not thread-safe (the dispatcher
// guards each receiver's window with its own lock).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

namespace beacon::collector::outbox {

class RateWindow {
 public:
  // max_messages 0: unlimited (every call allows everything, nothing is remembered).
  RateWindow(int max_messages, int64_t window_ms);

  // A message of more parts than the limit could never go out: it is treated as exactly the
  // limit, so it waits for an empty window instead of forever.
  int Clamp(int count) const;
  // True when `count` messages sent at now_ms keep every window within the limit.
  bool CanSend(int count, int64_t now_ms) const;
  // The earliest time >= now_ms at which CanSend(count, time) holds, given no further sends.
  int64_t NextFreeMs(int count, int64_t now_ms) const;
  // Remembers `count` messages sent at now_ms (clamped to the limit).
  void Record(int count, int64_t now_ms);
  // Replaces what is remembered with these send times (any order; e.g. AlertStore::RecentSends).
  void Seed(std::vector<int64_t> sends_ms);

  int max_messages() const { return max_messages_; }
  int64_t window_ms() const { return window_ms_; }
  // Sends within the window ending at now_ms (for logs).
  int InWindow(int64_t now_ms) const;

 private:
  // A send at t counts against every window containing t: until t + window_ms (exclusive).
  void Expire(int64_t now_ms);

  int max_messages_;
  int64_t window_ms_;
  std::deque<int64_t> sends_ms_;  // ascending
};

}  // namespace beacon::collector::outbox
