// Fuzzes the Zabbix Java gateway reply parsers of the jmx input (agent/inputs/jmx/
// zabbix_gateway.h): the response to a request for as many keys as the Tomcat default queries
// have attributes, each value read as a number the way the transport does, and the same body
// read as a jmx.discovery[beans,...] value.
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/inputs/jmx/model.h"
#include "agent/inputs/jmx/zabbix_gateway.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/jmx_checks.h"

namespace {

namespace jmx = beacon::agent::inputs::jmx;

// A jmx.discovery[beans,...] value, and the object names it lists.
void ReadDiscovery(std::string_view value) {
  auto names = jmx::ParseBeansDiscovery(value);
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    // The jmx input parses each discovered name before asking for its attributes.
    [[maybe_unused]] auto parsed = jmx::ParseObjectName(name);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  size_t keys = 0;
  for (const jmx::MBeanQuery& query : beacon::fuzz::TomcatQueries()) {
    keys += query.attributes.size();
  }
  for (size_t expected : {size_t{1}, keys}) {
    auto items = jmx::ParseGatewayResponse(body, expected);
    if (!items.ok()) continue;
    FUZZ_CHECK(items->size() == expected);
    for (const jmx::GatewayItem& item : *items) {
      double value = 0;
      if (!item.ok) continue;
      jmx::ParseNumber(item.value, &value);
      ReadDiscovery(item.value);
    }
  }
  ReadDiscovery(body);
  return 0;
}
