// Pure text formatting for beaconctl output: tables with UTF-8 aware column widths, human
// bytes, durations and metric values. No I/O, so every rule is unit-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::ctl {

// Terminal columns a UTF-8 string occupies: East Asian wide characters and emoji count 2,
// combining marks 0, every other code point (and every invalid byte) 1.
size_t DisplayWidth(std::string_view text);

// Cuts text to at most max_width columns, ending in "…" when something was cut. Never splits
// a UTF-8 sequence.
std::string TruncateToWidth(std::string_view text, size_t max_width);

// Makes text safe for one table cell: tabs and line breaks become spaces, other control
// characters (ESC, C1) become '?', so a message from a host can neither break the table nor
// send escape sequences to the operator's terminal.
std::string SanitizeCell(std::string_view text);

// Widest a silence's or an acknowledgement's reason column gets in tables.
inline constexpr size_t kReasonWidth = 60;
// Widest a file path column gets, and how much of a SHA-256 tables show.
inline constexpr size_t kPathWidth = 60;
inline constexpr size_t kShaPrefix = 12;

// A plain-text table: a header row, then rows, columns separated by two spaces and padded to
// the widest cell. The last column is not padded; lines carry no trailing whitespace.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  // Caps a column's width; longer cells are truncated with "…". 0 means unlimited.
  void SetMaxWidth(size_t column, size_t max_width);
  // Cells are sanitized; missing cells are empty, extra cells are ignored.
  void AddRow(std::vector<std::string> cells);
  size_t row_count() const { return rows_.size(); }
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<size_t> max_widths_;
  std::vector<std::vector<std::string>> rows_;
};

// 1024-based: "512 B", "1.5 KiB", "12.3 GiB". Negative values keep their sign.
std::string HumanBytes(double bytes);
// RoughDuration (common/clock.h) + " ago": "3m12s ago"; "just now" under a second and for times in
// the future (clock skew).
std::string Ago(int64_t ms);
// "12", "12.5", "0.0123": integers without decimals, others with at most 2 decimals (or 4
// significant digits below 1).
std::string FormatNumber(double value);

// Formats a metric value with its unit. `unit` is the unit the collector declared, if any
// ("bytes", "percent", "seconds", or free text); without one the unit is inferred from the
// metric name: *_bytes/.bytes and the system input's byte gauges (system.mem.total, ...) ->
// bytes, *_pct/.percent/.util -> %, *_seconds/.uptime -> duration.
// "system.mem.used", 2147483648 -> "2.0 GiB".
std::string FormatMetricValue(std::string_view metric, double value, std::string_view unit = "");

}  // namespace beacon::ctl
