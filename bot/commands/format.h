// Shared text helpers of the command handlers: times in the configured zone, durations and
// ages in the request's language, sizes, and lists cut to the reply budget. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bot/commands/registry.h"

namespace beacon::bot {

// "2026-11-26 13:56:41 CST" in ctx.tz.
std::string FormatTime(const CommandContext& ctx, int64_t unix_ms);
// "3m12s ago" / "3分12秒前" relative to the request's time.
std::string FormatAgo(const CommandContext& ctx, int64_t unix_ms);
// "2h5m" / "2小时5分".
std::string FormatSpan(const CommandContext& ctx, int64_t duration_ms);
// "812 B", "1.5 KiB", "3.2 GiB".
std::string FormatSize(uint64_t bytes);
// The items separated by `sep` ("a, b, c"); "" for none.
std::string Join(const std::vector<std::string>& items, std::string_view sep);
// `lines` joined by '\n' until the next line would pass max_bytes, then "… and N more" /
// "……另有 N 条" so the reply says what it left out.
std::string JoinBounded(const std::vector<std::string>& lines, size_t max_bytes, bool zh);
// A positive id as typed ("12" or "#12"); InvalidArgument "<name>: expected a number, got 'x'".
Result<int64_t> ParseId(std::string_view name, std::string_view text);
// Who hears how a queued agent command goes: the requester, in the command's language, through
// the follow-ups port (null: nobody is told, `progress ID` reads it). Taken from the context
// when the plan is made; a copy, safe to keep in `apply`.
struct FollowUp {
  FollowUpsPort* port = nullptr;
  Sender requester;
  bool zh = false;
};
FollowUp FollowUpOf(const CommandContext& ctx);
// The result of queuing an agent command: asks follow.port to follow it, then says how to learn
// how it goes (follow-ups in this conversation, and `progress ID` at any time) and keeps
// "command:<id>" as the request id of the audit row. A watch that cannot be stored is logged and
// the reply names only `progress ID`: the command stays queued either way.
ApplyResult QueuedCommand(const FollowUp& follow, std::string_view what_en,
                          std::string_view what_zh, int64_t command_id);
// A plain-text reply.
Reply TextReply(std::string body);
// `text` safe to show in WeCom markdown (notifier/render's escaping).
std::string Md(const std::string& text);

}  // namespace beacon::bot
