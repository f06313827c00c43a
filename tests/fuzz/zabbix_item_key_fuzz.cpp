// Fuzzes the Zabbix item key parser (agent/zabbix/item_key.h), which reads keys straight from
// the passive listener's clients: a parsed key has a valid name, and the key written back with
// every parameter quoted parses to the same parameters.
#include <cstdint>
#include <string>
#include <string_view>

#include "agent/zabbix/item_key.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

std::string Quote(const std::string& value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool EndsWithBackslash(const std::string& s) { return !s.empty() && s.back() == '\\'; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace beacon::agent::zabbix;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto key = ParseItemKey(text);
  if (!key.ok()) {
    FUZZ_CHECK(key.status().message() == "Invalid item key format.");
    return 0;
  }
  FUZZ_CHECK(!key->name.empty());
  FUZZ_CHECK(key->name.find_first_not_of("0123456789abcdefghijklmnopqrstuvwxyz"
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-") == std::string::npos);
  FUZZ_CHECK(key->has_params || key->params.empty());
  std::string again = key->name;
  bool round_trips = true;
  if (key->has_params) {
    again += '[';
    for (size_t i = 0; i < key->params.size(); ++i) {
      const KeyParam& p = key->params[i];
      if (i > 0) again += ',';
      if (p.is_array) {
        FUZZ_CHECK(!p.elements.empty());
        again += '[';
        for (size_t j = 0; j < p.elements.size(); ++j) {
          if (j > 0) again += ',';
          again += Quote(p.elements[j]);
          round_trips = round_trips && !EndsWithBackslash(p.elements[j]);
        }
        again += ']';
      } else {
        again += Quote(p.value);
        round_trips = round_trips && !EndsWithBackslash(p.value);
      }
    }
    again += ']';
  }
  if (!round_trips) return 0;
  auto reparsed = ParseItemKey(again);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(reparsed->name == key->name && reparsed->params.size() == key->params.size());
  for (size_t i = 0; i < key->params.size(); ++i) {
    FUZZ_CHECK(reparsed->params[i].value == key->params[i].value);
    FUZZ_CHECK(reparsed->params[i].elements == key->params[i].elements);
  }
  return 0;
}
