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

// "a=1&b=x%20y+z" -> {a:1, b:"x y z"}; later duplicates win; malformed escapes stay as written.
std::map<std::string, std::string> ParseQuery(std::string_view query);

}  // namespace beacon::http
