// ParseSplunkAlert on the documented built-in webhook payload (verbatim, "search_name": null) and
// on our custom alert action's payload: identity, severity mapping, tags, link checks, bounded
// messages and the session key kept out of what is stored.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "collector/alerts/sources/splunk.h"
#include "common/clock.h"

namespace beacon::collector::alerts {
namespace {

// Splunk docs, "Use a webhook alert action" (host-inspection-backup-splunk.md §5), verbatim.
constexpr char kDocumentedWebhook[] = R"({
	"result": {
		"sourcetype" : "mongod",
		"count" : "8"
	},
	"sid" : "scheduler_admin_search_W2_at_14232356_132",
	"results_link" : "http://web.example.local:8000/app/search/@go?sid=scheduler_admin_search_W2_at_14232356_132",
	"search_name" : null,
	"owner" : "admin",
	"app" : "search"
})";

// What templates/splunk's custom action posts: Splunk's stdin payload (session key, server
// details, merged configuration, first result) plus top-level severity and recipients.
constexpr char kCustomAction[] = R"({
  "app": "search",
  "owner": "admin",
  "results_file": "/opt/splunk/var/run/splunk/dispatch/scheduler__admin__search__RMD5_at_1764127240_7/results.csv.gz",
  "results_link": "https://splunk.example.test:8000/app/search/search?q=%7Cloadjob%20scheduler__admin__search__RMD5_at_1764127240_7",
  "search_name": "Disk full on db hosts",
  "server_host": "splunk-sh1",
  "server_uri": "https://127.0.0.1:8089",
  "session_key": "hVq0^Xy7sessionSecretValue",
  "sid": "scheduler__admin__search__RMD5_at_1764127240_7",
  "severity": "high",
  "recipients": ["ops", "dba"],
  "configuration": {"collector_url": "https://collector.example.test:8443", "token": "s3cr3t-splunk-token", "severity": "2"},
  "result": {"host": "db-01", "mount": "/data", "used_pct": "97", "_time": "1764127200.000"}
})";

class SplunkSourceTest : public ::testing::Test {
 protected:
  SplunkSourceConfig config_;
};

TEST_F(SplunkSourceTest, DocumentedWebhookPayloadBecomesAnAlert) {
  const nlohmann::json body = nlohmann::json::parse(kDocumentedWebhook);
  Result<AlertInput> input = ParseSplunkAlert(body, config_);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  const std::string sid = "scheduler_admin_search_W2_at_14232356_132";
  EXPECT_EQ(input->source, "splunk");
  EXPECT_EQ(input->status, AlertStatus::kFiring);
  EXPECT_EQ(input->receipt_key, "splunk:" + sid);
  EXPECT_EQ(input->external_id, sid);
  EXPECT_EQ(input->title, "Splunk alert " + sid);  // search_name is null
  EXPECT_EQ(input->host, "");                      // the result has no host field
  EXPECT_EQ(input->message, "count=8\nsourcetype=mongod");
  EXPECT_EQ(input->severity, Severity::kAverage);  // the configured default
  EXPECT_EQ(input->url, body["results_link"].get<std::string>());
  EXPECT_EQ(input->tags,
            (std::map<std::string, std::string>{{"app", "search"}, {"owner", "admin"}}));
  EXPECT_EQ(input->fingerprint, Fingerprint("splunk", "", "search", sid));
  EXPECT_EQ(input->event_ms, 0);
  EXPECT_EQ(input->raw, body);

  config_.default_severity = Severity::kWarning;
  EXPECT_EQ(ParseSplunkAlert(body, config_)->severity, Severity::kWarning);
}

TEST_F(SplunkSourceTest, CustomActionPayloadWithConfiguration) {
  const nlohmann::json body = nlohmann::json::parse(kCustomAction);
  Result<AlertInput> input = ParseSplunkAlert(body, config_);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_EQ(input->title, "Disk full on db hosts");
  EXPECT_EQ(input->host, "db-01");
  EXPECT_EQ(input->severity, Severity::kHigh);  // top-level wins over configuration.severity
  EXPECT_EQ(input->tags.at("recipients"), "ops,dba");
  EXPECT_EQ(input->tags.at("owner"), "admin");
  EXPECT_EQ(input->event_ms, 1764127200000);
  EXPECT_EQ(input->message, "_time=1764127200.000\nhost=db-01\nmount=/data\nused_pct=97");
  EXPECT_EQ(input->fingerprint, Fingerprint("splunk", "db-01", "search", "Disk full on db hosts"));
  // The same search firing again later is the same problem; its new sid is a new receipt.
  nlohmann::json again = body;
  again["sid"] = "scheduler__admin__search__RMD5_at_1764127540_9";
  EXPECT_EQ(ParseSplunkAlert(again, config_)->fingerprint, input->fingerprint);
  EXPECT_NE(ParseSplunkAlert(again, config_)->receipt_key, input->receipt_key);

  // Credentials never reach the store; everything else of the payload does.
  EXPECT_FALSE(input->raw.contains("session_key"));
  EXPECT_FALSE(input->raw["configuration"].contains("token"));
  EXPECT_EQ(input->raw["configuration"]["collector_url"], "https://collector.example.test:8443");
  EXPECT_EQ(input->raw["server_uri"], "https://127.0.0.1:8089");
  EXPECT_EQ(input->raw["result"], body["result"]);
  EXPECT_EQ(input->raw.dump().find("sessionSecretValue"), std::string::npos);
  EXPECT_EQ(input->raw.dump().find("s3cr3t-splunk-token"), std::string::npos);

  // Without the top-level fields the configuration supplies them.
  nlohmann::json from_configuration = body;
  from_configuration.erase("severity");
  from_configuration.erase("recipients");
  from_configuration["configuration"]["recipients"] = "oncall";
  Result<AlertInput> configured = ParseSplunkAlert(from_configuration, config_);
  ASSERT_TRUE(configured.ok()) << configured.status().ToString();
  EXPECT_EQ(configured->severity, Severity::kInformation);  // Splunk level 2
  EXPECT_EQ(configured->tags.at("recipients"), "oncall");
}

TEST_F(SplunkSourceTest, SplunkLevelsAndNamesMapOntoOurSeverities) {
  const Severity expected[] = {Severity::kInformation, Severity::kInformation, Severity::kWarning,
                               Severity::kAverage,     Severity::kHigh,        Severity::kDisaster};
  nlohmann::json body = nlohmann::json::parse(kDocumentedWebhook);
  for (int level = 1; level <= 6; ++level) {
    body["severity"] = level;
    Result<AlertInput> input = ParseSplunkAlert(body, config_);
    ASSERT_TRUE(input.ok()) << input.status().ToString();
    EXPECT_EQ(input->severity, expected[level - 1]) << level;
    body["severity"] = std::to_string(level);  // the script may send the digits as a string
    EXPECT_EQ(ParseSplunkAlert(body, config_)->severity, expected[level - 1]) << level;
  }
  body["severity"] = "Disaster";
  EXPECT_EQ(ParseSplunkAlert(body, config_)->severity, Severity::kDisaster);
  body["severity"] = "warning";
  EXPECT_EQ(ParseSplunkAlert(body, config_)->severity, Severity::kWarning);
  for (const nlohmann::json& bad : {nlohmann::json(0), nlohmann::json(7), nlohmann::json("9"),
                                    nlohmann::json("urgent"), nlohmann::json::array()}) {
    body["severity"] = bad;
    Result<AlertInput> input = ParseSplunkAlert(body, config_);
    ASSERT_FALSE(input.ok()) << bad.dump();
    EXPECT_NE(input.status().message().find("severity"), std::string::npos);
  }
}

TEST_F(SplunkSourceTest, OnlyHttpLinksAreAccepted) {
  nlohmann::json body = nlohmann::json::parse(kDocumentedWebhook);
  for (const char* bad :
       {"javascript:alert(1)", "file:///etc/passwd", "ftp://splunk/x", "//web.example.local/app"}) {
    body["results_link"] = bad;
    Result<AlertInput> input = ParseSplunkAlert(body, config_);
    ASSERT_FALSE(input.ok()) << bad;
    EXPECT_EQ(input.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(input.status().message().find("results_link"), std::string::npos);
  }
  body["results_link"] = "HTTPS://splunk.example.test/app";
  EXPECT_EQ(ParseSplunkAlert(body, config_)->url, "HTTPS://splunk.example.test/app");
  body.erase("results_link");
  EXPECT_EQ(ParseSplunkAlert(body, config_)->url, "");
}

TEST_F(SplunkSourceTest, MalformedPayloadsAreRejected) {
  nlohmann::json body = nlohmann::json::parse(kDocumentedWebhook);
  struct Case {
    const char* key;
    nlohmann::json value;
    const char* named;
  };
  const Case cases[] = {{"sid", nullptr, "sid"},
                        {"sid", "", "sid"},
                        {"sid", 132, "sid"},
                        {"sid", std::string(600, 'x'), "sid"},
                        {"result", "count=8", "result"},
                        {"configuration", nlohmann::json::array(), "configuration"},
                        {"search_name", 5, "search_name"}};
  for (const Case& c : cases) {
    nlohmann::json bad = body;
    bad[c.key] = c.value;
    Result<AlertInput> input = ParseSplunkAlert(bad, config_);
    ASSERT_FALSE(input.ok()) << c.key << "=" << c.value.dump();
    EXPECT_NE(input.status().message().find(c.named), std::string::npos)
        << input.status().message();
  }
  nlohmann::json no_sid = body;
  no_sid.erase("sid");
  EXPECT_FALSE(ParseSplunkAlert(no_sid, config_).ok());
  EXPECT_FALSE(ParseSplunkAlert(nlohmann::json::array(), config_).ok());
}

TEST_F(SplunkSourceTest, LongResultsGiveABoundedMessage) {
  nlohmann::json body = nlohmann::json::parse(kDocumentedWebhook);
  body["result"] = nlohmann::json::object();
  for (int i = 0; i < 100; ++i) body["result"]["field" + std::to_string(100 + i)] = "v";
  std::string long_value;
  for (int i = 0; i < 400; ++i) long_value += "\xC3\xA9";  // "é", two bytes each
  body["result"]["a_long"] = long_value;
  body["result"]["a_multi"] = {"x", "y"};
  Result<AlertInput> input = ParseSplunkAlert(body, config_);
  ASSERT_TRUE(input.ok()) << input.status().ToString();
  EXPECT_LE(input->message.size(), kSplunkMessageMaxBytes + 64);
  EXPECT_NE(input->message.find("a_multi=x,y"), std::string::npos);
  EXPECT_NE(input->message.find("more fields)"), std::string::npos);
  // The long value was cut between characters: the message is still valid UTF-8.
  EXPECT_NO_THROW((void)nlohmann::json(input->message).dump());
  const size_t start = input->message.find("a_long=") + 7;
  const std::string cut = input->message.substr(start, input->message.find('\n', start) - start);
  EXPECT_LE(cut.size(), kSplunkMessageMaxValueBytes + 3);
  EXPECT_EQ(cut.substr(cut.size() - 3), "\xE2\x80\xA6");
}

TEST_F(SplunkSourceTest, DeeplyNestedResultsAreRefusedWithoutRecursing) {
  // The body object and "result" are two levels: a field may nest 62 more.
  nlohmann::json body = nlohmann::json::parse(kDocumentedWebhook);
  body["result"]["deep"] = nlohmann::json::parse(std::string(62, '[') + std::string(62, ']'));
  ASSERT_TRUE(ParseSplunkAlert(body, config_).ok());
  body["result"]["deep"] = nlohmann::json::parse(std::string(63, '[') + std::string(63, ']'));
  Result<AlertInput> one_more = ParseSplunkAlert(body, config_);
  ASSERT_FALSE(one_more.ok());
  EXPECT_EQ(one_more.status().message(), "body: JSON nested deeper than 64 levels");
  // nlohmann's parser builds this tree iteratively; the field reader used to recurse into it
  // until the stack overflowed.
  body["result"]["deep"] =
      nlohmann::json::parse(std::string(200000, '[') + std::string(200000, ']'));
  Result<AlertInput> deep = ParseSplunkAlert(body, config_);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace beacon::collector::alerts
