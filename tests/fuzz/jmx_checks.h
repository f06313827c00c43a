// What the JMX fuzz targets check after a reply parser ran: the values go through MapToMetrics
// with the Tomcat default rules into an Emitter, as JmxInput::Gather does, and every record the
// Emitter keeps must be one the collector's strict decoder accepts (a record it rejects would
// block the agent's spool on that batch). Single-threaded.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/inputs/input.h"
#include "agent/inputs/jmx/model.h"
#include "common/clock.h"
#include "common/wire/wire.h"
#include "tests/fuzz/fuzz_check.h"

namespace beacon::fuzz {

inline const std::vector<agent::inputs::jmx::MetricRule>& TomcatRules() {
  static const auto* rules =
      new std::vector<agent::inputs::jmx::MetricRule>(agent::inputs::jmx::TomcatDefaultRules());
  return *rules;
}

inline const std::vector<agent::inputs::jmx::MBeanQuery>& TomcatQueries() {
  static const auto* queries = new std::vector<agent::inputs::jmx::MBeanQuery>(
      agent::inputs::jmx::QueriesForRules(TomcatRules()));
  return *queries;
}

// Maps results[i] (the answer to TomcatQueries()[i]) to samples and checks each on the wire.
inline void CheckMappedSamples(const std::vector<agent::inputs::jmx::QueryResult>& results) {
  static const FakeClock clock;
  agent::inputs::Emitter emitter(clock);
  const auto& queries = TomcatQueries();
  FUZZ_CHECK(results.size() == queries.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    agent::inputs::jmx::MapToMetrics(
        TomcatRules(), queries[i], results[i], "tomcat-01",
        [&](const std::string& metric, double value, std::map<std::string, std::string> labels) {
          emitter.AddSample(metric, value, std::move(labels));
        });
  }
  uint64_t seq = 0;
  for (wire::Record& record : emitter.records()) {
    record.seq = ++seq;
    const nlohmann::json json = nlohmann::json::parse(wire::EncodeRecord(record), nullptr, false);
    FUZZ_CHECK(!json.is_discarded());
    FUZZ_CHECK(wire::DecodeRecord(json).ok());
  }
}

}  // namespace beacon::fuzz
