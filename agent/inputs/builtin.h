// The built-in input list: a plain function returning one factory per input, so adding an
// input is one folder plus one line in builtin.cpp (no static registration).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/inputs/input.h"

namespace beacon::agent::inputs {

struct InputFactory {
  std::string name;
  bool default_enabled = false;
  int64_t default_interval_ms = 10'000;
  int64_t min_interval_ms = 1'000;
  std::function<std::unique_ptr<Input>()> create;
};

std::vector<InputFactory> BuiltinInputs();

}  // namespace beacon::agent::inputs
