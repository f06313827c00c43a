// Agent events -> alerts: rule order, kind globs, min_severity, agent-name globs, severity
// override, the alert's fields, and resolution by a rule's resolved_by kind.
#include "collector/alerts/agent_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace beacon::collector::alerts {
namespace {

wire::Record Event(uint64_t seq, std::string kind, std::string severity, std::string subject,
                   std::string message, nlohmann::json data = nlohmann::json::object()) {
  wire::Record record;
  record.seq = seq;
  record.ts_ms = 1'795'700'000'000 + static_cast<int64_t>(seq);
  record.type = wire::RecordType::kEvent;
  record.event.kind = std::move(kind);
  record.event.severity = std::move(severity);
  record.event.subject = std::move(subject);
  record.event.message = std::move(message);
  record.event.data = std::move(data);
  return record;
}

std::vector<AgentEventRule> Rules() {
  AgentEventRule port;
  port.kind = "port.unexpected";
  port.resolved_by = "port.closed";
  port.severity = Severity::kHigh;
  AgentEventRule fim;
  fim.kind = "fim.*";
  fim.min_severity = Severity::kWarning;
  fim.hosts = {"db-*", "web-?"};
  AgentEventRule backup;
  backup.kind = "backup.failed";
  return {port, fim, backup};
}

TEST(AgentRulesTest, MatchingEventBecomesAFiringAlert) {
  const wire::Record record =
      Event(42, "port.unexpected", "warning", "tcp/8081", "unexpected listener on tcp/8081\n(java)",
            {{"process", "java"}, {"pid", 4242}, {"port", "8081"}, {"kind", "spoofed"}});
  std::optional<AlertInput> alert = AgentEventToAlert("db-01", record, Rules());
  ASSERT_TRUE(alert.has_value());
  EXPECT_EQ(alert->source, "agent");
  EXPECT_EQ(alert->status, AlertStatus::kFiring);
  EXPECT_EQ(alert->receipt_key, "agent:db-01:42");
  EXPECT_EQ(alert->external_id, "db-01:42");
  EXPECT_EQ(alert->fingerprint, Fingerprint("agent", "db-01", "port.unexpected", "tcp/8081"));
  EXPECT_EQ(alert->host, "db-01");
  EXPECT_EQ(alert->title, "unexpected listener on tcp/8081");
  EXPECT_EQ(alert->message, "unexpected listener on tcp/8081\n(java)");
  EXPECT_EQ(alert->severity, Severity::kHigh);  // the rule's override
  EXPECT_EQ(alert->event_ms, record.ts_ms);
  // String data fields become tags (the numeric pid does not); kind cannot be overridden.
  const std::map<std::string, std::string> tags = {
      {"kind", "port.unexpected"}, {"subject", "tcp/8081"}, {"process", "java"}, {"port", "8081"}};
  EXPECT_EQ(alert->tags, tags);
}

TEST(AgentRulesTest, RuleConditionsDecide) {
  struct Case {
    const char* agent;
    const char* kind;
    const char* severity;
    bool alert;
    Severity expected = Severity::kNotClassified;
  };
  const Case cases[] = {
      {"db-01", "fim.changed", "average", true, Severity::kAverage},  // own severity kept
      {"web-1", "fim.deleted", "warning", true, Severity::kWarning},  // min_severity inclusive
      {"db-01", "fim.changed", "information", false},                 // below min_severity
      {"app-1", "fim.changed", "disaster", false},                    // agent glob
      {"web-10", "fim.changed", "high", false},                       // '?' is one character
      {"app-1", "backup.failed", "average", true, Severity::kAverage},
      {"app-1", "backup.finished", "information", false},  // no rule
      {"app-1", "port.unexpected", "information", true, Severity::kHigh},
      {"app-1", "fimx.changed", "high", false},  // the glob is anchored
  };
  for (const Case& c : cases) {
    std::optional<AlertInput> alert =
        AgentEventToAlert(c.agent, Event(1, c.kind, c.severity, "/etc/passwd", ""), Rules());
    ASSERT_EQ(alert.has_value(), c.alert) << c.agent << " " << c.kind << " " << c.severity;
    if (c.alert) {
      EXPECT_EQ(alert->severity, c.expected) << c.agent << " " << c.kind;
    }
  }
}

TEST(AgentRulesTest, FirstMatchingRuleWins) {
  AgentEventRule specific;
  specific.kind = "fim.changed";
  specific.hosts = {"db-*"};
  specific.severity = Severity::kDisaster;
  AgentEventRule general;
  general.kind = "fim.*";
  general.severity = Severity::kInformation;
  const std::vector<AgentEventRule> rules = {specific, general};
  EXPECT_EQ(
      AgentEventToAlert("db-01", Event(1, "fim.changed", "warning", "/etc/x", ""), rules)->severity,
      Severity::kDisaster);
  EXPECT_EQ(
      AgentEventToAlert("web-1", Event(1, "fim.changed", "warning", "/etc/x", ""), rules)->severity,
      Severity::kInformation);
}

TEST(AgentRulesTest, ResolvedByKindResolvesTheSameSubject) {
  const wire::Record closed = Event(43, "port.closed", "information", "tcp/8081", "");
  std::optional<AlertInput> resolved = AgentEventToAlert("db-01", closed, Rules());
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(resolved->status, AlertStatus::kResolved);
  EXPECT_EQ(resolved->receipt_key, "agent:db-01:43");
  EXPECT_EQ(resolved->fingerprint, Fingerprint("agent", "db-01", "port.unexpected", "tcp/8081"));
  // Same fingerprint as the firing alert it resolves; another subject or agent does not match.
  std::optional<AlertInput> firing =
      AgentEventToAlert("db-01", Event(42, "port.unexpected", "warning", "tcp/8081", ""), Rules());
  ASSERT_TRUE(firing.has_value());
  EXPECT_EQ(resolved->fingerprint, firing->fingerprint);
  EXPECT_NE(
      AgentEventToAlert("db-01", Event(44, "port.closed", "information", "tcp/22", ""), Rules())
          ->fingerprint,
      firing->fingerprint);
  EXPECT_NE(AgentEventToAlert("db-02", closed, Rules())->fingerprint, firing->fingerprint);
  EXPECT_EQ(resolved->title, "port.closed tcp/8081");  // no message: kind and subject
}

TEST(AgentRulesTest, ResolutionWinsOverAnEarlierGenericRule) {
  AgentEventRule generic;
  generic.kind = "port.*";
  AgentEventRule specific;
  specific.kind = "port.unexpected";
  specific.resolved_by = "port.closed";
  specific.hosts = {"db-*"};
  const std::vector<AgentEventRule> rules = {generic, specific};
  const wire::Record closed = Event(5, "port.closed", "information", "tcp/8081", "closed");
  std::optional<AlertInput> on_db = AgentEventToAlert("db-01", closed, rules);
  ASSERT_TRUE(on_db.has_value());
  EXPECT_EQ(on_db->status, AlertStatus::kResolved);
  // The resolving rule does not cover web-1: there the generic rule makes it an alert.
  std::optional<AlertInput> on_web = AgentEventToAlert("web-1", closed, rules);
  ASSERT_TRUE(on_web.has_value());
  EXPECT_EQ(on_web->status, AlertStatus::kFiring);
  EXPECT_EQ(on_web->fingerprint, Fingerprint("agent", "web-1", "port.closed", "tcp/8081"));
}

TEST(AgentRulesTest, NonEventsAndUnmatchedEventsStayEvents) {
  wire::Record sample;
  sample.type = wire::RecordType::kSample;
  sample.sample.metric = "port.unexpected";
  EXPECT_FALSE(AgentEventToAlert("db-01", sample, Rules()).has_value());
  EXPECT_FALSE(AgentEventToAlert("db-01", Event(1, "agent.spool.dropped", "high", "", ""), Rules())
                   .has_value());
  EXPECT_FALSE(
      AgentEventToAlert("db-01", Event(1, "port.unexpected", "high", "tcp/1", ""), {}).has_value());
}

}  // namespace
}  // namespace beacon::collector::alerts
