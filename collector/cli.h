// beacon-collector command line: run | check | migrate -c FILE, version, --help.
// Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
#pragma once

namespace beacon::collector {

int RunCli(int argc, char** argv);

}  // namespace beacon::collector
