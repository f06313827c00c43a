// CollectorMetrics: the collector's own counters and the batch-latency histogram, rendered with
// store gauges (size, per-agent last-seen age) as Prometheus text format 0.0.4. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "collector/store/event_store.h"
#include "common/mutex.h"

namespace beacon::collector {

class CollectorMetrics {
 public:
  // Upper bounds (seconds) of the beacon_ingest_batch_seconds buckets; +Inf is implicit.
  static constexpr std::array<double, 12> kBatchBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                           0.1,   0.25,   0.5,   1,    2.5,   5};

  // A batch that was stored: its records by type, duplicates and handling time.
  void RecordBatch(int64_t samples, int64_t events, int64_t duplicates, double seconds);
  void RecordRejected(const std::string& reason);
  void RecordPruned(int64_t samples, int64_t events);
  // A backup.version event whose data was not a valid catalog record (stored, not catalogued).
  void RecordCatalogRejected() { catalog_rejected_.fetch_add(1); }
  int64_t catalog_rejected() const { return catalog_rejected_.load(); }

  // Agent timestamps outside the accepted window, stored with the receive time instead: record
  // ts of samples and events, and created_ms of backup versions (collector/ingest/).
  void RecordClampedTimestamps(int64_t record_ts, int64_t created_ms) {
    clamped_ts_ += record_ts;
    clamped_created_ms_ += created_ms;
  }
  int64_t clamped_ts() const { return clamped_ts_.load(); }
  int64_t clamped_created_ms() const { return clamped_created_ms_.load(); }

  int64_t batches() const { return batches_.load(); }
  int64_t rejected(const std::string& reason) const;

  // Text appended to every Render (the alert pipeline's metrics); set once at start-up.
  void SetSection(std::function<std::string()> section) {
    MutexLock lock(mutex_);
    section_ = std::move(section);
  }

  // Counters plus gauges read from the store; a store error leaves the store gauges out.
  std::string Render(EventStore& store, int64_t now_ms) const;

 private:
  std::atomic<int64_t> batches_{0};
  std::atomic<int64_t> samples_{0};
  std::atomic<int64_t> events_{0};
  std::atomic<int64_t> duplicates_{0};
  std::atomic<int64_t> pruned_samples_{0};
  std::atomic<int64_t> pruned_events_{0};
  std::atomic<int64_t> catalog_rejected_{0};
  std::atomic<int64_t> clamped_ts_{0};
  std::atomic<int64_t> clamped_created_ms_{0};
  mutable Mutex mutex_;
  std::map<std::string, int64_t> rejected_ BEACON_GUARDED_BY(mutex_);
  std::array<int64_t, kBatchBuckets.size()> buckets_ BEACON_GUARDED_BY(mutex_){};  // not cumulative
  int64_t latency_count_ BEACON_GUARDED_BY(mutex_) = 0;
  double latency_sum_ BEACON_GUARDED_BY(mutex_) = 0;
  std::function<std::string()> section_ BEACON_GUARDED_BY(mutex_);
};

}  // namespace beacon::collector
