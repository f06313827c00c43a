// beaconctl's chat bot commands: `chat` sends a line to the collector's bot engine as a local
// user (POST /api/v1/chat; roles and confirmations apply as in WeCom) and prints the reply;
// `audit` lists the bot's audit log (GET /api/v1/audit) and `audit verify` checks its hash
// chain (GET /api/v1/audit/verify; exit 1 naming the first broken row). RenderAudit is pure.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "common/timezone.h"
#include "ctl/args.h"
#include "ctl/commands.h"

namespace beacon::ctl {

// The local user `chat` speaks as: --as, else BEACON_CHAT_USER, else USER / LOGNAME.
// InvalidArgument when none is set.
Result<std::string> ChatUser(const std::map<std::string, std::string>& options,
                             const Getenv& getenv);

int RunChat(CommandContext& ctx, const std::string& user, const std::string& text);
// options: "since", "user", "limit" (sent as given).
int RunAudit(CommandContext& ctx, const std::map<std::string, std::string>& options);
int RunAuditVerify(CommandContext& ctx);

// GET /api/v1/audit -> ID TIME USER CHANNEL COMMAND ARGUMENTS DECISION RESULT.
Result<std::string> RenderAudit(const nlohmann::json& reply, const TimeZone& tz);

}  // namespace beacon::ctl
