// Per-input gather threads with error isolation and de-duplicated error reporting.
#include "agent/inputs/scheduler.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <exception>
#include <filesystem>

namespace beacon::agent::inputs {

Scheduler::Scheduler(std::vector<ScheduledInput> inputs, RecordSink sink, const Clock& clock,
                     int still_failing_every)
    : inputs_(std::move(inputs)),
      states_(inputs_.size()),
      sink_(std::move(sink)),
      clock_(clock),
      still_failing_every_(still_failing_every > 0 ? still_failing_every : 1) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  for (size_t i = 0; i < inputs_.size(); ++i) {
    ScheduledInput& in = inputs_[i];
    InputContext context{in.state_dir, &clock_};
    Status status;
    std::error_code ec;
    if (!in.state_dir.empty() && !std::filesystem::create_directories(in.state_dir, ec) && ec) {
      status =
          Status::IoError("cannot create state directory " + in.state_dir + ": " + ec.message());
    } else {
      try {
        status = in.input->Start(context, sink_);
      } catch (const std::exception& e) {
        status = Status::Internal(std::string("exception in Start: ") + e.what());
      }
    }
    if (!status.ok()) {
      std::vector<wire::Record> records;
      RecordFailure(i, status.ToString(), &records);
      if (!records.empty()) (void)sink_(std::move(records));
    }
    started_.push_back(status.ok());
  }
  for (size_t i = 0; i < inputs_.size(); ++i) threads_.emplace_back([this, i] { Loop(i); });
}

void Scheduler::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  for (size_t i = 0; i < started_.size(); ++i) {
    if (started_[i]) inputs_[i].input->Stop();
  }
  started_.clear();
}

void Scheduler::Loop(size_t index) {
  const auto interval = std::chrono::milliseconds(inputs_[index].interval_ms);
  auto next = std::chrono::steady_clock::now();
  while (true) {
    (void)GatherOnce(index);
    next += interval;
    const auto now = std::chrono::steady_clock::now();
    // A gather slower than its interval skips the missed ticks instead of bunching up.
    while (next <= now) next += interval;
    std::unique_lock lock(mu_);
    if (cv_.wait_until(lock, next, [this] { return stop_; })) return;
  }
}

Status Scheduler::GatherOnce(size_t index) {
  ScheduledInput& in = inputs_[index];
  Emitter emitter(clock_);
  Status status;
  try {
    status = in.input->Gather(emitter);
  } catch (const std::exception& e) {
    status = Status::Internal(std::string("exception: ") + e.what());
  } catch (...) {
    status = Status::Internal("unknown exception");
  }
  std::vector<wire::Record> records = std::move(emitter.records());
  for (const std::string& why : emitter.rejected()) {
    spdlog::debug("input {}: dropped a record the collector would refuse: {}", in.name, why);
  }

  State& state = states_[index];
  if (status.ok()) {
    if (state.streak > 0) {
      spdlog::info("input {} recovered after {} failed gathers", in.name, state.streak);
    }
    state = State{};
  } else {
    RecordFailure(index, status.message(), &records);
  }

  if (!records.empty()) {
    if (Status s = sink_(std::move(records)); !s.ok()) {
      spdlog::error("input {}: cannot store gathered records: {}", in.name, s.ToString());
    }
  }
  return status;
}

void Scheduler::RecordFailure(size_t index, const std::string& error,
                              std::vector<wire::Record>* records) {
  ScheduledInput& in = inputs_[index];
  State& state = states_[index];
  ++state.streak;
  if (state.streak == 1) {
    wire::Record record;
    record.type = wire::RecordType::kEvent;
    record.ts_ms = clock_.NowMs();
    record.event.kind = "agent.input.error";
    record.event.severity = "warning";
    record.event.subject = in.name;
    record.event.message = "input " + in.name + " failed: " + error;
    record.event.data = {{"input", in.name}, {"error", error}};
    records->push_back(std::move(record));
  }
  if (error != state.last_error) {
    spdlog::error("input {} failed: {}", in.name, error);
    state.last_error = error;
  } else if (state.streak % still_failing_every_ == 0) {
    spdlog::warn("input {} still failing ({} gathers in a row): {}", in.name, state.streak, error);
  }
}

}  // namespace beacon::agent::inputs
