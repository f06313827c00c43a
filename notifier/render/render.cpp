// Message rendering for every notifier: zh/en text and WeCom-markdown bodies for groups, repeats
// and storm summaries, kept within byte limits by UTF-8-safe splitting or truncation.
#include "notifier/render/render.h"

#include <algorithm>
#include <map>
#include <optional>

#include "common/clock.h"
#include "common/strings.h"
#include "common/timezone.h"
#include "common/url.h"

namespace beacon::notifier::render {
namespace {

constexpr size_t kMaxTitleBytes = 256;     // a title longer than this is shortened with "…"
constexpr size_t kMaxLineBytes = 512;      // one message line in a full alert
constexpr size_t kCompactLineBytes = 200;  // the message line of an alert inside a group
constexpr size_t kMaxMessageLines = 20;    // lines of the message shown for a single alert
constexpr size_t kTopHosts = 5;            // hosts listed in a summary
constexpr std::string_view kEllipsis = "…";
constexpr std::string_view kResolvedMarker = "✅";
constexpr std::string_view kSummaryMarker = "📊";
constexpr std::string_view kRepeatMarker = "🔁";

// A character-boundary cut that, for markdown, also keeps a backslash escape or an HTML entity
// whole (a part must not end with "\" or "&l").
size_t SafeCut(std::string_view text, size_t max_bytes, bool markdown) {
  size_t cut = TruncateUtf8(text, max_bytes).size();
  if (!markdown || cut >= text.size()) return cut;
  size_t backslashes = 0;
  while (backslashes < cut && text[cut - 1 - backslashes] == '\\') ++backslashes;
  if (backslashes % 2 == 1) --cut;
  const size_t from = cut >= 6 ? cut - 6 : 0;
  const size_t amp = text.substr(from, cut - from).rfind('&');
  if (amp != std::string_view::npos &&
      text.substr(from + amp, cut - from - amp).find(';') == std::string_view::npos) {
    cut = from + amp;
  }
  return cut > 0 ? cut : TruncateUtf8(text, max_bytes).size();
}

std::vector<std::string> SplitValid(std::string_view text, size_t max_bytes, bool markdown) {
  max_bytes = std::max<size_t>(max_bytes, 4);
  std::vector<std::string> chunks;
  size_t pos = 0;
  while (pos < text.size()) {
    const std::string_view rest = text.substr(pos);
    if (rest.size() <= max_bytes) {
      chunks.emplace_back(rest);
      break;
    }
    // A line break in the second half of the window keeps lines whole without wasting most of
    // a message; otherwise cut at the last character that fits.
    const size_t newline = rest.substr(0, max_bytes).rfind('\n');
    size_t cut = 0;
    if (newline != std::string_view::npos && newline + 1 >= max_bytes / 2) {
      cut = newline + 1;
    } else {
      cut = SafeCut(rest, max_bytes, markdown);
    }
    if (cut == 0) cut = Utf8SequenceLength(rest, 0);  // unreachable for max_bytes >= 4
    chunks.emplace_back(rest.substr(0, cut));
    pos += cut;
  }
  return chunks;
}

size_t Digits(size_t n) {
  size_t digits = 1;
  while (n >= 10) {
    n /= 10;
    ++digits;
  }
  return digits;
}

void ReplaceAll(std::string* text, std::string_view from, std::string_view to) {
  size_t pos = 0;
  while ((pos = text->find(from, pos)) != std::string::npos) {
    text->replace(pos, from.size(), to);
    pos += to.size();
  }
}

// Everything a render needs besides the notification.
struct Context {
  bool zh = true;
  bool markdown = false;
  int64_t now_ms = 0;
  std::optional<TimeZone> zone;
  const RenderOptions* options = nullptr;

  std::string_view W(std::string_view zh_text, std::string_view en_text) const {
    return zh ? zh_text : en_text;
  }
  // A label followed by the language's colon: "主机：" / "Host: ".
  std::string Label(std::string_view zh_text, std::string_view en_text) const {
    return zh ? std::string(zh_text) + "：" : std::string(en_text) + ": ";
  }
  // User text, sanitized, and inert in markdown.
  std::string User(std::string_view text) const {
    std::string clean = SanitizeUtf8(text);
    return markdown ? EscapeMarkdown(clean) : clean;
  }
  std::string Bold(std::string_view text) const {
    return markdown ? "**" + std::string(text) + "**" : std::string(text);
  }
  std::string Time(int64_t unix_ms) const {
    return zone ? zone->Format(unix_ms) : std::to_string(unix_ms);
  }
};

// One line of user text: newlines folded, shortened to max_bytes with "…".
std::string OneLine(std::string_view text, size_t max_bytes) {
  std::string line = SanitizeUtf8(text);
  for (char& c : line) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (line.size() > max_bytes) {
    line.resize(TruncateUtf8(line, max_bytes - kEllipsis.size()).size());
    line += kEllipsis;
  }
  return line;
}

// The first non-empty lines of a message, trailing whitespace removed; "…" marks an omission.
std::vector<std::string> MessageLines(std::string_view message, size_t max_lines,
                                      size_t max_line_bytes) {
  std::vector<std::string> lines;
  size_t pos = 0;
  bool more = false;
  while (pos <= message.size()) {
    size_t end = message.find('\n', pos);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(pos, end - pos);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
      line.remove_suffix(1);
    }
    if (!(lines.empty() && line.empty())) {
      if (lines.size() == max_lines) {
        more = true;
        break;
      }
      lines.push_back(OneLine(line, max_line_bytes));
    }
    pos = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (more) lines.emplace_back(kEllipsis);
  return lines;
}

std::string Tags(const std::map<std::string, std::string>& tags) {
  std::string out;
  for (const auto& [key, value] : tags) {
    if (!out.empty()) out += ", ";
    out += value.empty() ? key : key + "=" + value;
  }
  return out;
}

// A URL usable as a markdown link target, or empty when it is not http(s).
std::string LinkTarget(std::string_view url) {
  const std::string clean = SanitizeUtf8(url);
  if (!IsHttpUrl(clean)) return "";
  std::string out;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : clean) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '(' || c == ')' || c == '<' || c == '>' || c == '"' ||
        c == '\\' || c == '[' || c == ']' || c == '`') {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

std::string Link(const Context& ctx, std::string_view url) {
  if (!ctx.markdown) return ctx.Label("链接", "Link") + SanitizeUtf8(url);
  const std::string target = LinkTarget(url);
  if (target.empty()) return ctx.Label("链接", "Link") + ctx.User(url);
  std::string link = "[";
  link += ctx.W("查看详情", "View details");
  link += "](" + target + ")";
  return link;
}

std::string_view StatusWord(const Context& ctx, AlertStatus status) {
  return status == AlertStatus::kFiring ? ctx.W("告警", "FIRING") : ctx.W("恢复", "RESOLVED");
}

std::string_view Marker(const AlertView& alert) {
  return alert.status == AlertStatus::kResolved ? kResolvedMarker : SeverityMarker(alert.severity);
}

std::string Duration(const Context& ctx, const AlertView& alert) {
  const int64_t end = alert.status == AlertStatus::kResolved ? alert.ends_ms : ctx.now_ms;
  return FormatDuration(end - alert.starts_ms, ctx.zh ? "zh" : "en");
}

bool HasDuration(const Context& ctx, const AlertView& alert) {
  if (alert.starts_ms <= 0) return false;
  return alert.status == AlertStatus::kResolved ? alert.ends_ms > 0 : ctx.now_ms > 0;
}

// "🔴 [灾难] 告警 #42 title" (text) or "🔴 <font color="warning">**灾难 告警**</font> #42 **title**".
std::string AlertHeading(const Context& ctx, const AlertView& alert) {
  const std::string severity(SeverityLabel(alert.severity, ctx.zh ? "zh" : "en"));
  const std::string status(StatusWord(ctx, alert.status));
  const std::string title = ctx.User(OneLine(alert.title, kMaxTitleBytes));
  std::string out(Marker(alert));
  if (ctx.markdown) {
    const char* color = alert.status == AlertStatus::kFiring ? "warning" : "info";
    out += std::string(" <font color=\"") + color + "\">**" + severity + " " + status +
           "**</font> #" + std::to_string(alert.id);
    if (!title.empty()) out += " **" + title + "**";
  } else {
    out += " [" + severity + "] " + status + " #" + std::to_string(alert.id);
    if (!title.empty()) out += " " + title;
  }
  return out;
}

// A value in a markdown quote line is grey; plain in text.
std::string Value(const Context& ctx, const std::string& value) {
  return ctx.markdown ? "<font color=\"comment\">" + value + "</font>" : value;
}

void AppendFullAlert(const Context& ctx, const AlertView& alert, std::string* out) {
  const std::string quote = ctx.markdown ? "> " : "";
  *out += AlertHeading(ctx, alert) + "\n";
  if (!alert.host.empty()) {
    *out +=
        quote + ctx.Label("主机", "Host") + Value(ctx, ctx.User(OneLine(alert.host, 256))) + "\n";
  }
  if (alert.starts_ms > 0) {
    *out += quote + ctx.Label("开始", "Started") + Value(ctx, ctx.Time(alert.starts_ms)) + "\n";
  }
  if (alert.status == AlertStatus::kResolved && alert.ends_ms > 0) {
    *out += quote + ctx.Label("恢复", "Resolved") + Value(ctx, ctx.Time(alert.ends_ms)) + "\n";
  }
  if (HasDuration(ctx, alert)) {
    *out += quote + ctx.Label("持续", "Duration") + Value(ctx, Duration(ctx, alert)) + "\n";
  }
  if (alert.occurrences > 1) {
    *out += quote + ctx.Label("次数", "Occurrences") + std::to_string(alert.occurrences) + "\n";
  }
  const std::vector<std::string> lines =
      MessageLines(alert.message, kMaxMessageLines, kMaxLineBytes);
  for (size_t i = 0; i < lines.size(); ++i) {
    *out += (i == 0 ? ctx.Label("详情", "Message") : std::string()) + ctx.User(lines[i]) + "\n";
  }
  if (!alert.tags.empty()) *out += ctx.Label("标签", "Tags") + ctx.User(Tags(alert.tags)) + "\n";
  if (!alert.url.empty()) *out += Link(ctx, alert.url) + "\n";
}

void AppendCompactAlert(const Context& ctx, const AlertView& alert, std::string* out) {
  const std::string indent = ctx.markdown ? "> " : "  ";
  const std::string separator = ctx.markdown ? " · " : " | ";
  *out += AlertHeading(ctx, alert) + "\n";
  std::vector<std::string> facts;
  if (!alert.host.empty()) {
    facts.push_back(ctx.Label("主机", "Host") + ctx.User(OneLine(alert.host, 256)));
  }
  if (alert.starts_ms > 0)
    facts.push_back(ctx.Label("开始", "Started") + ctx.Time(alert.starts_ms));
  if (HasDuration(ctx, alert))
    facts.push_back(ctx.Label("持续", "Duration") + Duration(ctx, alert));
  if (!facts.empty()) {
    std::string line;
    for (const auto& fact : facts) line += (line.empty() ? "" : separator) + fact;
    *out += indent + line + "\n";
  }
  const std::vector<std::string> lines = MessageLines(alert.message, 1, kCompactLineBytes);
  if (!lines.empty()) *out += indent + ctx.User(lines[0]) + "\n";
  if (!alert.url.empty()) *out += (ctx.markdown ? "" : indent) + Link(ctx, alert.url) + "\n";
}

// The marker of the most severe firing alert, ✅ when every alert is resolved.
std::string_view GroupMarker(const std::vector<AlertView>& alerts) {
  std::optional<Severity> worst;
  for (const auto& alert : alerts) {
    if (alert.status == AlertStatus::kFiring && (!worst || alert.severity > *worst)) {
      worst = alert.severity;
    }
  }
  return worst ? SeverityMarker(*worst) : kResolvedMarker;
}

std::string CountsLine(const Context& ctx, int64_t total, int64_t firing, int64_t resolved) {
  const std::string n = std::to_string(total);
  const std::string f = std::to_string(firing);
  const std::string r = std::to_string(resolved);
  if (ctx.zh) return ctx.Bold("共 " + n + " 条告警") + "（告警 " + f + "，恢复 " + r + "）";
  return ctx.Bold(n + " alerts") + " (" + f + " firing, " + r + " resolved)";
}

void AppendGroup(const Context& ctx, const std::vector<AlertView>& alerts, std::string* out) {
  if (alerts.size() == 1) {
    AppendFullAlert(ctx, alerts[0], out);
    return;
  }
  int64_t firing = 0;
  for (const auto& alert : alerts) firing += alert.status == AlertStatus::kFiring ? 1 : 0;
  const auto total = static_cast<int64_t>(alerts.size());
  *out += std::string(GroupMarker(alerts)) + " " + CountsLine(ctx, total, firing, total - firing) +
          "\n";
  for (const auto& alert : alerts) {
    *out += "\n";
    AppendCompactAlert(ctx, alert, out);
  }
}

// Where all alerts can be listed: the template without its "{id}" (and trailing '/'), or the
// CLI command.
std::string ListPointer(const RenderOptions& options) {
  if (options.alert_url_template.empty()) return "beaconctl alerts";
  std::string url = options.alert_url_template;
  ReplaceAll(&url, "{id}", "");
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string AlertPointer(const RenderOptions& options, int64_t id) {
  if (options.alert_url_template.empty()) return "beaconctl alerts show " + std::to_string(id);
  std::string url = options.alert_url_template;
  ReplaceAll(&url, "{id}", std::to_string(id));
  return url;
}

// The summary counts when the outbox left them out: computed from the listed alerts, which are
// then all of them (a capped list always comes with its counts).
Notification WithCounts(const Notification& in) {
  if (in.firing != 0 || in.resolved != 0 || !in.by_severity.empty() || !in.by_host.empty()) {
    return in;
  }
  Notification n = in;
  std::map<Severity, int64_t> severities;
  std::map<std::string, int64_t> hosts;
  for (const AlertView& alert : n.alerts) {
    (alert.status == AlertStatus::kFiring ? n.firing : n.resolved) += 1;
    ++severities[alert.severity];
    ++hosts[alert.host];
  }
  for (auto it = severities.rbegin(); it != severities.rend(); ++it) {
    n.by_severity.emplace_back(std::string(SeverityName(it->first)), it->second);
  }
  n.by_host.assign(hosts.begin(), hosts.end());
  std::stable_sort(n.by_host.begin(), n.by_host.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return n;
}

void AppendSummary(const Context& ctx, const Notification& given, std::string* out) {
  const Notification n = WithCounts(given);
  const int64_t total = n.total_alerts > 0 ? n.total_alerts : static_cast<int64_t>(n.alerts.size());
  const std::string count = std::to_string(total);
  *out +=
      std::string(kSummaryMarker) + " " +
      ctx.Bold(ctx.zh ? "告警汇总：共 " + count + " 条" : "Alert summary: " + count + " alerts");
  *out += ctx.zh ? "（告警 " + std::to_string(n.firing) + "，恢复 " + std::to_string(n.resolved) +
                       "）\n"
                 : " (" + std::to_string(n.firing) + " firing, " + std::to_string(n.resolved) +
                       " resolved)\n";
  const std::string quote = ctx.markdown ? "> " : "";
  const std::string_view list_sep = ctx.W("，", ", ");
  if (!n.by_severity.empty()) {
    std::string line;
    for (const auto& [name, c] : n.by_severity) {
      const std::optional<Severity> severity = ParseSeverity(name);
      const std::string word = severity
                                   ? std::string(SeverityMarker(*severity)) + " " +
                                         std::string(SeverityLabel(*severity, ctx.zh ? "zh" : "en"))
                                   : ctx.User(OneLine(name, 64));
      line += (line.empty() ? "" : std::string(list_sep)) + word + " " + std::to_string(c);
    }
    *out += quote + ctx.Label("按级别", "By severity") + line + "\n";
  }
  if (!n.by_host.empty()) {
    std::string line;
    for (size_t i = 0; i < n.by_host.size() && i < kTopHosts; ++i) {
      const auto& [host, c] = n.by_host[i];
      const std::string name =
          host.empty() ? std::string(ctx.W("(无主机)", "(no host)")) : ctx.User(OneLine(host, 128));
      line += (line.empty() ? "" : std::string(list_sep)) + name + " " + std::to_string(c);
    }
    *out += quote + ctx.Label("主要主机", "Top hosts") + line + "\n";
  }
  // Every alert the summary carries is listed: the outbox already capped them at
  // alerts.outbox.summary_titles.
  const size_t listed = n.alerts.size();
  for (size_t i = 0; i < listed; ++i) {
    const AlertView& alert = n.alerts[i];
    std::string line = std::string(Marker(alert)) + " #" + std::to_string(alert.id) + " " +
                       ctx.User(OneLine(alert.title, kMaxTitleBytes));
    if (!alert.host.empty()) {
      const std::string host = ctx.User(OneLine(alert.host, 128));
      line += ctx.zh ? "（" + host + "）" : " (" + host + ")";
    }
    *out += line + "\n";
  }
  const int64_t more = total - static_cast<int64_t>(listed);
  if (more > 0) {
    const std::string k = std::to_string(more);
    const std::string pointer = ListPointer(*ctx.options);
    std::string where = pointer;
    if (ctx.markdown) {
      const std::string target = LinkTarget(pointer);
      where = target.empty() ? "`" + pointer + "`"
                             : "[" + EscapeMarkdown(pointer) + "](" + target + ")";
    }
    *out += ctx.zh ? "…另有 " + k + " 条，详见 " + where + "\n"
                   : "… and " + k + " more: " + where + "\n";
  }
}

Context MakeContext(const Notification& n, const RenderOptions& options) {
  Context ctx;
  ctx.zh = options.language != "en";
  ctx.markdown = options.format == Format::kMarkdown;
  ctx.now_ms = n.created_ms;
  ctx.options = &options;
  Result<TimeZone> zone = TimeZone::Load(options.timezone);
  if (!zone.ok()) zone = TimeZone::Load("UTC");
  if (zone.ok()) ctx.zone = *zone;
  return ctx;
}

// The whole body, before any limit.
std::string RenderBody(const Context& ctx, const Notification& n) {
  std::string out;
  switch (n.kind) {
    case NotificationKind::kSummary:
      AppendSummary(ctx, n, &out);
      break;
    case NotificationKind::kRepeat:
      out += std::string(kRepeatMarker) + " " +
             ctx.Bold(ctx.zh ? "提醒：仍在告警" : "Reminder: still firing") + "\n";
      AppendGroup(ctx, n.alerts, &out);
      break;
    case NotificationKind::kGroup:
      if (n.alerts.empty()) {
        out += std::string(kResolvedMarker) + " " + CountsLine(ctx, 0, 0, 0) + "\n";
      } else {
        AppendGroup(ctx, n.alerts, &out);
      }
      break;
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// The line a truncated message ends with: "… (full alert: <url or beaconctl alerts show N>)".
std::string TruncationPointer(const Context& ctx, const Notification& n) {
  std::string where;
  if (n.kind == NotificationKind::kSummary || n.alerts.empty()) {
    where = ListPointer(*ctx.options);
  } else {
    where = AlertPointer(*ctx.options, n.alerts[0].id);
  }
  if (ctx.markdown) {
    const std::string target = LinkTarget(where);
    if (!target.empty()) where = "[" + EscapeMarkdown(where) + "](" + target + ")";
  }
  return ctx.zh ? "\n… (完整告警：" + where + ")" : "\n… (full alert: " + where + ")";
}

// body cut to fit max_bytes together with the pointer (trailing newlines dropped).
std::string CutWithPointer(std::string_view body, const std::string& pointer, size_t max_bytes,
                           bool markdown) {
  if (pointer.size() >= max_bytes) {
    std::string_view p(pointer);
    if (!p.empty() && p.front() == '\n') p.remove_prefix(1);
    return std::string(TruncateUtf8(p, max_bytes));
  }
  std::string_view head = body.substr(0, SafeCut(body, max_bytes - pointer.size(), markdown));
  while (!head.empty() && head.back() == '\n') head.remove_suffix(1);
  return std::string(head) + pointer;
}

}  // namespace

std::string SanitizeUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  return out;
}

std::string EscapeMarkdown(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (std::string_view entity = AngleEntity(c); !entity.empty()) {
      out += entity;
      continue;
    }
    switch (c) {
      case '\\':
      case '`':
      case '*':
      case '_':
      case '[':
      case ']':
      case '#':
      case '~':
      case '|':
        out += '\\';
        out += c;
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string FormatDuration(int64_t duration_ms, std::string_view language) {
  static constexpr DurationUnitNames kChinese = {"天", "小时", "分", "秒"};
  return RoughDuration(std::max<int64_t>(duration_ms, 0),
                       language != "en" ? kChinese : kEnglishDurationUnits);
}

std::string_view SeverityMarker(Severity severity) {
  switch (severity) {
    case Severity::kDisaster:
      return "🔴";
    case Severity::kHigh:
      return "🟠";
    case Severity::kAverage:
      return "🟡";
    case Severity::kWarning:
      return "🔵";
    case Severity::kInformation:
    case Severity::kNotClassified:
      break;
  }
  return "⚪";
}

std::string_view SeverityLabel(Severity severity, std::string_view language) {
  const bool zh = language != "en";
  switch (severity) {
    case Severity::kDisaster:
      return zh ? "灾难" : "Disaster";
    case Severity::kHigh:
      return zh ? "严重" : "High";
    case Severity::kAverage:
      return zh ? "一般严重" : "Average";
    case Severity::kWarning:
      return zh ? "警告" : "Warning";
    case Severity::kInformation:
      return zh ? "信息" : "Information";
    case Severity::kNotClassified:
      break;
  }
  return zh ? "未分类" : "Not classified";
}

std::string Utf8Truncate(std::string_view text, size_t max_bytes) {
  std::string clean = SanitizeUtf8(text);
  clean.resize(TruncateUtf8(clean, max_bytes).size());
  return clean;
}

std::vector<std::string> Utf8Split(std::string_view text, size_t max_bytes) {
  return SplitValid(SanitizeUtf8(text), max_bytes, /*markdown=*/false);
}

std::vector<std::string> RenderMessage(const Notification& notification,
                                       const RenderOptions& options) {
  const Context ctx = MakeContext(notification, options);
  const std::string body = RenderBody(ctx, notification);
  const size_t max_bytes = options.max_bytes;
  if (body.size() <= max_bytes) return {body};
  const std::string pointer = TruncationPointer(ctx, notification);
  if (options.overflow == Overflow::kTruncate) {
    return {CutWithPointer(body, pointer, max_bytes, ctx.markdown)};
  }
  const size_t max_parts = std::max<size_t>(options.max_parts, 1);
  // The "(i/n) " prefix counts against the budget and its width depends on n: widen until the
  // number of parts fits the digits assumed.
  size_t digits = 1;
  std::vector<std::string> chunks;
  size_t prefix_bytes = 0;
  for (;;) {
    prefix_bytes = 2 * digits + 4;
    if (prefix_bytes + 4 > max_bytes) {
      return {CutWithPointer(body, pointer, max_bytes, ctx.markdown)};
    }
    chunks = SplitValid(body, max_bytes - prefix_bytes, ctx.markdown);
    const size_t needed = Digits(std::min(chunks.size(), max_parts));
    if (needed <= digits) break;
    digits = needed;
  }
  const size_t count = std::min(chunks.size(), max_parts);
  auto prefix = [&](size_t i) {
    std::string text = "(";
    text += std::to_string(i);
    text += '/';
    text += std::to_string(count);
    text += ") ";
    return text;
  };
  std::vector<std::string> parts;
  parts.reserve(count);
  for (size_t i = 0; i + 1 < count; ++i) parts.push_back(prefix(i + 1) + chunks[i]);
  if (chunks.size() <= max_parts) {
    parts.push_back(prefix(count) + chunks[count - 1]);
  } else {
    std::string rest;
    for (size_t i = count - 1; i < chunks.size(); ++i) rest += chunks[i];
    const std::string head = prefix(count);
    parts.push_back(head + CutWithPointer(rest, pointer, max_bytes - head.size(), ctx.markdown));
  }
  return parts;
}

std::string RenderTitle(const Notification& notification, const RenderOptions& options,
                        size_t max_bytes) {
  Context ctx;
  ctx.zh = options.language != "en";
  std::string title;
  if (notification.kind == NotificationKind::kSummary || notification.alerts.empty()) {
    const int64_t total = notification.total_alerts > 0
                              ? notification.total_alerts
                              : static_cast<int64_t>(notification.alerts.size());
    const std::string count = std::to_string(total);
    title = std::string(kSummaryMarker) + " " +
            (ctx.zh ? "告警汇总：共 " + count + " 条" : "Alert summary: " + count + " alerts");
  } else {
    if (notification.kind == NotificationKind::kRepeat) {
      title = std::string(ctx.W("提醒：", "Reminder: "));
    }
    title += AlertHeading(ctx, notification.alerts[0]);
    const size_t others = notification.alerts.size() - 1;
    if (others > 0) {
      title += ctx.zh ? " 等 " + std::to_string(others + 1) + " 条"
                      : " (+" + std::to_string(others) + " more)";
    }
  }
  if (title.size() <= max_bytes) return title;
  if (max_bytes < kEllipsis.size()) return Utf8Truncate(title, max_bytes);
  return Utf8Truncate(title, max_bytes - kEllipsis.size()) + std::string(kEllipsis);
}

}  // namespace beacon::notifier::render
