// The item table of the passive listener: each key name maps to a handler with zabbix_agentd
// 6.0's semantics, value formats and not-supported texts. The standard items read the host
// through paths in ItemContext (tests point them at fixture trees); Beacon's own items read the
// agent through BeaconSources. The table is built once and read-only afterwards; handlers are
// called from several listener workers at once and must be thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/zabbix/item_key.h"
#include "agent/zabbix/passive_request.h"
#include "common/clock.h"

namespace beacon::agent::zabbix {

class CpuUtilCollector;
class LatestValues;

// What beacon.* items read from the running agent. Each member may be empty (the part of the
// agent is not configured): the item then says so as not supported.
struct BeaconSources {
  const LatestValues* latest = nullptr;
  // Pending bytes in the spool.
  std::function<Result<int64_t>()> spool_pending_bytes;
  // When the set last stored every due file (UTC ms); nullopt when it never has, NotFound for
  // an unknown set.
  std::function<Result<std::optional<int64_t>>(const std::string& set)> backup_last_success_ms;
};

struct ItemContext {
  std::string proc_root = "/proc";
  std::string hostname;            // agent.hostname
  std::string version = "6.0.14";  // agent.version
  int64_t timeout_ms = 3000;       // zabbix.timeout: bounds connects and file reads
  int64_t deadline_ms = 0;         // Clock::MonotonicMs() by which the item must answer
  const Clock* clock = &SystemClock::Instance();
  CpuUtilCollector* cpu = nullptr;  // system.cpu.util; not supported without it
  BeaconSources beacon;
};

// How an item runs: instant items answer from memory (agent.ping, agent.version) or with one
// bounded kernel query (net.tcp.listen: a sock_diag dump of the listening sockets), so the
// passive listener answers them on its I/O thread without a hand-off, which costs more than
// the item (two thread wake-ups per request); cheap items read a few
// /proc lines and never block, slow ones may hash a big file or wait on a connect; the listener
// gives those two separate worker lanes so slow items cannot hold up cheap ones (active checks
// run instant items on the cheap lane).
enum class ItemCost { kInstant, kCheap, kSlow };

using ItemHandler = std::function<ItemResult(const ItemKey& key, const ItemContext& context)>;

struct ItemDef {
  std::string name;
  ItemCost cost = ItemCost::kCheap;
  ItemHandler handler;
};

class ItemTable {
 public:
  void Add(ItemDef def);
  const ItemDef* Find(const std::string& name) const;
  std::vector<std::string> Names() const;

  // Parses the key and runs its item: "Invalid item key format." and "Unsupported item key."
  // as zabbix_agentd words them; an exception from a handler becomes a not-supported reply.
  ItemResult Run(const std::string& key_text, const ItemContext& context) const;

 private:
  std::map<std::string, ItemDef> items_;
};

// Every item this agent serves: the zabbix_agentd ones and beacon.*.
ItemTable StandardItemTable();

// The groups, one file each (items_<group>.cpp).
void AddAgentItems(ItemTable* table);   // agent.*, system.*, vm.memory.size, proc.num
void AddVfsItems(ItemTable* table);     // vfs.fs.*, vfs.file.*
void AddNetItems(ItemTable* table);     // net.tcp.*, net.if.*
void AddBeaconItems(ItemTable* table);  // beacon.*

// Helpers the groups share, in zabbix_agentd's words.
// True, with *out "Item does not allow parameters.", when the key has brackets.
bool RejectParams(const ItemKey& key, ItemResult* out);
// True, with *out "Too many parameters.", when the key has more than `max`.
bool TooMany(const ItemKey& key, size_t max, ItemResult* out);
ItemResult InvalidParam(int index);     // "Invalid first parameter." (index 0), second, ...
std::string FormatFloat(double value);  // "%.6f" like zabbix_agentd: "0.657715"
// "[2] No such file or directory" for errno 2.
std::string ZbxErrno(int err);
// A discovery value: the rows as compact JSON, raw UTF-8 (invalid bytes replaced).
std::string DiscoveryJson(const nlohmann::json& rows);
// The whole of a small file (/proc, /sys); nullopt with *err = errno when it cannot be read.
std::optional<std::string> ReadSmallFile(const std::string& path, int* err = nullptr);

}  // namespace beacon::agent::zabbix
