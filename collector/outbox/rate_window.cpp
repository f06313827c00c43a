// RateWindow: sliding-window send limiter over the exact send times of the last window.
#include "collector/outbox/rate_window.h"

#include <algorithm>

namespace beacon::collector::outbox {

RateWindow::RateWindow(int max_messages, int64_t window_ms)
    : max_messages_(std::max(0, max_messages)), window_ms_(std::max<int64_t>(1, window_ms)) {}

int RateWindow::Clamp(int count) const {
  count = std::max(count, 1);
  return max_messages_ > 0 ? std::min(count, max_messages_) : count;
}

int RateWindow::InWindow(int64_t now_ms) const {
  // Sends at or before now - window no longer count; sends_ms_ is ascending.
  auto first = std::upper_bound(sends_ms_.begin(), sends_ms_.end(), now_ms - window_ms_);
  return static_cast<int>(sends_ms_.end() - first);
}

bool RateWindow::CanSend(int count, int64_t now_ms) const {
  if (max_messages_ == 0) return true;
  return InWindow(now_ms) + Clamp(count) <= max_messages_;
}

int64_t RateWindow::NextFreeMs(int count, int64_t now_ms) const {
  if (CanSend(count, now_ms)) return now_ms;
  // The in-window sends must drop to max - count: the (excess)-th oldest of them leaves the
  // window at its time + window_ms, and every older one has left by then too.
  const int in_window = InWindow(now_ms);
  const int excess = in_window + Clamp(count) - max_messages_;
  const size_t first = sends_ms_.size() - static_cast<size_t>(in_window);
  return std::max(now_ms, sends_ms_[first + static_cast<size_t>(excess) - 1] + window_ms_);
}

void RateWindow::Record(int count, int64_t now_ms) {
  if (max_messages_ == 0) return;
  // Keep ascending order even if a caller records slightly out of order (several workers).
  for (int i = 0; i < Clamp(count); ++i) {
    sends_ms_.insert(std::upper_bound(sends_ms_.begin(), sends_ms_.end(), now_ms), now_ms);
  }
  Expire(now_ms);
}

void RateWindow::Seed(std::vector<int64_t> sends_ms) {
  sends_ms_.clear();
  if (max_messages_ == 0) return;
  std::sort(sends_ms.begin(), sends_ms.end());
  sends_ms_.assign(sends_ms.begin(), sends_ms.end());
}

void RateWindow::Expire(int64_t now_ms) {
  while (!sends_ms_.empty() && sends_ms_.front() <= now_ms - window_ms_) sends_ms_.pop_front();
}

}  // namespace beacon::collector::outbox
