// CheckedNode: config getters with a validity flag (sentinel values detect the errors the
// underlying config::Node getters record without returning them).
#include "notifier/wecom/checked_node.h"

#include <climits>
#include <utility>

namespace beacon::notifier::wecom {
namespace {

// A value no YAML scalar read by the getters can produce.
constexpr char kUnset[] = "\x01unset\x01";

}  // namespace

CheckedNode::CheckedNode(config::Node node, std::vector<std::string> known_keys)
    : node_(std::move(node)) {
  // MapEntries marks every key of the section as read, so unknown keys are reported here (the
  // entries also tell a scalar "a|b" from a list without recording a type error).
  std::set<std::string> known(known_keys.begin(), known_keys.end());
  std::string known_text;
  for (const std::string& key : known) known_text += (known_text.empty() ? "" : ", ") + key;
  for (auto& [key, value] : node_.MapEntries()) {
    if (value.IsScalar()) scalar_keys_.insert(key);
    if (known.count(key) == 0) Error(key, "unknown key (known here: " + known_text + ")");
  }
  if (!node_.IsNull() && !node_.IsMap()) ok_ = false;
}

void CheckedNode::String(std::string_view key, std::string* out) {
  std::string value = kUnset;
  node_.Get(key, &value);
  if (value == kUnset) {
    if (node_.Has(key)) ok_ = false;
    return;
  }
  *out = std::move(value);
}

void CheckedNode::Int(std::string_view key, int64_t* out, int64_t min, int64_t max) {
  // INT64_MIN is outside every range we ask for, so it can only mean "not set".
  int64_t value = INT64_MIN;
  node_.Get(key, &value, min, max);
  if (value == INT64_MIN) {
    if (node_.Has(key)) ok_ = false;
    return;
  }
  *out = value;
}

void CheckedNode::Bool(std::string_view key, bool* out) {
  if (!node_.Has(key)) {
    node_.Get(key, out);  // marks the key as known
    return;
  }
  // Default true: only a valid "false" changes it; a true must then be spelled as one.
  bool value = true;
  node_.Get(key, &value);
  if (!value) {
    *out = false;
    return;
  }
  std::string text = kUnset;
  if (scalar_keys_.count(std::string(key)) != 0) node_.Get(key, &text);
  if (text == "true" || text == "True" || text == "TRUE") {
    *out = true;
  } else {
    ok_ = false;
  }
}

void CheckedNode::Enum(std::string_view key, std::string* out,
                       const std::vector<std::string>& allowed) {
  std::string value = kUnset;
  node_.GetEnum(key, &value, allowed);
  if (value == kUnset) {
    if (node_.Has(key)) ok_ = false;
    return;
  }
  *out = std::move(value);
}

void CheckedNode::DurationMs(std::string_view key, int64_t* out_ms, int64_t min_ms,
                             int64_t max_ms) {
  int64_t value = -1;
  node_.GetDurationMs(key, &value, min_ms);
  if (value < 0) {
    if (node_.Has(key)) ok_ = false;
    return;
  }
  if (value > max_ms) {
    Error(key, "must be at most " + std::to_string(max_ms / 1000) + "s");
    return;
  }
  *out_ms = value;
}

void CheckedNode::Secret(std::string_view key, config::Secret* out) {
  config::Secret value;
  node_.GetSecret(key, &value);
  const std::string name(key);
  bool present = node_.Has(name) || node_.Has(name + "_file") || node_.Has(name + "_env");
  if (value.empty()) {
    if (present) ok_ = false;
    return;
  }
  *out = std::move(value);
}

void CheckedNode::Names(std::string_view key, std::vector<std::string>* out) {
  if (!node_.Has(key)) {
    std::string unused;
    node_.Get(key, &unused);  // marks the key as known
    return;
  }
  std::vector<std::string> names;
  std::string joined = kUnset;
  // A scalar is "a|b"; anything else must be a list of strings.
  if (scalar_keys_.count(std::string(key)) != 0) {
    node_.Get(key, &joined);
    if (joined == kUnset) {
      ok_ = false;
      return;
    }
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
    std::vector<std::string> list = {kUnset};
    node_.Get(key, &list);
    if (list.size() == 1 && list[0] == kUnset) {
      ok_ = false;
      return;
    }
    for (std::string& name : list) {
      if (name.find('|') != std::string::npos) {
        Error(key, "a list element must be one name; '|' is only for the string form");
        return;
      }
      if (!name.empty()) names.push_back(std::move(name));
    }
  }
  *out = std::move(names);
}

void CheckedNode::Error(std::string_view key, std::string message) {
  node_.Error(key, std::move(message));
  ok_ = false;
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
