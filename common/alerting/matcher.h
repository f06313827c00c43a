// The alert matcher grammar ("host=~db-*", "severity>=high", "tag:team=dba"), one definition for
// the collector (silences, inhibit rules, route tags) and beaconctl (`silence add`, checked
// before sending); docs/alerts.md describes it for operators. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace beacon::alerting {

// FIELD OP VALUE. field: "source", "host", "severity", "title", "fingerprint", "status", or
// "tag:<name>". op: "=", "!=", "=~" (glob, LabelGlobMatch), "!~", and for severity ">=" / "<="
// (compare levels: "severity>=high").
struct Matcher {
  std::string field;
  std::string op = "=";
  std::string value;
};

// Parses "host=~db-*", "severity>=high", "tag:team=dba", "source!=splunk", "title!~*test*";
// spaces around the parts are ignored and the value may be empty ("tag:owner=": no owner tag).
// A severity value (except after =~ / !~) is stored under its canonical name ("severity=4" ->
// "severity=high"); a status value must be firing or resolved. InvalidArgument otherwise, its
// message "matcher '<text>'" followed by MatcherProblem(text)'s reason: "matcher 'x' has no
// operator (...)", "matcher 'x>=1': operator '>=' only applies to severity".
Result<Matcher> ParseMatcher(std::string_view text);

// Why `text` is not a matcher, as a phrase for callers that frame it themselves: "has no
// operator (expected one of =, !=, =~, !~, >=, <=)", "unknown field 'owner' (expected ...)";
// nullopt when ParseMatcher accepts it.
std::optional<std::string> MatcherProblem(std::string_view text);

// The inverse of ParseMatcher: field + op + value ("severity>=high").
std::string FormatMatcher(const Matcher& matcher);

// Whether `field` is one a matcher may name ("host", "tag:team"; not "tag:").
bool IsMatcherField(std::string_view field);

// Whether the matcher accepts `value`, the alert's value of matcher.field (a severity by its
// name, a status as "firing" / "resolved", an absent tag as ""). A severity matcher whose value
// is not a severity name accepts nothing (only reachable for hand-built matchers).
bool MatcherAccepts(const Matcher& matcher, std::string_view value);

// The glob of `=~` and of other label lists (route hosts, agent rule kinds): fnmatch(3) with no
// flags, so `*` matches any characters, '/' included; labels are not paths (common/glob.h is
// the path dialect).
bool LabelGlobMatch(const std::string& pattern, const std::string& value);

}  // namespace beacon::alerting
