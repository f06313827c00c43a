// WeCom recipient lists: "a|b" strings or YAML lists in, "a|b" out.
#include "notifier/wecom/names.h"

#include <utility>

namespace beacon::notifier::wecom {

void GetNames(config::Node& node, std::string_view key, std::vector<std::string>* out) {
  config::Node value = node.Value(key);
  if (value.IsNull()) return;
  const size_t errors_before = node.error_count();
  std::vector<std::string> names;
  // A scalar is "a|b"; anything else must be a list of strings.
  if (value.IsScalar()) {
    const std::string joined = value.Scalar();
    size_t start = 0;
    while (start <= joined.size()) {
      size_t bar = joined.find('|', start);
      if (bar == std::string::npos) bar = joined.size();
      std::string name = joined.substr(start, bar - start);
      while (!name.empty() && name.front() == ' ') name.erase(name.begin());
      while (!name.empty() && name.back() == ' ') name.pop_back();
      if (!name.empty()) names.push_back(std::move(name));
      start = bar + 1;
    }
  } else {
    std::vector<std::string> list;
    node.Get(key, &list);
    if (node.error_count() != errors_before) return;
    for (std::string& name : list) {
      if (name.find('|') != std::string::npos) {
        node.Error(key, "a list element must be one name; '|' is only for the string form");
        return;
      }
      if (!name.empty()) names.push_back(std::move(name));
    }
  }
  *out = std::move(names);
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out.push_back('|');
    out += name;
  }
  return out;
}

}  // namespace beacon::notifier::wecom
