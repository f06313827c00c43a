// The alert vocabulary and matcher grammar shared by the collector and beaconctl: severity and
// status names, parsing (every operator, every rejection naming its part), formatting back, and
// what each operator accepts.
#include <gtest/gtest.h>

#include <string>

#include "common/alerting/matcher.h"
#include "common/alerting/severity.h"

namespace beacon::alerting {
namespace {

Matcher M(const char* text) {
  Result<Matcher> matcher = ParseMatcher(text);
  EXPECT_TRUE(matcher.ok()) << text << ": " << matcher.status().ToString();
  return matcher.value_or(Matcher{});
}

TEST(SeverityTest, NamesDisplayNamesAndDigits) {
  EXPECT_EQ(SeverityName(Severity::kNotClassified), "not_classified");
  EXPECT_EQ(SeverityName(Severity::kDisaster), "disaster");
  EXPECT_EQ(ParseSeverity("high"), Severity::kHigh);
  EXPECT_EQ(ParseSeverity("Not classified"), Severity::kNotClassified);
  EXPECT_EQ(ParseSeverity("AVERAGE"), Severity::kAverage);
  EXPECT_EQ(ParseSeverity("info"), Severity::kInformation);
  EXPECT_EQ(ParseSeverity("5"), Severity::kDisaster);
  EXPECT_EQ(ParseSeverity("6"), std::nullopt);
  EXPECT_EQ(ParseSeverity("critical"), std::nullopt);
  EXPECT_EQ(AlertStatusName(AlertStatus::kFiring), "firing");
  EXPECT_EQ(AlertStatusName(AlertStatus::kResolved), "resolved");
}

TEST(MatcherTest, ParsesEveryOperatorAndFormatsBack) {
  struct Case {
    const char* text;
    const char* field;
    const char* op;
    const char* value;
  };
  const Case cases[] = {
      {"host=~db-*", "host", "=~", "db-*"},
      {"severity>=high", "severity", ">=", "high"},
      {"severity<=Average", "severity", "<=", "average"},
      {"severity=4", "severity", "=", "high"},
      {"tag:team=dba", "tag:team", "=", "dba"},
      {"source!=splunk", "source", "!=", "splunk"},
      {"title!~*test*", "title", "!~", "*test*"},
      {"status=resolved", "status", "=", "resolved"},
      {"fingerprint=abc", "fingerprint", "=", "abc"},
      {" host = db-01 ", "host", "=", "db-01"},
      {"host=", "host", "=", ""},
  };
  for (const Case& c : cases) {
    Result<Matcher> matcher = ParseMatcher(c.text);
    ASSERT_TRUE(matcher.ok()) << c.text << ": " << matcher.status().ToString();
    EXPECT_EQ(matcher->field, c.field) << c.text;
    EXPECT_EQ(matcher->op, c.op) << c.text;
    EXPECT_EQ(matcher->value, c.value) << c.text;
    EXPECT_EQ(MatcherProblem(c.text), std::nullopt) << c.text;
    Result<Matcher> again = ParseMatcher(FormatMatcher(*matcher));
    ASSERT_TRUE(again.ok()) << FormatMatcher(*matcher);
    EXPECT_EQ(FormatMatcher(*again), FormatMatcher(*matcher));
  }
  EXPECT_EQ(FormatMatcher(M("severity>=High")), "severity>=high");
  EXPECT_EQ(FormatMatcher(M("tag:team=~db*")), "tag:team=~db*");
}

TEST(MatcherTest, RejectionsNameTheBadPart) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"hostdb", "has no operator"},
      {"=db", "has no field"},
      {"hostname=db", "unknown field 'hostname'"},
      {"tag:=x", "unknown field 'tag:'"},
      {"host>=db", "operator '>=' only applies to severity"},
      {"severity=urgent", "unknown severity 'urgent'"},
      {"severity>=5x", "unknown severity '5x'"},
      {"status=open", "unknown status 'open'"},
      {"host!db", "bad operator '!d'"},
  };
  for (const Case& c : cases) {
    Result<Matcher> matcher = ParseMatcher(c.text);
    ASSERT_FALSE(matcher.ok()) << c.text;
    EXPECT_EQ(matcher.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(matcher.status().message().find(c.expected), std::string::npos)
        << c.text << " -> " << matcher.status().message();
    // The reason alone, for callers that frame it themselves (beaconctl).
    std::optional<std::string> problem = MatcherProblem(c.text);
    ASSERT_TRUE(problem.has_value()) << c.text;
    EXPECT_EQ(problem->find("matcher '"), std::string::npos) << *problem;
    EXPECT_NE(matcher.status().message().find(*problem), std::string::npos) << *problem;
  }
  // The exact framing configuration errors and the API show.
  EXPECT_EQ(ParseMatcher("tag:team").status().message(),
            "matcher 'tag:team' has no operator (expected one of =, !=, =~, !~, >=, <=)");
  EXPECT_EQ(ParseMatcher("host>=db").status().message(),
            "matcher 'host>=db': operator '>=' only applies to severity");
}

TEST(MatcherTest, FieldsAMatcherMayName) {
  for (const char* field :
       {"source", "host", "severity", "title", "fingerprint", "status", "tag:team"}) {
    EXPECT_TRUE(IsMatcherField(field)) << field;
  }
  for (const char* field : {"", "tag:", "hostname", "tags", "Host"}) {
    EXPECT_FALSE(IsMatcherField(field)) << field;
  }
}

TEST(MatcherTest, EveryOperatorAcceptsAsDocumented) {
  struct Case {
    const char* matcher;
    const char* value;
    bool accepts;
  };
  const Case cases[] = {
      {"host=db-01", "db-01", true},
      {"host=db-01", "db-02", false},
      {"host!=db-02", "db-01", true},
      {"host!=db-01", "db-01", false},
      {"host=~db-*", "db-01", true},
      {"host=~web-*", "db-01", false},
      {"host!~web-*", "db-01", true},
      {"host!~db-0?", "db-01", false},
      {"title=~*disk*", "disk /var/x full", true},  // label globs cross '/'
      {"severity=high", "high", true},
      {"severity=disaster", "high", false},
      {"severity!=high", "high", false},
      {"severity>=high", "high", true},
      {"severity>=high", "disaster", true},
      {"severity>=disaster", "high", false},
      {"severity<=high", "warning", true},
      {"severity<=average", "high", false},
      {"severity=~h*", "high", true},
      {"tag:owner=", "", true},
      {"tag:owner!=", "", false},
      {"status=firing", "firing", true},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(MatcherAccepts(M(c.matcher), c.value), c.accepts) << c.matcher << " " << c.value;
  }
  // A hand-built severity matcher with a value that is no severity accepts nothing.
  EXPECT_FALSE(MatcherAccepts(Matcher{"severity", ">=", "urgent"}, "disaster"));
}

TEST(MatcherTest, LabelGlobsAreFnmatchWithoutFlags) {
  EXPECT_TRUE(LabelGlobMatch("fim.*", "fim.changed"));
  EXPECT_TRUE(LabelGlobMatch("*", "a/b"));
  EXPECT_TRUE(LabelGlobMatch("db-0[1-3]", "db-02"));
  EXPECT_FALSE(LabelGlobMatch("db-0[1-3]", "db-04"));
  EXPECT_FALSE(LabelGlobMatch("fim.*", "port.open"));
}

}  // namespace
}  // namespace beacon::alerting
