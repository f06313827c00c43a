// Shared daemon config sections; see common_sections.h.
#include "common/config/common_sections.h"

namespace beacon::config {

void ReadLogOptions(Node node, log::LogOptions* out) {
  node.GetEnum("level", &out->level,
               {"trace", "debug", "info", "warn", "error", "critical", "off"});
  node.Get("file", &out->file);
  node.Get("json", &out->json);
}

}  // namespace beacon::config
