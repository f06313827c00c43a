// ReplayGuard: a timestamp window and an insertion-ordered set of recent message keys.
#include "bot/wecom/replay_guard.h"

#include <algorithm>
#include <charconv>

namespace beacon::bot::wecom {
namespace {

constexpr int64_t kMinRetentionMs = 10 * 60 * 1000;

}  // namespace

ReplayGuard::ReplayGuard(ReplayOptions options) : options_(options) {}

int64_t ReplayGuard::RetentionMs() const {
  return std::max(kMinRetentionMs, 2 * options_.max_clock_skew_ms);
}

Status ReplayGuard::CheckTimestamp(std::string_view timestamp, int64_t now_ms) const {
  if (options_.max_clock_skew_ms <= 0) return Status::Ok();
  int64_t seconds = 0;
  const char* end = timestamp.data() + timestamp.size();
  auto [ptr, ec] = std::from_chars(timestamp.data(), end, seconds);
  if (timestamp.empty() || ec != std::errc() || ptr != end || seconds < 0 ||
      seconds > INT64_MAX / 1000) {
    return Status::InvalidArgument("timestamp is not a number of seconds");
  }
  const int64_t skew_ms = now_ms - seconds * 1000;
  if (skew_ms > options_.max_clock_skew_ms || -skew_ms > options_.max_clock_skew_ms) {
    return Status::PermissionDenied("timestamp " + std::to_string(seconds) + " is " +
                                    std::to_string(skew_ms / 1000) +
                                    " s from now, outside max_clock_skew " +
                                    std::to_string(options_.max_clock_skew_ms / 1000) + " s");
  }
  return Status::Ok();
}

bool ReplayGuard::FirstSeen(const std::string& key, int64_t now_ms) {
  if (key.empty()) return true;
  MutexLock lock(mu_);
  EvictLocked(now_ms);
  if (seen_.count(key) != 0) return false;
  order_.emplace_back(key, now_ms);
  seen_.emplace(key, std::prev(order_.end()));
  if (seen_.size() > std::max<size_t>(options_.capacity, 1)) {
    seen_.erase(order_.front().first);
    order_.pop_front();
  }
  return true;
}

void ReplayGuard::EvictLocked(int64_t now_ms) {
  const int64_t oldest = now_ms - RetentionMs();
  while (!order_.empty() && order_.front().second < oldest) {
    seen_.erase(order_.front().first);
    order_.pop_front();
  }
}

size_t ReplayGuard::size() const {
  MutexLock lock(mu_);
  return seen_.size();
}

}  // namespace beacon::bot::wecom
