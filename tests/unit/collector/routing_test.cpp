// Routing decisions at explicit instants: matchers on alerts (every op; their grammar is tested in
// tests/unit/common/alert_matcher_test.cpp), route order and `continue`, severities, host globs,
// tags, working-hour windows in Asia/Shanghai, group keys, defaults, silences and inhibition.
#include "collector/alerts/routing.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/clock.h"

namespace beacon::collector::alerts {
namespace {

int64_t At(const char* rfc3339) {
  Result<int64_t> ms = ParseRfc3339(rfc3339);
  EXPECT_TRUE(ms.ok()) << rfc3339;
  return ms.value_or(0);
}

AlertInput Input(std::string source, std::string host, Severity severity,
                 std::map<std::string, std::string> tags = {}) {
  AlertInput input;
  input.source = std::move(source);
  input.host = std::move(host);
  input.severity = severity;
  input.title = "Disk /data is 95% full";
  input.tags = std::move(tags);
  input.fingerprint = Fingerprint(input.source, input.host, "disk", "/data");
  return input;
}

AlertView View(int64_t id, std::string host, Severity severity,
               AlertStatus status = AlertStatus::kFiring) {
  AlertView view;
  view.id = id;
  view.source = "zabbix";
  view.host = std::move(host);
  view.severity = severity;
  view.status = status;
  view.title = "problem " + std::to_string(id);
  view.fingerprint = "fp" + std::to_string(id);
  return view;
}

std::vector<std::string> Receivers(const std::vector<GroupRef>& refs) {
  std::vector<std::string> out;
  for (const GroupRef& ref : refs) out.push_back(ref.route + "/" + ref.receiver);
  return out;
}

Matcher M(const char* text) {
  Result<Matcher> matcher = ParseMatcher(text);
  EXPECT_TRUE(matcher.ok()) << text << ": " << matcher.status().ToString();
  return matcher.value_or(Matcher{});
}

// ---- Matchers ----

TEST(MatcherTest, EveryOperatorMatchesAsDocumented) {
  AlertView alert = View(1, "db-01", Severity::kHigh);
  alert.source = "zabbix";
  alert.title = "MySQL test replica lag";
  alert.tags = {{"team", "dba"}};
  struct Case {
    const char* matcher;
    bool matches;
  };
  const Case cases[] = {
      {"host=db-01", true},      {"host=db-02", false},        {"host!=db-02", true},
      {"host!=db-01", false},    {"host=~db-*", true},         {"host=~web-*", false},
      {"host!~web-*", true},     {"host!~db-0?", false},       {"title=~*test*", true},
      {"title!~*test*", false},  {"severity=high", true},      {"severity=disaster", false},
      {"severity!=high", false}, {"severity>=high", true},     {"severity>=disaster", false},
      {"severity<=high", true},  {"severity<=average", false}, {"severity=~h*", true},
      {"tag:team=dba", true},    {"tag:team=~d*", true},       {"tag:team!=dba", false},
      {"tag:owner=", true},      {"tag:owner!=", false},       {"source=zabbix", true},
      {"source!=splunk", true},  {"status=firing", true},      {"status=resolved", false},
      {"fingerprint=fp1", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Matches(M(c.matcher), alert), c.matches) << c.matcher;
  }
  EXPECT_TRUE(MatchesAll({}, alert));
  EXPECT_TRUE(MatchesAll({M("host=~db-*"), M("severity>=high")}, alert));
  EXPECT_FALSE(MatchesAll({M("host=~db-*"), M("severity>=disaster")}, alert));
}

TEST(MatcherTest, ViewOfCarriesTheFieldsMatchersRead) {
  AlertInput input = Input("splunk", "web-3", Severity::kWarning, {{"app", "shop"}});
  input.status = AlertStatus::kResolved;
  input.event_ms = 1234;
  const AlertView view = ViewOf(input);
  EXPECT_TRUE(
      MatchesAll({M("source=splunk"), M("host=web-3"), M("severity=warning"), M("tag:app=shop"),
                  M("status=resolved"), M(("fingerprint=" + input.fingerprint).c_str())},
                 view));
  EXPECT_EQ(view.starts_ms, 1234);
  EXPECT_EQ(view.id, 0);
}

// ---- Silences ----

TEST(SilenceTest, OnlyActiveMatchingSilencesApply) {
  const int64_t now = At("2026-11-26T12:00:00Z");
  const AlertView alert = View(7, "db-01", Severity::kHigh);
  Silence expired{1, {M("host=db-01")}, now - 7200'000, now - 3600'000, "ops", "done", 0, 0};
  Silence future{2, {M("host=db-01")}, now + 60'000, now + 3600'000, "ops", "tonight", 0, 0};
  Silence early{3, {M("host=db-01")}, now - 3600'000, now + 3600'000, "ops", "x", 0, now - 1};
  Silence other_host{4, {M("host=db-02")}, now - 60'000, now + 60'000, "ops", "x", 0, 0};
  Silence partial{5,
                  {M("host=db-01"), M("severity=disaster")},
                  now - 60'000,
                  now + 60'000,
                  "ops",
                  "only disasters",
                  0,
                  0};
  Silence active{6, {M("host=~db-*")}, now - 60'000, now + 60'000, "ops", "maintenance", 0, 0};
  Silence also{8, {M("severity>=high")}, now - 60'000, now + 60'000, "ops", "", 0, 0};

  EXPECT_EQ(SilencedBy(alert, {expired, future, early, other_host, partial}, now), std::nullopt);
  EXPECT_EQ(SilencedBy(alert, {expired, future, early, other_host, partial, active, also}, now), 6);
  EXPECT_EQ(SilencedBy(alert, {also, active}, now), 8);
  // Edges: active from starts_ms inclusive until ends_ms exclusive.
  EXPECT_EQ(SilencedBy(alert, {future}, now + 60'000), 2);
  EXPECT_EQ(SilencedBy(alert, {future}, now + 3600'000 - 1), 2);
  EXPECT_EQ(SilencedBy(alert, {future}, now + 3600'000), std::nullopt);
  // An early expiry set in the future (clock skew) does not end the silence before then.
  Silence expiring{9, {M("host=db-01")}, now - 60'000, now + 60'000, "ops", "", 0, now + 1000};
  EXPECT_EQ(SilencedBy(alert, {expiring}, now), 9);
  EXPECT_EQ(SilencedBy(alert, {expiring}, now + 1000), std::nullopt);
}

// ---- Inhibition ----

std::vector<InhibitRule> DefaultInhibit() {
  return {InhibitRule{{M("severity>=disaster")}, {M("severity<=high")}, {"host"}}};
}

TEST(InhibitTest, DisasterMutesLowerAlertsOfItsHostOnly) {
  const AlertView disaster = View(1, "db-01", Severity::kDisaster);
  const AlertView high_same = View(2, "db-01", Severity::kHigh);
  const AlertView high_other = View(3, "db-02", Severity::kHigh);
  const AlertView disaster_same = View(4, "db-01", Severity::kDisaster);
  const std::vector<AlertView> firing = {disaster, high_same, high_other};

  EXPECT_TRUE(IsInhibited(high_same, firing, DefaultInhibit()));
  EXPECT_FALSE(IsInhibited(high_other, firing, DefaultInhibit()));
  // The disaster itself is not a target, and a second disaster is not muted by the first.
  EXPECT_FALSE(IsInhibited(disaster, firing, DefaultInhibit()));
  EXPECT_FALSE(IsInhibited(disaster_same, {disaster}, DefaultInhibit()));
  // No rules: nothing is muted.
  EXPECT_FALSE(IsInhibited(high_same, firing, {}));
}

TEST(InhibitTest, ResolvedSourceAndSelfDoNotMute) {
  const AlertView resolved_disaster = View(1, "db-01", Severity::kDisaster, AlertStatus::kResolved);
  const AlertView high = View(2, "db-01", Severity::kHigh);
  EXPECT_FALSE(IsInhibited(high, {resolved_disaster, high}, DefaultInhibit()));

  // A rule whose source and target both match the same alert never mutes that alert itself.
  const std::vector<InhibitRule> broad = {InhibitRule{{M("host=~db-*")}, {M("host=~db-*")}, {}}};
  EXPECT_FALSE(IsInhibited(high, {high}, broad));
  // Before it is stored (id 0) the alert is recognised by its fingerprint.
  AlertView unsaved = high;
  unsaved.id = 0;
  EXPECT_FALSE(IsInhibited(unsaved, {high}, broad));
  EXPECT_TRUE(IsInhibited(unsaved, {View(9, "db-07", Severity::kInformation)}, broad));
}

TEST(InhibitTest, EqualFieldsCanBeTags) {
  const std::vector<InhibitRule> rules = {
      InhibitRule{{M("tag:kind=link.down")}, {M("tag:kind!=link.down")}, {"tag:site"}}};
  AlertView link = View(1, "sw-1", Severity::kHigh);
  link.tags = {{"kind", "link.down"}, {"site", "hz"}};
  AlertView app_hz = View(2, "app-1", Severity::kAverage);
  app_hz.tags = {{"kind", "http.fail"}, {"site", "hz"}};
  AlertView app_sh = View(3, "app-2", Severity::kAverage);
  app_sh.tags = {{"kind", "http.fail"}, {"site", "sh"}};
  EXPECT_TRUE(IsInhibited(app_hz, {link}, rules));
  EXPECT_FALSE(IsInhibited(app_sh, {link}, rules));
}

// ---- Routes ----

RouteConfig Route(std::string name, std::vector<std::string> receivers) {
  RouteConfig route;
  route.name = std::move(name);
  route.receivers = std::move(receivers);
  return route;
}

AlertsConfig BaseConfig() {
  AlertsConfig config;
  config.timezone = "Asia/Shanghai";
  config.default_receivers = {"console"};
  return config;
}

Router MakeRouter(const AlertsConfig& config) {
  Result<Router> router = Router::Create(config);
  EXPECT_TRUE(router.ok()) << router.status().ToString();
  return std::move(router).value();
}

TEST(RouterTest, FirstMatchingRouteWinsUnlessItContinues) {
  const int64_t now = At("2026-11-26T12:00:00Z");
  AlertsConfig config = BaseConfig();
  RouteConfig dba = Route("dba", {"dba_app"});
  dba.hosts = {"db-*"};
  RouteConfig critical = Route("critical", {"oncall_robot", "dba_app"});
  critical.min_severity = Severity::kHigh;
  RouteConfig archive = Route("archive", {"hec"});
  config.routes = {dba, critical, archive};

  Router stop = MakeRouter(config);
  EXPECT_EQ(Receivers(stop.Route(Input("zabbix", "db-01", Severity::kDisaster), now)),
            (std::vector<std::string>{"dba/dba_app"}));
  EXPECT_EQ(Receivers(stop.Route(Input("zabbix", "web-1", Severity::kDisaster), now)),
            (std::vector<std::string>{"critical/oncall_robot", "critical/dba_app"}));
  EXPECT_EQ(Receivers(stop.Route(Input("zabbix", "web-1", Severity::kWarning), now)),
            (std::vector<std::string>{"archive/hec"}));

  config.routes[0].continue_matching = true;
  config.routes[1].continue_matching = true;
  Router cont = MakeRouter(config);
  // dba_app was chosen by the first route and is not added again by the second.
  EXPECT_EQ(Receivers(cont.Route(Input("zabbix", "db-01", Severity::kDisaster), now)),
            (std::vector<std::string>{"dba/dba_app", "critical/oncall_robot", "archive/hec"}));
  EXPECT_EQ(Receivers(cont.Route(Input("zabbix", "db-01", Severity::kAverage), now)),
            (std::vector<std::string>{"dba/dba_app", "archive/hec"}));
}

TEST(RouterTest, UnmatchedAlertsGoToTheDefaultReceiversWithDefaultTiming) {
  const int64_t now = At("2026-11-26T12:00:00Z");
  AlertsConfig config = BaseConfig();
  config.default_receivers = {"console", "log_file"};
  RouteConfig splunk_only = Route("splunk", {"hec"});
  splunk_only.sources = {"splunk"};
  splunk_only.timing.wait_ms = 0;
  config.routes = {splunk_only};
  Router router = MakeRouter(config);

  const std::vector<GroupRef> refs = router.Route(Input("zabbix", "db-01", Severity::kHigh), now);
  ASSERT_EQ(refs.size(), 2u);
  const RouteConfig defaults;
  for (const GroupRef& ref : refs) {
    EXPECT_EQ(ref.route, "default");
    EXPECT_EQ(ref.group_key, "source=zabbix,host=db-01");
    EXPECT_EQ(ref.timing.wait_ms, defaults.timing.wait_ms);
    EXPECT_EQ(ref.timing.interval_ms, defaults.timing.interval_ms);
    EXPECT_EQ(ref.timing.repeat_ms, defaults.timing.repeat_ms);
  }
  EXPECT_EQ(refs[0].receiver, "console");
  EXPECT_EQ(refs[1].receiver, "log_file");

  const std::vector<GroupRef> splunk =
      router.Route(Input("splunk", "", Severity::kInformation), now);
  ASSERT_EQ(splunk.size(), 1u);
  EXPECT_EQ(splunk[0].route, "splunk");
  EXPECT_EQ(splunk[0].receiver, "hec");
  EXPECT_EQ(splunk[0].timing.wait_ms, 0);

  // No default receivers: an unmatched alert joins no group.
  config.default_receivers.clear();
  EXPECT_TRUE(MakeRouter(config).Route(Input("api", "x", Severity::kHigh), now).empty());
}

TEST(RouterTest, MinSeverityHostGlobsSourcesAndTags) {
  const int64_t now = At("2026-11-26T12:00:00Z");
  AlertsConfig config = BaseConfig();
  RouteConfig route = Route("dba", {"dba_app"});
  route.sources = {"zabbix", "agent"};
  route.min_severity = Severity::kAverage;
  route.hosts = {"db-*", "mysql-?"};
  route.tags = {M("tag:team=dba"), M("tag:env!~test*")};
  config.routes = {route};
  Router router = MakeRouter(config);
  struct Case {
    const char* source;
    const char* host;
    Severity severity;
    std::map<std::string, std::string> tags;
    bool routed;
  };
  const std::map<std::string, std::string> dba = {{"team", "dba"}, {"env", "prod"}};
  const Case cases[] = {
      {"zabbix", "db-01", Severity::kAverage, dba, true},
      {"agent", "mysql-3", Severity::kDisaster, dba, true},
      {"zabbix", "db-01", Severity::kWarning, dba, false},             // below min_severity
      {"splunk", "db-01", Severity::kHigh, dba, false},                // source not listed
      {"zabbix", "web-01", Severity::kHigh, dba, false},               // host glob
      {"zabbix", "mysql-10", Severity::kHigh, dba, false},             // '?' is one character
      {"zabbix", "db-01", Severity::kHigh, {{"team", "web"}}, false},  // tag value
      {"zabbix", "db-01", Severity::kHigh, {}, false},                 // tag absent
      {"zabbix", "db-01", Severity::kHigh, {{"team", "dba"}, {"env", "test-2"}}, false},
      {"zabbix", "db-01", Severity::kHigh, {{"team", "dba"}}, true},  // env absent: not test*
  };
  for (const Case& c : cases) {
    const std::vector<GroupRef> refs =
        router.Route(Input(c.source, c.host, c.severity, c.tags), now);
    ASSERT_EQ(refs.size(), 1u);
    EXPECT_EQ(refs[0].route, c.routed ? "dba" : "default")
        << c.source << " " << c.host << " " << SeverityName(c.severity);
  }
}

TEST(RouterTest, WorkingHoursInShanghaiAtBothEdgesAndWeekends) {
  AlertsConfig config = BaseConfig();
  RouteConfig office = Route("office", {"wecom_app"});
  office.active = {TimeWindow{{1, 2, 3, 4, 5}, 9 * 60, 18 * 60, ""}};
  config.routes = {office};
  Router router = MakeRouter(config);
  struct Case {
    const char* instant;
    bool inside;
  };
  const Case cases[] = {
      {"2026-11-23T08:59:59+08:00", false},  // Monday just before 09:00
      {"2026-11-23T09:00:00+08:00", true},   // Monday 09:00 (inclusive)
      {"2026-11-23T00:59:59Z", false},       // the same edge written in UTC
      {"2026-11-23T01:00:00Z", true},
      {"2026-11-27T17:59:59+08:00", true},   // Friday just before 18:00
      {"2026-11-27T18:00:00+08:00", false},  // Friday 18:00 (exclusive)
      {"2026-11-28T10:00:00+08:00", false},  // Saturday
      {"2026-11-29T10:00:00+08:00", false},  // Sunday
      // Monday 09:30 in Shanghai is still Sunday in UTC: the zone decides the weekday.
      {"2026-11-30T01:30:00+08:00", false},
      {"2026-11-30T09:30:00+08:00", true},
  };
  for (const Case& c : cases) {
    const std::vector<GroupRef> refs =
        router.Route(Input("zabbix", "db-01", Severity::kHigh), At(c.instant));
    ASSERT_EQ(refs.size(), 1u);
    EXPECT_EQ(refs[0].route, c.inside ? "office" : "default") << c.instant;
  }

  // The route's own zone overrides alerts.timezone: 09:00-18:00 in UTC.
  config.routes[0].active[0].timezone = "UTC";
  Router utc = MakeRouter(config);
  EXPECT_EQ(
      utc.Route(Input("zabbix", "h", Severity::kHigh), At("2026-11-23T09:00:00+08:00"))[0].route,
      "default");
  EXPECT_EQ(utc.Route(Input("zabbix", "h", Severity::kHigh), At("2026-11-23T09:00:00Z"))[0].route,
            "office");
}

TEST(RouterTest, NightWindowSpanningMidnightBelongsToItsStartDay) {
  AlertsConfig config = BaseConfig();
  RouteConfig night = Route("night", {"oncall_robot"});
  night.active = {TimeWindow{{5}, 22 * 60, 6 * 60, ""}};  // Friday 22:00 - Saturday 06:00
  config.routes = {night};
  Router router = MakeRouter(config);
  struct Case {
    const char* instant;
    bool inside;
  };
  const Case cases[] = {
      {"2026-11-27T21:59:59+08:00", false},  // Friday evening before
      {"2026-11-27T22:00:00+08:00", true},  {"2026-11-27T23:59:59+08:00", true},
      {"2026-11-28T00:00:00+08:00", true},  // Saturday after midnight
      {"2026-11-28T05:59:59+08:00", true},  {"2026-11-28T06:00:00+08:00", false},
      {"2026-11-28T23:00:00+08:00", false},  // Saturday night is not in a Friday window
      {"2026-11-27T03:00:00+08:00", false},  // Friday early morning belongs to Thursday
      {"2026-11-26T23:00:00+08:00", false},  // Thursday night
  };
  for (const Case& c : cases) {
    const std::vector<GroupRef> refs =
        router.Route(Input("zabbix", "db-01", Severity::kHigh), At(c.instant));
    ASSERT_EQ(refs.size(), 1u);
    EXPECT_EQ(refs[0].route, c.inside ? "night" : "default") << c.instant;
  }
  // Every day: any night hour matches.
  config.routes[0].active[0].weekdays.clear();
  Router daily = MakeRouter(config);
  EXPECT_EQ(
      daily.Route(Input("zabbix", "h", Severity::kHigh), At("2026-11-24T02:00:00+08:00"))[0].route,
      "night");
  EXPECT_EQ(
      daily.Route(Input("zabbix", "h", Severity::kHigh), At("2026-11-24T12:00:00+08:00"))[0].route,
      "default");
}

TEST(RouterTest, GroupKeysFollowGroupBy) {
  const int64_t now = At("2026-11-26T12:00:00Z");
  struct Case {
    std::vector<std::string> group_by;
    const char* key;
  };
  AlertInput input = Input("zabbix", "db-01", Severity::kHigh, {{"team", "dba,core"}});
  input.title = "Replica lag";
  const Case cases[] = {
      {{"source", "host"}, "source=zabbix,host=db-01"},
      {{"host", "severity"}, "host=db-01,severity=high"},
      {{"title"}, "title=Replica lag"},
      {{"tag:team"}, "tag:team=dba\\,core"},
      {{"tag:missing"}, "tag:missing="},
      {{"fingerprint"}, nullptr},
      {{}, ""},
  };
  for (const Case& c : cases) {
    AlertsConfig config = BaseConfig();
    RouteConfig route = Route("r", {"x"});
    route.group_by = c.group_by;
    config.routes = {route};
    const std::vector<GroupRef> refs = MakeRouter(config).Route(input, now);
    ASSERT_EQ(refs.size(), 1u);
    const std::string expected = c.key ? c.key : "fingerprint=" + input.fingerprint;
    EXPECT_EQ(refs[0].group_key, expected);
  }
  // Alerts of the same host share a group; another host gets its own.
  AlertsConfig config = BaseConfig();
  Router router = MakeRouter(config);
  AlertInput other_problem = Input("zabbix", "db-01", Severity::kAverage);
  other_problem.fingerprint = Fingerprint("zabbix", "db-01", "cpu", "");
  EXPECT_EQ(router.Route(input, now)[0].group_key, router.Route(other_problem, now)[0].group_key);
  EXPECT_NE(router.Route(input, now)[0].group_key,
            router.Route(Input("zabbix", "db-02", Severity::kHigh), now)[0].group_key);
}

TEST(RouterTest, UnnamedRoutesAreNumberedAndBadZonesRejected) {
  const int64_t now = At("2026-11-26T12:00:00Z");
  AlertsConfig config = BaseConfig();
  RouteConfig first = Route("", {"a"});
  first.sources = {"splunk"};
  config.routes = {first, Route("", {"b"})};
  EXPECT_EQ(MakeRouter(config).Route(Input("zabbix", "h", Severity::kHigh), now)[0].route,
            "route-2");

  config.routes[0].active = {TimeWindow{{}, 0, 60, "Mars/Olympus_Mons"}};
  Result<Router> bad = Router::Create(config);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("route-1"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace beacon::collector::alerts
