// Request framing and reply encoding for passive checks, on the ZBXD codec of zbxd.h.
#include "agent/zabbix/passive_request.h"

#include "agent/zabbix/zbxd.h"

namespace beacon::agent::zabbix {

PassiveRequest ParsePassiveRequest(std::string_view received, uint64_t max_size) {
  PassiveRequest out;
  ZbxdOptions options;
  options.max_data_size = max_size;
  auto frame = DecodeZbxd(received, options);
  if (!frame.ok()) {
    out.state = PassiveRequest::State::kRefused;
    out.reason = frame.status().message();
    return out;
  }
  if (!frame->has_value()) return out;  // kNeedMore
  std::string key = std::move((*frame)->data);
  if (size_t nul = key.find('\0'); nul != std::string::npos) key.resize(nul);
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  out.state = PassiveRequest::State::kReady;
  out.key = std::move(key);
  return out;
}

std::string EncodePassiveReply(const ItemResult& result) {
  std::string data;
  if (result.supported) {
    data = result.text;
  } else {
    data = "ZBX_NOTSUPPORTED";
    data.push_back('\0');
    data += result.text;
  }
  auto frame = EncodeZbxd(data);
  if (frame.ok()) return *frame;
  std::string reason = "ZBX_NOTSUPPORTED";
  reason.push_back('\0');
  reason += "Value is too large.";
  return *EncodeZbxd(reason);
}

}  // namespace beacon::agent::zabbix
