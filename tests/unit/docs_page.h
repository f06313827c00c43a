// Test helper shared by the convention tests that check code against the docs
// (tests/unit/agent/inputs_convention_test.cpp, tests/unit/notifier/notifiers_convention_test.cpp):
// reading a page of the source tree and the first yaml sample of a markdown text.
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace beacon::testing {

// The file at `relative` below the source tree; "" when it cannot be read.
inline std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(BEACON_SOURCE_DIR) + "/" + relative);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The body of the first ```yaml block of `markdown`; "" when there is none.
inline std::string FirstYamlBlock(const std::string& markdown) {
  const std::string open = "```yaml\n";
  size_t start = markdown.find(open);
  if (start == std::string::npos) return "";
  start += open.size();
  size_t end = markdown.find("```", start);
  return end == std::string::npos ? "" : markdown.substr(start, end - start);
}

}  // namespace beacon::testing
