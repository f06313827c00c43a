// LatestValues: a map from series to its newest sample.
#include "agent/zabbix/latest_values.h"

namespace beacon::agent::zabbix {

LatestValues::LatestValues(std::map<std::string, std::string> metric_inputs, size_t max_series)
    : metric_inputs_(std::move(metric_inputs)), max_series_(max_series) {}

std::string LatestValues::InputOf(const std::string& metric) const {
  if (auto it = metric_inputs_.find(metric); it != metric_inputs_.end()) return it->second;
  return metric.substr(0, metric.find('.'));
}

void LatestValues::Observe(const std::vector<wire::Record>& records) {
  MutexLock lock(mu_);
  for (const wire::Record& record : records) {
    if (record.type != wire::RecordType::kSample) continue;
    SeriesKey key{record.sample.metric, record.sample.labels};
    auto it = series_.find(key);
    if (it == series_.end()) {
      if (series_.size() >= max_series_) continue;
      LatestValue value;
      value.input = InputOf(record.sample.metric);
      value.metric = record.sample.metric;
      value.labels = record.sample.labels;
      it = series_.emplace(std::move(key), std::move(value)).first;
    }
    if (record.ts_ms >= it->second.ts_ms) {
      it->second.value = record.sample.value;
      it->second.ts_ms = record.ts_ms;
    }
  }
}

std::optional<LatestValue> LatestValues::Find(
    const std::string& input, const std::string& metric,
    const std::map<std::string, std::string>& labels) const {
  MutexLock lock(mu_);
  std::optional<LatestValue> best;
  for (auto it = series_.lower_bound({metric, {}});
       it != series_.end() && it->first.first == metric; ++it) {
    const LatestValue& v = it->second;
    if (v.input != input) continue;
    bool all = true;
    for (const auto& [k, want] : labels) {
      auto have = v.labels.find(k);
      all = all && have != v.labels.end() && have->second == want;
    }
    if (all && (!best || v.labels.size() < best->labels.size())) best = v;
  }
  return best;
}

std::vector<LatestValue> LatestValues::Series(const std::string& input) const {
  MutexLock lock(mu_);
  std::vector<LatestValue> out;
  for (const auto& [key, v] : series_) {
    if (input.empty() || v.input == input) out.push_back(v);
  }
  return out;
}

}  // namespace beacon::agent::zabbix
