// Fuzzes the Tomcat JMXProxyServlet reply parsers of the jmx input (agent/inputs/jmx/
// jmxproxy.h): a `?qry=` listing answered for every Tomcat default query (JmxProxyValues, as the
// transport does), then mapped to samples and checked on the wire (jmx_checks.h); and the same
// text as a `?get=` answer read as a number for a composite attribute path.
#include <cstdint>
#include <string_view>
#include <vector>

#include "agent/inputs/jmx/jmxproxy.h"
#include "tests/fuzz/jmx_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace jmx = beacon::agent::inputs::jmx;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto beans = jmx::ParseJmxProxyQuery(text);
  if (beans.ok()) {
    std::vector<jmx::QueryResult> results;
    for (const jmx::MBeanQuery& query : beacon::fuzz::TomcatQueries()) {
      results.push_back(jmx::JmxProxyValues(*beans, query));
    }
    beacon::fuzz::CheckMappedSamples(results);
  }
  auto value = jmx::ParseJmxProxyGet(text);
  if (value.ok()) {
    double number = 0;
    jmx::JmxProxyNumber(*value, "used", &number);
    jmx::JmxProxyNumber(*value, "", &number);
  }
  return 0;
}
