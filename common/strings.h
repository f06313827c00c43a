// Small text helpers shared by the /proc, JMX and HTTP parsers. Pure functions; thread-safe.
#pragma once

#include <string_view>
#include <vector>

namespace beacon {

// Fields separated by runs of spaces and tabs ("  a\tb  c" -> {a, b, c}); views into `line`.
std::vector<std::string_view> SplitWhitespace(std::string_view line);
// `text` without leading and trailing spaces, tabs, CR and LF.
std::string_view TrimWhitespace(std::string_view text);

}  // namespace beacon
