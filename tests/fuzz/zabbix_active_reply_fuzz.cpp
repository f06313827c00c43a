// Fuzzes what a Zabbix server (or anything at a server_active address) answers the active
// checks (agent/zabbix/active_protocol.h): the same bytes as an item-list reply, as an
// agent-data reply and as a delay. Checks: every accepted check has a non-empty key of at most
// 2048 bytes and a delay of 1 s..1 day, keys are unique and at most kMaxActiveChecks; a list
// re-encoded as the server would send it parses to the same checks; the counters of a data
// reply are -1 or non-negative; a session's schedule takes every check due at once.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "agent/zabbix/active_checks.h"
#include "agent/zabbix/active_protocol.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace beacon::agent::zabbix;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto list = ParseActiveChecksReply(text);
  if (list.ok()) {
    FUZZ_CHECK(list->checks.size() <= kMaxActiveChecks);
    std::set<std::string> keys;
    nlohmann::json again = {{"response", "success"}, {"data", nlohmann::json::array()}};
    for (const ActiveCheck& check : list->checks) {
      FUZZ_CHECK(!check.key.empty() && check.key.size() <= 2048);
      FUZZ_CHECK(check.delay_s >= 1 && check.delay_s <= 86400);
      FUZZ_CHECK(keys.insert(check.key).second);
      again["data"].push_back({{"key", check.key}, {"delay", check.delay_s}});
    }
    auto reparsed = ParseActiveChecksReply(again.dump());
    FUZZ_CHECK(reparsed.ok() && reparsed->checks.size() == list->checks.size());
    for (size_t i = 0; i < list->checks.size(); ++i) {
      FUZZ_CHECK(reparsed->checks[i].key == list->checks[i].key);
      FUZZ_CHECK(reparsed->checks[i].delay_s == list->checks[i].delay_s);
    }
    ActiveSchedule schedule;
    schedule.SetChecks(list->checks, 0);
    FUZZ_CHECK(schedule.TakeDue(0).size() == list->checks.size());
  }
  auto reply = ParseAgentDataReply(text);
  if (reply.ok()) {
    for (int64_t n : {reply->processed, reply->failed, reply->total}) FUZZ_CHECK(n >= -1);
    FUZZ_CHECK(reply->info.size() <= 512);
  }
  auto delay = ParseActiveDelay(text);
  if (delay.ok()) FUZZ_CHECK(*delay >= 1 && *delay <= 86400);
  return 0;
}
