// beaconctl alert commands: `alerts`, `alerts show`, `silence add|list|expire`, `deliveries
// [retry]` (admin token) and
// `zabbix alert`, the entry point of a Zabbix script media type (Zabbix source token).
// The Render*/parse functions are pure and tested without I/O.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/http/client.h"
#include "common/status.h"
#include "common/timezone.h"
#include "ctl/args.h"
#include "ctl/commands.h"

namespace beacon::ctl {

// options: "status", "source", "host", "since" (sent as RFC 3339), "undelivered", "limit".
int RunAlerts(CommandContext& ctx, const std::map<std::string, std::string>& options);
// `id` as typed ("17" or "#17"); anything else is a usage error (exit 2).
int RunAlertShow(CommandContext& ctx, const std::string& id);
// matchers as typed ("host=~db-*"); options: "for" | "until" (RFC 3339), "reason", "by".
// `default_by` names the operator when --by is absent (the login name).
int RunSilenceAdd(CommandContext& ctx, const std::vector<std::string>& matchers,
                  const std::map<std::string, std::string>& options, const std::string& default_by);
// options: "all".
int RunSilenceList(CommandContext& ctx, const std::map<std::string, std::string>& options);
int RunSilenceExpire(CommandContext& ctx, const std::string& id);

// options: "state" (pending|failed|delivered), "limit".
int RunDeliveries(CommandContext& ctx, const std::map<std::string, std::string>& options);
// Puts the failed deliveries of receiver `receiver` back to pending.
int RunDeliveriesRetry(CommandContext& ctx, const std::string& receiver);

// `beaconctl zabbix alert SENDTO SUBJECT MESSAGE` (inv.args) with the Zabbix source token from
// inv.options["zabbix-token-file"] or BEACON_ZABBIX_TOKEN_FILE. Zabbix shows a script's stdout
// as the alert's error, so every outcome is one line on `out`; exit 0 when the collector took
// the alert, 1 otherwise.
int RunZabbixAlert(http::HttpClient& http, const Invocation& inv, const Getenv& getenv,
                   std::ostream& out);
// True when argv runs `zabbix alert` (so even a usage error must be reported the Zabbix way).
bool IsZabbixAlertInvocation(const std::vector<std::string>& argv);

// The webhook parameters (docs/alerts.md, "Zabbix") from a script media type's three
// arguments: MESSAGE carries "Key: value" lines written by our message templates ("Event ID:",
// "Event value:", "Severity:", "Host:", "Host IP:", "Trigger ID:", "Trigger status:",
// "Event tags:", "Event date:", "Recovery date:", "Item value:", "Update status:",
// "Event source:"); the first line of each key is taken, every other line is the message text.
// SENDTO becomes the event tag "sendto". InvalidArgument when there is no "Event ID:" line.
Result<nlohmann::json> ZabbixAlertParams(std::string_view sendto, std::string_view subject,
                                         std::string_view message);

// "ops-app:delivered robot:pending(3) last error: HTTP 503"; "-" without deliveries.
std::string DeliverySummary(const nlohmann::json& alert);
// Checks one silence matcher before it is sent: the collector's grammar
// (common/alerting/matcher.h), and a value that is not empty.
Status ValidateMatcher(std::string_view matcher);

// GET /api/v1/alerts -> TIME SEVERITY STATUS ID HOST TITLE DELIVERY.
Result<std::string> RenderAlerts(const nlohmann::json& reply, const TimeZone& tz);
// GET /api/v1/alerts/{id} -> the alert's fields, its message and one row per delivery.
Result<std::string> RenderAlertDetail(const nlohmann::json& alert, const TimeZone& tz,
                                      int64_t now_ms);
// GET /api/v1/deliveries -> ID RECEIVER STATE KIND ATTEMPTS CREATED NEXT TRY ALERTS LAST ERROR.
Result<std::string> RenderDeliveries(const nlohmann::json& reply, const TimeZone& tz);
// GET /api/v1/silences -> ID STATE MATCHERS STARTS ENDS BY REASON.
Result<std::string> RenderSilences(const nlohmann::json& reply, const TimeZone& tz, int64_t now_ms);

}  // namespace beacon::ctl
