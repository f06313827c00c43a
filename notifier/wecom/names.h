// WeCom's recipient lists in receiver configuration: "a|b|c" (WeCom's own form) or a YAML list.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"

namespace beacon::notifier::wecom {

// Reads a list of names given as "a|b|c" or as a YAML list of strings; empty names are dropped,
// and a name containing '|' in list form is an error (recorded on the node, like every getter of
// config::Node). *out is left unchanged when the key is absent or invalid.
void GetNames(config::Node& node, std::string_view key, std::vector<std::string>* out);

// "a|b" of the names (WeCom's recipient syntax).
std::string JoinNames(const std::vector<std::string>& names);

}  // namespace beacon::notifier::wecom
