// Fuzzes YAML configuration loading: LoadAgentConfigFromString (with the built-in inputs) or
// LoadCollectorConfigFromString on the input, picked by byte 0. Errors must be reported as
// values ("<file>:<line>: <path>: <message>" lines), never as a crash or an escaped exception.
#include <cstdint>
#include <string>

#include "agent/config.h"
#include "collector/config.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  beacon::fuzz::QuietLogs();
  if (size < 1) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    auto config = beacon::collector::LoadCollectorConfigFromString(text, "collector.yaml");
    if (!config.ok()) FUZZ_CHECK(config.status().message().rfind("collector.yaml", 0) == 0);
  } else {
    auto config = beacon::agent::LoadAgentConfigFromString(text, "agent.yaml");
    if (!config.ok()) FUZZ_CHECK(config.status().message().rfind("agent.yaml", 0) == 0);
  }
  return 0;
}
