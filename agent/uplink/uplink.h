// Uplink: ships the spool to the collector (POST /api/v1/ingest) in size- and time-bounded
// batches, deletes only what the collector acknowledged, and retries with exponential backoff
// and jitter. HttpClient, Clock and the random source are injected; Step() does one unit of
// work without sleeping so tests drive it directly, Run() loops it on a thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "agent/spool/spool.h"
#include "common/clock.h"
#include "common/http/client.h"

namespace beacon::agent {

// The uplink and the command channel log a run of identical failures once per this many tries
// (the first is always logged), so a long outage does not flood the log.
inline constexpr int kRepeatedFailureLogEvery = 20;

struct UplinkOptions {
  std::string collector_url;  // "http://host:8470", no trailing slash
  std::string token;          // bearer token; never logged
  std::string agent_name;
  std::string agent_version = BEACON_VERSION;
  int64_t timeout_ms = 10'000;
  size_t batch_max_records = 1000;
  int64_t batch_max_bytes = int64_t{1} << 20;
  int64_t flush_interval_ms = 1000;
  int64_t compress_threshold = 4096;  // bodies larger than this are zstd-compressed
  int64_t backoff_initial_ms = 500;
  int64_t backoff_max_ms = 60'000;
  int64_t self_metrics_interval_ms = 10'000;  // agent.spool.* samples
};

// Delay before retry number `failures` (1 = after the first failure): uniform in
// [initial, min(max, initial * 2^failures)], drawn with random01 in [0, 1) (common/backoff.h
// with JitterFloor::kInitial; the command channel retries the same way).
int64_t BackoffDelayMs(int failures, int64_t initial_ms, int64_t max_ms, double random01);

class Uplink {
 public:
  enum class Outcome {
    kIdle,     // nothing to send
    kWaiting,  // a partial batch is waiting for the flush interval or more records
    kSent,     // a batch was acknowledged
    kFailed,   // the send failed; retry after delay_ms
  };
  struct StepResult {
    Outcome outcome = Outcome::kIdle;
    int64_t delay_ms = 0;  // how long to wait before the next Step()
    size_t records = 0;    // records in the batch sent or attempted
  };

  Uplink(UplinkOptions options, Spool* spool, http::HttpClient* client, const Clock* clock,
         std::function<double()> random01 = nullptr);

  // Sends at most one batch. A batch is sent when full (batch_max_records or batch_max_bytes)
  // or when its oldest record has waited flush_interval; while in backoff it is not retried
  // before the delay has passed (kFailed with the remaining delay).
  StepResult Step();
  // Appends agent.spool.pending_records / pending_bytes / dropped_samples_total samples.
  Status EmitSelfMetrics();

  // Loops Step() until Stop(); a send in flight is finished first.
  void Run();
  void Stop();
  // Wakes Run() early (new records were appended).
  void Notify();

 private:
  StepResult Send(std::vector<SpooledRecord> batch);
  // After a successful send: the agent.spool.dropped event when samples or events were dropped.
  void ReportDropped();
  void LogFailure(const std::string& key, const std::string& message);

  const UplinkOptions options_;
  Spool* spool_;
  http::HttpClient* client_;
  const Clock* clock_;
  std::function<double()> random01_;

  // Step() state: used by one thread only (Run's thread, or the test).
  int failures_ = 0;
  int64_t retry_at_ms_ = 0;        // monotonic; no send before this
  int64_t partial_since_ms_ = -1;  // monotonic time a partial batch was first seen
  std::string last_failure_key_;   // to log a repeated failure once
  int repeated_failures_ = 0;
  int64_t next_self_metrics_ms_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;   // guarded by mu_
  bool woken_ = false;  // guarded by mu_
};

}  // namespace beacon::agent
