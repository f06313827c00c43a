// Zabbix webhook media type -> AlertInput: the parameters our templates/zabbix media type posts
// (every value a macro-expanded string; macros that do not apply arrive literally). Pure.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "collector/alerts/alert.h"
#include "collector/alerts/alerts_config.h"
#include "common/status.h"
#include "common/timezone.h"

namespace beacon::collector::alerts {

// The message of the FailedPrecondition ParseZabbixAlert returns for an acknowledgement/update
// operation (EventUpdateStatus "1"): not an alert state change, the caller answers 200
// "ignored" and stores nothing.
inline constexpr std::string_view kZabbixUpdateIgnored = "ignored: update";

// True for a parameter value that is a Zabbix macro left unexpanded ("{EVENT.RECOVERY.DATE}",
// "{$MACRO}", "{#LLD}", "{?expr}"): such a value counts as absent.
bool IsUnexpandedZabbixMacro(std::string_view value);

// Parses the webhook parameters (a JSON object of strings; numbers are accepted too).
// EventValue "1" is a problem (firing), "0" its recovery (resolved, event time from
// EventRecoveryDate/EventRecoveryTime). The event time is EventTimestamp (recovery:
// EventRecoveryTimestamp), Unix seconds that templates/zabbix/beacon_webhook.js computes inside
// the Zabbix server; without it, dates ("2026.11.26 03:20:40", or EventDate "2026.11.26" plus
// EventTime "03:20:40") are wall-clock times read in `server_tz` (alerts.zabbix.timezone). No
// time at all leaves event_ms 0 (the time of receipt). Subject and Message keep LF line ends
// only (CRLF and CR become LF); `raw` is the parameters as received.
// Errors: InvalidArgument naming the parameter (missing or malformed EventID, EventValue,
// HostName, EventNSeverity, EventTags, timestamps, dates; EventSource other than "0");
// FailedPrecondition(kZabbixUpdateIgnored) for an update operation.
Result<AlertInput> ParseZabbixAlert(const nlohmann::json& params, const ZabbixSourceConfig& config,
                                    const TimeZone& server_tz);

}  // namespace beacon::collector::alerts
