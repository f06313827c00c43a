// The `alerts:` section: defaults, every key, the shapes tags/days/inhibit may take, the shipped
// example in config/collector.yaml, and one case per validation rule with its file:line and key.
#include "collector/alerts/alerts_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "collector/alerts/routing.h"

namespace beacon::collector::alerts {
namespace {

class FakeNotifier final : public notifier::Notifier {
 public:
  explicit FakeNotifier(std::string type) : type_(std::move(type)) {}
  notifier::DeliveryResult Deliver(const notifier::Notification&) override { return {}; }
  int MessageCount(const notifier::Notification&) const override { return 1; }
  std::string type() const override { return type_; }

 private:
  std::string type_;
};

// Accepts `type` in `types` (reading `path` for file receivers); with read_all every other key
// of the section counts as known (for the example, whose receiver keys the notifiers own).
ReceiverParser Parser(std::set<std::string> types, bool read_all = false) {
  return [types, read_all](const std::string&, config::Node node) -> notifier::NotifierFactory {
    if (read_all) node.MapEntries();
    std::string type;
    node.Require("type");
    node.Get("type", &type);
    if (type == "file") {
      std::string path;
      node.Get("path", &path);
    }
    if (types.count(type) == 0) {
      node.Error("type", "unsupported receiver type '" + type + "'");
      return nullptr;
    }
    return [type](const notifier::NotifierDeps&) { return std::make_unique<FakeNotifier>(type); };
  };
}

struct Loaded {
  AlertsConfig config;
  Status status;
};

Loaded Load(const std::string& yaml, const ReceiverParser& parser = Parser({"console", "file"})) {
  Result<std::unique_ptr<config::Document>> doc =
      config::Document::LoadString(yaml, "collector.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return {AlertsConfig{}, doc.status()};
  Loaded loaded;
  loaded.config = ReadAlertsConfig((*doc)->root().Child("alerts"), parser);
  loaded.status = (*doc)->Finish();
  return loaded;
}

std::vector<std::string> Names(const AlertsConfig& config) {
  std::vector<std::string> out;
  for (const auto& [name, factory] : config.receivers) out.push_back(name);
  return out;
}

std::vector<std::string> Formatted(const std::vector<Matcher>& matchers) {
  std::vector<std::string> out;
  for (const Matcher& matcher : matchers) out.push_back(FormatMatcher(matcher));
  return out;
}

TEST(AlertsConfigTest, AbsentSectionGivesDefaultsAndAConsoleReceiver) {
  Loaded loaded = Load("# no alerts section\n");
  ASSERT_TRUE(loaded.status.ok()) << loaded.status.ToString();
  const AlertsConfig& cfg = loaded.config;
  EXPECT_EQ(cfg.language, "zh");
  EXPECT_EQ(cfg.timezone, "Asia/Shanghai");
  EXPECT_EQ(cfg.path, "");
  EXPECT_EQ(cfg.max_body_bytes, 256 * 1024);
  EXPECT_TRUE(cfg.zabbix.token.empty());
  EXPECT_TRUE(cfg.zabbix.timezone.empty());  // alerts.timezone
  EXPECT_TRUE(cfg.splunk.token.empty());
  EXPECT_EQ(cfg.splunk.default_severity, Severity::kAverage);
  EXPECT_TRUE(cfg.routes.empty());
  EXPECT_TRUE(cfg.agent_rules.empty());
  ASSERT_EQ(Names(cfg), std::vector<std::string>{"console"});
  EXPECT_EQ(cfg.receivers[0].second(notifier::NotifierDeps{})->type(), "console");
  EXPECT_EQ(cfg.default_receivers, std::vector<std::string>{"console"});
  ASSERT_EQ(cfg.inhibit.size(), 1u);
  EXPECT_EQ(Formatted(cfg.inhibit[0].source), std::vector<std::string>{"severity>=disaster"});
  EXPECT_EQ(Formatted(cfg.inhibit[0].target), std::vector<std::string>{"severity<=high"});
  EXPECT_EQ(cfg.inhibit[0].equal, std::vector<std::string>{"host"});
  EXPECT_EQ(cfg.outbox.workers, 4);
  EXPECT_EQ(cfg.outbox.retry_initial_ms, 2000);
  EXPECT_EQ(cfg.outbox.summary_after, 3);
}

TEST(AlertsConfigTest, EveryKeyIsRead) {
  ::setenv("BEACON_TEST_ZABBIX_TOKEN", "zabbix-token-0123456789", 1);
  ::setenv("BEACON_TEST_SPLUNK_TOKEN", "splunk-token-0123456789", 1);
  Loaded loaded = Load(R"(alerts:
  path: /var/lib/beacon/alerts.db
  language: en
  timezone: Europe/Berlin
  max_body_bytes: 64KiB
  zabbix:
    token_env: BEACON_TEST_ZABBIX_TOKEN
    event_url: https://zabbix.example.com/tr_events.php?triggerid={trigger_id}&eventid={event_id}
    timezone: UTC
  splunk:
    token_env: BEACON_TEST_SPLUNK_TOKEN
    allow_from: [10.0.0.0/8, 192.0.2.7, "2001:db8::/32"]
    default_severity: High
  agent_rules:
    - kind: port.unexpected
      severity: high
      resolved_by: port.closed
    - {kind: "fim.*", min_severity: warning, hosts: ["db-*"]}
  receivers:
    ops_file: {type: file, path: /tmp/alerts.log}
    screen: {type: console}
    archive: {type: file}
  default_receivers: [ops_file]
  routes:
    - name: dba
      sources: [zabbix, agent]
      min_severity: average
      hosts: ["db-*", "mysql-?"]
      tags: {team: dba}
      active:
        - {days: mon-fri, from: "09:00", to: "18:00"}
        - {days: [sat, sun], from: "22:00", to: "06:00", timezone: UTC}
      receivers: [screen, archive]
      continue: true
      group_by: [host, "tag:team"]
      group_wait: 0s
      group_interval: 30s
      repeat_interval: 0
    - receivers: [screen]
      tags: ["team=~db*", "tag:env!=test"]
  inhibit:
    - source: ["severity=disaster", "tag:kind=link.down"]
      target: ["severity<=average"]
      equal: [host, "tag:site"]
  outbox:
    workers: 8
    retry_initial: 1s
    retry_max: 10m
    give_up_after: 2d
    summary_after: 5
    summary_titles: 20
)");
  ::unsetenv("BEACON_TEST_ZABBIX_TOKEN");
  ::unsetenv("BEACON_TEST_SPLUNK_TOKEN");
  ASSERT_TRUE(loaded.status.ok()) << loaded.status.ToString();
  const AlertsConfig& cfg = loaded.config;
  EXPECT_EQ(cfg.path, "/var/lib/beacon/alerts.db");
  EXPECT_EQ(cfg.language, "en");
  EXPECT_EQ(cfg.timezone, "Europe/Berlin");
  EXPECT_EQ(cfg.max_body_bytes, 64 * 1024);
  EXPECT_EQ(cfg.zabbix.token.value(), "zabbix-token-0123456789");
  EXPECT_EQ(cfg.zabbix.event_url,
            "https://zabbix.example.com/tr_events.php?triggerid={trigger_id}&eventid={event_id}");
  EXPECT_EQ(cfg.zabbix.timezone, "UTC");
  EXPECT_EQ(cfg.splunk.token.value(), "splunk-token-0123456789");
  EXPECT_EQ(cfg.splunk.allow_from,
            (std::vector<std::string>{"10.0.0.0/8", "192.0.2.7", "2001:db8::/32"}));
  EXPECT_EQ(cfg.splunk.default_severity, Severity::kHigh);

  ASSERT_EQ(cfg.agent_rules.size(), 2u);
  EXPECT_EQ(cfg.agent_rules[0].kind, "port.unexpected");
  EXPECT_EQ(cfg.agent_rules[0].severity, Severity::kHigh);
  EXPECT_EQ(cfg.agent_rules[0].min_severity, std::nullopt);
  EXPECT_EQ(cfg.agent_rules[0].resolved_by, "port.closed");
  EXPECT_EQ(cfg.agent_rules[1].kind, "fim.*");
  EXPECT_EQ(cfg.agent_rules[1].min_severity, Severity::kWarning);
  EXPECT_EQ(cfg.agent_rules[1].hosts, std::vector<std::string>{"db-*"});

  EXPECT_EQ(Names(cfg), (std::vector<std::string>{"archive", "ops_file", "screen"}));
  EXPECT_EQ(cfg.default_receivers, std::vector<std::string>{"ops_file"});

  ASSERT_EQ(cfg.routes.size(), 2u);
  const RouteConfig& dba = cfg.routes[0];
  EXPECT_EQ(dba.name, "dba");
  EXPECT_EQ(dba.sources, (std::vector<std::string>{"zabbix", "agent"}));
  EXPECT_EQ(dba.min_severity, Severity::kAverage);
  EXPECT_EQ(dba.hosts, (std::vector<std::string>{"db-*", "mysql-?"}));
  EXPECT_EQ(Formatted(dba.tags), std::vector<std::string>{"tag:team=dba"});
  ASSERT_EQ(dba.active.size(), 2u);
  EXPECT_EQ(dba.active[0].weekdays, (std::vector<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(dba.active[0].start_minute, 9 * 60);
  EXPECT_EQ(dba.active[0].end_minute, 18 * 60);
  EXPECT_EQ(dba.active[0].timezone, "");
  EXPECT_EQ(dba.active[1].weekdays, (std::vector<int>{0, 6}));
  EXPECT_EQ(dba.active[1].start_minute, 22 * 60);
  EXPECT_EQ(dba.active[1].end_minute, 6 * 60);
  EXPECT_EQ(dba.active[1].timezone, "UTC");
  EXPECT_EQ(dba.receivers, (std::vector<std::string>{"screen", "archive"}));
  EXPECT_TRUE(dba.continue_matching);
  EXPECT_EQ(dba.group_by, (std::vector<std::string>{"host", "tag:team"}));
  EXPECT_EQ(dba.timing.wait_ms, 0);
  EXPECT_EQ(dba.timing.interval_ms, 30'000);
  EXPECT_EQ(dba.timing.repeat_ms, 0);
  const RouteConfig& second = cfg.routes[1];
  EXPECT_EQ(second.name, "route-2");
  EXPECT_FALSE(second.continue_matching);
  EXPECT_EQ(Formatted(second.tags), (std::vector<std::string>{"tag:team=~db*", "tag:env!=test"}));
  EXPECT_EQ(second.group_by, (std::vector<std::string>{"source", "host"}));
  EXPECT_EQ(second.timing.wait_ms, GroupTiming{}.wait_ms);

  ASSERT_EQ(cfg.inhibit.size(), 1u);
  EXPECT_EQ(Formatted(cfg.inhibit[0].source),
            (std::vector<std::string>{"severity=disaster", "tag:kind=link.down"}));
  EXPECT_EQ(Formatted(cfg.inhibit[0].target), std::vector<std::string>{"severity<=average"});
  EXPECT_EQ(cfg.inhibit[0].equal, (std::vector<std::string>{"host", "tag:site"}));

  EXPECT_EQ(cfg.outbox.workers, 8);
  EXPECT_EQ(cfg.outbox.retry_initial_ms, 1000);
  EXPECT_EQ(cfg.outbox.retry_max_ms, 600'000);
  EXPECT_EQ(cfg.outbox.give_up_after_ms, 2 * 86'400'000);
  EXPECT_EQ(cfg.outbox.summary_after, 5);
  EXPECT_EQ(cfg.outbox.summary_titles, 20);

  // The parsed config builds a router that uses it.
  Result<Router> router = Router::Create(cfg);
  ASSERT_TRUE(router.ok()) << router.status().ToString();
}

TEST(AlertsConfigTest, DefaultReceiversAreTheConsoleOnesAndInhibitCanBeOff) {
  Loaded loaded = Load(R"(alerts:
  receivers:
    b_screen: {type: console}
    log: {type: file}
    a_screen: {type: console}
  inhibit: []
)");
  ASSERT_TRUE(loaded.status.ok()) << loaded.status.ToString();
  EXPECT_EQ(loaded.config.default_receivers, (std::vector<std::string>{"a_screen", "b_screen"}));
  EXPECT_TRUE(loaded.config.inhibit.empty());
}

TEST(AlertsConfigTest, DaySpellings) {
  struct Case {
    const char* days;
    std::vector<int> weekdays;
  };
  const Case cases[] = {
      {"mon-fri", {1, 2, 3, 4, 5}},
      {"sat", {6}},
      {"Sunday", {0}},
      {"fri-mon", {0, 1, 5, 6}},
      {"\"mon,wed, fri\"", {1, 3, 5}},
      {"[mon, tue-wed]", {1, 2, 3}},
  };
  for (const Case& c : cases) {
    Loaded loaded = Load(std::string("alerts:\n  routes:\n    - receivers: [console]\n"
                                     "      active: [{days: ") +
                         c.days + "}]\n");
    ASSERT_TRUE(loaded.status.ok()) << c.days << ": " << loaded.status.ToString();
    ASSERT_EQ(loaded.config.routes.size(), 1u);
    ASSERT_EQ(loaded.config.routes[0].active.size(), 1u);
    EXPECT_EQ(loaded.config.routes[0].active[0].weekdays, c.weekdays) << c.days;
  }
}

TEST(AlertsConfigTest, EachRuleReportsItsKeyPathAndLine) {
  struct Case {
    const char* yaml;
    const char* expected;
  };
  const Case cases[] = {
      {"alerts:\n  routes:\n    - receivers: [console, pager]\n",
       "collector.yaml:3: alerts.routes[0].receivers: unknown receiver 'pager' (configured: "
       "console)"},
      {"alerts:\n  receivers: {log: {type: file}}\n  default_receivers: [console]\n",
       "collector.yaml:3: alerts.default_receivers: unknown receiver 'console' (configured: log)"},
      {"alerts:\n  routes:\n    - receivers: [console]\n      min_severity: urgent\n",
       "collector.yaml:4: alerts.routes[0].min_severity: unknown severity 'urgent'"},
      {"alerts:\n  splunk:\n    default_severity: critical\n",
       "collector.yaml:3: alerts.splunk.default_severity: unknown severity 'critical'"},
      {"alerts:\n  agent_rules:\n    - kind: fim.*\n      severity: sev1\n",
       "collector.yaml:4: alerts.agent_rules[0].severity: unknown severity 'sev1'"},
      {"alerts:\n  routes:\n    - receivers: [console]\n      group_wait: soon\n",
       "collector.yaml:4: alerts.routes[0].group_wait: expected a duration like 30s, 5m, 1h, got "
       "'soon'"},
      {"alerts:\n  outbox:\n    retry_max: 5x\n",
       "collector.yaml:3: alerts.outbox.retry_max: expected a duration"},
      {"alerts:\n  inhibit:\n    - source: [\"severity>=disaster\"]\n"
       "      target: [\"host>=db\"]\n",
       "collector.yaml:4: alerts.inhibit[0].target[0]: matcher 'host>=db': operator '>=' only "
       "applies to severity"},
      {"alerts:\n  routes:\n    - receivers: [console]\n      tags:\n        - \"team\"\n",
       "collector.yaml:5: alerts.routes[0].tags[0]: matcher 'tag:team' has no operator"},
      {"alerts:\n  timezone: Mars/Olympus\n", "collector.yaml:2: alerts.timezone: "},
      {"alerts:\n  zabbix:\n    timezone: Zabbix/Server\n",
       "collector.yaml:3: alerts.zabbix.timezone: "},
      {"alerts:\n  routes:\n    - receivers: [console]\n      active:\n"
       "        - days: mon-fri\n          timezone: Nowhere/City\n",
       "collector.yaml:6: alerts.routes[0].active[0].timezone: "},
      {"alerts:\n  routes:\n    - receivers: [console]\n      active:\n"
       "        - {days: \"mon-fry\"}\n",
       "collector.yaml:5: alerts.routes[0].active[0].days: bad day 'mon-fry'"},
      {"alerts:\n  routes:\n    - receivers: [console]\n      active:\n"
       "        - from: \"9am\"\n",
       "collector.yaml:5: alerts.routes[0].active[0].from: expected a time of day like 09:00"},
      {"alerts:\n  routes:\n    - receivers: [console]\n      active:\n"
       "        - {from: \"09:00\", to: \"09:00\"}\n",
       "collector.yaml:5: alerts.routes[0].active[0].to: the window is empty"},
      {"alerts:\n  routes:\n    - receivers: [console]\n      recievers: [console]\n",
       "collector.yaml:4: alerts.routes[0].recievers: unknown key (known here: active, continue"},
      {"alerts:\n  routes:\n    - receivers: [console]\n      active:\n"
       "        - {days: sat, until: \"10:00\"}\n",
       "collector.yaml:5: alerts.routes[0].active[0].until: unknown key (known here: days, from"},
      {"alerts:\n  routes:\n    - receivers: [console]\n      active:\n"
       "        - {days: []}\n",
       "collector.yaml:5: alerts.routes[0].active[0].days: an empty list never matches"},
      {"alerts:\n  languages: en\n", "collector.yaml:2: alerts.languages: unknown key"},
      {"alerts:\n  language: de\n",
       "collector.yaml:2: alerts.language: expected one of: zh, en, got 'de'"},
      {"alerts:\n  routes:\n    - name: x\n",
       "alerts.routes[0].receivers: required key is missing"},
      {"alerts:\n  routes:\n    - {name: a, receivers: [console]}\n"
       "    - {name: a, receivers: [console]}\n",
       "collector.yaml:4: alerts.routes[1].name: route name 'a' is used twice"},
      {"alerts:\n  routes:\n    - receivers: [console]\n      group_by: [hostname]\n",
       "collector.yaml:4: alerts.routes[0].group_by: unknown field 'hostname'"},
      {"alerts:\n  routes:\n    - receivers: [console]\n      sources: [nagios]\n",
       "collector.yaml:4: alerts.routes[0].sources: unknown source 'nagios'"},
      {"alerts:\n  agent_rules:\n    - kind: \"port.*\"\n      resolved_by: port.closed\n",
       "collector.yaml:4: alerts.agent_rules[0].resolved_by: needs a literal kind"},
      {"alerts:\n  agent_rules:\n    - severity: high\n",
       "alerts.agent_rules[0].kind: required key is missing"},
      {"alerts:\n  splunk:\n    allow_from: [10.0.0.0/33]\n",
       "collector.yaml:3: alerts.splunk.allow_from[0]: expected an IP address or CIDR block"},
      {"alerts:\n  zabbix:\n    token: inline-secret\n", "collector.yaml:3: alerts.zabbix.token"},
      {"alerts:\n  receivers:\n    pager: {type: pagerduty}\n",
       "collector.yaml:3: alerts.receivers.pager.type: unsupported receiver type 'pagerduty'"},
      {"alerts:\n  outbox:\n    workers: 0\n", "collector.yaml:3: alerts.outbox.workers: "},
  };
  for (const Case& c : cases) {
    Loaded loaded = Load(c.yaml);
    ASSERT_FALSE(loaded.status.ok()) << c.yaml;
    EXPECT_NE(loaded.status.message().find(c.expected), std::string::npos)
        << c.yaml << "\n-> " << loaded.status.message();
  }
}

TEST(AlertsConfigTest, ReferenceToAnInvalidReceiverIsNotReportedTwice) {
  Loaded loaded = Load(R"(alerts:
  receivers:
    pager: {type: pagerduty}
  routes:
    - receivers: [pager]
)");
  ASSERT_FALSE(loaded.status.ok());
  EXPECT_EQ(loaded.status.message().find("unknown receiver"), std::string::npos)
      << loaded.status.message();
  EXPECT_NE(loaded.status.message().find("unsupported receiver type"), std::string::npos);
}

// The example in config/collector.yaml is commented out (alerts are optional); uncommented, it
// must load with the receiver types it uses and build a router.
TEST(AlertsConfigTest, ShippedExampleParses) {
  std::ifstream file(std::string(BEACON_SOURCE_DIR) + "/config/collector.yaml");
  ASSERT_TRUE(file.good());
  std::string line;
  std::string yaml;
  bool inside = false;
  while (std::getline(file, line)) {
    if (line == "# alerts:") inside = true;
    if (!inside) continue;
    if (line.rfind("#", 0) != 0) break;
    yaml += line.size() > 2 ? line.substr(2) : "";
    yaml += "\n";
  }
  ASSERT_FALSE(yaml.empty()) << "no '# alerts:' section in config/collector.yaml";
  ::setenv("BEACON_ZABBIX_TOKEN", "example-zabbix-token-0123", 1);
  ::setenv("BEACON_SPLUNK_TOKEN", "example-splunk-token-0123", 1);
  Loaded loaded =
      Load(yaml, Parser({"console", "wecom_app", "wecom_robot", "splunk_hec", "file"}, true));
  ASSERT_TRUE(loaded.status.ok()) << loaded.status.ToString() << "\n" << yaml;
  EXPECT_FALSE(loaded.config.routes.empty());
  EXPECT_FALSE(loaded.config.agent_rules.empty());
  EXPECT_FALSE(loaded.config.zabbix.token.empty());
  std::set<std::string> types;
  for (const auto& [name, factory] : loaded.config.receivers) {
    types.insert(factory(notifier::NotifierDeps{})->type());
  }
  EXPECT_EQ(types,
            (std::set<std::string>{"console", "wecom_app", "wecom_robot", "splunk_hec", "file"}));
  EXPECT_TRUE(Router::Create(loaded.config).ok());
}

}  // namespace
}  // namespace beacon::collector::alerts
