// JMXProxyServlet text parsing. The servlet's MBeanDumper folds long or multi-line values into
// continuation lines that start with one space, and ends lines with CRLF.
#include "agent/inputs/jmx/jmxproxy.h"

#include "common/strings.h"

namespace beacon::agent::inputs::jmx {
namespace {

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line(text.substr(pos, nl - pos));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    pos = nl + 1;
  }
  return lines;
}

std::string FirstLine(std::string_view text) {
  auto lines = Lines(text);
  return lines.empty() ? "" : lines[0];
}

// The servlet reports exceptions as "Error - <exception>" followed by a stack trace.
Status ServletError(std::string_view text) {
  return Status::FailedPrecondition("JMXProxyServlet: " + FirstLine(text));
}

// Splits "k1=v1, k2=v2" at top level (commas inside (), {}, [] belong to the value).
std::vector<std::pair<std::string, std::string>> SplitContents(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= body.size(); ++i) {
    const char c = i < body.size() ? body[i] : ',';
    if (c == '(' || c == '{' || c == '[') ++depth;
    if (c == ')' || c == '}' || c == ']') --depth;
    if (c == ',' && depth == 0) {
      std::string_view item = body.substr(start, i - start);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      const size_t eq = item.find('=');
      if (eq != std::string_view::npos) {
        out.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
      }
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

Result<std::vector<JmxProxyBean>> ParseJmxProxyQuery(std::string_view text) {
  if (text.starts_with("Error - ")) return ServletError(text);
  if (!text.starts_with("OK - Number of results:")) {
    return Status::InvalidArgument("not a JMXProxyServlet listing: '" + Snippet(text) + "'");
  }
  std::vector<JmxProxyBean> beans;
  std::vector<std::string> lines = Lines(text);
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    if (line.empty()) continue;
    if (line.front() == ' ') {
      // Continuation of the previous value; "\\n" marks where the value had a newline.
      if (!beans.empty() && !beans.back().attributes.empty()) {
        std::string& value = beans.back().attributes.back().second;
        if (value.ends_with("\\n")) {
          value.resize(value.size() - 2);
          value += '\n';
        }
        value += line.substr(1);
      }
      continue;
    }
    const size_t sep = line.find(": ");
    std::string key = sep == std::string::npos ? line : line.substr(0, sep);
    std::string value = sep == std::string::npos ? "" : line.substr(sep + 2);
    if (key == "Name") {
      beans.push_back({value, "", {}});
    } else if (beans.empty()) {
      return Status::InvalidArgument("JMXProxyServlet listing has '" + Snippet(key) +
                                     "' before any 'Name:' line");
    } else if (key == "modelerType") {
      beans.back().modeler_type = value;
    } else {
      beans.back().attributes.emplace_back(std::move(key), std::move(value));
    }
  }
  return beans;
}

Result<std::string> ParseJmxProxyGet(std::string_view text) {
  if (text.starts_with("Error - ")) return ServletError(text);
  if (!text.starts_with("OK - Attribute get '")) {
    return Status::InvalidArgument("not a JMXProxyServlet get answer: '" + Snippet(text) + "'");
  }
  // "OK - Attribute get '<oname>' - <att>[ - key '<key>'] = <value>"; the object name may
  // contain " = " inside quotes, so search after it.
  const std::string first = FirstLine(text);
  const size_t name_end = first.find("' - ", 20);
  const size_t eq = first.find(" = ", name_end == std::string::npos ? 0 : name_end);
  if (eq == std::string::npos) {
    return Status::InvalidArgument("JMXProxyServlet get answer has no ' = ': '" + Snippet(text) +
                                   "'");
  }
  return first.substr(eq + 3);
}

bool JmxProxyNumber(std::string_view value_text, std::string_view composite_key, double* out) {
  if (composite_key.empty()) return ParseNumber(value_text, out);
  // Older servlets print CompositeDataSupport(...,contents={k=v, ...}); Tomcat 10.1 prints the
  // map alone: {committed=536870912, init=398458880, max=-1, used=105507680}.
  const size_t contents = value_text.rfind("contents={");
  std::string_view body;
  if (contents != std::string_view::npos) {
    body = value_text.substr(contents + 10);
  } else if (value_text.starts_with('{')) {
    body = value_text.substr(1);
  } else {
    return false;
  }
  const size_t close = body.rfind('}');
  if (close == std::string_view::npos) return false;
  body = body.substr(0, close);
  auto [head, tail] = SplitAttributePath(composite_key);
  for (const auto& [k, v] : SplitContents(body)) {
    if (k == head) return JmxProxyNumber(v, tail, out);
  }
  return false;
}

QueryResult JmxProxyValues(const std::vector<JmxProxyBean>& beans, const MBeanQuery& query) {
  QueryResult result;
  const bool pattern = IsObjectNamePattern(query.mbean);
  if (beans.empty() && !pattern) {
    result.errors.push_back(query.mbean + ": MBean not found");
    return result;
  }
  for (const JmxProxyBean& bean : beans) {
    for (const std::string& path : query.attributes) {
      auto [top, key] = SplitAttributePath(path);
      const std::string* text = nullptr;
      for (const auto& [name, value] : bean.attributes) {
        if (name == top) text = &value;
      }
      if (text == nullptr) {
        // The servlet omits null attributes, and patterns may match MBeans without it.
        if (!pattern) result.errors.push_back(bean.name + ": no attribute " + top);
        continue;
      }
      double value = 0;
      if (JmxProxyNumber(*text, key, &value)) {
        result.values.push_back({bean.name, path, value});
      } else {
        result.errors.push_back(bean.name + ": attribute " + path + " is not numeric");
      }
    }
  }
  return result;
}

}  // namespace beacon::agent::inputs::jmx
