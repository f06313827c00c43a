// ParseZabbixAlert on the parameters a real Zabbix 6.0 server posted (reference zabbix.md §4):
// the problem and its recovery, macros left literal, severities, tag formats, server-local
// dates, and every malformed input rejected with the parameter named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "collector/alerts/routing.h"
#include "collector/alerts/sources/zabbix.h"
#include "common/clock.h"
#include "common/timezone.h"
#include "notifier/render/render.h"

namespace beacon::collector::alerts {
namespace {

// Captured verbatim from the alerter's POST for a problem (zabbix.md §4).
constexpr char kCapturedProblem[] =
    R"({"TriggerID":"23138","To":"wecom-group-1","Subject":"Problem: Trap too high on testhost: 500","Message":"Problem started at 03:20:40 on 2026.11.26\nHost: testhost","EventID":"24","EventValue":"1","EventSeverity":"High","EventNSeverity":"4","HostName":"testhost","HostIP":"127.0.0.1","TriggerStatus":"PROBLEM","EventTags":"[{\"tag\":\"svc\",\"value\":\"demo\"}]","EventDate":"2026.11.26 03:20:40","EventRecoveryDate":"{EVENT.RECOVERY.DATE}","ItemValue":"500","EventUpdateStatus":"0","EventSource":"0"})";

// The reference describes the recovery as the problem's parameters with EventID still 24,
// EventValue "0", TriggerStatus "OK" and EventRecoveryDate filled in.
nlohmann::json CapturedRecovery() {
  nlohmann::json params = nlohmann::json::parse(kCapturedProblem);
  params["EventValue"] = "0";
  params["TriggerStatus"] = "OK";
  params["Subject"] = "Resolved in 5m 0s: Trap too high on testhost: 500";
  params["EventRecoveryDate"] = "2026.11.26 03:25:40";
  return params;
}

int64_t Utc(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

class ZabbixSourceTest : public ::testing::Test {
 protected:
  Result<AlertInput> Parse(const nlohmann::json& params) {
    return ParseZabbixAlert(params, config_, shanghai_);
  }
  nlohmann::json Problem() { return nlohmann::json::parse(kCapturedProblem); }

  ZabbixSourceConfig config_;
  TimeZone shanghai_ = *TimeZone::Load("Asia/Shanghai");
};

TEST_F(ZabbixSourceTest, CapturedProblemBecomesAFiringAlert) {
  config_.event_url =
      "https://zabbix.example.test/tr_events.php?triggerid={trigger_id}&eventid={event_id}";
  Result<AlertInput> input = Parse(Problem());
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->source, "zabbix");
  EXPECT_EQ(input->status, AlertStatus::kFiring);
  EXPECT_EQ(input->severity, Severity::kHigh);
  EXPECT_EQ(input->host, "testhost");
  EXPECT_EQ(input->title, "Problem: Trap too high on testhost: 500");
  EXPECT_EQ(input->message, "Problem started at 03:20:40 on 2026.11.26\nHost: testhost");
  EXPECT_EQ(input->receipt_key, "zabbix:24:1");
  EXPECT_EQ(input->external_id, "24");
  EXPECT_EQ(input->fingerprint, Fingerprint("zabbix", "testhost", "trigger", "23138"));
  // 03:20:40 on the Zabbix server in Asia/Shanghai (UTC+8) is 19:20:40 UTC the day before.
  EXPECT_EQ(input->event_ms, Utc("2026-11-25T19:20:40Z"));
  EXPECT_EQ(input->url, "https://zabbix.example.test/tr_events.php?triggerid=23138&eventid=24");
  EXPECT_EQ(input->tags.at("svc"), "demo");
  EXPECT_EQ(input->tags.at("item_value"), "500");
  EXPECT_EQ(input->tags.at("host_ip"), "127.0.0.1");
  EXPECT_EQ(input->tags.at("trigger_id"), "23138");
  EXPECT_EQ(input->raw, Problem());
}

TEST_F(ZabbixSourceTest, CapturedRecoveryResolvesTheSameProblem) {
  Result<AlertInput> problem = Parse(Problem());
  Result<AlertInput> recovery = Parse(CapturedRecovery());
  ASSERT_TRUE(problem.ok() && recovery.ok()) << recovery.status().ToString();
  EXPECT_EQ(recovery->status, AlertStatus::kResolved);
  EXPECT_EQ(recovery->receipt_key, "zabbix:24:0");
  EXPECT_NE(recovery->receipt_key, problem->receipt_key);
  EXPECT_EQ(recovery->external_id, problem->external_id);
  EXPECT_EQ(recovery->fingerprint, problem->fingerprint);
  EXPECT_EQ(recovery->severity, Severity::kHigh);
  EXPECT_EQ(recovery->event_ms, Utc("2026-11-25T19:25:40Z"));  // the recovery date, not EventDate
  EXPECT_EQ(recovery->title, "Resolved in 5m 0s: Trap too high on testhost: 500");
  EXPECT_TRUE(recovery->url.empty());  // no event_url configured
}

TEST_F(ZabbixSourceTest, LiteralMacrosCountAsAbsent) {
  nlohmann::json params = Problem();
  params["EventTags"] = "{EVENT.TAGSJSON}";
  params["ItemValue"] = "{ITEM.VALUE}";
  params["HostIP"] = "{HOST.IP}";
  params["EventDate"] = "{EVENT.DATE}";
  params["Subject"] = "{EVENT.NAME}";
  params["TriggerID"] = "{TRIGGER.ID}";
  params["Message"] = "{$CUSTOM.MESSAGE}";
  Result<AlertInput> input = Parse(params);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_TRUE(input->tags.empty());
  EXPECT_EQ(input->event_ms, 0);  // the collector uses the time of receipt
  EXPECT_EQ(input->title, "Zabbix event 24 on testhost");
  EXPECT_EQ(input->message, "");
  // Without a trigger id the problem event is the identity, which the recovery shares.
  EXPECT_EQ(input->fingerprint, Fingerprint("zabbix", "testhost", "event", "24"));

  // A recovery whose recovery date did not expand is still a recovery, timed at receipt.
  nlohmann::json recovery = CapturedRecovery();
  recovery["EventRecoveryDate"] = "{EVENT.RECOVERY.DATE}";
  Result<AlertInput> resolved = Parse(recovery);
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  EXPECT_EQ(resolved->status, AlertStatus::kResolved);
  EXPECT_EQ(resolved->event_ms, 0);

  // A JSON object is a value, not a macro.
  EXPECT_TRUE(IsUnexpandedZabbixMacro("{EVENT.RECOVERY.DATE}"));
  EXPECT_TRUE(IsUnexpandedZabbixMacro("{$CERT.DAYS.MIN}"));
  EXPECT_TRUE(IsUnexpandedZabbixMacro("{#FSNAME}"));
  EXPECT_FALSE(IsUnexpandedZabbixMacro(R"({"a":1})"));
  EXPECT_FALSE(IsUnexpandedZabbixMacro("500"));
}

TEST_F(ZabbixSourceTest, MissingRequiredMacroIsNamed) {
  for (const char* name : {"EventID", "EventValue", "HostName"}) {
    nlohmann::json literal = Problem();
    literal[name] = std::string("{") + name + "}";  // e.g. the macro was misspelt in the media type
    Result<AlertInput> input = Parse(literal);
    ASSERT_FALSE(input.ok()) << name;
    EXPECT_EQ(input.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(input.status().message().find(name), std::string::npos) << input.status().message();

    nlohmann::json missing = Problem();
    missing.erase(name);
    input = Parse(missing);
    ASSERT_FALSE(input.ok()) << name;
    EXPECT_NE(input.status().message().find(name), std::string::npos) << input.status().message();
  }
}

TEST_F(ZabbixSourceTest, SeveritiesFromTheNumericLevelThenTheName) {
  const Severity expected[] = {Severity::kNotClassified, Severity::kInformation,
                               Severity::kWarning,       Severity::kAverage,
                               Severity::kHigh,          Severity::kDisaster};
  for (int level = 0; level <= 5; ++level) {
    nlohmann::json params = Problem();
    params["EventNSeverity"] = std::to_string(level);
    params["EventSeverity"] = "Disaster";  // the numeric level wins: names are translatable
    Result<AlertInput> input = Parse(params);
    ASSERT_TRUE(input.ok()) << input.status().ToString();
    EXPECT_EQ(input->severity, expected[level]) << level;
  }
  nlohmann::json by_name = Problem();
  by_name.erase("EventNSeverity");
  by_name["EventSeverity"] = "Not classified";
  ASSERT_TRUE(Parse(by_name).ok());
  EXPECT_EQ(Parse(by_name)->severity, Severity::kNotClassified);
  by_name["EventSeverity"] = "Average";
  EXPECT_EQ(Parse(by_name)->severity, Severity::kAverage);

  for (const char* bad : {"6", "-1", "high", "44"}) {
    nlohmann::json params = Problem();
    params["EventNSeverity"] = bad;
    Result<AlertInput> input = Parse(params);
    ASSERT_FALSE(input.ok()) << bad;
    EXPECT_NE(input.status().message().find("EventNSeverity"), std::string::npos);
  }
  by_name["EventSeverity"] = "Catastrophic";
  ASSERT_FALSE(Parse(by_name).ok());
  EXPECT_NE(Parse(by_name).status().message().find("EventSeverity"), std::string::npos);
}

TEST_F(ZabbixSourceTest, TagsInJsonAndInTextForm) {
  nlohmann::json params = Problem();
  params["EventTags"] =
      R"([{"tag":"svc","value":"demo"},{"tag":"scope","value":"a"},{"tag":"scope","value":"b"},)"
      R"({"tag":"item_value","value":"from-zabbix"}])";
  Result<AlertInput> input = Parse(params);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->tags.at("svc"), "demo");
  EXPECT_EQ(input->tags.at("scope"), "a,b");               // one name, several values: all kept
  EXPECT_EQ(input->tags.at("item_value"), "from-zabbix");  // an event tag is not overridden

  params["EventTags"] = "svc:demo, env:prod,team : dba ,flag";  // {EVENT.TAGS}
  input = Parse(params);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->tags.at("svc"), "demo");
  EXPECT_EQ(input->tags.at("env"), "prod");
  EXPECT_EQ(input->tags.at("team"), "dba");
  EXPECT_EQ(input->tags.at("flag"), "");
  EXPECT_EQ(input->tags.at("item_value"), "500");

  for (const char* bad : {"[{\"tag\":", "[{\"value\":\"x\"}]", "[1,2]"}) {
    params["EventTags"] = bad;
    input = Parse(params);
    ASSERT_FALSE(input.ok()) << bad;
    EXPECT_NE(input.status().message().find("EventTags"), std::string::npos);
  }
}

TEST_F(ZabbixSourceTest, DateAndTimeInSeparateParametersAndInOtherZones) {
  nlohmann::json params = Problem();
  params["EventDate"] = "2026.11.26";  // {EVENT.DATE}
  params["EventTime"] = "03:20:40";    // {EVENT.TIME}
  Result<AlertInput> input = Parse(params);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->event_ms, Utc("2026-11-25T19:20:40Z"));

  // Daylight saving time: Berlin is UTC+2 in July and UTC+1 in November.
  TimeZone berlin = *TimeZone::Load("Europe/Berlin");
  params["EventDate"] = "2026.07.01 12:00:00";
  input = ParseZabbixAlert(params, config_, berlin);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->event_ms, Utc("2026-07-01T10:00:00Z"));
  params["EventDate"] = "2026.11.26 12:00:00";
  EXPECT_EQ(ParseZabbixAlert(params, config_, berlin)->event_ms, Utc("2026-11-26T11:00:00Z"));

  for (const char* bad : {"26.11.2026 03:20:40", "2026.13.01 00:00:00", "2026.02.30 00:00:00",
                          "2026.11.26 25:00:00", "yesterday"}) {
    params["EventDate"] = bad;
    input = Parse(params);
    ASSERT_FALSE(input.ok()) << bad;
    EXPECT_NE(input.status().message().find("EventDate"), std::string::npos) << bad;
  }
}

// The defect seen with a real server: Zabbix in UTC, the collector's zone Asia/Shanghai. The
// webhook script's EventTimestamp is the instant, whatever zone the wall-clock date was in.
TEST_F(ZabbixSourceTest, TimestampFromTheWebhookScriptWinsOverTheWallClockDate) {
  nlohmann::json params = Problem();
  params["EventDate"] = "2026.11.26 03:20:40";  // written by a Zabbix server in UTC
  params["EventTimestamp"] = "1795663240";      // what beacon_webhook.js computed there
  Result<AlertInput> input = Parse(params);     // read in Asia/Shanghai
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->event_ms, Utc("2026-11-26T03:20:40Z"));
  params["EventTimestamp"] = 1795663240;  // a number works as well
  EXPECT_EQ(Parse(params)->event_ms, Utc("2026-11-26T03:20:40Z"));

  // The recovery takes EventRecoveryTimestamp, not the problem's EventTimestamp.
  nlohmann::json recovery = CapturedRecovery();
  recovery["EventRecoveryDate"] = "2026.11.26 03:25:40";
  recovery["EventTimestamp"] = "1795663240";
  recovery["EventRecoveryTimestamp"] = "1795663540";
  input = Parse(recovery);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->event_ms, Utc("2026-11-26T03:25:40Z"));

  // Old payloads (and a timestamp macro left literal) fall back to the date in server_tz.
  params["EventTimestamp"] = "{EVENT.TIMESTAMP}";
  EXPECT_EQ(Parse(params)->event_ms, Utc("2026-11-25T19:20:40Z"));
  params.erase("EventTimestamp");
  EXPECT_EQ(Parse(params)->event_ms, Utc("2026-11-25T19:20:40Z"));
  TimeZone utc = *TimeZone::Load("UTC");
  EXPECT_EQ(ParseZabbixAlert(params, config_, utc)->event_ms, Utc("2026-11-26T03:20:40Z"));

  for (const char* bad : {"0", "-1795663240", "1795663240.5", "1.79e9", "now", "99999999999999"}) {
    params["EventTimestamp"] = bad;
    input = Parse(params);
    ASSERT_FALSE(input.ok()) << bad;
    EXPECT_EQ(input.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(input.status().message().find("EventTimestamp"), std::string::npos)
        << input.status().message();
  }
  recovery["EventRecoveryTimestamp"] = "soon";
  input = Parse(recovery);
  ASSERT_FALSE(input.ok());
  EXPECT_NE(input.status().message().find("EventRecoveryTimestamp"), std::string::npos);
}

// Media types imported from YAML send CRLF; the alert is stored and rendered with LF only.
TEST_F(ZabbixSourceTest, CrlfMessagesAreStoredAndRenderedWithLf) {
  nlohmann::json params = Problem();
  params["Subject"] = "Problem: Trap too high\r\non testhost";
  params["Message"] =
      "Problem started at 03:20:40 on 2026.11.26\r\nHost: testhost\r\n\r\nOld\rMac line\r\n";
  Result<AlertInput> input = Parse(params);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->message,
            "Problem started at 03:20:40 on 2026.11.26\nHost: testhost\n\nOld\nMac line");
  EXPECT_EQ(input->title, "Problem: Trap too high\non testhost");
  EXPECT_EQ(input->raw["Message"], params["Message"]);  // the payload as received

  notifier::Notification notification;
  notification.alerts.push_back(ViewOf(*input));
  notification.alerts.back().id = 7;
  notification.total_alerts = 1;
  notification.created_ms = input->event_ms + 5000;
  for (auto format : {notifier::render::Format::kText, notifier::render::Format::kMarkdown}) {
    notifier::render::RenderOptions options;
    options.language = "en";
    options.format = format;
    for (const std::string& body : notifier::render::RenderMessage(notification, options)) {
      EXPECT_EQ(body.find('\r'), std::string::npos) << body;
      EXPECT_NE(body.find("Host: testhost"), std::string::npos) << body;
      EXPECT_NE(body.find("Mac line"), std::string::npos) << body;
    }
  }
}

TEST_F(ZabbixSourceTest, UpdateOperationsAreIgnoredNotStored) {
  nlohmann::json params = Problem();
  params["EventUpdateStatus"] = "1";  // an acknowledgement or comment on the problem
  Result<AlertInput> input = Parse(params);
  ASSERT_FALSE(input.ok());
  EXPECT_EQ(input.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(input.status().message(), kZabbixUpdateIgnored);
}

TEST_F(ZabbixSourceTest, BadInputsAreRejectedNamingTheParameter) {
  struct Case {
    const char* name;
    nlohmann::json value;
  };
  const Case cases[] = {
      {"EventSource", "3"},  // internal events are not trigger alerts
      {"EventValue", "2"},
      {"EventID", "24; DROP TABLE"},
      {"EventID", nlohmann::json::array()},
      {"TriggerID", "abc"},
      {"HostName", nlohmann::json::object()},
  };
  for (const Case& c : cases) {
    nlohmann::json params = Problem();
    params[c.name] = c.value;
    Result<AlertInput> input = Parse(params);
    ASSERT_FALSE(input.ok()) << c.name << "=" << c.value.dump();
    EXPECT_EQ(input.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(input.status().message().find(c.name), std::string::npos) << input.status().message();
  }
  EXPECT_FALSE(Parse(nlohmann::json::array()).ok());
  EXPECT_FALSE(Parse(nlohmann::json("text")).ok());

  // Numbers instead of strings are read as their digits (hand-written scripts send them).
  nlohmann::json numeric = Problem();
  numeric["EventID"] = 24;
  numeric["EventValue"] = 1;
  ASSERT_TRUE(Parse(numeric).ok());
  EXPECT_EQ(Parse(numeric)->receipt_key, "zabbix:24:1");
}

}  // namespace
}  // namespace beacon::collector::alerts
