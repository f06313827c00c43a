// AlertStore on SQLite: alerts and receipts, notification groups and their members, the outbox
// (rows per group notification, deliveries that notifiers send) and silences. This file holds
// the row helpers every part shares; each concern has its own alert_store_*.cpp (see
// alert_store_impl.h).
#include "collector/alerts/alert_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "collector/alerts/alert_store_impl.h"

namespace beacon::collector::alerts {

std::string_view StatusName(AlertStatus status) { return notifier::AlertStatusName(status); }

AlertStatus ParseStatus(const std::string& text) {
  return text == "resolved" ? AlertStatus::kResolved : AlertStatus::kFiring;
}

DeliveryState ParseDeliveryState(const std::string& text) {
  if (text == "delivered") return DeliveryState::kDelivered;
  if (text == "failed") return DeliveryState::kFailed;
  return DeliveryState::kPending;
}

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json ParseStoredJson(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

Severity SeverityFromInt(int64_t value) {
  return static_cast<Severity>(std::clamp<int64_t>(value, 0, 5));
}

AlertView ReadAlert(const store::Statement& s, int first) {
  AlertView a;
  a.id = s.ColumnInt(first + 0);
  a.source = s.ColumnText(first + 1);
  a.fingerprint = s.ColumnText(first + 2);
  a.external_id = s.ColumnText(first + 3);
  a.status = ParseStatus(s.ColumnText(first + 4));
  a.severity = SeverityFromInt(s.ColumnInt(first + 5));
  a.host = s.ColumnText(first + 6);
  a.title = s.ColumnText(first + 7);
  a.message = s.ColumnText(first + 8);
  nlohmann::json tags = ParseStoredJson(s.ColumnText(first + 9));
  if (tags.is_object()) {
    for (auto it = tags.begin(); it != tags.end(); ++it) {
      if (it->is_string()) a.tags[it.key()] = it->get<std::string>();
    }
  }
  a.url = s.ColumnText(first + 10);
  a.starts_ms = s.ColumnInt(first + 11);
  a.ends_ms = s.ColumnInt(first + 12);
  a.occurrences = s.ColumnInt(first + 13);
  return a;
}

Result<std::vector<int64_t>> FirstColumnIds(store::Statement& s) {
  std::vector<int64_t> ids;
  while (true) {
    BEACON_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ids.push_back(s.ColumnInt(0));
  }
  return ids;
}

std::string_view DeliveryStateName(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      return "failed";
  }
  return "pending";
}

RelaxedSync::RelaxedSync(store::Database& db) : db_(db) {
  relaxed_ = db_.Exec("PRAGMA synchronous=NORMAL").ok();
}

RelaxedSync::~RelaxedSync() {
  if (relaxed_ && !db_.Exec("PRAGMA synchronous=FULL").ok()) {
    spdlog::error("alerts store: could not restore synchronous=FULL");
  }
}

}  // namespace beacon::collector::alerts
