// Pure text formatting for beaconctl: UTF-8 widths, tables, bytes, durations, metric values.
#include "ctl/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/clock.h"

namespace beacon::ctl {
namespace {

// Decodes one UTF-8 code point at text[*pos]; advances *pos. Invalid bytes decode as -1 and
// advance by one, so garbage still makes progress and counts one column.
int32_t DecodeUtf8(std::string_view text, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char c = byte(*pos);
  int length = 0;
  int32_t cp = 0;
  if (c < 0x80) {
    ++*pos;
    return c;
  } else if ((c & 0xE0) == 0xC0) {
    length = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    length = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    length = 4;
    cp = c & 0x07;
  } else {
    ++*pos;
    return -1;
  }
  if (*pos + length > text.size()) {
    ++*pos;
    return -1;
  }
  for (int i = 1; i < length; ++i) {
    unsigned char next = byte(*pos + i);
    if ((next & 0xC0) != 0x80) {
      ++*pos;
      return -1;
    }
    cp = (cp << 6) | (next & 0x3F);
  }
  *pos += length;
  return cp;
}

int CodePointWidth(int32_t cp) {
  if (cp < 0) return 1;
  // Combining marks and zero-width characters take no column of their own.
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
      (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
      (cp >= 0xFE20 && cp <= 0xFE2F) || cp == 0x200B || cp == 0x200C || cp == 0x200D ||
      (cp >= 0xFE00 && cp <= 0xFE0F)) {
    return 0;
  }
  // East Asian Wide / Fullwidth blocks and the common emoji planes.
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
      (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
      (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

std::string Printf(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

// "12.50" -> "12.5", "3.00" -> "3".
std::string TrimZeros(std::string text) {
  if (text.find('.') == std::string::npos || text.find('e') != std::string::npos) return text;
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  return text;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool EndsWithAny(std::string_view text, std::initializer_list<std::string_view> suffixes) {
  for (std::string_view suffix : suffixes) {
    if (EndsWith(text, suffix)) return true;
  }
  return false;
}

// The agent's `system` input reports these in bytes without a suffix in the name. The
// collector API does not carry units yet; when it does (a "unit" field), that wins.
bool IsKnownBytesMetric(std::string_view metric) {
  static constexpr std::string_view kBytesMetrics[] = {
      "system.mem.total", "system.mem.available", "system.mem.used", "system.swap.total",
      "system.swap.used", "system.fs.size",       "system.fs.used",  "system.fs.free"};
  return std::find(std::begin(kBytesMetrics), std::end(kBytesMetrics), metric) !=
         std::end(kBytesMetrics);
}

}  // namespace

size_t DisplayWidth(std::string_view text) {
  size_t width = 0;
  size_t pos = 0;
  while (pos < text.size()) width += CodePointWidth(DecodeUtf8(text, &pos));
  return width;
}

std::string TruncateToWidth(std::string_view text, size_t max_width) {
  if (DisplayWidth(text) <= max_width) return std::string(text);
  if (max_width == 0) return "";
  const size_t budget = max_width - 1;  // one column for the ellipsis
  size_t width = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t next = pos;
    int w = CodePointWidth(DecodeUtf8(text, &next));
    if (width + w > budget) break;
    width += w;
    pos = next;
  }
  return std::string(text.substr(0, pos)) + "…";
}

std::string SanitizeCell(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    size_t start = pos;
    int32_t cp = DecodeUtf8(text, &pos);
    if (cp == '\t' || cp == '\n' || cp == '\r') {
      out += ' ';
    } else if ((cp >= 0 && cp < 0x20) || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) {
      out += '?';
    } else {
      out.append(text.substr(start, pos - start));
    }
  }
  return out;
}

Table::Table(std::vector<std::string> headers)
    : headers_(std::move(headers)), max_widths_(headers_.size(), 0) {}

void Table::SetMaxWidth(size_t column, size_t max_width) {
  if (column < max_widths_.size()) max_widths_[column] = max_width;
}

void Table::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (size_t i = 0; i < cells.size(); ++i) {
    cells[i] = SanitizeCell(cells[i]);
    if (max_widths_[i] > 0) cells[i] = TruncateToWidth(cells[i], max_widths_[i]);
  }
  rows_.push_back(std::move(cells));
}

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = DisplayWidth(headers_[i]);
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], DisplayWidth(row[i]));
  }
  std::string out;
  auto render_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) {
      line += cells[i];
      if (i + 1 < cells.size()) line.append(widths[i] - DisplayWidth(cells[i]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  render_line(headers_);
  for (const auto& row : rows_) render_line(row);
  return out;
}

std::string HumanBytes(double bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  // Built by appending: GCC 12 warns falsely (-Wrestrict) on `const char* + std::string&&`.
  std::string text = bytes < 0 ? "-" : "";
  double magnitude = std::fabs(bytes);
  if (magnitude < 1024) {
    text.append(FormatNumber(magnitude)).append(" B");
    return text;
  }
  size_t unit = 0;
  while (magnitude >= 1024 && unit + 1 < std::size(kUnits)) {
    magnitude /= 1024;
    ++unit;
  }
  text.append(Printf("%.1f", magnitude)).append(" ").append(kUnits[unit]);
  return text;
}

std::string Ago(int64_t ms) {
  if (ms < 1000) return "just now";
  return RoughDuration(ms) + " ago";
}

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) return Printf("%.0f", value);
  if (std::fabs(value) >= 1) return TrimZeros(Printf("%.2f", value));
  return Printf("%.4g", value);
}

std::string FormatMetricValue(std::string_view metric, double value, std::string_view unit) {
  const bool finite = std::isfinite(value);
  if (unit == "bytes" || unit == "B" ||
      (unit.empty() && (EndsWithAny(metric, {"_bytes", ".bytes"}) || IsKnownBytesMetric(metric)))) {
    return finite ? HumanBytes(value) : FormatNumber(value);
  }
  if (unit == "percent" || unit == "%" ||
      (unit.empty() &&
       EndsWithAny(metric, {"_pct", ".pct", "_percent", ".percent", ".util", "_util"}))) {
    return FormatNumber(value) + " %";
  }
  if (unit == "seconds" || unit == "s" ||
      (unit.empty() && EndsWithAny(metric, {"_seconds", ".seconds", ".uptime", "_uptime"}))) {
    return finite ? RoughDuration(static_cast<int64_t>(value * 1000)) : FormatNumber(value);
  }
  if (!unit.empty()) return FormatNumber(value) + " " + std::string(unit);
  return FormatNumber(value);
}

}  // namespace beacon::ctl
