// Text helpers of the command handlers; see format.h.
#include "bot/commands/format.h"

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

ApplyResult QueuedCommand(bool zh, std::string_view what_en, std::string_view what_zh,
                          int64_t command_id) {
  const std::string id = std::to_string(command_id);
  ApplyResult r;
  r.text = zh ? std::string(what_zh) + "已下发，命令 #" + id + "；发送“进度 " + id + "”查看进度"
              : std::string(what_en) + " queued for the agent as command #" + id + "; `progress " +
                    id + "` shows how it goes";
  r.request_ids = {"command:" + id};
  return r;
}

Reply TextReply(std::string body) { return Reply{Reply::Format::kText, std::move(body)}; }

std::string Md(const std::string& text) { return notifier::render::EscapeMarkdown(text); }

}  // namespace beacon::bot
