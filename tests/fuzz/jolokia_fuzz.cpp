// Fuzzes the Jolokia reply parsers of the jmx input (agent/inputs/jmx/jolokia.h) on the bulk
// read of the Tomcat default queries, and the single read of the first query, then maps the
// values to samples and checks them on the wire (jmx_checks.h).
#include <cstdint>
#include <string_view>

#include "agent/inputs/jmx/jolokia.h"
#include "tests/fuzz/jmx_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace jmx = beacon::agent::inputs::jmx;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto& queries = beacon::fuzz::TomcatQueries();
  auto bulk = jmx::ParseJolokiaBulkResponse(body, queries);
  if (bulk.ok()) beacon::fuzz::CheckMappedSamples(*bulk);
  auto single = jmx::ParseJolokiaReadResponse(body, queries.front());
  if (single.ok()) {
    std::vector<jmx::QueryResult> results(queries.size());
    results.front() = *single;
    beacon::fuzz::CheckMappedSamples(results);
  }
  return 0;
}
