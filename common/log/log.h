// Logging setup on spdlog with secret redaction: every registered secret value is replaced
// by "***" in every message before it reaches any sink. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::log {

struct LogOptions {
  std::string level = "info";  // trace|debug|info|warn|error|critical|off
  std::string file;            // empty: stderr only
  bool json = false;           // one JSON object per line instead of text
};

// Installs the default logger (idempotent; later calls reconfigure). Returns InvalidArgument
// for an unknown level or a file that cannot be opened.
Status Init(const LogOptions& options, std::string_view component);

// Registers a secret value (token, key, password) so it never appears in logs.
// Values shorter than 4 bytes are ignored (they would redact ordinary text).
void RegisterSecret(std::string_view value);
// Returns text with every registered secret replaced by "***". Also masks
// "Authorization: Bearer xxx" and "token=xxx" query parameters.
std::string Redact(std::string_view text);

}  // namespace beacon::log
