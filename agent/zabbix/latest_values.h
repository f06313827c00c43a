// LatestValues: the newest value of every metric series the agent has gathered, fed by the
// records on their way to the spool, for beacon.metric and beacon.discovery. A series is a
// metric name plus its labels; each metric belongs to the input that declares it (metrics no
// input declares go to the part of the name before the first '.', "backup" or "agent" for the
// agent's own). Bounded: at most max_series series; new ones beyond are not kept. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/mutex.h"
#include "common/wire/wire.h"

namespace beacon::agent::zabbix {

struct LatestValue {
  std::string input;
  std::string metric;
  std::map<std::string, std::string> labels;
  double value = 0;
  int64_t ts_ms = 0;
};

class LatestValues {
 public:
  // metric_inputs: metric name -> the input that declares it.
  explicit LatestValues(std::map<std::string, std::string> metric_inputs = {},
                        size_t max_series = 100'000);

  // Keeps the newest sample of each series among `records` (events are ignored).
  void Observe(const std::vector<wire::Record>& records) BEACON_EXCLUDES(mu_);

  // The series of `metric` under `input` whose labels include every one of `labels`; when
  // several match, the one with the fewest labels (so "fim.changes" with no labels asked
  // finds the unlabelled series). nullopt when none.
  std::optional<LatestValue> Find(const std::string& input, const std::string& metric,
                                  const std::map<std::string, std::string>& labels) const
      BEACON_EXCLUDES(mu_);
  // Every series of `input` (all inputs when empty), ordered by metric and labels.
  std::vector<LatestValue> Series(const std::string& input) const BEACON_EXCLUDES(mu_);

  // The input a metric name belongs to.
  std::string InputOf(const std::string& metric) const;

 private:
  using SeriesKey = std::pair<std::string, std::map<std::string, std::string>>;
  const std::map<std::string, std::string> metric_inputs_;
  const size_t max_series_;
  mutable Mutex mu_;
  std::map<SeriesKey, LatestValue> series_ BEACON_GUARDED_BY(mu_);
};

}  // namespace beacon::agent::zabbix
