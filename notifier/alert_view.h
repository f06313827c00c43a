// The alert as everything downstream of the collector's alert pipeline sees it: canonical
// severity (Zabbix's six levels), status, identity and display fields. Shared by the collector's
// alert store/router and by the notifiers that render it; plain data, no logic beyond naming.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/alerting/severity.h"

namespace beacon::notifier {

// The shared vocabulary (common/alerting/severity.h), under the names notifiers use.
using alerting::AlertStatus;
using alerting::AlertStatusName;
using alerting::ParseSeverity;
using alerting::Severity;
using alerting::SeverityName;

struct AlertView {
  int64_t id = 0;           // the collector's alert id; messages show it as "#<id>"
  std::string source;       // "zabbix" | "splunk" | "agent" | "api"
  std::string fingerprint;  // hex; equal for the same problem on the same host
  std::string external_id;  // Zabbix event id, Splunk sid, "<agent>:<seq>"
  AlertStatus status = AlertStatus::kFiring;
  Severity severity = Severity::kNotClassified;
  std::string host;     // may be empty (e.g. a Splunk search over many hosts)
  std::string title;    // one line
  std::string message;  // free text, may be multi-line
  std::map<std::string, std::string> tags;
  std::string url;          // Splunk results_link, Zabbix event URL; may be empty
  int64_t starts_ms = 0;    // when the problem began (UTC ms)
  int64_t ends_ms = 0;      // when it was resolved; 0 while firing
  int64_t occurrences = 1;  // firing reports folded into this alert by fingerprint
};

}  // namespace beacon::notifier
