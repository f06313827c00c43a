// JSON form of a notifier::Notification, as the alert store keeps each delivery: the round trip
// is exact, so a retry after a restart renders byte-identical requests.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "common/status.h"
#include "notifier/notifier.h"

namespace beacon::collector::alerts {

// Every field, including each AlertView; kinds as "group" | "repeat" | "summary", statuses and
// severities by name, by_severity/by_host as ordered [name, count] pairs.
nlohmann::json NotificationToJson(const notifier::Notification& notification);
// The inverse; InvalidArgument naming the first missing or mistyped field.
Result<notifier::Notification> NotificationFromJson(const nlohmann::json& json);

nlohmann::json AlertViewToJson(const notifier::AlertView& alert);
Result<notifier::AlertView> AlertViewFromJson(const nlohmann::json& json);

std::string_view NotificationKindName(notifier::NotificationKind kind);
std::optional<notifier::NotificationKind> ParseNotificationKind(std::string_view name);

}  // namespace beacon::collector::alerts
