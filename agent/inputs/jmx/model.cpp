// Object-name parsing, the default Tomcat rules and the value -> metric mapping.
#include "agent/inputs/jmx/model.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <set>

namespace beacon::agent::inputs::jmx {

std::string UnquoteValue(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return std::string(value);
  std::string out;
  for (size_t i = 1; i + 1 < value.size(); ++i) {
    char c = value[i];
    if (c == '\\' && i + 2 < value.size()) {
      char next = value[++i];
      out.push_back(next == 'n' ? '\n' : next);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string ObjectName::Property(std::string_view key) const {
  for (const auto& [k, v] : properties) {
    if (k == key) return UnquoteValue(v);
  }
  return "";
}

bool ObjectName::HasProperty(std::string_view key) const {
  return std::any_of(properties.begin(), properties.end(),
                     [&](const auto& p) { return p.first == key; });
}

Result<ObjectName> ParseObjectName(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    return Status::InvalidArgument("object name '" + std::string(text) + "' has no ':'");
  }
  ObjectName name;
  name.domain = std::string(text.substr(0, colon));
  std::string_view rest = text.substr(colon + 1);
  if (rest.empty()) {
    return Status::InvalidArgument("object name '" + std::string(text) + "' has no properties");
  }
  size_t pos = 0;
  while (pos <= rest.size()) {
    // One "key=value" (value possibly quoted, commas inside quotes allowed) or "*".
    size_t end = pos;
    bool quoted = false;
    while (end < rest.size()) {
      char c = rest[end];
      if (quoted && c == '\\') {
        end += 2;
        continue;
      }
      if (c == '"') quoted = !quoted;
      if (!quoted && c == ',') break;
      ++end;
    }
    if (quoted) {
      return Status::InvalidArgument("object name '" + std::string(text) +
                                     "' has an unterminated quote");
    }
    std::string_view part = rest.substr(pos, std::min(end, rest.size()) - pos);
    if (part == "*") {
      name.property_list_pattern = true;
    } else {
      const size_t eq = part.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return Status::InvalidArgument("object name '" + std::string(text) + "': property '" +
                                       std::string(part) + "' is not key=value");
      }
      name.properties.emplace_back(std::string(part.substr(0, eq)),
                                   std::string(part.substr(eq + 1)));
    }
    if (end >= rest.size()) break;
    pos = end + 1;
  }
  return name;
}

bool IsObjectNamePattern(std::string_view text) {
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted && c == '\\') {
      ++i;
      continue;
    }
    if (c == '"') quoted = !quoted;
    if (c == '*' || c == '?') return true;
  }
  return false;
}

std::pair<std::string, std::string> SplitAttributePath(std::string_view path) {
  const size_t dot = path.find('.');
  if (dot == std::string_view::npos) return {std::string(path), ""};
  return {std::string(path.substr(0, dot)), std::string(path.substr(dot + 1))};
}

bool ParseNumber(std::string_view text, double* out) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r' || text.back() == '\n')) {
    text.remove_suffix(1);
  }
  if (text == "true") {
    *out = 1;
    return true;
  }
  if (text == "false") {
    *out = 0;
    return true;
  }
  if (text.empty() || text.size() > 64) return false;
  const std::string copy(text);
  // strtod also accepts "inf", "nan" and hex; a JVM number is none of those.
  for (char c : copy) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.' ||
          c == 'e' || c == 'E')) {
      return false;
    }
  }
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(copy.c_str(), &end);
  if (errno != 0 || end != copy.c_str() + copy.size()) return false;
  *out = v;
  return true;
}

std::vector<MetricRule> TomcatDefaultRules() {
  const std::string kMemory = "java.lang:type=Memory";
  const std::string kThreading = "java.lang:type=Threading";
  const std::string kGc = "java.lang:type=GarbageCollector,name=*";
  const std::string kPool = "Catalina:type=ThreadPool,name=*";
  const std::string kGrp = "Catalina:type=GlobalRequestProcessor,name=*";
  const std::string kManager = "Catalina:type=Manager,host=*,context=*";
  const std::vector<std::pair<std::string, std::string>> kCollector = {{"collector", "name"}};
  const std::vector<std::pair<std::string, std::string>> kConnector = {{"connector", "name"}};
  const std::vector<std::pair<std::string, std::string>> kContext = {{"context", "context"}};
  return {
      {"jmx.heap.used", kMemory, "HeapMemoryUsage.used", 1.0, {}, false},
      {"jmx.heap.committed", kMemory, "HeapMemoryUsage.committed", 1.0, {}, false},
      {"jmx.heap.max", kMemory, "HeapMemoryUsage.max", 1.0, {}, false},
      {"jmx.nonheap.used", kMemory, "NonHeapMemoryUsage.used", 1.0, {}, false},
      {"jmx.nonheap.committed", kMemory, "NonHeapMemoryUsage.committed", 1.0, {}, false},
      {"jmx.threads.count", kThreading, "ThreadCount", 1.0, {}, false},
      {"jmx.gc.count", kGc, "CollectionCount", 1.0, kCollector, false},
      {"jmx.gc.time", kGc, "CollectionTime", 0.001, kCollector, false},
      {"jmx.threadpool.busy", kPool, "currentThreadsBusy", 1.0, kConnector, false},
      {"jmx.threadpool.max", kPool, "maxThreads", 1.0, kConnector, false},
      {"jmx.requests.count", kGrp, "requestCount", 1.0, kConnector, false},
      {"jmx.requests.errors", kGrp, "errorCount", 1.0, kConnector, false},
      {"jmx.requests.processing_time", kGrp, "processingTime", 0.001, kConnector, false},
      {"jmx.requests.bytes_sent", kGrp, "bytesSent", 1.0, kConnector, false},
      {"jmx.requests.bytes_received", kGrp, "bytesReceived", 1.0, kConnector, false},
      {"jmx.sessions.active", kManager, "activeSessions", 1.0, kContext, false},
  };
}

std::vector<MBeanQuery> QueriesForRules(const std::vector<MetricRule>& rules) {
  std::vector<MBeanQuery> queries;
  for (const MetricRule& rule : rules) {
    auto it = std::find_if(queries.begin(), queries.end(),
                           [&](const MBeanQuery& q) { return q.mbean == rule.mbean; });
    if (it == queries.end()) {
      queries.push_back({rule.mbean, {}});
      it = queries.end() - 1;
    }
    if (std::find(it->attributes.begin(), it->attributes.end(), rule.attribute) ==
        it->attributes.end()) {
      it->attributes.push_back(rule.attribute);
    }
  }
  return queries;
}

std::string SanitizeMetricPart(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    out.push_back(ok ? c : '_');
  }
  return out;
}

namespace {

std::map<std::string, std::string> LabelsFor(const MetricRule& rule, const ObjectName& object) {
  std::map<std::string, std::string> labels;
  if (!rule.infer_labels) {
    for (const auto& [label, property] : rule.labels) {
      if (object.HasProperty(property)) labels[label] = object.Property(property);
    }
    return labels;
  }
  // Properties the pattern fixes (key=value without wildcards) carry no information.
  std::set<std::string> fixed;
  if (auto pattern = ParseObjectName(rule.mbean); pattern.ok()) {
    for (const auto& [k, v] : pattern->properties) {
      if (!IsObjectNamePattern(v)) fixed.insert(k);
    }
  }
  for (const auto& [k, v] : object.properties) {
    if (!fixed.count(k)) labels[SanitizeMetricPart(k)] = UnquoteValue(v);
  }
  return labels;
}

}  // namespace

void MapToMetrics(const std::vector<MetricRule>& rules, const MBeanQuery& query,
                  const QueryResult& result, const std::string& target, const SampleSink& sink) {
  for (const AttributeValue& value : result.values) {
    auto object = ParseObjectName(value.object_name);
    if (!object.ok()) continue;
    for (const MetricRule& rule : rules) {
      if (rule.mbean != query.mbean || rule.attribute != value.attribute) continue;
      std::map<std::string, std::string> labels = LabelsFor(rule, *object);
      labels["target"] = target;
      sink(rule.metric, value.value * rule.scale, std::move(labels));
    }
  }
}

}  // namespace beacon::agent::inputs::jmx
