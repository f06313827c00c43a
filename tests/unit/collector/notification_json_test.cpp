// Notification JSON: the exact round trip the alert store relies on for byte-identical retries,
// the stored field names, and the errors for damaged JSON.
#include "collector/alerts/notification_json.h"

#include <gtest/gtest.h>

#include <string>

namespace beacon::collector::alerts {
namespace {

using notifier::AlertStatus;
using notifier::AlertView;
using notifier::Notification;
using notifier::NotificationKind;
using notifier::Severity;

AlertView FullAlert() {
  AlertView a;
  a.id = 42;
  a.source = "zabbix";
  a.fingerprint = "0123456789abcdef0123456789abcdef";
  a.external_id = "9001";
  a.status = AlertStatus::kResolved;
  a.severity = Severity::kDisaster;
  a.host = "db-01";
  a.title = "磁盘空间不足 / disk full";
  a.message = "line one\nline \"two\"\twith tab";
  a.tags = {{"scope", "capacity"}, {"team", "数据库"}};
  a.url = "https://zabbix.example/tr_events.php?eventid=9001";
  a.starts_ms = 1'700'000'000'000;
  a.ends_ms = 1'700'000'360'000;
  a.occurrences = 7;
  return a;
}

Notification FullNotification() {
  Notification n;
  n.id = 17;
  n.receiver = "ops-robot";
  n.kind = NotificationKind::kSummary;
  n.created_ms = 1'700'000'400'000;
  n.alerts = {FullAlert(), AlertView{}};
  n.alerts[1].id = 43;
  n.alerts[1].source = "splunk";
  n.total_alerts = 120;
  n.firing = 100;
  n.resolved = 20;
  // Deliberately not alphabetical: the order is part of the meaning and must survive.
  n.by_severity = {{"high", 90}, {"average", 30}};
  n.by_host = {{"web-02", 70}, {"db-01", 50}};
  n.parts_done = 2;
  return n;
}

TEST(NotificationJsonTest, RoundTripIsExactForEveryField) {
  const Notification original = FullNotification();
  const std::string text = NotificationToJson(original).dump();
  Result<Notification> back = NotificationFromJson(nlohmann::json::parse(text));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(NotificationToJson(*back).dump(), text);

  EXPECT_EQ(back->id, 17);
  EXPECT_EQ(back->receiver, "ops-robot");
  EXPECT_EQ(back->kind, NotificationKind::kSummary);
  EXPECT_EQ(back->created_ms, 1'700'000'400'000);
  EXPECT_EQ(back->total_alerts, 120);
  EXPECT_EQ(back->firing, 100);
  EXPECT_EQ(back->resolved, 20);
  EXPECT_EQ(back->by_severity, original.by_severity);
  EXPECT_EQ(back->by_host, original.by_host);
  EXPECT_EQ(back->parts_done, 2);
  ASSERT_EQ(back->alerts.size(), 2u);
  const AlertView& a = back->alerts[0];
  const AlertView expected = FullAlert();
  EXPECT_EQ(a.id, expected.id);
  EXPECT_EQ(a.source, expected.source);
  EXPECT_EQ(a.fingerprint, expected.fingerprint);
  EXPECT_EQ(a.external_id, expected.external_id);
  EXPECT_EQ(a.status, AlertStatus::kResolved);
  EXPECT_EQ(a.severity, Severity::kDisaster);
  EXPECT_EQ(a.host, expected.host);
  EXPECT_EQ(a.title, expected.title);
  EXPECT_EQ(a.message, expected.message);
  EXPECT_EQ(a.tags, expected.tags);
  EXPECT_EQ(a.url, expected.url);
  EXPECT_EQ(a.starts_ms, expected.starts_ms);
  EXPECT_EQ(a.ends_ms, expected.ends_ms);
  EXPECT_EQ(a.occurrences, 7);
  EXPECT_EQ(back->alerts[1].id, 43);
  EXPECT_EQ(back->alerts[1].status, AlertStatus::kFiring);
  EXPECT_EQ(back->alerts[1].severity, Severity::kNotClassified);
}

TEST(NotificationJsonTest, KindsAndSeveritiesAreStoredByName) {
  struct Case {
    NotificationKind kind;
    const char* name;
  };
  for (const Case& c :
       {Case{NotificationKind::kGroup, "group"}, Case{NotificationKind::kRepeat, "repeat"},
        Case{NotificationKind::kSummary, "summary"}}) {
    Notification n;
    n.kind = c.kind;
    const nlohmann::json j = NotificationToJson(n);
    EXPECT_EQ(j.at("kind"), c.name);
    Result<Notification> back = NotificationFromJson(j);
    ASSERT_TRUE(back.ok()) << c.name;
    EXPECT_EQ(back->kind, c.kind) << c.name;
  }
  const nlohmann::json j = NotificationToJson(FullNotification());
  EXPECT_EQ(j.at("alerts").at(0).at("severity"), "disaster");
  EXPECT_EQ(j.at("alerts").at(0).at("status"), "resolved");
  EXPECT_EQ(j.at("by_severity").dump(), R"([["high",90],["average",30]])");
  EXPECT_EQ(j.at("by_host").dump(), R"([["web-02",70],["db-01",50]])");
}

TEST(NotificationJsonTest, DamagedJsonIsRejectedNamingTheField) {
  struct Case {
    const char* name;
    std::string pointer;   // JSON pointer of the field to change
    nlohmann::json value;  // null: remove the field
    const char* expected_in_message;
  };
  const std::vector<Case> cases = {
      {"missing id", "/id", nullptr, "'id'"},
      {"receiver not a string", "/receiver", 5, "'receiver'"},
      {"unknown kind", "/kind", "digest", "digest"},
      {"alerts not an array", "/alerts", "x", "'alerts'"},
      {"bad severity", "/alerts/0/severity", "critical", "critical"},
      {"bad status", "/alerts/1/status", "open", "alerts[1]"},
      {"tag not a string", "/alerts/0/tags/team", 3, "team"},
      {"count pair malformed", "/by_host/0", nlohmann::json::array({"web-02"}), "by_host"},
      {"parts_done missing", "/parts_done", nullptr, "parts_done"},
  };
  for (const Case& c : cases) {
    nlohmann::json j = NotificationToJson(FullNotification());
    const nlohmann::json::json_pointer ptr(c.pointer);
    if (c.value.is_null()) {
      j[ptr.parent_pointer()].erase(ptr.back());
    } else {
      j[ptr] = c.value;
    }
    Result<Notification> n = NotificationFromJson(j);
    ASSERT_FALSE(n.ok()) << c.name;
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(n.status().message().find(c.expected_in_message), std::string::npos)
        << c.name << ": " << n.status().message();
  }
  EXPECT_FALSE(NotificationFromJson(nlohmann::json::array()).ok());
}

}  // namespace
}  // namespace beacon::collector::alerts
