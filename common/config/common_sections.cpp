// Shared daemon config sections; see common_sections.h.
#include "common/config/common_sections.h"

#include "common/http/ip_network.h"

namespace beacon::config {

void ReadLogOptions(Node node, log::LogOptions* out) {
  node.GetEnum("level", &out->level,
               {"trace", "debug", "info", "warn", "error", "critical", "off"});
  node.Get("file", &out->file);
  node.Get("json", &out->json);
}

std::vector<std::string> ReadIpNetworkList(Node& node, std::string_view key) {
  std::vector<std::string> out;
  for (Node& element : node.Sequence(key)) {
    const std::string text = element.Scalar();
    if (!element.IsScalar() || !http::ParseIpNetwork(text).ok()) {
      element.Error("", "expected an IP address or CIDR block like 10.0.0.0/8");
      continue;
    }
    out.push_back(text);
  }
  return out;
}

}  // namespace beacon::config
