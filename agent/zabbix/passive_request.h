// The passive-check request and reply of zabbix_agentd 6.0: one ZBXD frame (flags 0x01, or
// 0x03 zlib-compressed) whose data is the item key, one reply frame with the value or
// "ZBX_NOTSUPPORTED\0<reason>". Unframed text and LARGE frames are refused, as 6.0 refuses them
// (the connection is closed with nothing sent). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::agent::zabbix {

// A key is at most 2048 characters in a 6.0 server; 64 KiB leaves room and bounds what a
// client can make the agent buffer (zabbix_agentd's own limit is 1 GiB).
inline constexpr uint64_t kMaxPassiveRequestSize = 64 * 1024;

struct PassiveRequest {
  enum class State {
    kNeedMore,  // read more bytes and call again
    kReady,     // `key` holds the request
    kRefused,   // close the connection without a reply; `reason` says why (for the log)
  };
  State state = State::kNeedMore;
  std::string key;     // the frame's data up to a NUL, trailing '\r' and '\n' trimmed
  std::string reason;  // when refused
};

// Looks at what a connection has sent so far. Bytes after the frame are ignored (one request
// per connection).
PassiveRequest ParsePassiveRequest(std::string_view received,
                                   uint64_t max_size = kMaxPassiveRequestSize);

// The result of one item, as zabbix_agentd puts it on the wire.
struct ItemResult {
  bool supported = true;
  std::string text;  // the value, or the reason when not supported

  static ItemResult Value(std::string value) { return {true, std::move(value)}; }
  static ItemResult NotSupported(std::string reason) { return {false, std::move(reason)}; }
};

// The reply frame: the value, or "ZBX_NOTSUPPORTED" NUL reason (no trailing NUL). A value too
// big for a frame becomes a not-supported reply saying so.
std::string EncodePassiveReply(const ItemResult& result);

}  // namespace beacon::agent::zabbix
