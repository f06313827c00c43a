// Receiver-config reading for the WeCom notifiers: config::Node getters that also remember
// whether every key was valid, because a receiver with any bad key must yield no factory.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"

namespace beacon::notifier::wecom {

// Wraps a receiver's Node. The section's keys must all be in `known_keys` (others are recorded
// as "unknown key (known here: ...)", like config::Document::Finish does). Every getter leaves
// *out unchanged when the key is absent; when it is present and invalid the error is recorded
// on the document (as config::Node does) and ok() becomes false. Not thread-safe; use while
// loading.
class CheckedNode {
 public:
  CheckedNode(config::Node node, std::vector<std::string> known_keys);

  void String(std::string_view key, std::string* out);
  void Int(std::string_view key, int64_t* out, int64_t min, int64_t max);
  void Bool(std::string_view key, bool* out);
  void Enum(std::string_view key, std::string* out, const std::vector<std::string>& allowed);
  void DurationMs(std::string_view key, int64_t* out_ms, int64_t min_ms, int64_t max_ms);
  void Secret(std::string_view key, config::Secret* out);
  // A list of names given as "a|b|c" (WeCom's own form) or as a YAML list; empty names are
  // dropped, and a name containing '|' in list form is an error.
  void Names(std::string_view key, std::vector<std::string>* out);

  bool Has(std::string_view key) const { return node_.Has(key); }
  // Records a validation error at key and marks the section invalid.
  void Error(std::string_view key, std::string message);
  bool ok() const { return ok_; }

 private:
  config::Node node_;
  bool ok_ = true;
  std::set<std::string> scalar_keys_;  // keys whose value is a YAML scalar
};

// "a|b" of the names (WeCom's recipient syntax).
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace beacon::notifier::wecom
