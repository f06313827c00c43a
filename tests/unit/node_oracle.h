// Test helper shared by the unit tests that compare Beacon's signers with an official SDK run by
// node (tests/oracles/*.js): writes the JSON input to a temporary file, runs the script on it
// and returns its stdout ("" when node or the script failed, which the test then reports).
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace beacon::testing {

// `script`: a path below tests/oracles/, e.g. "oss_sign.js".
inline std::string RunNodeOracle(const std::string& script, const std::string& input) {
  std::string in_path = ::testing::TempDir() + "/oracle_in_" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream out(in_path, std::ios::binary);
    out << input;
  }
  std::string command = "node '" + std::string(BEACON_SOURCE_DIR) + "/tests/oracles/" + script +
                        "' < '" + in_path + "'";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return "";
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) output.append(buf, n);
  int rc = ::pclose(pipe);
  std::remove(in_path.c_str());
  return rc == 0 ? output : "";
}

}  // namespace beacon::testing
