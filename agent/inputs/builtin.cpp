// The list of inputs compiled into beacon-agent.
#include "agent/inputs/builtin.h"

#include "agent/inputs/system/system.h"

namespace beacon::agent::inputs {

std::vector<InputFactory> BuiltinInputs() {
  return {
      {"system", true, 10'000, 1'000, [] { return std::make_unique<SystemInput>(); }},
  };
}

}  // namespace beacon::agent::inputs
