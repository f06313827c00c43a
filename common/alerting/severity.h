// The alert vocabulary every component shares: Zabbix's six severity levels and the firing /
// resolved status, with their canonical names. Used by the collector's alert pipeline, the
// notifiers that render alerts and beaconctl's matchers. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string_view>

namespace beacon::alerting {

// Zabbix's six levels, in order; every source maps onto them (docs/alerts.md).
enum class Severity {
  kNotClassified = 0,
  kInformation = 1,
  kWarning = 2,
  kAverage = 3,
  kHigh = 4,
  kDisaster = 5,
};

// "not_classified" | "information" | "warning" | "average" | "high" | "disaster".
std::string_view SeverityName(Severity severity);
// Accepts the names above (case-insensitive), Zabbix's display names ("Not classified",
// "Information", "Warning", "Average", "High", "Disaster"), "info", and the digits "0".."5".
std::optional<Severity> ParseSeverity(std::string_view text);

enum class AlertStatus { kFiring, kResolved };
std::string_view AlertStatusName(AlertStatus status);  // "firing" | "resolved"

}  // namespace beacon::alerting
