// Active-check JSON: nlohmann's ordered_json keeps zabbix_agentd's field order on the wire.
#include "agent/zabbix/active_protocol.h"

#include <nlohmann/json.hpp>
#include <set>

#include "common/crypto/crypto.h"
#include "common/json/parse.h"

namespace beacon::agent::zabbix {
namespace {

constexpr size_t kMaxKeyLength = 2048;  // a 6.0 server's item key limit
constexpr int64_t kMaxDelaySeconds = 86'400;

JsonLimits ReplyLimits() {
  JsonLimits limits;
  limits.max_depth = 8;
  limits.max_bytes = kMaxActiveReplyBytes;
  limits.max_values = kMaxActiveChecks * 16 + 64;
  return limits;
}

// "processed: 1; failed: 0; total: 1; seconds spent: 0.000130" -> the number after `label`.
int64_t InfoNumber(const std::string& info, std::string_view label) {
  const size_t at = info.find(label);
  if (at == std::string::npos) return -1;
  size_t pos = at + label.size();
  while (pos < info.size() && info[pos] == ' ') ++pos;
  int64_t value = 0;
  size_t digits = 0;
  for (; pos < info.size() && info[pos] >= '0' && info[pos] <= '9' && digits < 18; ++pos) {
    value = value * 10 + (info[pos] - '0');
    ++digits;
  }
  return digits == 0 ? -1 : value;
}

}  // namespace

std::string EncodeActiveChecksRequest(const ActiveChecksRequest& request) {
  nlohmann::ordered_json j;
  j["request"] = "active checks";
  j["host"] = request.host;
  if (!request.host_metadata.empty()) j["host_metadata"] = request.host_metadata;
  if (!request.ip.empty()) j["ip"] = request.ip;
  if (request.port != 10050) j["port"] = request.port;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<int64_t> ParseActiveDelay(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return Status::InvalidArgument("delay \"" + std::string(text.substr(0, 64)) + "\" " +
                                   std::string(why));
  };
  if (text.find(';') != std::string_view::npos || text.find('/') != std::string_view::npos) {
    return bad("has flexible or scheduling intervals, which this agent does not schedule");
  }
  size_t pos = 0;
  int64_t value = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    value = value * 10 + (text[pos] - '0');
    if (value > kMaxDelaySeconds * 7) return bad("is too long");
    ++pos;
  }
  if (pos == 0) return bad("is not a number of seconds");
  int64_t unit = 1;
  if (pos + 1 == text.size()) {
    switch (text[pos]) {
      case 's':
        unit = 1;
        break;
      case 'm':
        unit = 60;
        break;
      case 'h':
        unit = 3600;
        break;
      case 'd':
        unit = 86'400;
        break;
      case 'w':
        unit = 7 * 86'400;
        break;
      default:
        return bad("has an unknown unit");
    }
  } else if (pos != text.size()) {
    return bad("is not a number of seconds");
  }
  value *= unit;
  if (value <= 0) return bad("is zero");
  if (value > kMaxDelaySeconds) return bad("is longer than a day");
  return value;
}

Result<ActiveChecksReply> ParseActiveChecksReply(std::string_view text) {
  BEACON_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(text, ReplyLimits()));
  if (!j.is_object()) return Status::InvalidArgument("active checks reply is not a JSON object");
  auto response = j.find("response");
  if (response == j.end() || !response->is_string()) {
    return Status::InvalidArgument("active checks reply has no \"response\"");
  }
  std::string info;
  if (auto it = j.find("info"); it != j.end() && it->is_string()) info = it->get<std::string>();
  if (*response != "success") {
    return Status::FailedPrecondition(
        "server refused the active checks request: " +
        (info.empty() ? std::string("response \"") + response->get<std::string>() + "\""
                      : info.substr(0, 512)));
  }
  ActiveChecksReply reply;
  auto data = j.find("data");
  if (data == j.end() || data->is_null()) return reply;
  if (!data->is_array()) return Status::InvalidArgument("active checks \"data\" is not an array");
  if (data->size() > kMaxActiveChecks) {
    return Status::InvalidArgument("active checks list has " + std::to_string(data->size()) +
                                   " items, more than " + std::to_string(kMaxActiveChecks));
  }
  std::set<std::string> seen;
  for (const nlohmann::json& entry : *data) {
    if (!entry.is_object()) {
      reply.skipped.push_back("(not an object): ignored");
      continue;
    }
    auto key = entry.find("key");
    if (key == entry.end() || !key->is_string() || key->get_ref<const std::string&>().empty()) {
      reply.skipped.push_back("(no key): ignored");
      continue;
    }
    const std::string& key_text = key->get_ref<const std::string&>();
    if (key_text.size() > kMaxKeyLength) {
      reply.skipped.push_back(key_text.substr(0, 64) + "...: key longer than 2048 characters");
      continue;
    }
    auto delay = entry.find("delay");
    Result<int64_t> delay_s = Status::InvalidArgument("has no delay");
    if (delay != entry.end() && delay->is_number_unsigned()) {
      delay_s = ParseActiveDelay(std::to_string(delay->get<uint64_t>()));
    } else if (delay != entry.end() && delay->is_number_integer()) {
      delay_s = Status::InvalidArgument("delay is negative");
    } else if (delay != entry.end() && delay->is_string()) {
      delay_s = ParseActiveDelay(delay->get_ref<const std::string&>());
    }
    if (!delay_s.ok()) {
      reply.skipped.push_back(key_text + ": " + delay_s.status().message());
      continue;
    }
    if (!seen.insert(key_text).second) continue;
    reply.checks.push_back({key_text, *delay_s});
  }
  return reply;
}

std::string EncodeAgentData(const std::string& session, const std::vector<ActiveValue>& values,
                            int64_t clock, int32_t ns) {
  nlohmann::ordered_json j;
  j["request"] = "agent data";
  j["session"] = session;
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (const ActiveValue& v : values) {
    nlohmann::ordered_json e;
    e["host"] = v.host;
    e["key"] = v.key;
    e["value"] = v.value;
    if (v.not_supported) e["state"] = 1;
    e["id"] = v.id;
    e["clock"] = v.clock;
    e["ns"] = v.ns;
    data.push_back(std::move(e));
  }
  j["data"] = std::move(data);
  j["clock"] = clock;
  j["ns"] = ns;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<AgentDataReply> ParseAgentDataReply(std::string_view text) {
  BEACON_ASSIGN_OR_RETURN(nlohmann::json j, ParseJson(text, ReplyLimits()));
  if (!j.is_object()) return Status::InvalidArgument("agent data reply is not a JSON object");
  auto response = j.find("response");
  if (response == j.end() || !response->is_string()) {
    return Status::InvalidArgument("agent data reply has no \"response\"");
  }
  AgentDataReply reply;
  reply.success = *response == "success";
  if (auto it = j.find("info"); it != j.end() && it->is_string()) {
    reply.info = it->get<std::string>().substr(0, 512);
  }
  reply.processed = InfoNumber(reply.info, "processed:");
  reply.failed = InfoNumber(reply.info, "failed:");
  reply.total = InfoNumber(reply.info, "total:");
  return reply;
}

std::string ActiveSessionToken(std::string_view random16) {
  return crypto::HexEncode(random16.substr(0, 16));
}

}  // namespace beacon::agent::zabbix
