// beaconctl commands: each sends its request through CollectorApi and prints either the
// collector's JSON (--json) or a table. The Render* functions are the pure part (reply JSON in,
// text out) and are tested without any I/O.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "ctl/api.h"
#include "ctl/timezone.h"

namespace beacon::ctl {

struct CommandContext {
  CollectorApi& api;
  const TimeZone& tz;
  const Clock& clock;
  bool json = false;
  std::ostream& out;
  std::ostream& err;
};

// Each returns the process exit code and has written the output or the failure.
int RunStatus(CommandContext& ctx);
int RunHostStatus(CommandContext& ctx, const std::string& host);
// options: "host", "kind", "since", "until", "limit" (already validated by ParseArgs).
int RunEvents(CommandContext& ctx, const std::map<std::string, std::string>& options);
int RunTokenCreate(CommandContext& ctx, const std::string& agent);
int RunTokenList(CommandContext& ctx);
int RunTokenRevoke(CommandContext& ctx, const std::string& agent);

// Pure renderers. InvalidArgument names what is missing from the reply.
// GET /api/v1/hosts -> NAME STATE LAST SEEN VERSION EVENTS.
Result<std::string> RenderHostList(const nlohmann::json& reply, const TimeZone& tz, int64_t now_ms);
// GET /api/v1/hosts/{name} -> host fields, METRIC LABELS VALUE, recent events.
Result<std::string> RenderHostDetail(const nlohmann::json& host, const TimeZone& tz,
                                     int64_t now_ms);
// GET /api/v1/events -> TIME HOST SEVERITY KIND SUBJECT MESSAGE.
Result<std::string> RenderEvents(const nlohmann::json& reply, const TimeZone& tz);
// GET /api/v1/admin/tokens -> ID AGENT CREATED LAST USED STATE.
Result<std::string> RenderTokens(const nlohmann::json& reply, const TimeZone& tz);

}  // namespace beacon::ctl
