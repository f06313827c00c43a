// What every beaconctl command does with the collector's reply: one API call turned into a
// parsed body or a printed failure with its exit code, --json passthrough, rendered output, and
// the JSON field readers the tables use.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/timezone.h"
#include "ctl/api.h"
#include "ctl/commands.h"

namespace beacon::ctl {

// The outcome of one API call: the parsed body, or the exit code after printing the failure.
struct CallResult {
  int exit_code = kExitOk;
  std::string raw;  // the body as received (empty for an empty 2xx body)
  nlohmann::json body;
  bool ok() const { return exit_code == kExitOk; }
};

// Sends the request (or interprets `received`, a reply already fetched for it). An empty 2xx
// body (a DELETE's 204) is the empty object; anything else must be JSON.
CallResult Call(CommandContext& ctx, std::string_view method, const std::string& path,
                const Query& query, std::string body, std::string_view not_found_hint,
                std::optional<Result<ApiReply>> received = std::nullopt);

// --json prints the collector's reply as it came, so scripts see every field.
int PrintJson(CommandContext& ctx, const CallResult& call);
// Prints the rendered text, or the render error as a bad reply (exit 1).
int PrintRendered(CommandContext& ctx, const Result<std::string>& text);

// A field as display text: strings as they are, numbers and booleans printed, absent/null "-".
std::string Text(const nlohmann::json& object, const char* key);
// An RFC 3339 field in the display zone; the raw text if it does not parse; "-" if absent.
std::string Time(const nlohmann::json& object, const char* key, const TimeZone& tz);
// The array under `key` of a reply object, or InvalidArgument naming what is missing.
Result<const nlohmann::json*> ArrayField(const nlohmann::json& reply, const char* key);

}  // namespace beacon::ctl
