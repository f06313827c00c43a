// The collector's alert model: what a source (Zabbix, Splunk, agent events) submits, the routing
// decision taken for it, silences and their matchers, and the sink every source submits to.
// docs/alerts.md describes the semantics for operators.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/alerting/matcher.h"
#include "common/status.h"
#include "notifier/alert_view.h"

namespace beacon::collector::alerts {

using alerting::FormatMatcher;
using alerting::Matcher;  // silences, inhibition rules and route tags (common/alerting/matcher.h)
using alerting::ParseMatcher;
using notifier::AlertStatus;
using notifier::AlertView;
using notifier::Severity;

// One report from a source, already parsed and validated.
struct AlertInput {
  std::string source;  // "zabbix" | "splunk" | "agent" | "api"
  // Idempotency key of this report: a second report with the same key is a duplicate and
  // changes nothing ("zabbix:<eventid>:<value>", "splunk:<sid>", "agent:<agent>:<seq>").
  std::string receipt_key;
  std::string external_id;  // Zabbix problem event id, Splunk sid, "<agent>:<seq>"
  std::string fingerprint;  // Fingerprint(...) of the problem; equal for repeats of it
  AlertStatus status = AlertStatus::kFiring;
  Severity severity = Severity::kNotClassified;
  std::string host;
  std::string title;
  std::string message;
  std::map<std::string, std::string> tags;
  std::string url;
  int64_t event_ms = 0;  // when it happened according to the source; 0: when received
  nlohmann::json raw = nlohmann::json::object();  // the payload as received (secrets removed)
};

// Hex SHA-256 (first 16 bytes) over the parts joined with '\x1f': the identity of a problem
// ("same alert again") independent of its text. Sources pass (source, host, kind, subject):
// Zabbix the trigger id, Splunk the search name, agents the event kind and subject.
std::string Fingerprint(std::string_view source, std::string_view host, std::string_view kind,
                        std::string_view subject);

// Notification timing of a route (Alertmanager's meaning).
struct GroupTiming {
  int64_t wait_ms = 10 * 1000;          // first notification of a new group
  int64_t interval_ms = 60 * 1000;      // between notifications of changes to a group
  int64_t repeat_ms = 4 * 3600 * 1000;  // re-send still-firing alerts; 0: never
};

// One routing decision for a firing alert: it joins this receiver's group.
struct GroupRef {
  std::string route;  // the route's name (for display and the audit of decisions)
  std::string receiver;
  std::string group_key;  // canonical "field=value,..." of the route's group_by values
  GroupTiming timing;
};

struct Silence {
  int64_t id = 0;
  std::vector<Matcher> matchers;  // all must match
  int64_t starts_ms = 0;
  int64_t ends_ms = 0;  // the silence is active while starts_ms <= now < ends_ms
  std::string created_by;
  std::string reason;
  int64_t created_ms = 0;
  int64_t expired_ms = 0;  // set when expired early by an operator; 0 otherwise
};

enum class RecordOutcome {
  kNew,        // a new firing alert
  kFolded,     // a firing report of a problem already firing (same fingerprint): counted
  kResolved,   // resolved its firing alert
  kDuplicate,  // the receipt key was seen before: nothing changed
  kUnmatched,  // a resolution without a firing alert: kept for the record, not notified
};
std::string_view RecordOutcomeName(RecordOutcome outcome);  // "new", "folded", ...

struct RecordResult {
  int64_t alert_id = 0;  // 0 for kUnmatched
  RecordOutcome outcome = RecordOutcome::kNew;
  // The earliest notification-group flush this report scheduled (UTC ms); 0: none, so the
  // flusher need not be woken for it.
  int64_t next_flush_ms = 0;
};
// Receives the outcome of an asynchronous submit (AlertSink::SubmitAsync, AlertStore::RecordAsync).
using RecordDone = std::function<void(Result<RecordResult>)>;

// Where every source submits: routes the alert, persists it durably (the caller may reply 2xx
// once this returns OK) and schedules its notifications. Thread-safe.
class AlertSink {
 public:
  virtual ~AlertSink() = default;
  virtual Result<RecordResult> Submit(const AlertInput& input) = 0;
  // Like Submit without holding the caller's thread while the report is committed: `done` gets
  // what Submit would have returned, once the report is durable, possibly on another thread.
  virtual void SubmitAsync(const AlertInput& input, RecordDone done) { done(Submit(input)); }
};

}  // namespace beacon::collector::alerts
