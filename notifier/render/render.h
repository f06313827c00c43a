// Message rendering for every notifier: readable zh/en text and markdown (and WeCom textcard
// fields) for one group of alerts, a repeat or a storm summary; byte limits kept UTF-8-safely by
// splitting into numbered parts or truncating with a pointer to the full alert. Pure functions:
// the same Notification and options always give the same bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "notifier/notifier.h"

namespace beacon::notifier::render {

enum class Format { kText, kMarkdown };

enum class Overflow {
  kSplit,     // numbered parts "(1/3)", each within the limit
  kTruncate,  // one message, cut at a character boundary, ending with a pointer to the alert
};

struct RenderOptions {
  std::string language = "zh";             // "zh" | "en"
  std::string timezone = "Asia/Shanghai";  // times are shown in this zone with its offset
  Format format = Format::kText;
  size_t max_bytes = 2048;  // per message, UTF-8 bytes
  Overflow overflow = Overflow::kSplit;
  size_t max_parts = 5;  // kSplit: beyond this, the last part is truncated
  // Where the full alert can be read ("https://beacon.example/alerts/{id}"); "{id}" is replaced
  // by the alert id. Empty: truncated messages say "beaconctl alerts show N" instead.
  std::string alert_url_template;
};

// The message bodies (one per part, in order) for the notification. Every body is valid UTF-8
// of at most options.max_bytes bytes.
std::vector<std::string> RenderMessage(const Notification& notification,
                                       const RenderOptions& options);

// One line for a title / textcard title: severity marker, status and the first alert's title
// (or "N alerts" for a summary), within max_bytes.
std::string RenderTitle(const Notification& notification, const RenderOptions& options,
                        size_t max_bytes);

// The longest prefix of text of at most max_bytes bytes that ends on a UTF-8 character
// boundary (invalid sequences are replaced by U+FFFD first).
std::string Utf8Truncate(std::string_view text, size_t max_bytes);
// Splits text into chunks of at most max_bytes bytes, preferring line breaks, never inside a
// character. Chunks concatenate back to the (sanitized) text exactly; max_bytes below 4
// counts as 4 so every character fits.
std::vector<std::string> Utf8Split(std::string_view text, size_t max_bytes);

// Helpers shared with the notifiers (added by the render helper; pure functions).
// text with every invalid UTF-8 sequence replaced by U+FFFD (one per bad byte).
std::string SanitizeUtf8(std::string_view text);
// User text made inert in WeCom markdown: & < > become entities, \ ` * _ [ ] # ~ | are
// backslash-escaped, so a title cannot inject <font>, links or emphasis.
std::string EscapeMarkdown(std::string_view text);
// RoughDuration (common/clock.h) in the language's units: "2小时5分" / "2h5m", "3天4小时" /
// "3d4h", "5分59秒" / "5m59s", "45秒" / "45s"; negative counts as 0.
std::string FormatDuration(int64_t duration_ms, std::string_view language);
// The marker shared by both languages: 🔴 disaster, 🟠 high, 🟡 average, 🔵 warning,
// ⚪ information / not classified.
std::string_view SeverityMarker(Severity severity);
// zh: 灾难/严重/一般严重/警告/信息/未分类; en: Disaster/High/Average/Warning/Information/
// Not classified.
std::string_view SeverityLabel(Severity severity, std::string_view language);

}  // namespace beacon::notifier::render
