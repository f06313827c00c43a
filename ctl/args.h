// beaconctl command-line parsing, pure: argument words and an environment lookup in, an
// Invocation (or a usage error naming the help to read) out. Global options are accepted
// anywhere; command options only after their command.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::ctl {

inline constexpr std::string_view kDefaultUrl = "http://127.0.0.1:8470";
inline constexpr std::string_view kDefaultTimeZone = "Asia/Shanghai";
inline constexpr int64_t kDefaultTimeoutMs = 10000;

// Returns the value of an environment variable, nullopt when unset.
using Getenv = std::function<std::optional<std::string>(const std::string& name)>;

struct GlobalOptions {
  std::string url = std::string(kDefaultUrl);      // --url, BEACON_URL; no trailing '/'
  std::string token_file;                          // --token-file, BEACON_TOKEN_FILE
  std::string env_token;                           // BEACON_TOKEN, used when no file is named
  bool json = false;                               // --json
  int64_t timeout_ms = kDefaultTimeoutMs;          // --timeout
  std::string tz = std::string(kDefaultTimeZone);  // --tz, BEACON_TZ
};

struct Invocation {
  GlobalOptions global;
  // The command words: {"status"}, {"token", "create"}. With --help it may be partial
  // ({"token"}) or empty (top-level help).
  std::vector<std::string> command;
  bool help = false;
  std::vector<std::string> args;               // positional arguments after the command
  std::map<std::string, std::string> options;  // command options without dashes: "host" -> "web-01"
};

// Parses argv without the program name. Usage errors are InvalidArgument whose message ends
// with "(see 'beaconctl <command> --help')".
Result<Invocation> ParseArgs(const std::vector<std::string>& argv, const Getenv& getenv);

// Help text for a command path ({} = top level, {"token"} = the token group). Unknown paths
// get the top-level help.
std::string HelpText(const std::vector<std::string>& command);

// "events", "token create": the command words joined by spaces.
std::string CommandName(const std::vector<std::string>& command);

}  // namespace beacon::ctl
