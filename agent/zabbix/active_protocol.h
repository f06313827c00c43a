// The active-check protocol of zabbix_agentd 6.0 as JSON in ZBXD frames: the agent asks the
// server for its item list ({"request":"active checks",...}), the server answers the keys and
// their delays, and the agent sends values in batches ({"request":"agent data",...}), each
// answered with "processed: N; failed: M; ...". Like the C agent the request carries no
// "version", so a 6.0 server answers the legacy format (integer delay, key_orig). Pure
// functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace beacon::agent::zabbix {

// Item lists beyond this many entries are refused as a whole (a 6.0 host has hundreds).
inline constexpr size_t kMaxActiveChecks = 10'000;
// The largest reply the agent reads from a server (item list or data reply).
inline constexpr uint64_t kMaxActiveReplyBytes = 16 * 1024 * 1024;

struct ActiveChecksRequest {
  std::string host;           // zabbix.hostname
  std::string host_metadata;  // sent when not empty (HostMetadata=)
  std::string ip;             // sent when not empty: the passive listener's address (ListenIP=)
  int port = 10050;           // sent when not 10050: the passive listener's port (ListenPort=)
};

// {"request":"active checks","host":...,["host_metadata":...,]["ip":...,]["port":N]}
std::string EncodeActiveChecksRequest(const ActiveChecksRequest& request);

struct ActiveCheck {
  std::string key;
  int64_t delay_s = 0;  // > 0
};

struct ActiveChecksReply {
  std::vector<ActiveCheck> checks;
  // Entries that cannot be scheduled, each "key: reason" (a flexible or scheduling interval,
  // a zero delay, a missing key); the rest are still used.
  std::vector<std::string> skipped;
};

// Reads the server's answer to the item-list request. FailedPrecondition with the server's
// info for {"response":"failed","info":"host [x] not found"}; InvalidArgument for anything
// that is not a success object with a "data" array (missing "data" means no items); the
// checks are returned in the server's order, a key listed twice once (the first).
Result<ActiveChecksReply> ParseActiveChecksReply(std::string_view text);

// A delay as the server sends it: an integer number of seconds, or (to a versioned agent) a
// string like "30", "30s", "5m", "1h", "1d", "1w". InvalidArgument for 0, a negative or
// unknown value, or flexible/scheduling intervals ("10s;50s/1-5,09:00-18:00", "md1"), which
// this agent does not schedule (the legacy format never carries them).
Result<int64_t> ParseActiveDelay(std::string_view text);

struct ActiveValue {
  std::string host;
  std::string key;
  std::string value;           // the value, or the reason when not supported
  bool not_supported = false;  // sent with "state":1
  uint64_t id = 0;
  int64_t clock = 0;  // Unix seconds when it was gathered
  int32_t ns = 0;
};

// {"request":"agent data","session":...,"data":[{"host","key","value",["state":1,]"id",
// "clock","ns"},...],"clock":...,"ns":...}; invalid UTF-8 in a value is replaced.
std::string EncodeAgentData(const std::string& session, const std::vector<ActiveValue>& values,
                            int64_t clock, int32_t ns);

struct AgentDataReply {
  bool success = false;  // "response":"success"
  std::string info;
  // From "processed: N; failed: M; total: T; ..."; -1 when the info does not say.
  int64_t processed = -1;
  int64_t failed = -1;
  int64_t total = -1;
};

// Reads the server's answer to an agent-data request. InvalidArgument for text that is not a
// JSON object with a string "response".
Result<AgentDataReply> ParseAgentDataReply(std::string_view text);

// A session token: 32 lowercase hex digits from 16 random bytes.
std::string ActiveSessionToken(std::string_view random16);

}  // namespace beacon::agent::zabbix
