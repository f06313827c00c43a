// Exact JSON round trip of notifications and alert views for the alert store's deliveries.
#include "collector/alerts/notification_json.h"

#include <string>
#include <utility>

namespace beacon::collector::alerts {
namespace {

using nlohmann::json;
using notifier::AlertStatus;
using notifier::AlertView;
using notifier::Notification;
using notifier::NotificationKind;

// Typed field readers: a missing or mistyped field is an error naming it, never a default, so a
// damaged stored delivery is reported instead of being sent half-empty.
Status Missing(std::string_view key, std::string_view type) {
  return Status::InvalidArgument("field '" + std::string(key) + "' missing or not " +
                                 std::string(type));
}

Status ReadInt(const json& j, std::string_view key, int64_t* out) {
  auto it = j.find(std::string(key));
  if (it == j.end() || !it->is_number_integer()) return Missing(key, "an integer");
  *out = it->get<int64_t>();
  return Status::Ok();
}

Status ReadString(const json& j, std::string_view key, std::string* out) {
  auto it = j.find(std::string(key));
  if (it == j.end() || !it->is_string()) return Missing(key, "a string");
  *out = it->get<std::string>();
  return Status::Ok();
}

Status ReadCounts(const json& j, std::string_view key,
                  std::vector<std::pair<std::string, int64_t>>* out) {
  auto it = j.find(std::string(key));
  if (it == j.end() || !it->is_array()) return Missing(key, "an array");
  for (const json& pair : *it) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() ||
        !pair[1].is_number_integer()) {
      return Status::InvalidArgument("field '" + std::string(key) +
                                     "' holds an entry that is not [name, count]");
    }
    out->emplace_back(pair[0].get<std::string>(), pair[1].get<int64_t>());
  }
  return Status::Ok();
}

json CountsToJson(const std::vector<std::pair<std::string, int64_t>>& counts) {
  json out = json::array();
  for (const auto& [name, count] : counts) out.push_back(json::array({name, count}));
  return out;
}

}  // namespace

std::string_view NotificationKindName(NotificationKind kind) {
  switch (kind) {
    case NotificationKind::kGroup:
      return "group";
    case NotificationKind::kRepeat:
      return "repeat";
    case NotificationKind::kSummary:
      return "summary";
  }
  return "group";
}

std::optional<NotificationKind> ParseNotificationKind(std::string_view name) {
  if (name == "group") return NotificationKind::kGroup;
  if (name == "repeat") return NotificationKind::kRepeat;
  if (name == "summary") return NotificationKind::kSummary;
  return std::nullopt;
}

json AlertViewToJson(const AlertView& alert) {
  json j = json::object();
  j["id"] = alert.id;
  j["source"] = alert.source;
  j["fingerprint"] = alert.fingerprint;
  j["external_id"] = alert.external_id;
  j["status"] = std::string(notifier::AlertStatusName(alert.status));
  j["severity"] = std::string(notifier::SeverityName(alert.severity));
  j["host"] = alert.host;
  j["title"] = alert.title;
  j["message"] = alert.message;
  j["tags"] = alert.tags;
  j["url"] = alert.url;
  j["starts_ms"] = alert.starts_ms;
  j["ends_ms"] = alert.ends_ms;
  j["occurrences"] = alert.occurrences;
  return j;
}

Result<AlertView> AlertViewFromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("alert is not an object");
  AlertView a;
  BEACON_RETURN_IF_ERROR(ReadInt(j, "id", &a.id));
  BEACON_RETURN_IF_ERROR(ReadString(j, "source", &a.source));
  BEACON_RETURN_IF_ERROR(ReadString(j, "fingerprint", &a.fingerprint));
  BEACON_RETURN_IF_ERROR(ReadString(j, "external_id", &a.external_id));
  std::string status;
  BEACON_RETURN_IF_ERROR(ReadString(j, "status", &status));
  if (status == "firing") {
    a.status = AlertStatus::kFiring;
  } else if (status == "resolved") {
    a.status = AlertStatus::kResolved;
  } else {
    return Status::InvalidArgument("unknown alert status '" + status + "'");
  }
  std::string severity;
  BEACON_RETURN_IF_ERROR(ReadString(j, "severity", &severity));
  std::optional<notifier::Severity> parsed = notifier::ParseSeverity(severity);
  if (!parsed) return Status::InvalidArgument("unknown severity '" + severity + "'");
  a.severity = *parsed;
  BEACON_RETURN_IF_ERROR(ReadString(j, "host", &a.host));
  BEACON_RETURN_IF_ERROR(ReadString(j, "title", &a.title));
  BEACON_RETURN_IF_ERROR(ReadString(j, "message", &a.message));
  auto tags = j.find("tags");
  if (tags == j.end() || !tags->is_object()) return Missing("tags", "an object");
  for (auto it = tags->begin(); it != tags->end(); ++it) {
    if (!it->is_string()) return Status::InvalidArgument("tag '" + it.key() + "' is not a string");
    a.tags[it.key()] = it->get<std::string>();
  }
  BEACON_RETURN_IF_ERROR(ReadString(j, "url", &a.url));
  BEACON_RETURN_IF_ERROR(ReadInt(j, "starts_ms", &a.starts_ms));
  BEACON_RETURN_IF_ERROR(ReadInt(j, "ends_ms", &a.ends_ms));
  BEACON_RETURN_IF_ERROR(ReadInt(j, "occurrences", &a.occurrences));
  return a;
}

json NotificationToJson(const Notification& n) {
  json j = json::object();
  j["id"] = n.id;
  j["receiver"] = n.receiver;
  j["kind"] = std::string(NotificationKindName(n.kind));
  j["created_ms"] = n.created_ms;
  json alerts = json::array();
  for (const AlertView& a : n.alerts) alerts.push_back(AlertViewToJson(a));
  j["alerts"] = std::move(alerts);
  j["total_alerts"] = n.total_alerts;
  j["firing"] = n.firing;
  j["resolved"] = n.resolved;
  j["by_severity"] = CountsToJson(n.by_severity);
  j["by_host"] = CountsToJson(n.by_host);
  j["parts_done"] = n.parts_done;
  return j;
}

Result<Notification> NotificationFromJson(const json& j) {
  if (!j.is_object()) return Status::InvalidArgument("notification is not an object");
  Notification n;
  BEACON_RETURN_IF_ERROR(ReadInt(j, "id", &n.id));
  BEACON_RETURN_IF_ERROR(ReadString(j, "receiver", &n.receiver));
  std::string kind;
  BEACON_RETURN_IF_ERROR(ReadString(j, "kind", &kind));
  std::optional<NotificationKind> parsed = ParseNotificationKind(kind);
  if (!parsed) return Status::InvalidArgument("unknown notification kind '" + kind + "'");
  n.kind = *parsed;
  BEACON_RETURN_IF_ERROR(ReadInt(j, "created_ms", &n.created_ms));
  auto alerts = j.find("alerts");
  if (alerts == j.end() || !alerts->is_array()) return Missing("alerts", "an array");
  for (size_t i = 0; i < alerts->size(); ++i) {
    Result<AlertView> alert = AlertViewFromJson((*alerts)[i]);
    if (!alert.ok()) return alert.status().WithContext("alerts[" + std::to_string(i) + "]");
    n.alerts.push_back(std::move(alert).value());
  }
  BEACON_RETURN_IF_ERROR(ReadInt(j, "total_alerts", &n.total_alerts));
  BEACON_RETURN_IF_ERROR(ReadInt(j, "firing", &n.firing));
  BEACON_RETURN_IF_ERROR(ReadInt(j, "resolved", &n.resolved));
  BEACON_RETURN_IF_ERROR(ReadCounts(j, "by_severity", &n.by_severity));
  BEACON_RETURN_IF_ERROR(ReadCounts(j, "by_host", &n.by_host));
  int64_t parts_done = 0;
  BEACON_RETURN_IF_ERROR(ReadInt(j, "parts_done", &parts_done));
  if (parts_done < 0 || parts_done > 1000000) {
    return Status::InvalidArgument("parts_done out of range");
  }
  n.parts_done = static_cast<int>(parts_done);
  return n;
}

}  // namespace beacon::collector::alerts
