// beacon.* items: what the agent itself gathered (latest metric values, discovery of series),
// FIM and ports findings, backup age and the spool's backlog.
#include <fmt/format.h>

#include <cmath>

#include "agent/zabbix/items.h"
#include "agent/zabbix/latest_values.h"

namespace beacon::agent::zabbix {
namespace {

// Integral values as integers (so "unsigned" items take them), others in the shortest form
// that reads back exactly.
std::string FormatMetric(double value) {
  if (std::nearbyint(value) == value && std::fabs(value) < 9.0e15) {
    return fmt::format("{:.0f}", value);
  }
  return fmt::format("{}", value);
}

// "mount" -> "{#LABEL.MOUNT}": LLD macro names allow only A-Z, 0-9, '_' and '.'.
std::string LabelMacro(const std::string& label) {
  std::string out = "{#LABEL.";
  for (char c : label) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : ok ? c : '_');
  }
  return out + "}";
}

ItemResult Latest(const ItemContext& context, const std::string& input, const std::string& metric,
                  const std::map<std::string, std::string>& labels) {
  if (context.beacon.latest == nullptr) {
    return ItemResult::NotSupported("Beacon metrics are not available.");
  }
  auto value = context.beacon.latest->Find(input, metric, labels);
  if (!value) {
    return ItemResult::NotSupported(fmt::format(
        "No value of \"{}\" from input \"{}\" yet (is the input enabled?).", metric, input));
  }
  return ItemResult::Value(FormatMetric(value->value));
}

ItemResult Metric(const ItemKey& key, const ItemContext& context) {
  if (key.Param(0).empty()) return InvalidParam(0);
  if (key.Param(1).empty()) return InvalidParam(1);
  std::map<std::string, std::string> labels;
  for (size_t i = 2; i < key.params.size(); ++i) {
    const std::string& pair = key.params[i].value;
    const size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) return InvalidParam(static_cast<int>(i));
    labels[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  return Latest(context, key.Param(0), key.Param(1), labels);
}

ItemResult Discovery(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (TooMany(key, 1, &error)) return error;
  if (context.beacon.latest == nullptr) {
    return ItemResult::NotSupported("Beacon metrics are not available.");
  }
  nlohmann::json rows = nlohmann::json::array();
  for (const LatestValue& v : context.beacon.latest->Series(key.Param(0))) {
    nlohmann::json row = {{"{#INPUT}", v.input}, {"{#METRIC}", v.metric}};
    std::string params;
    for (const auto& [k, value] : v.labels) {
      row[LabelMacro(k)] = value;
      if (!params.empty()) params.push_back(',');
      params += fmt::format("\"{}={}\"", k, value);
    }
    // The label parameters of beacon.metric for this series, ready to paste into a prototype.
    row["{#LABELS}"] = params;
    rows.push_back(std::move(row));
  }
  return ItemResult::Value(DiscoveryJson(rows));
}

ItemResult BackupAge(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (TooMany(key, 1, &error)) return error;
  if (key.Param(0).empty()) return InvalidParam(0);
  if (!context.beacon.backup_last_success_ms) {
    return ItemResult::NotSupported("Backups are not configured.");
  }
  auto last = context.beacon.backup_last_success_ms(key.Param(0));
  if (!last.ok()) return ItemResult::NotSupported(last.status().message());
  if (!last->has_value()) {
    return ItemResult::NotSupported(
        fmt::format("Backup set \"{}\" has not completed yet.", key.Param(0)));
  }
  const int64_t age_ms = std::max<int64_t>(0, context.clock->NowMs() - **last);
  return ItemResult::Value(std::to_string(age_ms / 1000));
}

ItemResult SpoolSize(const ItemKey& key, const ItemContext& context) {
  ItemResult error;
  if (RejectParams(key, &error)) return error;
  if (!context.beacon.spool_pending_bytes) {
    return ItemResult::NotSupported("The spool is not open.");
  }
  auto bytes = context.beacon.spool_pending_bytes();
  if (!bytes.ok())
    return ItemResult::NotSupported("Cannot read the spool: " + bytes.status().message());
  return ItemResult::Value(std::to_string(*bytes));
}

}  // namespace

void AddBeaconItems(ItemTable* table) {
  table->Add({"beacon.metric", ItemCost::kCheap, Metric});
  table->Add({"beacon.discovery", ItemCost::kCheap, Discovery});
  table->Add({"beacon.fim.changes", ItemCost::kCheap, [](const ItemKey& key, const ItemContext& c) {
                ItemResult error;
                if (RejectParams(key, &error)) return error;
                return Latest(c, "fim", "fim.changes", {});
              }});
  table->Add(
      {"beacon.ports.unexpected", ItemCost::kCheap, [](const ItemKey& key, const ItemContext& c) {
         ItemResult error;
         if (RejectParams(key, &error)) return error;
         return Latest(c, "ports", "ports.unexpected", {});
       }});
  table->Add({"beacon.backup.age", ItemCost::kSlow, BackupAge});
  // A SQLite query on the spool, which the uplink may hold for a moment.
  table->Add({"beacon.spool.size", ItemCost::kSlow, SpoolSize});
}

}  // namespace beacon::agent::zabbix
