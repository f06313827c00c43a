// Config sections shared by every daemon (the `log:` section), read with one function so the
// agent and the collector accept exactly the same keys.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/config/config.h"
#include "common/log/log.h"

namespace beacon::config {

// Reads `level` (trace|debug|info|warn|error|critical|off), `file` and `json` from a `log:`
// section into *out; absent keys keep the defaults already in *out.
void ReadLogOptions(Node node, log::LogOptions* out);

// Reads a sequence of IP addresses / CIDR blocks at `key` (listen.trusted_proxies,
// alerts.splunk.allow_from); an element that is not one is an error at its own line.
std::vector<std::string> ReadIpNetworkList(Node& node, std::string_view key);

}  // namespace beacon::config
