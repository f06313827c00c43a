// AlertPipeline: the collector's AlertSink. Submit routes an alert and records it durably (the
// caller replies 2xx after that); a flusher thread turns due notification groups into outbox
// rows, leaving out silenced and inhibited alerts, and wakes the outbox dispatcher. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "collector/alerts/alert.h"
#include "collector/alerts/alert_store.h"
#include "collector/alerts/alerts_config.h"
#include "collector/alerts/routing.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/periodic_loop.h"

namespace beacon::collector::alerts {

// Counters for /metrics, by source and outcome ("zabbix/new", "splunk/duplicate", ...).
struct PipelineStats {
  std::map<std::string, int64_t> submitted;
  int64_t submit_errors = 0;
  int64_t rows_queued = 0;
  int64_t muted = 0;  // group members left out of a flush by a silence or inhibition
  int64_t flush_errors = 0;
  int64_t resolved_quiet = 0;  // resolved because their source stopped reporting them
};

// The lowest severity a firing alert must have to match the source side of any of the rules.
Severity MinInhibitingSeverity(const std::vector<InhibitRule>& rules);

class AlertPipeline final : public AlertSink {
 public:
  // on_queued is called (from the flusher thread) whenever outbox rows were queued.
  AlertPipeline(AlertStore& store, Router router, std::vector<InhibitRule> inhibit,
                const Clock& clock, std::function<void()> on_queued);
  ~AlertPipeline() override;  // stops the flusher

  Result<RecordResult> Submit(const AlertInput& input) override;
  // Routes on the caller's thread; the store's writer thread commits and calls `done`.
  void SubmitAsync(const AlertInput& input, RecordDone done) override;

  // Flushes every group due at now_ms once; returns how many outbox rows were queued. The
  // flusher thread calls this; tests call it directly with a fake clock.
  Result<int> FlushDue(int64_t now_ms);

  // Firing alerts of `source` not reported again for quiet_ms are resolved by the flusher
  // (sources without recoveries: Splunk). Call before Start().
  void ResolveWhenQuiet(const std::string& source, int64_t quiet_ms);
  // One pass of those resolutions at now_ms (the flusher runs it every few seconds).
  Result<int64_t> ResolveQuietOnce(int64_t now_ms);

  void Start();
  // Waits for the asynchronous submits under way (their `done` has returned), then stops the
  // flusher.
  void Stop();
  PipelineStats stats() const;

 private:
  // One pass of the flusher thread: quiet resolutions when due, then the due groups; returns
  // how long to wait before the next pass (ms).
  int64_t FlushPass();
  // After a submit was recorded (or failed): counters, the error log, waking the flusher.
  void Recorded(const std::string& source, const std::string& external_id, const std::string& title,
                const Result<RecordResult>& recorded);

  AlertStore& store_;
  const Router router_;
  const std::vector<InhibitRule> inhibit_;
  const Severity inhibiting_severity_;  // firing alerts below it cannot inhibit anything
  const Clock& clock_;
  std::function<void()> on_queued_;
  std::map<std::string, int64_t> quiet_after_;  // set before Start(), then read-only
  int64_t last_quiet_pass_ms_ = 0;              // flusher thread only

  PeriodicLoop flusher_;  // woken when a recorded alert scheduled a flush before its next pass
  // When the flusher's next pass is due (UTC ms); kMaxMs while a pass is under way, so a report
  // recorded during the pass always wakes it. Submit wakes the flusher only for a flush earlier
  // than this: in a storm with group_wait 30s, no report wakes it at all.
  std::atomic<int64_t> next_pass_ms_;

  mutable Mutex stats_mutex_;
  PipelineStats stats_ BEACON_GUARDED_BY(stats_mutex_);
};

}  // namespace beacon::collector::alerts
