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
// The result of queuing an agent command: what to type to follow it, and "command:<id>" as the
// request id the audit row keeps.
ApplyResult QueuedCommand(bool zh, std::string_view what_en, std::string_view what_zh,
                          int64_t command_id);
// A plain-text reply.
Reply TextReply(std::string body);
// `text` safe to show in WeCom markdown (notifier/render's escaping).
std::string Md(const std::string& text);

}  // namespace beacon::bot
