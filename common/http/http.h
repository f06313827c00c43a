// HTTP types shared by HttpClient and HttpServer.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::http {

// Case-insensitive header map (keys stored lower-case).
class Headers {
 public:
  void Set(std::string_view name, std::string value);
  void Add(std::string_view name, std::string value);
  // Empty string when absent.
  std::string Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  const std::multimap<std::string, std::string>& all() const { return map_; }

 private:
  std::multimap<std::string, std::string> map_;
};

std::string UrlEncode(std::string_view text);  // RFC 3986 unreserved kept
std::string UrlDecode(std::string_view text);  // '+' becomes ' '
// "a=1&b=x%20y" -> {a:1, b:"x y"}; later duplicates win.
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace beacon::http
