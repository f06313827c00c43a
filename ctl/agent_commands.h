// beaconctl backup run / fim accept: queue a "backup.run" or "fim.accept" command for an agent
// (POST /api/v1/agents/{host}/commands) and, with --wait, follow it like `beaconctl restore`,
// then show what the agent did (the versions stored, the baseline entries accepted). The
// Render* and *Text functions are the pure part.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/status.h"
#include "ctl/commands.h"

namespace beacon::ctl {

// options: "wait", "timeout-wait". Exit 0 when queued (or, with --wait, succeeded), 1 when the
// collector refused it, the command failed or waiting gave up.
int RunBackupRun(CommandContext& ctx, const std::string& host, const std::string& set,
                 const std::map<std::string, std::string>& options);
int RunFimAccept(CommandContext& ctx, const std::string& host, const std::string& path,
                 const std::map<std::string, std::string>& options);

// A backup.run or fim.accept command's state for the operator: the agent's progress line
// while it runs ("running: backing up set app: 3/10 files (1.0 MiB / 4.0 MiB, 25%)"), otherwise
// as RestoreProgressText.
std::string AgentCommandProgressText(const nlohmann::json& command);
// A succeeded backup.run's result: PATH SIZE STORED SHA256 KEY per version stored, a line for
// versions left out of the result ("... and 12 more"), nothing when none was stored.
Result<std::string> RenderBackupRunResult(const nlohmann::json& command);
// A succeeded fim.accept's result: BASELINE PATH (updated, added, removed) per entry, a line
// for entries left out, then the entries that could not be read.
Result<std::string> RenderFimAcceptResult(const nlohmann::json& command);

}  // namespace beacon::ctl
