// Config sections shared by every daemon (the `log:` section), read with one function so the
// agent and the collector accept exactly the same keys.
#pragma once

#include "common/config/config.h"
#include "common/log/log.h"

namespace beacon::config {

// Reads `level` (trace|debug|info|warn|error|critical|off), `file` and `json` from a `log:`
// section into *out; absent keys keep the defaults already in *out.
void ReadLogOptions(Node node, log::LogOptions* out);

}  // namespace beacon::config
