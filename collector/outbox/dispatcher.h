// Dispatcher: the outbox's sender. Turns the AlertStore's queued notification rows into
// deliveries (one per group notification, or one storm summary when a receiver is behind),
// hands them to the receiver's Notifier in creation order, one at a time per receiver, within
// its rate limit, and records the outcome (delivered, retry with backoff, failed) in the store.
// Thread-safe; Start() runs a pool of workers, RunOnce() drives the same code step by step.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "collector/alerts/alert_store.h"
#include "collector/alerts/alerts_config.h"
#include "collector/outbox/rate_window.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/status.h"
#include "notifier/notifier.h"

namespace beacon::collector::outbox {

struct ReceiverDispatchStats {
  int64_t delivered = 0;  // deliveries accepted by the receiver
  int64_t retried = 0;    // attempts that failed transiently and were rescheduled
  int64_t failed = 0;     // deliveries given up (permanent error, too old, unconfigured)
  int64_t messages = 0;   // messages (parts) the receiver accepted
};

// Counters since the dispatcher started, for /metrics.
struct DispatcherStats {
  std::map<std::string, ReceiverDispatchStats> receivers;  // by receiver name
  int64_t messages_sent = 0;                               // over every receiver
};

class Dispatcher {
 public:
  // receivers: the configured notifiers by name (owned by the caller, outliving the
  // dispatcher). uniform01 returns a uniform double in [0, 1) for the retry jitter; it is
  // called under the dispatcher's lock, so it need not be thread-safe.
  Dispatcher(alerts::AlertStore& store, std::map<std::string, notifier::Notifier*> receivers,
             const Clock& clock, alerts::OutboxConfig config, std::function<double()> uniform01);
  ~Dispatcher();  // Stop()s
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Starts config.workers threads (at least one) that dispatch until Stop(). Idempotent.
  void Start();
  // Lets in-flight deliveries finish (a notifier call is not interrupted), joins the workers.
  void Stop();
  // New rows were queued: idle workers look at once instead of at their next poll.
  void Wake();

  // Gives every receiver with work due at now_ms one step: sends its due pending delivery, or
  // creates and sends the next one from its queued rows, or fails what an unconfigured receiver
  // still has. Returns how many deliveries it acted on; a store error is logged, the other
  // receivers are still served, and the first error is returned.
  Result<int> RunOnce(int64_t now_ms);

  // When a worker should look again without a wake: the earliest retry or rate-window opening
  // known from the last steps (nullopt: nothing known to be waiting).
  std::optional<int64_t> NextDueMs() const;

  DispatcherStats stats() const;

 private:
  struct ReceiverState;
  enum class StepOutcome { kIdle, kActed };

  // Claims the receiver (at most one in flight), runs one step, releases it.
  Result<StepOutcome> ServeReceiver(const std::string& name, int64_t now_ms);
  Result<StepOutcome> Step(const std::string& name, ReceiverState& state, int64_t now_ms);
  Result<StepOutcome> FailUnconfigured(const std::string& name, int64_t now_ms);
  Result<StepOutcome> Send(const std::string& name, ReceiverState& state,
                           const alerts::Delivery& delivery, int message_count, int64_t now_ms);
  int64_t RetryDelayMs(int attempt, int64_t retry_after_ms);
  void WorkerLoop();
  void NoteDue(const std::string& name, std::optional<int64_t> due_ms);
  std::optional<int64_t> EarliestDueLocked() const BEACON_REQUIRES(mu_);

  alerts::AlertStore& store_;
  std::map<std::string, notifier::Notifier*> receivers_;
  const Clock& clock_;
  const alerts::OutboxConfig config_;
  std::function<double()> uniform01_;

  mutable Mutex mu_;
  std::condition_variable_any cv_;
  std::map<std::string, std::unique_ptr<ReceiverState>> states_ BEACON_GUARDED_BY(mu_);
  DispatcherStats stats_ BEACON_GUARDED_BY(mu_);
  uint64_t wake_generation_ BEACON_GUARDED_BY(mu_) = 0;
  bool running_ BEACON_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace beacon::collector::outbox
