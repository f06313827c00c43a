// A ZBXD request/reply exchange over TCP (the Java gateway, the active checks' server): one
// frame out, one frame back, on a fresh connection. Blocking, bounded by a deadline;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace beacon::agent::zabbix {

// Sends one ZBXD frame holding `payload` to host:port and returns the data of the one frame
// the peer answers, all within timeout_ms (connect, write and read together):
// DeadlineExceeded when it runs out, Unavailable when the connection fails or closes early,
// InvalidArgument for a reply that is not ZBXD or exceeds max_response_bytes.
Result<std::string> ZbxdExchange(const std::string& host, int port, const std::string& payload,
                                 int64_t timeout_ms, uint64_t max_response_bytes);

}  // namespace beacon::agent::zabbix
