// Reads the `alerts:` section of collector.yaml (see alerts_config.h; config/collector.yaml
// documents every key). Every error is recorded on the node with its key path and line.
#include "collector/alerts/alerts_config.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "collector/alerts/routing.h"
#include "common/alerting/matcher.h"
#include "common/config/common_sections.h"
#include "common/strings.h"
#include "common/timezone.h"

namespace beacon::collector::alerts {
namespace {

constexpr char kSeverityChoices[] =
    "expected not_classified, information, warning, average, high or disaster";
// Marks "the getter already reported a type error" for string reads.
constexpr char kUnset[] = "\x01unset";
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};
constexpr std::array<std::string_view, 7> kLongDayNames = {
    "sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"};

std::string Join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

// A severity by any ParseSeverity spelling; nullopt when absent or invalid (then reported).
std::optional<Severity> GetSeverity(config::Node& node, std::string_view key) {
  if (!node.Has(key)) return std::nullopt;
  std::string text = kUnset;
  node.Get(key, &text);
  if (text == kUnset) return std::nullopt;
  std::optional<Severity> severity = notifier::ParseSeverity(text);
  if (!severity) node.Error(key, "unknown severity '" + text + "' (" + kSeverityChoices + ")");
  return severity;
}

// A list of matcher strings, each reported at its own element when invalid. `prefix` is put
// before elements that lack it (tag matchers may be written without "tag:").
std::vector<Matcher> GetMatchers(config::Node& node, std::string_view key,
                                 std::string_view prefix = "") {
  std::vector<Matcher> out;
  for (config::Node& element : node.Sequence(key)) {
    if (!element.IsScalar()) {
      element.Error("", "expected a matcher string like \"host=~db-*\"");
      continue;
    }
    std::string text = element.Scalar();
    if (!prefix.empty() && text.rfind(prefix, 0) != 0) text = std::string(prefix) + text;
    Result<Matcher> matcher = ParseMatcher(text);
    if (!matcher.ok()) {
      element.Error("", matcher.status().message());
      continue;
    }
    out.push_back(std::move(matcher).value());
  }
  return out;
}

// Fields a group key or an inhibit rule's `equal` may name.
bool IsLabelField(const std::string& field, bool allow_status) {
  return alerting::IsMatcherField(field) && (allow_status || field != "status");
}

void CheckFields(config::Node& node, std::string_view key, const std::vector<std::string>& fields,
                 bool allow_status) {
  for (const std::string& field : fields) {
    if (!IsLabelField(field, allow_status)) {
      node.Error(key, "unknown field '" + field +
                          "' (expected source, host, severity, title, fingerprint or tag:<name>)");
    }
  }
}

bool IsGlob(const std::string& text) { return text.find_first_of("*?[") != std::string::npos; }

std::optional<int> ParseDay(std::string_view text) {
  const std::string lower = Lower(text);
  for (size_t i = 0; i < kDayNames.size(); ++i) {
    if (lower == kDayNames[i] || lower == kLongDayNames[i]) return static_cast<int>(i);
  }
  return std::nullopt;
}

// "mon-fri", "sat", "mon,wed,fri", "fri-mon" (wraps over the weekend) -> weekdays (0 = Sunday).
Result<std::vector<int>> ParseDays(std::string_view text) {
  std::vector<int> days;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view part = text.substr(pos, comma - pos);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    const size_t dash = part.find('-');
    const std::optional<int> first = ParseDay(part.substr(0, dash));
    const std::optional<int> last =
        dash == std::string_view::npos ? first : ParseDay(part.substr(dash + 1));
    if (!first || !last) {
      return Status::InvalidArgument("bad day '" + std::string(part) +
                                     "' (expected mon, tue, wed, thu, fri, sat, sun or a range "
                                     "like mon-fri)");
    }
    for (int day = *first;; day = (day + 1) % 7) {
      if (std::find(days.begin(), days.end(), day) == days.end()) days.push_back(day);
      if (day == *last) break;
    }
    pos = comma + 1;
  }
  std::sort(days.begin(), days.end());
  return days;
}

// "09:00" -> 540; "24:00" only when allow_24.
std::optional<int> ParseClock(const std::string& text, bool allow_24) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int hour = (text[0] - '0') * 10 + (text[1] - '0');
  const int minute = (text[3] - '0') * 10 + (text[4] - '0');
  if (minute > 59) return std::nullopt;
  if (hour == 24 && minute == 0 && allow_24) return 24 * 60;
  if (hour > 23) return std::nullopt;
  return hour * 60 + minute;
}

void CheckTimeZone(config::Node& node, std::string_view key, const std::string& name) {
  Result<TimeZone> zone = TimeZone::Load(name);
  if (!zone.ok()) node.Error(key, zone.status().message());
}

TimeWindow ReadWindow(config::Node& node) {
  TimeWindow window;
  std::map<std::string, config::Node> entries =
      node.KnownEntries({"days", "from", "to", "timezone"});
  if (auto days = entries.find("days"); days != entries.end()) {
    std::vector<std::string> parts;
    if (days->second.IsScalar()) {
      parts.push_back(days->second.Scalar());
    } else {
      node.Get("days", &parts);
    }
    for (const std::string& part : parts) {
      Result<std::vector<int>> parsed = ParseDays(part);
      if (!parsed.ok()) {
        node.Error("days", parsed.status().message());
        continue;
      }
      for (int day : *parsed) {
        if (std::find(window.weekdays.begin(), window.weekdays.end(), day) ==
            window.weekdays.end()) {
          window.weekdays.push_back(day);
        }
      }
    }
    std::sort(window.weekdays.begin(), window.weekdays.end());
    if (window.weekdays.empty() && !days->second.IsScalar()) {
      node.Error("days", "an empty list never matches (leave days out for every day)");
    }
  }
  for (const auto& [key, out, allow_24] :
       {std::tuple<const char*, int*, bool>{"from", &window.start_minute, false},
        std::tuple<const char*, int*, bool>{"to", &window.end_minute, true}}) {
    std::string text = kUnset;
    node.Get(key, &text);
    if (text == kUnset) continue;
    std::optional<int> minute = ParseClock(text, allow_24);
    if (!minute) {
      node.Error(key, "expected a time of day like 09:00 or 18:30" +
                          std::string(allow_24 ? " (24:00 for midnight)" : "") + ", got '" + text +
                          "'");
      continue;
    }
    *out = *minute;
  }
  if (window.start_minute == window.end_minute) {
    node.Error("to", "the window is empty (from and to are equal)");
  }
  node.Get("timezone", &window.timezone);
  if (!window.timezone.empty()) CheckTimeZone(node, "timezone", window.timezone);
  return window;
}

RouteConfig ReadRoute(config::Node& node, size_t index) {
  RouteConfig route;
  route.name = "route-" + std::to_string(index + 1);
  std::map<std::string, config::Node> entries = node.KnownEntries(
      {"name", "sources", "min_severity", "hosts", "tags", "active", "receivers", "continue",
       "group_by", "group_wait", "group_interval", "repeat_interval"});
  node.Get("name", &route.name);
  node.Get("sources", &route.sources);
  for (const std::string& source : route.sources) {
    static const std::set<std::string> kSources = {"zabbix", "splunk", "agent", "api"};
    if (kSources.count(source) == 0) {
      node.Error("sources",
                 "unknown source '" + source + "' (expected zabbix, splunk, agent or api)");
    }
  }
  route.min_severity = GetSeverity(node, "min_severity").value_or(route.min_severity);
  node.Get("hosts", &route.hosts);
  if (auto tags = entries.find("tags"); tags != entries.end()) {
    if (tags->second.IsMap()) {
      for (auto& [name, value] : node.Entries("tags")) {
        if (!value.IsScalar()) {
          value.Error("", "expected a tag value");
          continue;
        }
        route.tags.push_back(Matcher{"tag:" + name, "=", value.Scalar()});
      }
    } else {
      route.tags = GetMatchers(node, "tags", "tag:");
    }
  }
  for (config::Node& window : node.Sequence("active")) route.active.push_back(ReadWindow(window));
  node.Require("receivers");
  node.Get("receivers", &route.receivers);
  node.Get("continue", &route.continue_matching);
  node.Get("group_by", &route.group_by);
  CheckFields(node, "group_by", route.group_by, /*allow_status=*/false);
  node.GetDurationMs("group_wait", &route.timing.wait_ms);
  node.GetDurationMs("group_interval", &route.timing.interval_ms, 1000);
  node.GetDurationMs("repeat_interval", &route.timing.repeat_ms);
  return route;
}

InhibitRule ReadInhibitRule(config::Node& node) {
  InhibitRule rule;
  rule.source = GetMatchers(node, "source");
  rule.target = GetMatchers(node, "target");
  node.Get("equal", &rule.equal);
  CheckFields(node, "equal", rule.equal, /*allow_status=*/true);
  if (rule.source.empty()) node.Error("source", "an inhibit rule needs source matchers");
  if (rule.target.empty()) node.Error("target", "an inhibit rule needs target matchers");
  return rule;
}

// Without an `inhibit:` key: a disaster on a host mutes that host's lower alerts.
InhibitRule DefaultInhibitRule() {
  InhibitRule rule;
  rule.source = {Matcher{"severity", ">=", "disaster"}};
  rule.target = {Matcher{"severity", "<=", "high"}};
  rule.equal = {"host"};
  return rule;
}

AgentEventRule ReadAgentRule(config::Node& node) {
  AgentEventRule rule;
  node.Require("kind");
  node.Get("kind", &rule.kind);
  rule.min_severity = GetSeverity(node, "min_severity");
  rule.severity = GetSeverity(node, "severity");
  node.Get("hosts", &rule.hosts);
  node.Get("resolved_by", &rule.resolved_by);
  // The resolution's fingerprint is built from the rule's kind, so it must be the literal kind
  // the firing alert had.
  if (!rule.resolved_by.empty() && IsGlob(rule.kind)) {
    node.Error("resolved_by", "needs a literal kind, not the pattern '" + rule.kind + "'");
  }
  return rule;
}

void ReadOutbox(config::Node node, OutboxConfig* outbox) {
  node.Get("workers", &outbox->workers, 1, 256);
  node.GetDurationMs("retry_initial", &outbox->retry_initial_ms, 1);
  node.GetDurationMs("retry_max", &outbox->retry_max_ms, 1);
  node.GetDurationMs("give_up_after", &outbox->give_up_after_ms, 1000);
  node.Get("summary_after", &outbox->summary_after, 1, 1000000);
  node.Get("summary_titles", &outbox->summary_titles, 1, 1000);
  if (outbox->retry_max_ms < outbox->retry_initial_ms) {
    node.Error("retry_max", "must be at least retry_initial");
  }
}

// The embedded default receiver, parsed by the same parser as configured ones.
notifier::NotifierFactory DefaultConsoleReceiver(const ReceiverParser& parse_receiver) {
  Result<std::unique_ptr<config::Document>> doc =
      config::Document::LoadString("type: console\n", "default console receiver");
  if (!doc.ok()) return nullptr;
  notifier::NotifierFactory factory = parse_receiver("console", (*doc)->root());
  if (!(*doc)->Finish().ok()) return nullptr;
  return factory;
}

void CheckReceivers(config::Node& node, std::string_view key, const std::vector<std::string>& names,
                    const std::set<std::string>& known) {
  for (const std::string& name : names) {
    if (known.count(name) == 0) {
      node.Error(key, "unknown receiver '" + name + "' (configured: " +
                          Join(std::vector<std::string>(known.begin(), known.end()), ", ") + ")");
    }
  }
}

}  // namespace

AlertsConfig ReadAlertsConfig(config::Node node, const ReceiverParser& parse_receiver) {
  AlertsConfig cfg;
  node.Get("path", &cfg.path);
  node.GetEnum("language", &cfg.language, {"zh", "en"});
  node.Get("timezone", &cfg.timezone);
  if (node.Has("timezone")) CheckTimeZone(node, "timezone", cfg.timezone);
  node.GetBytes("max_body_bytes", &cfg.max_body_bytes, 1024);
  node.GetDurationMs("retention", &cfg.retention_ms, 60 * 60 * 1000);

  config::Node zabbix = node.Child("zabbix");
  zabbix.GetSecret("token", &cfg.zabbix.token);
  zabbix.Get("event_url", &cfg.zabbix.event_url);
  zabbix.Get("timezone", &cfg.zabbix.timezone);
  if (zabbix.Has("timezone")) CheckTimeZone(zabbix, "timezone", cfg.zabbix.timezone);

  config::Node splunk = node.Child("splunk");
  splunk.GetSecret("token", &cfg.splunk.token);
  cfg.splunk.allow_from = config::ReadIpNetworkList(splunk, "allow_from");
  cfg.splunk.default_severity =
      GetSeverity(splunk, "default_severity").value_or(cfg.splunk.default_severity);
  splunk.GetDurationMs("resolve_after", &cfg.splunk.resolve_after_ms);

  for (config::Node& rule : node.Sequence("agent_rules")) {
    cfg.agent_rules.push_back(ReadAgentRule(rule));
  }

  // Receivers first: routes are checked against their names.
  std::set<std::string> receiver_names;
  std::vector<std::string> console_receivers;
  for (auto& [name, section] : node.Entries("receivers")) {
    receiver_names.insert(name);
    std::string type;
    if (section.IsMap()) section.Get("type", &type);
    notifier::NotifierFactory factory = parse_receiver(name, section);
    if (type == "console") console_receivers.push_back(name);
    if (factory) cfg.receivers.emplace_back(name, std::move(factory));
  }
  if (receiver_names.empty()) {
    if (notifier::NotifierFactory console = DefaultConsoleReceiver(parse_receiver)) {
      cfg.receivers.emplace_back("console", std::move(console));
      receiver_names.insert("console");
      console_receivers.push_back("console");
    }
  }
  std::sort(cfg.receivers.begin(), cfg.receivers.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });

  std::set<std::string> route_names;
  std::vector<config::Node> routes = node.Sequence("routes");
  for (size_t i = 0; i < routes.size(); ++i) {
    RouteConfig route = ReadRoute(routes[i], i);
    CheckReceivers(routes[i], "receivers", route.receivers, receiver_names);
    if (!route_names.insert(route.name).second || route.name == "default") {
      routes[i].Error("name", "route name '" + route.name +
                                  "' is used twice (\"default\" is "
                                  "the route of unmatched alerts)");
    }
    cfg.routes.push_back(std::move(route));
  }

  if (node.Has("default_receivers")) {
    node.Get("default_receivers", &cfg.default_receivers);
    CheckReceivers(node, "default_receivers", cfg.default_receivers, receiver_names);
  } else {
    std::sort(console_receivers.begin(), console_receivers.end());
    cfg.default_receivers = console_receivers;
  }

  if (node.Has("inhibit")) {
    for (config::Node& rule : node.Sequence("inhibit"))
      cfg.inhibit.push_back(ReadInhibitRule(rule));
  } else {
    cfg.inhibit.push_back(DefaultInhibitRule());
  }

  ReadOutbox(node.Child("outbox"), &cfg.outbox);
  return cfg;
}

}  // namespace beacon::collector::alerts
