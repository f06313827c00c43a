// The `alerts:` section of collector.yaml in typed form: source credentials, agent-event rules,
// ordered routes, inhibition rules, outbox tuning and the receivers (each parsed by its notifier).
// config/collector.yaml documents every key; docs/alerts.md explains the semantics.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "collector/alerts/alert.h"
#include "common/config/config.h"
#include "notifier/notifier.h"

namespace beacon::collector::alerts {

struct ZabbixSourceConfig {
  // Bearer token of POST /api/v1/alerts/zabbix (token_file / token_env). Empty: endpoint off.
  config::Secret token;
  // Link added to Zabbix alerts; "{event_id}" and "{trigger_id}" are replaced. Empty: none.
  std::string event_url;
  // IANA zone of the Zabbix server's wall-clock dates, read only when a report carries no
  // EventTimestamp (script media type, webhook scripts before it). Empty: alerts.timezone.
  std::string timezone;
};

struct SplunkSourceConfig {
  // The ?token= of POST /api/v1/alerts/splunk (token_file / token_env). Empty: endpoint off.
  config::Secret token;
  // Client addresses allowed to post ("10.0.0.0/8", "192.0.2.7"); empty: any.
  std::vector<std::string> allow_from;
  // Severity of a Splunk alert that names none (the custom action sends one).
  Severity default_severity = Severity::kAverage;
  // Splunk sends no recoveries: a Splunk alert whose search has not triggered again (a new sid
  // of the same search folds into it) for this long is resolved. 0: Splunk alerts stay firing.
  int64_t resolve_after_ms = 60 * 60 * 1000;
};

// Which agent events become alerts (first matching rule wins; no rule: the event stays an event).
struct AgentEventRule {
  std::string kind;                      // glob over the event kind: "fim.*", "port.unexpected"
  std::optional<Severity> min_severity;  // the event's own severity must be at least this
  std::optional<Severity> severity;      // override the alert's severity
  std::vector<std::string> hosts;        // globs over the agent name; empty: any
  // A later event of this kind with the same subject resolves the alert (e.g. "port.closed"
  // resolves "port.unexpected"); empty: agent alerts stay firing until resolved elsewhere.
  std::string resolved_by;
};

struct TimeWindow {
  std::vector<int> weekdays;  // 0 = Sunday ... 6 = Saturday; empty: every day
  int start_minute = 0;       // minutes after local midnight, inclusive ("09:00" -> 540)
  int end_minute = 24 * 60;   // exclusive; end < start spans midnight
  std::string timezone;       // empty: alerts.timezone
};

struct RouteConfig {
  std::string name;                  // default "route-<n>"
  std::vector<std::string> sources;  // empty: any
  Severity min_severity = Severity::kNotClassified;
  std::vector<std::string> hosts;      // globs; empty: any
  std::vector<Matcher> tags;           // all must match (field "tag:<name>")
  std::vector<TimeWindow> active;      // the route applies only inside one of these; empty: always
  std::vector<std::string> receivers;  // names in alerts.receivers
  bool continue_matching = false;      // YAML key `continue`
  // Fields whose values form the group key: source, host, severity, title, fingerprint,
  // tag:<name>. Default [source, host]; [fingerprint] notifies every alert on its own.
  std::vector<std::string> group_by = {"source", "host"};
  GroupTiming timing;
};

// While a firing alert matches `source`, alerts matching `target` with equal values of the
// `equal` fields are not notified (default: a disaster on a host mutes its lower alerts).
struct InhibitRule {
  std::vector<Matcher> source;
  std::vector<Matcher> target;
  std::vector<std::string> equal = {"host"};
};

struct OutboxConfig {
  int workers = 4;                      // receivers served at once
  int64_t retry_initial_ms = 2 * 1000;  // first backoff; doubles with full jitter
  int64_t retry_max_ms = 5 * 60 * 1000;
  int64_t give_up_after_ms = 24 * 3600 * 1000;  // a delivery still failing after this: failed
  int summary_after = 3;    // queued notifications beyond this merge into a summary
  int summary_titles = 10;  // a summary lists at most this many titles
};

struct AlertsConfig {
  std::string path;             // SQLite file; empty: alerts.db beside store.path
  std::string language = "zh";  // "zh" | "en"
  std::string timezone = "Asia/Shanghai";
  ZabbixSourceConfig zabbix;
  SplunkSourceConfig splunk;
  std::vector<AgentEventRule> agent_rules;
  std::vector<RouteConfig> routes;
  // Receivers of alerts no route matched; default: every receiver of type console.
  std::vector<std::string> default_receivers;
  std::vector<InhibitRule> inhibit;
  OutboxConfig outbox;
  int64_t max_body_bytes = 256 * 1024;  // webhook bodies above this: 413
  // Resolved alerts, finished deliveries and ended silences older than this are deleted by the
  // collector's retention pass (store.prune_interval). At least 1h.
  int64_t retention_ms = int64_t{90} * 24 * 3600 * 1000;
  // Receivers by name, parsed by notifier::ParseReceiver (sorted by name).
  std::vector<std::pair<std::string, notifier::NotifierFactory>> receivers;
};

using ReceiverParser =
    std::function<notifier::NotifierFactory(const std::string& name, config::Node node)>;

// Reads `alerts:` (node may be absent: defaults, with one receiver "console" of type console
// when none is configured). Each receiver section goes through parse_receiver (the collector
// passes notifier::ParseReceiver; tests pass their own). Errors are recorded on the node. Routes
// and default_receivers may only name receivers that exist; severities accept every
// ParseSeverity spelling; tag matchers are written `{name: value}` or `"name=~glob"`.
AlertsConfig ReadAlertsConfig(config::Node node, const ReceiverParser& parse_receiver);

}  // namespace beacon::collector::alerts
