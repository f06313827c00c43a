// Headers (case-insensitive, keys lower-cased) and query strings, shared by the HTTP client and
// server.
#include "common/http/http.h"

#include "common/strings.h"
#include "common/url.h"

namespace beacon::http {

void Headers::Set(std::string_view name, std::string value) {
  std::string key = Lower(name);
  map_.erase(key);
  map_.emplace(std::move(key), std::move(value));
}

void Headers::Add(std::string_view name, std::string value) {
  map_.emplace(Lower(name), std::move(value));
}

std::string Headers::Get(std::string_view name) const {
  auto it = map_.find(Lower(name));
  return it == map_.end() ? std::string() : it->second;
}

bool Headers::Has(std::string_view name) const { return map_.count(Lower(name)) > 0; }

std::map<std::string, std::string> ParseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key = PercentDecodeLenient(pair.substr(0, eq), PlusSign::kSpace);
    std::string value = eq == std::string_view::npos
                            ? std::string()
                            : PercentDecodeLenient(pair.substr(eq + 1), PlusSign::kSpace);
    out[std::move(key)] = std::move(value);
  }
  return out;
}

}  // namespace beacon::http
