// Field readers shared by the SLB and Alidns answer parsers: Alibaba Cloud answers mix numbers
// and numeric strings and wrap lists as {"Outer": {"Inner": [...]}}. Pure functions.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::aliyun::fields {

// The string at `key` of object `object`; numbers and booleans are rendered as text, an absent
// or null key is "". InvalidArgument "<where>.<key>: expected a string" for arrays and objects.
Result<std::string> String(const nlohmann::json& object, std::string_view key,
                           std::string_view where);
// The integer at `key`: a JSON integer or a string of decimal digits (with an optional '-');
// `fallback` when absent or null or "". InvalidArgument naming the field otherwise.
Result<int64_t> Int(const nlohmann::json& object, std::string_view key, std::string_view where,
                    int64_t fallback = 0);
// A boolean, or the strings "true"/"false"; `fallback` when absent.
Result<bool> Bool(const nlohmann::json& object, std::string_view key, std::string_view where,
                  bool fallback = false);
// The objects of body[outer][inner]; empty when either is absent or null (the API leaves empty
// lists out). InvalidArgument when the shape is wrong or an element is not an object.
Result<std::vector<const nlohmann::json*>> NestedObjects(const nlohmann::json& body,
                                                         std::string_view outer,
                                                         std::string_view inner);

}  // namespace beacon::aliyun::fields
