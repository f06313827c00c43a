// Scheduler: gathers each enabled input on its own interval on its own thread and hands the
// records to a sink (the spool). A failing input (error Status or exception) never stops the
// others; a repeated identical error is logged once, then "still failing" every N gathers, and
// one `agent.input.error` event is emitted per error streak. Start/Stop from one thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/inputs/input.h"
#include "common/clock.h"
#include "common/status.h"
#include "common/wire/wire.h"

namespace beacon::agent::inputs {

struct ScheduledInput {
  std::string name;
  int64_t interval_ms = 10'000;
  std::shared_ptr<Input> input;
  std::string state_dir;  // created by Start() when not empty
};

class Scheduler {
 public:
  Scheduler(std::vector<ScheduledInput> inputs, RecordSink sink, const Clock& clock,
            int still_failing_every = 30);
  ~Scheduler();  // Stop()s

  // Calls each input's Start() (creating its state_dir), then one thread per input; the first
  // gather happens at once.
  void Start();
  // Wakes every thread and joins them (a gather in progress is finished first), then calls
  // each input's Stop().
  void Stop();

  // Gathers input `index` once and sinks its records (plus an agent.input.error event when a
  // streak of failures starts). Returns the gather's own Status. Used by the threads and tests.
  Status GatherOnce(size_t index);

 private:
  struct State {
    std::string last_error;  // empty while healthy
    int64_t streak = 0;      // consecutive failed gathers
  };
  void Loop(size_t index);
  void RecordFailure(size_t index, const std::string& error, std::vector<wire::Record>* records);

  std::vector<ScheduledInput> inputs_;
  std::vector<State> states_;  // states_[i] touched only by input i's thread
  RecordSink sink_;
  const Clock& clock_;
  const int still_failing_every_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::vector<std::thread> threads_;
  std::vector<bool> started_;  // Start() succeeded, so Stop() is due
};

}  // namespace beacon::agent::inputs
