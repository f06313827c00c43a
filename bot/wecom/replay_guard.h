// Replay protection for WeCom callbacks: the signed `timestamp` must be within max_clock_skew of
// now, and each message key (MsgId; the robot's msgid; FromUserName + CreateTime for app events)
// is accepted once. WeCom retries a callback it got no answer to within 5 s (three times), and a
// captured request could be sent again by anyone; both are refused here. Memory is bounded: keys
// are kept for RetentionMs() and at most `capacity` of them (the oldest go first).
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/mutex.h"
#include "common/status.h"

namespace beacon::bot::wecom {

struct ReplayOptions {
  // |now - timestamp| larger than this is refused; 0 turns the timestamp check off.
  int64_t max_clock_skew_ms = 300'000;
  // Most keys remembered: about 150 bytes each, so 100 000 keys stay below 16 MiB.
  size_t capacity = 100'000;
};

class ReplayGuard {
 public:
  explicit ReplayGuard(ReplayOptions options);

  // OK when `timestamp` (decimal Unix seconds, as WeCom signs it) is within the window of now_ms
  // or the window is 0; InvalidArgument for a timestamp that is not a number, PermissionDenied
  // "timestamp 1476422779 is 812 s from now, outside max_clock_skew 300 s" otherwise.
  Status CheckTimestamp(std::string_view timestamp, int64_t now_ms) const;

  // True the first time `key` is seen within the retention; false for a repeat. An empty key is
  // never a duplicate (a message without an identity cannot be de-duplicated).
  bool FirstSeen(const std::string& key, int64_t now_ms);

  // How long a key is remembered: twice the clock-skew window (a replay outside it fails the
  // timestamp check anyway) and at least 10 minutes, which covers WeCom's retries.
  int64_t RetentionMs() const;
  size_t size() const;

 private:
  void EvictLocked(int64_t now_ms) BEACON_REQUIRES(mu_);

  const ReplayOptions options_;
  mutable Mutex mu_;
  // Keys in the order first seen, with that time; the map points into the list.
  std::list<std::pair<std::string, int64_t>> order_ BEACON_GUARDED_BY(mu_);
  std::unordered_map<std::string, std::list<std::pair<std::string, int64_t>>::iterator> seen_
      BEACON_GUARDED_BY(mu_);
};

}  // namespace beacon::bot::wecom
