// Prometheus text rendering of the collector's counters, histogram and store gauges.
#include "collector/metrics.h"

#include <charconv>
#include <vector>

namespace beacon::collector {
namespace {

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatDouble(double value) {
  // Shortest text that reads back as the same double ("0.1", not "0.10000000000000001").
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

void Header(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

}  // namespace

void CollectorMetrics::RecordBatch(int64_t samples, int64_t events, int64_t duplicates,
                                   double seconds) {
  batches_ += 1;
  samples_ += samples;
  events_ += events;
  duplicates_ += duplicates;
  MutexLock lock(mutex_);
  for (size_t i = 0; i < kBatchBuckets.size(); ++i) {
    if (seconds <= kBatchBuckets[i]) {
      ++buckets_[i];
      break;
    }
  }
  ++latency_count_;
  latency_sum_ += seconds;
}

void CollectorMetrics::RecordRejected(const std::string& reason) {
  MutexLock lock(mutex_);
  ++rejected_[reason];
}

void CollectorMetrics::RecordPruned(int64_t samples, int64_t events) {
  pruned_samples_ += samples;
  pruned_events_ += events;
}

int64_t CollectorMetrics::rejected(const std::string& reason) const {
  MutexLock lock(mutex_);
  auto it = rejected_.find(reason);
  return it == rejected_.end() ? 0 : it->second;
}

std::string CollectorMetrics::Render(EventStore& store, int64_t now_ms) const {
  std::string out;
  Header(out, "beacon_ingest_batches_total", "counter", "Agent batches stored.");
  out += "beacon_ingest_batches_total " + std::to_string(batches_.load()) + "\n";
  Header(out, "beacon_ingest_records_total", "counter", "Records newly stored, by type.");
  out += "beacon_ingest_records_total{type=\"sample\"} " + std::to_string(samples_.load()) + "\n";
  out += "beacon_ingest_records_total{type=\"event\"} " + std::to_string(events_.load()) + "\n";
  Header(out, "beacon_ingest_duplicates_total", "counter",
         "Records received again that were already stored.");
  out += "beacon_ingest_duplicates_total " + std::to_string(duplicates_.load()) + "\n";
  {
    MutexLock lock(mutex_);
    Header(out, "beacon_ingest_rejected_total", "counter", "Ingest requests rejected, by reason.");
    for (const auto& [reason, count] : rejected_) {
      out += "beacon_ingest_rejected_total{reason=\"" + EscapeLabel(reason) + "\"} " +
             std::to_string(count) + "\n";
    }
    Header(out, "beacon_ingest_batch_seconds", "histogram", "Time to decode and store one batch.");
    int64_t cumulative = 0;
    for (size_t i = 0; i < kBatchBuckets.size(); ++i) {
      cumulative += buckets_[i];
      out += "beacon_ingest_batch_seconds_bucket{le=\"" + FormatDouble(kBatchBuckets[i]) + "\"} " +
             std::to_string(cumulative) + "\n";
    }
    out +=
        "beacon_ingest_batch_seconds_bucket{le=\"+Inf\"} " + std::to_string(latency_count_) + "\n";
    out += "beacon_ingest_batch_seconds_sum " + FormatDouble(latency_sum_) + "\n";
    out += "beacon_ingest_batch_seconds_count " + std::to_string(latency_count_) + "\n";
  }
  Header(out, "beacon_ingest_clamped_timestamps_total", "counter",
         "Agent timestamps outside [now - retention, now + 1d] (created_ms: [now - event "
         "retention, now]) stored as the receive time, by field.");
  out += "beacon_ingest_clamped_timestamps_total{field=\"ts\"} " +
         std::to_string(clamped_ts_.load()) + "\n";
  out += "beacon_ingest_clamped_timestamps_total{field=\"created_ms\"} " +
         std::to_string(clamped_created_ms_.load()) + "\n";
  Header(out, "beacon_retention_pruned_total", "counter", "Rows deleted by retention, by type.");
  out += "beacon_retention_pruned_total{type=\"sample\"} " +
         std::to_string(pruned_samples_.load()) + "\n";
  out += "beacon_retention_pruned_total{type=\"event\"} " + std::to_string(pruned_events_.load()) +
         "\n";

  Header(out, "beacon_catalog_rejected_total", "counter",
         "backup.version events whose data was not a valid catalog record.");
  out += "beacon_catalog_rejected_total " + std::to_string(catalog_rejected_.load()) + "\n";

  Result<int64_t> size = store.SizeBytes();
  if (size.ok()) {
    Header(out, "beacon_store_size_bytes", "gauge", "Bytes the store uses on disk.");
    out += "beacon_store_size_bytes " + std::to_string(*size) + "\n";
  }
  Result<std::vector<AgentInfo>> agents = store.ListAgents();
  if (agents.ok()) {
    Header(out, "beacon_agent_last_seen_age_seconds", "gauge",
           "Seconds since each agent's last batch.");
    for (const AgentInfo& agent : *agents) {
      out += "beacon_agent_last_seen_age_seconds{agent=\"" + EscapeLabel(agent.name) + "\"} " +
             FormatDouble(static_cast<double>(now_ms - agent.last_seen_ms) / 1000.0) + "\n";
    }
  }
  std::function<std::string()> section;
  {
    MutexLock lock(mutex_);
    section = section_;
  }
  if (section) out += section();
  return out;
}

}  // namespace beacon::collector
