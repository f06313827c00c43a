// Raising alerts from the agent events of stored batches.
#include "collector/alerts/agent_alerts.h"

#include <optional>

#include "collector/alerts/agent_rules.h"

namespace beacon::collector::alerts {

Status AgentAlertsConsumer::Consume(const StoredBatch& stored) {
  const wire::Batch& batch = stored.batch;
  if (rules_.empty()) return Status::Ok();
  for (const wire::Record& record : batch.records) {
    if (record.type != wire::RecordType::kEvent) continue;
    std::optional<AlertInput> input = AgentEventToAlert(batch.agent, record, rules_);
    if (!input) continue;
    BEACON_RETURN_IF_ERROR(sink_->Submit(*input).status());
  }
  return Status::Ok();
}

}  // namespace beacon::collector::alerts
