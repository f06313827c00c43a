// Bounded JSON parsing (see parse.h).
#include "common/json/parse.h"

#include <string>
#include <utility>
#include <vector>

namespace beacon {
namespace {

using nlohmann::json;

// Counts depth and values in one pass; syntax is left to nlohmann, which runs afterwards, so
// malformed text only has to keep this loop in bounds, not be understood by it.
Status CheckLimits(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status::ResourceExhausted("JSON text is " + std::to_string(text.size()) +
                                     " bytes, more than the limit of " +
                                     std::to_string(limits.max_bytes));
  }
  size_t depth = 0;
  size_t values = 0;
  bool in_string = false;
  bool escaped = false;
  bool in_literal = false;  // inside a number, true, false or null
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    bool starts_value = false;
    switch (c) {
      case '[':
      case '{':
        if (++depth > limits.max_depth) {
          return Status::InvalidArgument("JSON nested deeper than " +
                                         std::to_string(limits.max_depth) + " levels at byte " +
                                         std::to_string(i));
        }
        starts_value = true;
        in_literal = false;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        in_literal = false;
        break;
      case '"':
        in_string = true;
        starts_value = true;
        in_literal = false;
        break;
      case ',':
      case ':':
      case ' ':
      case '\t':
      case '\n':
      case '\r':
        in_literal = false;
        break;
      default:
        starts_value = !in_literal;
        in_literal = true;
        break;
    }
    if (starts_value && ++values > limits.max_values) {
      return Status::ResourceExhausted("JSON has more than " + std::to_string(limits.max_values) +
                                       " values (limit reached at byte " + std::to_string(i) + ")");
    }
  }
  return Status::Ok();
}

// A SAX consumer that only keeps nlohmann's description of the first syntax error: parsing
// without exceptions otherwise yields just "discarded", and the client deserves the position.
class ErrorRecorder {
 public:
  bool null() { return true; }
  bool boolean(bool) { return true; }
  bool number_integer(json::number_integer_t) { return true; }
  bool number_unsigned(json::number_unsigned_t) { return true; }
  bool number_float(json::number_float_t, const json::string_t&) { return true; }
  bool string(json::string_t&) { return true; }
  bool binary(json::binary_t&) { return true; }
  bool start_object(std::size_t) { return true; }
  bool key(json::string_t&) { return true; }
  bool end_object() { return true; }
  bool start_array(std::size_t) { return true; }
  bool end_array() { return true; }
  bool parse_error(std::size_t position, const std::string&, const json::exception& ex) {
    position_ = position;
    what_ = ex.what();
    return false;
  }

  size_t position() const { return position_; }
  // nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, column 3:
  // syntax error ... - invalid literal; last read: 'tx'". Only the middle part is kept: the
  // "last read" token is client input and may be long or secret.
  std::string Reason() const {
    std::string reason = what_;
    if (size_t column = reason.find(", column "); column != std::string::npos) {
      if (size_t colon = reason.find(": ", column); colon != std::string::npos) {
        reason = reason.substr(colon + 2);
      }
    }
    if (size_t last = reason.find("; last read"); last != std::string::npos) reason.resize(last);
    return reason;
  }

 private:
  size_t position_ = 0;
  std::string what_;
};

}  // namespace

Result<json> ParseJson(std::string_view text, const JsonLimits& limits) {
  BEACON_RETURN_IF_ERROR(CheckLimits(text, limits));
  json parsed = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded()) return parsed;
  ErrorRecorder recorder;
  json::sax_parse(text.begin(), text.end(), &recorder);
  // nlohmann counts the bytes read including the offending one; report its 0-based offset.
  const size_t at = recorder.position() > 0 ? recorder.position() - 1 : 0;
  return Status::InvalidArgument("invalid JSON at byte " + std::to_string(at) + ": " +
                                 recorder.Reason());
}

Result<json> ParseJsonBody(std::string_view body, const JsonLimits& limits) {
  Result<json> parsed = ParseJson(body, limits);
  if (!parsed.ok() && parsed.status().code() == StatusCode::kInvalidArgument) {
    return parsed.status().WithContext("malformed JSON body");
  }
  return parsed;
}

size_t JsonDepth(const json& value) {
  size_t deepest = 0;
  std::vector<std::pair<const json*, size_t>> pending = {{&value, 0}};
  while (!pending.empty()) {
    auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) continue;
    ++depth;
    if (depth > deepest) deepest = depth;
    for (const json& child : *node) pending.emplace_back(&child, depth);
  }
  return deepest;
}

}  // namespace beacon
