// The list of inputs compiled into beacon-agent.
#include "agent/inputs/builtin.h"

#include "agent/inputs/fim/fim.h"
#include "agent/inputs/jmx/jmx.h"
#include "agent/inputs/ports/ports.h"
#include "agent/inputs/rds/rds.h"
#include "agent/inputs/system/system.h"

namespace beacon::agent::inputs {

std::vector<InputFactory> BuiltinInputs() {
  return {
      {"system", true, 10'000, 1'000, [] { return std::make_unique<SystemInput>(); }},
      {"fim", false, 3'600'000, 1'000, [] { return std::make_unique<FimInput>(); }},
      {"ports", false, 10'000, 1'000, [] { return std::make_unique<PortsInput>(); }},
      {"jmx", false, 30'000, 1'000, [] { return std::make_unique<JmxInput>(); }},
      {"rds", false, 60'000, 10'000, [] { return std::make_unique<RdsInput>(); }},
  };
}

}  // namespace beacon::agent::inputs
