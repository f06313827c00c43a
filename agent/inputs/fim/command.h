// `beacon-agent fim init|check|accept`: the one-shot file integrity commands (like
// aide --init/--check), on the paths of the `fim` input in agent.yaml.
// Exit codes: 0 no change / done, 1 changes found (check), 2 bad usage, configuration or
// baseline, 3 the run finished but some paths could not be read.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace beacon::agent::fim {

// `args` are the words after "fim" (e.g. {"check", "-c", "agent.yaml", "--json"}).
int RunFimCommand(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace beacon::agent::fim
