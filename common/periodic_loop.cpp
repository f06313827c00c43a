// The wait-and-run loop of background threads (see periodic_loop.h).
#include "common/periodic_loop.h"

#include <chrono>
#include <utility>

namespace beacon {

void PeriodicLoop::Start(FirstPass first, int64_t interval_ms, std::function<void()> pass) {
  Run(first == FirstPass::kAfterInterval ? interval_ms : 0, [pass = std::move(pass), interval_ms] {
    pass();
    return interval_ms;
  });
}

void PeriodicLoop::StartPaced(std::function<int64_t()> pass) { Run(0, std::move(pass)); }

void PeriodicLoop::Run(int64_t first_wait_ms, std::function<int64_t()> pass) {
  MutexLock lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  woken_ = false;
  thread_ =
      std::thread([this, first_wait_ms, pass = std::move(pass)] { Loop(first_wait_ms, pass); });
}

void PeriodicLoop::Wake() {
  {
    MutexLock lock(mutex_);
    woken_ = true;
  }
  wake_.notify_all();
}

void PeriodicLoop::Stop() {
  std::thread thread;
  {
    MutexLock lock(mutex_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  wake_.notify_all();
  if (thread.joinable()) thread.join();
}

void PeriodicLoop::Loop(int64_t first_wait_ms, const std::function<int64_t()>& pass) {
  UniqueLock lock(mutex_);
  int64_t wait_ms = first_wait_ms;
  while (!stopping_) {
    if (wait_ms > 0) {
      wake_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                     [this]() BEACON_REQUIRES(mutex_) { return stopping_ || woken_; });
      if (stopping_) return;
    }
    // A Wake() from here on, during the pass, cuts the wait after it short.
    woken_ = false;
    lock.unlock();
    wait_ms = pass();
    lock.lock();
  }
}

}  // namespace beacon
