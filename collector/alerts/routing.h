// Alert routing decisions: label matchers evaluated on alerts (their grammar is
// common/alerting/matcher.h), silences, inhibition and the ordered route tree that turns an alert
// into the receiver groups it joins. Pure logic, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collector/alerts/alert.h"
#include "collector/alerts/alerts_config.h"
#include "common/status.h"
#include "common/timezone.h"

namespace beacon::collector::alerts {

// The value of `field` ("host", "tag:team", ...) in the alert; empty when absent or unknown.
std::string FieldValue(const AlertView& alert, std::string_view field);

// Whether one matcher matches the alert. An absent tag reads as the empty string.
bool Matches(const Matcher& matcher, const AlertView& alert);

// Whether every matcher matches (true for an empty list).
bool MatchesAll(const std::vector<Matcher>& matchers, const AlertView& alert);

// The view of an alert before it is stored (id 0, starts_ms = event_ms), for matching.
AlertView ViewOf(const AlertInput& input);

// Whether the silence is in force at now_ms (started, not ended, not expired early).
bool SilenceActive(const Silence& silence, int64_t now_ms);

// Id of the first active silence whose matchers all match the alert; nullopt when none does.
std::optional<int64_t> SilencedBy(const AlertView& alert, const std::vector<Silence>& silences,
                                  int64_t now_ms);

// Whether a firing alert in `firing` (other than `alert` itself, compared by id when non-zero,
// else by fingerprint) matches a rule's source while `alert` matches its target and both have
// equal values of every `equal` field.
bool IsInhibited(const AlertView& alert, const std::vector<AlertView>& firing,
                 const std::vector<InhibitRule>& rules);

// The canonical group key "field=value,..." of `group_by` for the alert.
std::string GroupKey(const std::vector<std::string>& group_by, const AlertView& alert);

// Whether the window contains the instant in `zone`. A window spanning midnight belongs to the
// day it starts on: "fri 22:00-06:00" covers Saturday 03:00 but not Friday 03:00.
bool InWindow(const TimeWindow& window, const TimeZone& zone, int64_t now_ms);

// The ordered routes of alerts.routes plus the default route. Immutable; thread-safe.
class Router {
 public:
  // Loads every time zone the routes name; InvalidArgument when one cannot be loaded.
  static Result<Router> Create(const AlertsConfig& config);

  // The groups a firing alert joins at now_ms (time windows are evaluated at now_ms). Routes
  // match in order; a match adds one GroupRef per receiver not already chosen and stops unless
  // the route continues. Nothing matched: the default receivers under route "default".
  std::vector<GroupRef> Route(const AlertInput& input, int64_t now_ms) const;

  // Same for an alert already in view form.
  std::vector<GroupRef> RouteView(const AlertView& alert, int64_t now_ms) const;

 private:
  struct CompiledRoute {
    RouteConfig config;
    std::vector<TimeZone> zones;  // one per config.active window
  };
  Router(std::vector<CompiledRoute> routes, RouteConfig default_route)
      : routes_(std::move(routes)), default_route_(std::move(default_route)) {}
  static bool RouteMatches(const CompiledRoute& route, const AlertView& alert, int64_t now_ms);

  std::vector<CompiledRoute> routes_;
  RouteConfig default_route_;  // name "default", receivers = default_receivers
};

}  // namespace beacon::collector::alerts
