// The item key grammar of zabbix_agentd 6.0, one pass over the text.
#include "agent/zabbix/item_key.h"

namespace beacon::agent::zabbix {
namespace {

bool IsKeyNameChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         c == '.' || c == '-';
}

Status BadFormat() { return Status::InvalidArgument("Invalid item key format."); }

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<ItemKey> Run() {
    ItemKey key;
    while (pos_ < text_.size() && IsKeyNameChar(text_[pos_])) ++pos_;
    if (pos_ == 0) return BadFormat();
    key.name.assign(text_.substr(0, pos_));
    if (pos_ == text_.size()) return key;
    if (text_[pos_] != '[') return BadFormat();
    ++pos_;
    key.has_params = true;
    for (;;) {
      KeyParam param;
      if (!ReadParam(/*in_array=*/false, &param)) return BadFormat();
      key.params.push_back(std::move(param));
      if (pos_ >= text_.size()) return BadFormat();
      if (text_[pos_++] == ']') break;  // ReadParam stopped at ',' or ']'
    }
    if (pos_ != text_.size()) return BadFormat();
    return key;
  }

 private:
  void SkipSpaces() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }

  // Reads one parameter and stops at the ',' or ']' after it (not consumed). False on a
  // format error.
  bool ReadParam(bool in_array, KeyParam* out) {
    SkipSpaces();
    if (pos_ >= text_.size()) return false;
    if (text_[pos_] == '"') {
      out->quoted = true;
      if (!ReadQuoted(&out->value)) return false;
      SkipSpaces();
      return pos_ < text_.size() && (text_[pos_] == ',' || text_[pos_] == ']');
    }
    if (text_[pos_] == '[') {
      if (in_array) return false;  // arrays do not nest
      ++pos_;
      out->is_array = true;
      for (;;) {
        KeyParam element;
        if (!ReadParam(/*in_array=*/true, &element)) return false;
        out->elements.push_back(std::move(element.value));
        if (text_[pos_++] == ']') break;
      }
      for (size_t i = 0; i < out->elements.size(); ++i) {
        if (i > 0) out->value.push_back(',');
        out->value += out->elements[i];
      }
      SkipSpaces();
      return pos_ < text_.size() && (text_[pos_] == ',' || text_[pos_] == ']');
    }
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ']') ++pos_;
    if (pos_ >= text_.size()) return false;
    out->value.assign(text_.substr(start, pos_ - start));
    return true;
  }

  // At the opening quote: reads to the closing one, unescaping \" only.
  bool ReadQuoted(std::string* out) {
    ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') return true;
      if (c == '\\' && pos_ < text_.size() && text_[pos_] == '"') {
        out->push_back('"');
        ++pos_;
        continue;
      }
      out->push_back(c);
    }
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

const std::string& ItemKey::Param(size_t index) const {
  static const std::string kEmpty;
  return index < params.size() ? params[index].value : kEmpty;
}

Result<ItemKey> ParseItemKey(std::string_view text) { return Parser(text).Run(); }

}  // namespace beacon::agent::zabbix
