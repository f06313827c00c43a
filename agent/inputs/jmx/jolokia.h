// Jolokia (JSON over HTTP) protocol for the jmx input: the bulk read request body and the
// parsing of its response, including wildcard (pattern) reads and composite attributes.
// Pure functions; the HTTP exchange is in transports.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/inputs/jmx/model.h"
#include "common/status.h"

namespace beacon::agent::inputs::jmx {

// A JSON array with one {"type":"read","mbean":...,"attribute":[...]} per query; attribute
// paths are reduced to their top-level attribute (composites are read whole and navigated
// here, which also works for patterns).
std::string BuildJolokiaBulkRead(const std::vector<MBeanQuery>& queries);

// Parses the response to BuildJolokiaBulkRead(queries): one QueryResult per query, in order.
// Per-request failures ({"status":404,"error":...}) become that query's errors. A body that is
// not a JSON array of the same length (garbage, an HTML login page) is InvalidArgument.
Result<std::vector<QueryResult>> ParseJolokiaBulkResponse(std::string_view body,
                                                          const std::vector<MBeanQuery>& queries);

// The same for a single read response object (GET /read/...).
Result<QueryResult> ParseJolokiaReadResponse(std::string_view body, const MBeanQuery& query);

}  // namespace beacon::agent::inputs::jmx
