// Turns agent events into alerts by alerts.agent_rules (first matching rule wins), including
// events that resolve an earlier alert (a rule's resolved_by kind). Pure logic; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "collector/alerts/alert.h"
#include "collector/alerts/alerts_config.h"
#include "common/wire/wire.h"

namespace beacon::collector::alerts {

// The alert an event of `agent` makes: a resolved AlertInput (fingerprint of the resolved rule's
// kind and the same subject) when the event's kind is some rule's resolved_by and that rule's
// hosts match; else a firing AlertInput by the first rule that matches (kind glob, the event's
// severity >= min_severity, agent name globs); nullopt for anything else (samples included).
std::optional<AlertInput> AgentEventToAlert(const std::string& agent, const wire::Record& record,
                                            const std::vector<AgentEventRule>& rules);

}  // namespace beacon::collector::alerts
