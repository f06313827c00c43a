// Field readers of Alibaba Cloud answers (see fields.h).
#include "common/cloud/aliyun/fields.h"

#include <charconv>

namespace beacon::aliyun::fields {
namespace {

const nlohmann::json* Find(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

Status WrongType(std::string_view where, std::string_view key, std::string_view expected) {
  return Status::InvalidArgument(std::string(where) + "." + std::string(key) + ": expected " +
                                 std::string(expected));
}

}  // namespace

Result<std::string> String(const nlohmann::json& object, std::string_view key,
                           std::string_view where) {
  const nlohmann::json* value = Find(object, key);
  if (value == nullptr) return std::string();
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number() || value->is_boolean()) return value->dump();
  return WrongType(where, key, "a string");
}

Result<int64_t> Int(const nlohmann::json& object, std::string_view key, std::string_view where,
                    int64_t fallback) {
  const nlohmann::json* value = Find(object, key);
  if (value == nullptr) return fallback;
  if (value->is_number_integer()) return value->get<int64_t>();
  if (value->is_string()) {
    const std::string& text = value->get_ref<const std::string&>();
    if (text.empty()) return fallback;
    int64_t out = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc() && end == text.data() + text.size()) return out;
  }
  return WrongType(where, key, "an integer");
}

Result<bool> Bool(const nlohmann::json& object, std::string_view key, std::string_view where,
                  bool fallback) {
  const nlohmann::json* value = Find(object, key);
  if (value == nullptr) return fallback;
  if (value->is_boolean()) return value->get<bool>();
  if (value->is_string() && (*value == "true" || *value == "false")) return *value == "true";
  return WrongType(where, key, "a boolean");
}

Result<std::vector<const nlohmann::json*>> NestedObjects(const nlohmann::json& body,
                                                         std::string_view outer,
                                                         std::string_view inner) {
  std::vector<const nlohmann::json*> out;
  const nlohmann::json* wrapper = Find(body, outer);
  if (wrapper == nullptr) return out;
  if (!wrapper->is_object())
    return Status::InvalidArgument(std::string(outer) + ": expected an object");
  const nlohmann::json* list = Find(*wrapper, inner);
  if (list == nullptr) return out;
  const std::string path = std::string(outer) + "." + std::string(inner);
  if (!list->is_array()) return Status::InvalidArgument(path + ": expected a list");
  for (const nlohmann::json& element : *list) {
    if (!element.is_object()) return Status::InvalidArgument(path + ": expected objects");
    out.push_back(&element);
  }
  return out;
}

}  // namespace beacon::aliyun::fields
