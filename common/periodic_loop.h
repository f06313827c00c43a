// PeriodicLoop: a background thread that runs one pass of work, waits, and runs it again until
// stopped (the collector's retention pruner, backup lifecycle, archive restorer, alert
// flusher). Start, Wake and Stop are thread-safe; Stop must not be called from inside a pass.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <thread>

#include "common/mutex.h"

namespace beacon {

class PeriodicLoop {
 public:
  // When the first pass runs, said at every start: at once, or only after one interval (work
  // that right after start-up would repeat what start-up just did).
  enum class FirstPass { kAtStart, kAfterInterval };

  PeriodicLoop() = default;
  ~PeriodicLoop() { Stop(); }
  PeriodicLoop(const PeriodicLoop&) = delete;
  PeriodicLoop& operator=(const PeriodicLoop&) = delete;

  // Starts the thread: `pass` runs every interval_ms (> 0) until Stop(); Wake() brings the next
  // pass forward. Does nothing while the loop is running.
  void Start(FirstPass first, int64_t interval_ms, std::function<void()> pass);
  // Starts the thread with the first pass at once; each pass returns how long to wait before the
  // next one, in ms (<= 0: the next pass follows at once). Does nothing while running.
  void StartPaced(std::function<int64_t()> pass);
  // Ends the wait under way, or the one after the pass under way, so the next pass runs now.
  void Wake();
  // Ends the wait at once, lets a pass under way finish and joins the thread. Start may follow.
  void Stop();

 private:
  void Run(int64_t first_wait_ms, std::function<int64_t()> pass);
  void Loop(int64_t first_wait_ms, const std::function<int64_t()>& pass);

  Mutex mutex_;
  std::condition_variable_any wake_;
  bool stopping_ BEACON_GUARDED_BY(mutex_) = false;
  bool woken_ BEACON_GUARDED_BY(mutex_) = false;
  std::thread thread_ BEACON_GUARDED_BY(mutex_);  // moved out under the lock, joined outside it
};

}  // namespace beacon
