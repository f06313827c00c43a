// The matcher grammar (see matcher.h); docs/alerts.md has the operator's view of it.
#include "common/alerting/matcher.h"

#include <fnmatch.h>

#include <algorithm>
#include <iterator>

#include "common/alerting/severity.h"
#include "common/strings.h"

namespace beacon::alerting {
namespace {

constexpr std::string_view kFields[] = {"source", "host",        "severity",
                                        "title",  "fingerprint", "status"};
constexpr std::string_view kOperators[] = {"=~", "!~", "!=", ">=", "<=", "="};
constexpr const char* kExpectedOperators = "(expected one of =, !=, =~, !~, >=, <=)";

bool IsGlobOperator(std::string_view op) { return op == "=~" || op == "!~"; }

// The matcher in `trimmed`, or the reason it is not one. A reason is phrased to follow
// "matcher '<text>'": "has no field", or ": unknown field ..." after a colon.
struct Parsed {
  Matcher matcher;
  std::string problem;  // empty: parsed
  bool clause = false;  // the problem reads as "matcher 'x' <problem>", without a colon
};

Parsed Parse(std::string_view trimmed) {
  Parsed out;
  auto clause = [&out](std::string problem) {
    out.problem = std::move(problem);
    out.clause = true;
    return out;
  };
  auto fail = [&out](std::string problem) {
    out.problem = std::move(problem);
    return out;
  };
  const size_t op_pos = trimmed.find_first_of("=!<>");
  if (op_pos == std::string_view::npos) {
    return clause(std::string("has no operator ") + kExpectedOperators);
  }
  Matcher& matcher = out.matcher;
  matcher.field = std::string(TrimWhitespace(trimmed.substr(0, op_pos)));
  const std::string_view rest = trimmed.substr(op_pos);
  std::string_view op;
  for (std::string_view candidate : kOperators) {
    if (rest.substr(0, candidate.size()) == candidate) {
      op = candidate;
      break;
    }
  }
  if (op.empty()) {
    return fail("bad operator '" + std::string(rest.substr(0, 2)) + "' " + kExpectedOperators);
  }
  matcher.op = std::string(op);
  matcher.value = std::string(TrimWhitespace(rest.substr(op.size())));
  if (matcher.field.empty()) return clause("has no field");
  if (!IsMatcherField(matcher.field)) {
    return fail("unknown field '" + matcher.field +
                "' (expected source, host, severity, title, fingerprint, status or tag:<name>)");
  }
  if ((matcher.op == ">=" || matcher.op == "<=") && matcher.field != "severity") {
    return fail("operator '" + matcher.op + "' only applies to severity");
  }
  const bool glob = IsGlobOperator(matcher.op);
  if (matcher.field == "severity" && !glob) {
    const std::optional<Severity> severity = ParseSeverity(matcher.value);
    if (!severity) {
      return fail("unknown severity '" + matcher.value +
                  "' (expected not_classified, information, warning, average, high or disaster)");
    }
    matcher.value = std::string(SeverityName(*severity));
  }
  if (matcher.field == "status" && !glob && matcher.value != "firing" &&
      matcher.value != "resolved") {
    return fail("unknown status '" + matcher.value + "' (expected firing or resolved)");
  }
  return out;
}

}  // namespace

Result<Matcher> ParseMatcher(std::string_view text) {
  const std::string_view trimmed = TrimWhitespace(text);
  Parsed parsed = Parse(trimmed);
  if (parsed.problem.empty()) return std::move(parsed.matcher);
  return Status::InvalidArgument("matcher '" + std::string(trimmed) + "'" +
                                 (parsed.clause ? " " : ": ") + parsed.problem);
}

std::optional<std::string> MatcherProblem(std::string_view text) {
  Parsed parsed = Parse(TrimWhitespace(text));
  if (parsed.problem.empty()) return std::nullopt;
  return std::move(parsed.problem);
}

std::string FormatMatcher(const Matcher& matcher) {
  return matcher.field + matcher.op + matcher.value;
}

bool IsMatcherField(std::string_view field) {
  if (field.substr(0, 4) == "tag:") return field.size() > 4;
  return std::find(std::begin(kFields), std::end(kFields), field) != std::end(kFields);
}

bool MatcherAccepts(const Matcher& matcher, std::string_view value) {
  if (matcher.field == "severity" && !IsGlobOperator(matcher.op)) {
    const std::optional<Severity> wanted = ParseSeverity(matcher.value);
    const std::optional<Severity> have = ParseSeverity(value);
    if (!wanted || !have) return false;  // only reachable for hand-built matchers
    if (matcher.op == "=") return *have == *wanted;
    if (matcher.op == "!=") return *have != *wanted;
    if (matcher.op == ">=") return *have >= *wanted;
    if (matcher.op == "<=") return *have <= *wanted;
    return false;
  }
  const std::string text(value);
  if (matcher.op == "=") return text == matcher.value;
  if (matcher.op == "!=") return text != matcher.value;
  if (matcher.op == "=~") return LabelGlobMatch(matcher.value, text);
  if (matcher.op == "!~") return !LabelGlobMatch(matcher.value, text);
  return false;
}

bool LabelGlobMatch(const std::string& pattern, const std::string& value) {
  return ::fnmatch(pattern.c_str(), value.c_str(), 0) == 0;
}

}  // namespace beacon::alerting
