// beaconctl commands: each sends its request through CollectorApi and prints either the
// collector's JSON (--json) or a table. The Render* functions are the pure part (reply JSON in,
// text out) and are tested without any I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "common/timezone.h"
#include "ctl/api.h"

namespace beacon::ctl {

struct CommandContext {
  CollectorApi& api;
  const TimeZone& tz;
  const Clock& clock;
  bool json = false;
  std::ostream& out;
  std::ostream& err;
  // Pauses between polls (restore); empty: really sleeps. Tests advance a FakeClock instead.
  std::function<void(int64_t ms)> sleep_ms;
};

// Each returns the process exit code and has written the output or the failure.
int RunStatus(CommandContext& ctx);
int RunHostStatus(CommandContext& ctx, const std::string& host);
// options: "host", "kind", "since", "until", "limit" (already validated by ParseArgs).
int RunEvents(CommandContext& ctx, const std::map<std::string, std::string>& options);
int RunTokenCreate(CommandContext& ctx, const std::string& agent);
int RunTokenList(CommandContext& ctx);
int RunTokenRevoke(CommandContext& ctx, const std::string& agent);
// options: "host", "path", "set", "since", "until", "limit" (sent as given).
int RunBackupsList(CommandContext& ctx, const std::map<std::string, std::string>& options);
// options: "dry-run". Exit 1 when an applied action failed.
int RunBackupsLifecycle(CommandContext& ctx, const std::map<std::string, std::string>& options);
// options: "version", "at" (sent as RFC 3339), "to", "no-wait", "timeout-wait". POSTs the
// restore, then (unless no-wait) polls the command every second printing each change; exit 0
// succeeded, 1 failed or gave up waiting.
int RunRestore(CommandContext& ctx, const std::string& host, const std::string& path,
               const std::map<std::string, std::string>& options);

// Follows an agent command until it is final: prints "WHAT: <progress_text(command)>" on every
// change (nothing with --json), re-reading GET /api/v1/commands/{id} every second and retrying
// transient failures quietly until wait_ms has passed. `command` is the command as the request
// that created it answered (with its "id"). Exit 0 succeeded (with --json the command is
// printed), 1 failed (the agent's message on stderr) or gave up waiting; *final (may be null)
// gets the last command seen when it is final.
int WaitForCommand(CommandContext& ctx, nlohmann::json command, const std::string& what,
                   int64_t wait_ms,
                   const std::function<std::string(const nlohmann::json&)>& progress_text,
                   nlohmann::json* final);
// --timeout-wait from `options` (checked by ParseArgs), else default_ms.
int64_t TimeoutWaitMs(const std::map<std::string, std::string>& options, int64_t default_ms);
// The "id" of a command from a reply; nullopt after printing a bad-reply failure naming `reply`
// ("the restore reply") when there is none.
std::optional<int64_t> CommandIdOf(CommandContext& ctx, const nlohmann::json& command,
                                   std::string_view reply);
// The command object of a reply: {"command": {...}} or the command itself.
const nlohmann::json& CommandOf(const nlohmann::json& body);

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

// GET /api/v1/backups -> CREATED HOST PATH SIZE STORED CLASS SHA256 ID.
Result<std::string> RenderBackups(const nlohmann::json& reply, const TimeZone& tz);
// POST /api/v1/backups/lifecycle -> ACTION VERSION HOST PATH TARGET STATE REASON (+ ERROR),
// then a summary line.
Result<std::string> RenderLifecycle(const nlohmann::json& reply);
// One command's state for the operator: "waiting for archive restore",
// "running 4.0 MiB / 12.0 MiB (33%)", "succeeded: restored ...".
std::string RestoreProgressText(const nlohmann::json& command);
// A time option as RFC 3339 UTC: an RFC 3339 time (normalized) or a duration before now_ms
// (common/clock.h ParseTimeOrAgo); InvalidArgument naming `flag` ("--at") otherwise.
Result<std::string> TimeOption(std::string_view flag, const std::string& text, int64_t now_ms);

}  // namespace beacon::ctl
