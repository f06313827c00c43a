// AgentAlertsConsumer: the ingest consumer that turns the agent events of every stored batch
// into alerts by alerts.agent_rules (AgentEventToAlert) and submits them. Thread-safe (the sink
// is).
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "collector/alerts/alert.h"
#include "collector/alerts/alerts_config.h"
#include "collector/ingest/ingest_consumer.h"

namespace beacon::collector::alerts {

class AgentAlertsConsumer : public IngestConsumer {
 public:
  // sink must outlive it.
  AgentAlertsConsumer(AlertSink* sink, std::vector<AgentEventRule> rules)
      : sink_(sink), rules_(std::move(rules)) {}

  // Alerts are idempotent on (agent, seq), so a re-sent batch completes what a failure here left
  // out.
  Status Consume(const StoredBatch& stored) override;
  std::string_view unavailable() const override { return "alert store"; }
  std::string_view reject_reason() const override { return "alerts_unavailable"; }

 private:
  AlertSink* sink_;
  const std::vector<AgentEventRule> rules_;
};

}  // namespace beacon::collector::alerts
