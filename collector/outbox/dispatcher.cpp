// Dispatcher: per-receiver outbox steps (resend a due retry, or turn queued rows into a
// delivery or a storm summary), rate limiting, backoff with jitter, and the worker pool.
#include "collector/outbox/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "collector/alerts/notification_json.h"
#include "common/backoff.h"
#include "common/log/log.h"

namespace beacon::collector::outbox {

using alerts::Delivery;
using notifier::DeliveryOutcome;
using notifier::DeliveryResult;
using notifier::Notification;
using notifier::NotificationKind;

namespace {

// Polling cap of idle workers: a lost wake (or rows queued by another process) costs at most
// this long.
constexpr int64_t kMaxIdleMs = 1000;
// A runaway guard for failing the backlog of an unconfigured receiver in one step.
constexpr int kMaxUnconfiguredPerStep = 10000;

int64_t AlertsCovered(const Notification& n) {
  return n.kind == NotificationKind::kSummary
             ? n.total_alerts
             : std::max<int64_t>(n.total_alerts, static_cast<int64_t>(n.alerts.size()));
}

// "for 3 alert(s) (#12, #13, #14)" or "for a summary of 412 alert(s)": enough for an operator to
// find them with `beaconctl alerts`.
std::string DescribeAlerts(const Notification& n) {
  std::string text =
      fmt::format("{} of {} alert(s)", alerts::NotificationKindName(n.kind), AlertsCovered(n));
  if (n.alerts.empty()) return text;
  text += " (";
  const size_t shown = std::min<size_t>(n.alerts.size(), 5);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) text += ", ";
    text += fmt::format("#{}", n.alerts[i].id);
  }
  if (shown < n.alerts.size()) text += ", ...";
  text += ")";
  return text;
}

}  // namespace

struct Dispatcher::ReceiverState {
  ReceiverState(int max_messages, int64_t window_ms) : window(max_messages, window_ms) {}
  // Only touched by the worker that claimed the receiver (busy), so it needs no lock.
  RateWindow window;
  bool seeded = false;
  // Under the Dispatcher's mu_. Not BEACON_GUARDED_BY: clang's analysis cannot name the
  // enclosing object's mutex from a nested struct, so these two stay checked by review.
  bool busy = false;
  std::optional<int64_t> due_ms;  // next retry or rate-window opening
};

Dispatcher::Dispatcher(alerts::AlertStore& store,
                       std::map<std::string, notifier::Notifier*> receivers, const Clock& clock,
                       alerts::OutboxConfig config, std::function<double()> uniform01)
    : store_(store),
      receivers_(std::move(receivers)),
      clock_(clock),
      config_(config),
      uniform01_(std::move(uniform01)) {}

Dispatcher::~Dispatcher() { Stop(); }

void Dispatcher::Start() {
  MutexLock lock(mu_);
  if (running_) return;
  running_ = true;
  const int workers = std::max(1, config_.workers);
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  spdlog::info("outbox: {} worker(s) dispatching to {} receiver(s)", workers, receivers_.size());
}

void Dispatcher::Stop() {
  {
    MutexLock lock(mu_);
    if (!running_) return;
    running_ = false;
  }
  cv_.notify_all();
  for (auto& worker : workers_) worker.join();
  workers_.clear();
}

void Dispatcher::Wake() {
  {
    MutexLock lock(mu_);
    ++wake_generation_;
  }
  cv_.notify_all();
}

void Dispatcher::WorkerLoop() {
  UniqueLock lock(mu_);
  while (running_) {
    const uint64_t generation = wake_generation_;
    lock.unlock();
    Result<int> acted = RunOnce(clock_.NowMs());
    lock.lock();
    if (!running_) break;
    // Something was sent or created: more may be due right now (the next queued row).
    if (acted.ok() && *acted > 0) continue;
    if (wake_generation_ != generation) continue;
    int64_t wait_ms = kMaxIdleMs;
    const std::optional<int64_t> due = EarliestDueLocked();
    if (due) wait_ms = std::clamp<int64_t>(*due - clock_.NowMs(), 0, kMaxIdleMs);
    if (wait_ms == 0) continue;
    cv_.wait_for(lock, std::chrono::milliseconds(wait_ms), [&]() BEACON_REQUIRES(mu_) {
      return !running_ || wake_generation_ != generation;
    });
  }
}

Result<int> Dispatcher::RunOnce(int64_t now_ms) {
  BEACON_ASSIGN_OR_RETURN(std::vector<std::string> active, store_.ActiveReceivers());
  int acted = 0;
  Status first_error;
  for (const std::string& name : active) {
    Result<StepOutcome> outcome = ServeReceiver(name, now_ms);
    if (!outcome.ok()) {
      spdlog::error("outbox: receiver {}: store error, will retry: {}", name,
                    outcome.status().ToString());
      if (first_error.ok()) first_error = outcome.status();
      continue;
    }
    if (*outcome == StepOutcome::kActed) ++acted;
  }
  if (!first_error.ok()) return first_error;
  return acted;
}

std::optional<int64_t> Dispatcher::NextDueMs() const {
  MutexLock lock(mu_);
  return EarliestDueLocked();
}

std::optional<int64_t> Dispatcher::EarliestDueLocked() const {
  std::optional<int64_t> due;
  for (const auto& [name, state] : states_) {
    if (state->due_ms && (!due || *state->due_ms < *due)) due = state->due_ms;
  }
  return due;
}

DispatcherStats Dispatcher::stats() const {
  MutexLock lock(mu_);
  return stats_;
}

void Dispatcher::NoteDue(const std::string& name, std::optional<int64_t> due_ms) {
  MutexLock lock(mu_);
  auto it = states_.find(name);
  if (it != states_.end()) it->second->due_ms = due_ms;
}

Result<Dispatcher::StepOutcome> Dispatcher::ServeReceiver(const std::string& name, int64_t now_ms) {
  auto notifier_it = receivers_.find(name);
  const bool configured = notifier_it != receivers_.end();
  ReceiverState* state = nullptr;
  {
    MutexLock lock(mu_);
    auto [it, inserted] = states_.try_emplace(name, nullptr);
    if (inserted) {
      const notifier::RateLimit limit =
          configured ? notifier_it->second->rate_limit() : notifier::RateLimit{};
      it->second = std::make_unique<ReceiverState>(limit.max_messages, limit.window_ms);
    }
    // At most one delivery per receiver in flight, so its messages keep their order (and an
    // unconfigured receiver's backlog is failed, and logged, once).
    if (it->second->busy) return StepOutcome::kIdle;
    it->second->busy = true;
    state = it->second.get();
  }
  Result<StepOutcome> outcome =
      configured ? Step(name, *state, now_ms) : FailUnconfigured(name, now_ms);
  MutexLock lock(mu_);
  state->busy = false;
  return outcome;
}

Result<Dispatcher::StepOutcome> Dispatcher::Step(const std::string& name, ReceiverState& state,
                                                 int64_t now_ms) {
  notifier::Notifier* notifier = receivers_.at(name);
  if (!state.seeded) {
    // A restart must not reset the limit: the sends of the last window are in the store.
    if (state.window.max_messages() > 0) {
      BEACON_ASSIGN_OR_RETURN(std::vector<int64_t> recent,
                              store_.RecentSends(name, state.window.max_messages()));
      state.window.Seed(std::move(recent));
    }
    state.seeded = true;
  }

  BEACON_ASSIGN_OR_RETURN(std::optional<Delivery> pending, store_.PendingDelivery(name));
  if (pending) {
    // Deliveries go out in creation order: nothing newer is created while one waits.
    if (pending->next_try_ms > now_ms) {
      NoteDue(name, pending->next_try_ms);
      return StepOutcome::kIdle;
    }
    const int count = notifier->MessageCount(pending->notification);
    if (!state.window.CanSend(count, now_ms)) {
      NoteDue(name, state.window.NextFreeMs(count, now_ms));
      return StepOutcome::kIdle;
    }
    return Send(name, state, *pending, count, now_ms);
  }

  BEACON_ASSIGN_OR_RETURN(int64_t queued, store_.QueuedRows(name));
  if (queued <= 0) {
    NoteDue(name, std::nullopt);
    return StepOutcome::kIdle;
  }
  // While the window is full the rows keep queuing, so they merge into one summary once it
  // opens instead of each waiting for its own slot.
  if (!state.window.CanSend(1, now_ms)) {
    const int64_t free_ms = state.window.NextFreeMs(1, now_ms);
    spdlog::debug(
        "outbox: receiver {}: {} notification(s) queued, rate limit {}/{}ms reached, "
        "next message at {}",
        name, queued, state.window.max_messages(), state.window.window_ms(),
        FormatRfc3339(free_ms));
    NoteDue(name, free_ms);
    return StepOutcome::kIdle;
  }
  std::optional<Delivery> delivery;
  if (queued <= config_.summary_after) {
    BEACON_ASSIGN_OR_RETURN(delivery,
                            store_.CreateDelivery(name, now_ms, 1, config_.summary_titles));
  } else {
    BEACON_ASSIGN_OR_RETURN(delivery,
                            store_.CreateDelivery(name, now_ms, 0, config_.summary_titles));
    if (delivery) {
      spdlog::warn(
          "outbox: receiver {} is behind: {} queued notification(s) merged into summary "
          "delivery {} covering {} alert(s)",
          name, delivery->rows, delivery->id, delivery->notification.total_alerts);
    }
  }
  if (!delivery) {
    NoteDue(name, std::nullopt);
    return StepOutcome::kIdle;
  }
  const int count = notifier->MessageCount(delivery->notification);
  if (!state.window.CanSend(count, now_ms)) {
    // A split message needs more room than is left: it is pending now and goes out (first,
    // in order) as soon as the window has room for all its parts.
    NoteDue(name, state.window.NextFreeMs(count, now_ms));
    return StepOutcome::kActed;
  }
  return Send(name, state, *delivery, count, now_ms);
}

Result<Dispatcher::StepOutcome> Dispatcher::Send(const std::string& name, ReceiverState& state,
                                                 const Delivery& delivery, int message_count,
                                                 int64_t now_ms) {
  notifier::Notifier* notifier = receivers_.at(name);
  const Notification& n = delivery.notification;
  const int attempt = delivery.attempts + 1;
  const DeliveryResult result = notifier->Deliver(n);
  // A real notifier takes time; the rate window and the store get the time it finished.
  const int64_t done_ms = std::max(now_ms, clock_.NowMs());
  const std::string error = log::Redact(result.error);

  int parts_done = std::max(result.parts_done, n.parts_done);
  if (result.outcome == DeliveryOutcome::kDelivered && result.parts_done <= n.parts_done) {
    // The notifier did not count its parts: every remaining one was accepted.
    parts_done = n.parts_done + message_count;
  }
  const int sent = parts_done - n.parts_done;
  if (sent > 0) state.window.Record(sent, done_ms);

  const std::string about = DescribeAlerts(n);
  enum class Counted { kDelivered, kRetried, kFailed } counted = Counted::kFailed;
  Status status;
  std::optional<int64_t> due;
  switch (result.outcome) {
    case DeliveryOutcome::kDelivered:
      status = store_.MarkDelivered(delivery.id, done_ms, parts_done);
      counted = Counted::kDelivered;
      spdlog::info("outbox: receiver {}: delivery {} delivered ({}, {} message(s), attempt {})",
                   name, delivery.id, about, sent, attempt);
      break;
    case DeliveryOutcome::kRetry: {
      const int64_t age_ms = done_ms - delivery.created_ms;
      if (age_ms >= config_.give_up_after_ms) {
        const std::string final_error =
            fmt::format("gave up after {} attempt(s) over {} s: {}", attempt, age_ms / 1000, error);
        status = store_.MarkFailed(delivery.id, done_ms, final_error);
        counted = Counted::kFailed;
        spdlog::error(
            "outbox: receiver {}: delivery {} FAILED ({}): {}; `beaconctl alerts "
            "--undelivered` lists it, an operator retry sends it again",
            name, delivery.id, about, final_error);
        break;
      }
      const int64_t next_try_ms = done_ms + RetryDelayMs(attempt, result.retry_after_ms);
      status = store_.MarkRetry(delivery.id, next_try_ms, error, parts_done);
      counted = Counted::kRetried;
      due = next_try_ms;
      spdlog::warn(
          "outbox: receiver {}: delivery {} not delivered ({}, attempt {}, {} part(s) "
          "done): {}; next try at {}",
          name, delivery.id, about, attempt, parts_done, error, FormatRfc3339(next_try_ms));
      break;
    }
    case DeliveryOutcome::kPermanent:
      status = store_.MarkFailed(delivery.id, done_ms, error);
      counted = Counted::kFailed;
      spdlog::error("outbox: receiver {}: delivery {} FAILED permanently ({}, attempt {}): {}",
                    name, delivery.id, about, attempt, error);
      break;
  }
  {
    MutexLock lock(mu_);
    ReceiverDispatchStats& counters = stats_.receivers[name];
    counters.messages += std::max(sent, 0);
    stats_.messages_sent += std::max(sent, 0);
    if (status.ok()) {
      if (counted == Counted::kDelivered) ++counters.delivered;
      if (counted == Counted::kRetried) ++counters.retried;
      if (counted == Counted::kFailed) ++counters.failed;
    }
    state.due_ms = due;
  }
  if (!status.ok()) {
    // The receiver has the message but the store does not know: it is sent again later
    // (at least once), which beats losing it.
    return status.WithContext(fmt::format("recording the outcome of delivery {}", delivery.id));
  }
  return StepOutcome::kActed;
}

Result<Dispatcher::StepOutcome> Dispatcher::FailUnconfigured(const std::string& name,
                                                             int64_t now_ms) {
  const std::string error = fmt::format("receiver {} is no longer configured", name);
  int failed = 0;
  for (int i = 0; i < kMaxUnconfiguredPerStep; ++i) {
    BEACON_ASSIGN_OR_RETURN(std::optional<Delivery> delivery, store_.PendingDelivery(name));
    if (!delivery) {
      BEACON_ASSIGN_OR_RETURN(delivery,
                              store_.CreateDelivery(name, now_ms, 0, config_.summary_titles));
    }
    if (!delivery) break;
    BEACON_RETURN_IF_ERROR(store_.MarkFailed(delivery->id, now_ms, error));
    spdlog::error(
        "outbox: delivery {} ({}) FAILED: {}; add the receiver back to alerts.receivers "
        "and run an operator retry to send it",
        delivery->id, DescribeAlerts(delivery->notification), error);
    ++failed;
  }
  if (failed > 0) {
    MutexLock lock(mu_);
    stats_.receivers[name].failed += failed;
  }
  return failed > 0 ? StepOutcome::kActed : StepOutcome::kIdle;
}

int64_t Dispatcher::RetryDelayMs(int attempt, int64_t retry_after_ms) {
  const Backoff backoff{std::max<int64_t>(1, config_.retry_initial_ms),
                        std::max<int64_t>(1, config_.retry_max_ms)};
  double u = 0;
  {
    MutexLock lock(mu_);
    u = uniform01_ ? uniform01_() : 1.0;
  }
  // In the upper half of the backoff: spread out, but never much shorter than the backoff.
  return std::max({backoff.DelayMs(attempt, u), retry_after_ms, int64_t{1}});
}

}  // namespace beacon::collector::outbox
