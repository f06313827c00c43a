// beaconctl entry point: parses the command line, loads the time zone and the admin token,
// and runs the command against the collector. Everything the process touches (HTTP, clock,
// environment, output streams) is injected so tests drive it end to end with a fake client.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/http/client.h"
#include "common/status.h"
#include "ctl/args.h"

namespace beacon::ctl {

struct Environment {
  http::HttpClient* http = nullptr;
  const Clock* clock = nullptr;
  Getenv getenv;
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  // Pauses between polls (`restore` waiting for its result); empty: really sleeps.
  std::function<void(int64_t ms)> sleep_ms;
};

// Runs beaconctl with `args` (without the program name). Returns the exit code: 0 ok,
// 1 the collector returned an error, 2 usage or local setup (token file, time zone),
// 3 the collector could not be reached.
int Run(const std::vector<std::string>& args, const Environment& env);

// The real process: libcurl client, system clock, getenv, stdout/stderr.
int Main(int argc, char** argv);

// Reads an admin token from a file: surrounding whitespace trimmed; missing, unreadable, empty
// or oversized files are InvalidArgument naming the file (never its content).
Result<std::string> ReadTokenFile(const std::string& path);

}  // namespace beacon::ctl
