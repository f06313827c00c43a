// Zabbix item keys as zabbix_agentd 6.0 parses them: a name of [0-9A-Za-z_.-] and an optional
// parameter list in brackets, each parameter unquoted, "quoted" (\" escapes a quote) or an array
// [a,"b"] (arrays do not nest). Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::agent::zabbix {

struct KeyParam {
  // The parameter as an item reads it: an unquoted one without its leading spaces (trailing
  // ones stay, as in zabbix_agentd), a quoted one without its quotes and escapes, an array as
  // its elements joined by ',' (what zabbix_agentd hands a list parameter such as
  // vfs.file.exists' types).
  std::string value;
  bool quoted = false;
  bool is_array = false;
  std::vector<std::string> elements;  // of an array, each unquoted like a parameter
};

struct ItemKey {
  std::string name;         // "vfs.fs.size"
  bool has_params = false;  // brackets were present: "agent.ping[]" has one empty parameter
  std::vector<KeyParam> params;

  // The parameter at `index`, or "" when there are fewer.
  const std::string& Param(size_t index) const;
};

// InvalidArgument("Invalid item key format.") for anything zabbix_agentd refuses with that
// text: an empty or bad name, text after the closing bracket, an unterminated quote or
// bracket, text after a quoted parameter, nested arrays.
Result<ItemKey> ParseItemKey(std::string_view text);

}  // namespace beacon::agent::zabbix
