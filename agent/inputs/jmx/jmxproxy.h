// Tomcat manager JMXProxyServlet (text/plain) parsing for the jmx input: `?qry=<pattern>`
// listings ("OK - Number of results: N" then "Name: ...\nmodelerType: ...\nattr: value" blocks),
// `?get=...&att=...[&key=...]` answers ("OK - Attribute get '...' - att = value") and
// "Error - ..." replies. Pure functions; the HTTP exchange is in transports.cpp.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/inputs/jmx/model.h"
#include "common/status.h"

namespace beacon::agent::inputs::jmx {

struct JmxProxyBean {
  std::string name;          // the object name
  std::string modeler_type;  // the MBean class
  // Attribute name -> value text, continuation lines joined, in listing order.
  std::vector<std::pair<std::string, std::string>> attributes;
};

// Parses a `?qry=` answer. "Error - ..." is returned as FailedPrecondition with the servlet's
// first line; anything not starting with "OK - Number of results" is InvalidArgument.
Result<std::vector<JmxProxyBean>> ParseJmxProxyQuery(std::string_view text);

// Parses a `?get=` answer to the value text ("12718592").
Result<std::string> ParseJmxProxyGet(std::string_view text);

// The number in a value text for an attribute path: a plain number for "ThreadCount"; for
// "HeapMemoryUsage.used" the `used=` entry of a CompositeDataSupport(...contents={...}) text.
bool JmxProxyNumber(std::string_view value_text, std::string_view composite_key, double* out);

// The values of `query` found in a parsed listing. A named (non-pattern) MBean that is missing,
// or lacks a requested attribute, is a per-query error.
QueryResult JmxProxyValues(const std::vector<JmxProxyBean>& beans, const MBeanQuery& query);

}  // namespace beacon::agent::inputs::jmx
