// Matchers, silences, inhibition and the route tree (see routing.h); docs/alerts.md has the
// operator's view of the same rules.
#include "collector/alerts/routing.h"

#include <algorithm>
#include <set>
#include <utility>

#include "common/alerting/matcher.h"

namespace beacon::collector::alerts {
namespace {

// The value with ',', '=' and '\' escaped so distinct value tuples give distinct group keys.
std::string EscapeKeyPart(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == ',' || c == '=' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::string FieldValue(const AlertView& alert, std::string_view field) {
  if (field == "source") return alert.source;
  if (field == "host") return alert.host;
  if (field == "severity") return std::string(notifier::SeverityName(alert.severity));
  if (field == "title") return alert.title;
  if (field == "fingerprint") return alert.fingerprint;
  if (field == "status") return std::string(notifier::AlertStatusName(alert.status));
  if (field.substr(0, 4) == "tag:") {
    auto it = alert.tags.find(std::string(field.substr(4)));
    return it == alert.tags.end() ? std::string() : it->second;
  }
  return {};
}

bool Matches(const Matcher& matcher, const AlertView& alert) {
  return alerting::MatcherAccepts(matcher, FieldValue(alert, matcher.field));
}

bool MatchesAll(const std::vector<Matcher>& matchers, const AlertView& alert) {
  for (const Matcher& matcher : matchers) {
    if (!Matches(matcher, alert)) return false;
  }
  return true;
}

AlertView ViewOf(const AlertInput& input) {
  AlertView view;
  view.source = input.source;
  view.fingerprint = input.fingerprint;
  view.external_id = input.external_id;
  view.status = input.status;
  view.severity = input.severity;
  view.host = input.host;
  view.title = input.title;
  view.message = input.message;
  view.tags = input.tags;
  view.url = input.url;
  view.starts_ms = input.event_ms;
  return view;
}

bool SilenceActive(const Silence& silence, int64_t now_ms) {
  if (silence.expired_ms != 0 && silence.expired_ms <= now_ms) return false;
  return silence.starts_ms <= now_ms && now_ms < silence.ends_ms;
}

std::optional<int64_t> SilencedBy(const AlertView& alert, const std::vector<Silence>& silences,
                                  int64_t now_ms) {
  for (const Silence& silence : silences) {
    if (SilenceActive(silence, now_ms) && MatchesAll(silence.matchers, alert)) return silence.id;
  }
  return std::nullopt;
}

bool IsInhibited(const AlertView& alert, const std::vector<AlertView>& firing,
                 const std::vector<InhibitRule>& rules) {
  for (const InhibitRule& rule : rules) {
    if (!MatchesAll(rule.target, alert)) continue;
    for (const AlertView& other : firing) {
      const bool same = (alert.id != 0 && other.id != 0) ? alert.id == other.id
                                                         : alert.fingerprint == other.fingerprint;
      if (same || other.status != AlertStatus::kFiring) continue;
      if (!MatchesAll(rule.source, other)) continue;
      bool equal = true;
      for (const std::string& field : rule.equal) {
        if (FieldValue(alert, field) != FieldValue(other, field)) {
          equal = false;
          break;
        }
      }
      if (equal) return true;
    }
  }
  return false;
}

std::string GroupKey(const std::vector<std::string>& group_by, const AlertView& alert) {
  std::string key;
  for (const std::string& field : group_by) {
    if (!key.empty()) key += ',';
    key += field;
    key += '=';
    key += EscapeKeyPart(FieldValue(alert, field));
  }
  return key;
}

bool InWindow(const TimeWindow& window, const TimeZone& zone, int64_t now_ms) {
  const LocalTime local = zone.Local(now_ms);
  if (!local.valid) return false;
  const int minute = local.hour * 60 + local.minute;
  auto day_ok = [&](int weekday) {
    return window.weekdays.empty() || std::find(window.weekdays.begin(), window.weekdays.end(),
                                                weekday) != window.weekdays.end();
  };
  if (window.start_minute < window.end_minute) {
    return day_ok(local.weekday) && minute >= window.start_minute && minute < window.end_minute;
  }
  if (window.start_minute == window.end_minute) return false;
  // Spans midnight: the evening part belongs to today, the early-morning part to the day the
  // window started (Friday 22:00-06:00 covers Saturday 03:00, not Monday 03:00).
  if (minute >= window.start_minute) return day_ok(local.weekday);
  if (minute < window.end_minute) return day_ok((local.weekday + 6) % 7);
  return false;
}

Result<Router> Router::Create(const AlertsConfig& config) {
  std::vector<CompiledRoute> routes;
  for (size_t i = 0; i < config.routes.size(); ++i) {
    CompiledRoute route;
    route.config = config.routes[i];
    if (route.config.name.empty()) route.config.name = "route-" + std::to_string(i + 1);
    for (const TimeWindow& window : route.config.active) {
      const std::string& name = window.timezone.empty() ? config.timezone : window.timezone;
      Result<TimeZone> zone = TimeZone::Load(name);
      if (!zone.ok()) {
        return zone.status().WithContext("route '" + route.config.name + "'");
      }
      route.zones.push_back(std::move(zone).value());
    }
    routes.push_back(std::move(route));
  }
  RouteConfig default_route;
  default_route.name = "default";
  default_route.receivers = config.default_receivers;
  return Router(std::move(routes), std::move(default_route));
}

bool Router::RouteMatches(const CompiledRoute& route, const AlertView& alert, int64_t now_ms) {
  const RouteConfig& config = route.config;
  if (!config.sources.empty() && std::find(config.sources.begin(), config.sources.end(),
                                           alert.source) == config.sources.end()) {
    return false;
  }
  if (alert.severity < config.min_severity) return false;
  if (!config.hosts.empty() &&
      std::none_of(config.hosts.begin(), config.hosts.end(), [&](const std::string& glob) {
        return alerting::LabelGlobMatch(glob, alert.host);
      })) {
    return false;
  }
  if (!MatchesAll(config.tags, alert)) return false;
  if (!config.active.empty()) {
    bool inside = false;
    for (size_t i = 0; i < config.active.size() && !inside; ++i) {
      inside = InWindow(config.active[i], route.zones[i], now_ms);
    }
    if (!inside) return false;
  }
  return true;
}

std::vector<GroupRef> Router::Route(const AlertInput& input, int64_t now_ms) const {
  return RouteView(ViewOf(input), now_ms);
}

std::vector<GroupRef> Router::RouteView(const AlertView& alert, int64_t now_ms) const {
  std::vector<GroupRef> refs;
  std::set<std::string> chosen;
  auto add = [&](const RouteConfig& route) {
    const std::string key = GroupKey(route.group_by, alert);
    for (const std::string& receiver : route.receivers) {
      if (!chosen.insert(receiver).second) continue;
      refs.push_back(GroupRef{route.name, receiver, key, route.timing});
    }
  };
  bool matched = false;
  for (const CompiledRoute& route : routes_) {
    if (!RouteMatches(route, alert, now_ms)) continue;
    matched = true;
    add(route.config);
    if (!route.config.continue_matching) break;
  }
  if (!matched) add(default_route_);
  return refs;
}

}  // namespace beacon::collector::alerts
