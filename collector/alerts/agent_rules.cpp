// Agent events -> alerts by alerts.agent_rules (see agent_rules.h and docs/alerts.md).
#include "collector/alerts/agent_rules.h"

#include <algorithm>

#include "common/alerting/matcher.h"

namespace beacon::collector::alerts {
namespace {

bool HostMatches(const AgentEventRule& rule, const std::string& agent) {
  return rule.hosts.empty() ||
         std::any_of(rule.hosts.begin(), rule.hosts.end(), [&](const std::string& glob) {
           return alerting::LabelGlobMatch(glob, agent);
         });
}

// The event's own severity; agents only send the six names, anything else reads as
// information (the wire decoder has already validated it).
Severity EventSeverity(const wire::Event& event) {
  return notifier::ParseSeverity(event.severity).value_or(Severity::kInformation);
}

// The message's first line when there is one (agents write a human sentence that already names
// the subject), else "<kind> <subject>".
std::string TitleOf(const wire::Event& event) {
  const std::string first_line = event.message.substr(0, event.message.find('\n'));
  if (!first_line.empty()) return first_line;
  return event.subject.empty() ? event.kind : event.kind + " " + event.subject;
}

AlertInput BaseInput(const std::string& agent, const wire::Record& record,
                     const AgentEventRule& rule) {
  const wire::Event& event = record.event;
  AlertInput input;
  input.source = "agent";
  input.receipt_key = "agent:" + agent + ":" + std::to_string(record.seq);
  input.external_id = agent + ":" + std::to_string(record.seq);
  input.severity = rule.severity.value_or(EventSeverity(event));
  input.host = agent;
  input.title = TitleOf(event);
  input.message = event.message;
  if (event.data.is_object()) {
    for (const auto& [key, value] : event.data.items()) {
      if (value.is_string()) input.tags[key] = value.get<std::string>();
    }
  }
  // Set after the data fields so an event cannot disguise its kind.
  input.tags["kind"] = event.kind;
  if (!event.subject.empty()) input.tags["subject"] = event.subject;
  input.event_ms = record.ts_ms;
  input.raw = nlohmann::json{
      {"agent", agent},           {"seq", record.seq},          {"ts_ms", record.ts_ms},
      {"kind", event.kind},       {"severity", event.severity}, {"subject", event.subject},
      {"message", event.message}, {"data", event.data}};
  return input;
}

}  // namespace

std::optional<AlertInput> AgentEventToAlert(const std::string& agent, const wire::Record& record,
                                            const std::vector<AgentEventRule>& rules) {
  if (record.type != wire::RecordType::kEvent) return std::nullopt;
  const wire::Event& event = record.event;
  // Resolutions first: a generic rule listed earlier ("port.*") must not turn the event that
  // ends another rule's alert into a new alert of its own.
  for (const AgentEventRule& rule : rules) {
    if (rule.resolved_by.empty() || rule.resolved_by != event.kind) continue;
    if (!HostMatches(rule, agent)) continue;
    AlertInput input = BaseInput(agent, record, rule);
    input.status = AlertStatus::kResolved;
    input.fingerprint = Fingerprint("agent", agent, rule.kind, event.subject);
    return input;
  }
  for (const AgentEventRule& rule : rules) {
    if (!alerting::LabelGlobMatch(rule.kind, event.kind) || !HostMatches(rule, agent)) continue;
    if (rule.min_severity && EventSeverity(event) < *rule.min_severity) continue;
    AlertInput input = BaseInput(agent, record, rule);
    input.fingerprint = Fingerprint("agent", agent, event.kind, event.subject);
    return input;
  }
  return std::nullopt;
}

}  // namespace beacon::collector::alerts
