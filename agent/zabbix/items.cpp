// ItemTable and the helpers every item group shares.
#include "agent/zabbix/items.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <exception>

#include "common/posix.h"

namespace beacon::agent::zabbix {

void ItemTable::Add(ItemDef def) {
  std::string name = def.name;
  items_[name] = std::move(def);
}

const ItemDef* ItemTable::Find(const std::string& name) const {
  auto it = items_.find(name);
  return it == items_.end() ? nullptr : &it->second;
}

std::vector<std::string> ItemTable::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, def] : items_) names.push_back(name);
  return names;
}

ItemResult ItemTable::Run(const std::string& key_text, const ItemContext& context) const {
  auto key = ParseItemKey(key_text);
  if (!key.ok()) return ItemResult::NotSupported(key.status().message());
  const ItemDef* def = Find(key->name);
  if (def == nullptr) return ItemResult::NotSupported("Unsupported item key.");
  try {
    return def->handler(*key, context);
  } catch (const std::exception& e) {
    return ItemResult::NotSupported(std::string("Internal error: ") + e.what());
  }
}

ItemTable StandardItemTable() {
  ItemTable table;
  AddAgentItems(&table);
  AddVfsItems(&table);
  AddNetItems(&table);
  AddBeaconItems(&table);
  return table;
}

bool RejectParams(const ItemKey& key, ItemResult* out) {
  if (!key.has_params) return false;
  *out = ItemResult::NotSupported("Item does not allow parameters.");
  return true;
}

bool TooMany(const ItemKey& key, size_t max, ItemResult* out) {
  if (key.params.size() <= max) return false;
  *out = ItemResult::NotSupported("Too many parameters.");
  return true;
}

ItemResult InvalidParam(int index) {
  static const char* const kOrdinals[] = {"first", "second", "third",  "fourth",
                                          "fifth", "sixth",  "seventh"};
  const char* ordinal = index >= 0 && index < 7 ? kOrdinals[index] : "unknown";
  return ItemResult::NotSupported(fmt::format("Invalid {} parameter.", ordinal));
}

std::string FormatFloat(double value) { return fmt::format("{:.6f}", value); }

std::string ZbxErrno(int err) { return fmt::format("[{}] {}", err, ErrnoText(err)); }

std::string DiscoveryJson(const nlohmann::json& rows) {
  return rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<std::string> ReadSmallFile(const std::string& path, int* err) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (err != nullptr) *err = errno;
    return std::nullopt;
  }
  std::string text;
  char buffer[16 * 1024];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (err != nullptr) *err = errno;
      return std::nullopt;
    }
    if (n == 0) return text;
    text.append(buffer, static_cast<size_t>(n));
  }
}

}  // namespace beacon::agent::zabbix
