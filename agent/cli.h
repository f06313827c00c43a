// The beacon-agent command line: run | check | emit | fim | version (main.cpp only calls RunCli).
// Exit codes: 0 success, 1 runtime failure, 2 bad usage or invalid configuration.
#pragma once

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "common/wire/wire.h"

namespace beacon::agent {

int RunCli(int argc, char** argv);
// Same with explicit streams (tests).
int RunCli(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
           std::ostream& err);

// One `emit --stdin` line: {"kind","severity","subject","message","data"}; kind is required,
// severity defaults to "information", data must be an object; other keys are refused.
Result<wire::Event> ParseEventLine(std::string_view line);
// One `emit --stdin` sample line: {"metric":"m","value":1.5,"labels":{"k":"v"}}.
Result<wire::Sample> ParseSampleLine(std::string_view line);
// A sample line (it has a "metric" key) or an event line, stamped with the clock's time.
Result<wire::Record> ParseStdinLine(std::string_view line, const Clock& clock);

}  // namespace beacon::agent
