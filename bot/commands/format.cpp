// Text helpers of the command handlers; see format.h.
#include "bot/commands/format.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdio>

#include "notifier/render/render.h"

namespace beacon::bot {

std::string FormatTime(const CommandContext& ctx, int64_t unix_ms) {
  return ctx.tz.Format(unix_ms);
}

std::string FormatAgo(const CommandContext& ctx, int64_t unix_ms) {
  const std::string span = FormatSpan(ctx, ctx.request.now_ms - unix_ms);
  return ctx.zh ? span + "前" : span + " ago";
}

std::string FormatSpan(const CommandContext& ctx, int64_t duration_ms) {
  return notifier::render::FormatDuration(duration_ms, ctx.zh ? "zh" : "en");
}

std::string FormatSize(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  size_t unit = 0;
  while (v >= 1024 && unit + 1 < std::size(kUnits)) v /= 1024, ++unit;
  char buf[32];
  std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f %s" : "%.1f %s", v, kUnits[unit]);
  return buf;
}

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.append(sep);
    out.append(items[i]);
  }
  return out;
}

std::string JoinBounded(const std::vector<std::string>& lines, size_t max_bytes, bool zh) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    // Room for the longest "more" line is kept while adding.
    if (out.size() + lines[i].size() + 1 + 32 > max_bytes && i > 0) {
      const std::string rest = std::to_string(lines.size() - i);
      out += zh ? "\n……另有 " + rest + " 条" : "\n… and " + rest + " more";
      return out;
    }
    if (i) out += '\n';
    out += lines[i];
  }
  return out;
}

Result<int64_t> ParseId(std::string_view name, std::string_view text) {
  std::string_view digits = text.starts_with('#') ? text.substr(1) : text;
  int64_t id = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || id <= 0) {
    return Status::InvalidArgument(std::string(name) + ": expected a number, got '" +
                                   std::string(text) + "'");
  }
  return id;
}

FollowUp FollowUpOf(const CommandContext& ctx) {
  return FollowUp{ctx.ports.followups, ctx.request.sender, ctx.zh};
}

ApplyResult QueuedCommand(const FollowUp& follow, std::string_view what_en,
                          std::string_view what_zh, int64_t command_id) {
  bool followed = false;
  if (follow.port) {
    Result<bool> watched = follow.port->Follow(command_id, follow.requester, follow.zh);
    if (watched.ok()) {
      followed = *watched;
    } else {
      spdlog::warn("bot: command {} is not followed for {}: {}", command_id,
                   follow.requester.Principal(), watched.status().ToString());
    }
  }
  const std::string id = std::to_string(command_id);
  ApplyResult r;
  if (follow.zh) {
    r.text = std::string(what_zh) + "已下发，命令 #" + id +
             (followed ? "；agent 开始执行和完成时会在这里通知，随时可发送“进度 " + id + "”查看"
                       : "；发送“进度 " + id + "”查看进度");
  } else {
    r.text = std::string(what_en) + " queued for the agent as command #" + id +
             (followed ? "; you will be told here when the agent starts it and when it ends "
                         "(`progress " +
                             id + "` at any time)"
                       : "; `progress " + id + "` shows how it goes");
  }
  r.request_ids = {"command:" + id};
  return r;
}

Reply TextReply(std::string body) { return Reply{Reply::Format::kText, std::move(body)}; }

std::string Md(const std::string& text) { return notifier::render::EscapeMarkdown(text); }

}  // namespace beacon::bot
