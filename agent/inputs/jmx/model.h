// The transport-neutral model of the jmx input: JMX object names, what to read (MBean name or
// pattern + attribute paths such as "HeapMemoryUsage.used"), what came back, and the rules that
// turn values into metrics (the default Tomcat set and configured extra MBeans). Pure code.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace beacon::agent::inputs::jmx {

// "domain:key=value,key2=\"quoted\"". Properties keep their order and raw (quoted) values.
struct ObjectName {
  std::string domain;
  std::vector<std::pair<std::string, std::string>> properties;
  bool property_list_pattern = false;  // ends with ",*" (or is "domain:*")
  // The value of `key` with JMX quoting removed ("\"http-nio-8080\"" -> "http-nio-8080");
  // empty when absent.
  std::string Property(std::string_view key) const;
  bool HasProperty(std::string_view key) const;
};
Result<ObjectName> ParseObjectName(std::string_view text);
// True when the name contains the JMX wildcards '*' or '?' (outside quoted values too).
bool IsObjectNamePattern(std::string_view text);
// Removes JMX ObjectName.quote() quoting: surrounding quotes and \" \\ \n \* \? escapes.
std::string UnquoteValue(std::string_view value);

// One read against a target: an MBean name or pattern and the attribute paths wanted
// ("ThreadCount", "HeapMemoryUsage.used": the part after the first dot is a composite key).
struct MBeanQuery {
  std::string mbean;
  std::vector<std::string> attributes;
};

// One numeric value read: the concrete object name and the attribute path as requested.
struct AttributeValue {
  std::string object_name;
  std::string attribute;
  double value = 0;
};

// What one query produced. `errors` are per-query problems (MBean not found, attribute not
// numeric); values found before the problem are kept.
struct QueryResult {
  std::vector<AttributeValue> values;
  std::vector<std::string> errors;
};

// Splits "HeapMemoryUsage.used" into {"HeapMemoryUsage", "used"} (second empty without a dot).
std::pair<std::string, std::string> SplitAttributePath(std::string_view path);

// Parses a numeric attribute text the way the JVM prints it: integers, decimals, exponents,
// "true"/"false" (1/0). Anything else is not a number.
bool ParseNumber(std::string_view text, double* out);

// Turns one attribute of the MBeans matching `mbean` into a metric.
struct MetricRule {
  std::string metric;     // "jmx.heap.used"
  std::string mbean;      // name or pattern, as sent to the target
  std::string attribute;  // attribute path
  double scale = 1.0;     // applied to the value (milliseconds -> seconds: 0.001)
  // label name -> object-name property whose (unquoted) value it takes. When empty, every
  // property that the pattern does not fix becomes a label of the same name.
  std::vector<std::pair<std::string, std::string>> labels;
  bool infer_labels = false;  // use the "every unfixed property" rule above
};

// The Tomcat/JVM set: heap and non-heap memory, threads, GC per collector, connector thread
// pools and request processors, sessions per context.
std::vector<MetricRule> TomcatDefaultRules();

// The queries needed to evaluate `rules`: one per distinct MBean, attributes de-duplicated,
// both in first-seen order.
std::vector<MBeanQuery> QueriesForRules(const std::vector<MetricRule>& rules);

using SampleSink = std::function<void(const std::string& metric, double value,
                                      std::map<std::string, std::string> labels)>;

// Emits one sample per (rule, value) pair whose MBean and attribute match; every sample gets
// {"target": target} plus the rule's labels. A value whose object name does not parse is
// skipped.
void MapToMetrics(const std::vector<MetricRule>& rules, const MBeanQuery& query,
                  const QueryResult& result, const std::string& target, const SampleSink& sink);

// "Stats.count" -> "stats.count"-like metric suffix: characters outside [A-Za-z0-9_.-] become
// '_' so the result is a valid metric name part.
std::string SanitizeMetricPart(std::string_view text);

}  // namespace beacon::agent::inputs::jmx
