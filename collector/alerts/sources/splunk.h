// Splunk alert payloads -> AlertInput: the built-in webhook alert action's body and the body our
// custom alert action (templates/splunk) posts (the same keys plus "configuration" and optional
// top-level "severity" and "recipients"). Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "collector/alerts/alert.h"
#include "collector/alerts/alerts_config.h"
#include "common/status.h"

namespace beacon::collector::alerts {

// Bounds of the "key=value" message built from the first result row.
inline constexpr size_t kSplunkMessageMaxLines = 40;
inline constexpr size_t kSplunkMessageMaxValueBytes = 300;
inline constexpr size_t kSplunkMessageMaxBytes = 4000;

// Splunk's own alert severity (1 debug, 2 info, 3 warn, 4 error, 5 severe, 6 fatal) on our
// scale: 1,2 information, 3 warning, 4 average, 5 high, 6 disaster; nullopt outside 1..6.
std::optional<Severity> SplunkSeverity(int level);

// Parses the body. Severity: top-level "severity", else configuration.severity (a Splunk level
// 1..6 as number or digits, or a name ParseSeverity accepts), else config.default_severity.
// Errors (InvalidArgument naming the key): a body that is not an object, missing or empty
// "sid", "result"/"configuration" not objects, a results_link that is not http(s), an unknown
// severity. raw is the body without "session_key" (and without configuration values whose name
// says token, password or secret).
Result<AlertInput> ParseSplunkAlert(const nlohmann::json& body, const SplunkSourceConfig& config);

}  // namespace beacon::collector::alerts
