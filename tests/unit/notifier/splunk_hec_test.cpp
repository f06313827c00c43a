// The Splunk HEC receiver against a fake HttpClient: exact request body and headers, batching
// and resume, the retry/permanent decision for every documented HEC code, the token kept out of
// every error, and config errors by key.
#include "notifier/splunk_hec/splunk_hec.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>

#include "common/log/log.h"
#include "tests/support/scripted_http_client.h"

namespace beacon::notifier {
namespace {

constexpr int64_t kStart = 1795658400000;  // 2026-11-26 02:00:00 UTC
constexpr char kToken[] = "hec-token-5f3a9c71";
constexpr char kUrl[] = "https://splunk.example:8088/services/collector/event";

// Answers {"text":"Success","code":0} to every request that finds no queued reply.
class FakeHttp final : public fakes::ScriptedHttpClient {
 public:
  FakeHttp()
      : ScriptedHttpClient([](const http::HttpRequest&) -> Result<http::HttpResponse> {
          return Response(200, R"({"text":"Success","code":0})");
        }) {}
};

SplunkHecConfig Config() {
  SplunkHecConfig config;
  config.name = "splunk";
  config.url = kUrl;
  config.token = config::Secret(kToken);
  config.index = "alerts";
  config.source = "beacon";
  config.timeout_ms = 7000;
  return config;
}

AlertView Alert(int64_t id) {
  AlertView alert;
  alert.id = id;
  alert.source = "zabbix";
  alert.fingerprint = "ab12";
  alert.severity = Severity::kDisaster;
  alert.host = "db1";
  alert.title = "Disk full";
  alert.message = "95% used";
  alert.tags = {{"env", "prod"}};
  alert.url = "https://zabbix.example/e/1";
  alert.starts_ms = kStart + 123;
  return alert;
}

Notification WithAlerts(int count) {
  Notification n;
  n.id = 3;
  n.receiver = "splunk";
  n.created_ms = kStart + 60000;
  for (int i = 0; i < count; ++i) n.alerts.push_back(Alert(i + 1));
  n.total_alerts = count;
  return n;
}

size_t CountEvents(const std::string& body) {
  size_t count = 0;
  for (size_t pos = 0; (pos = body.find("{\"time\":", pos)) != std::string::npos; ++pos) ++count;
  return count;
}

TEST(SplunkHecTest, SendsOneExactEventPerAlert) {
  FakeHttp http;
  SplunkHecNotifier notifier(Config(), &http);
  Notification n = WithAlerts(2);
  n.alerts[1].status = AlertStatus::kResolved;
  n.alerts[1].ends_ms = kStart + 3600 * 1000 + 5;
  n.alerts[1].host = "";
  n.alerts[1].tags.clear();
  const DeliveryResult result = notifier.Deliver(n);
  EXPECT_EQ(result.outcome, DeliveryOutcome::kDelivered);
  EXPECT_EQ(result.parts_done, 1);
  ASSERT_EQ(http.requests.size(), 1u);
  const http::HttpRequest& request = http.requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.url, kUrl);
  EXPECT_EQ(request.headers.Get("Authorization"), std::string("Splunk ") + kToken);
  EXPECT_EQ(request.headers.Get("Content-Type"), "application/json");
  EXPECT_EQ(request.timeout_ms, 7000);
  EXPECT_EQ(request.body,
            "{\"time\":1795658400.123,\"host\":\"db1\",\"source\":\"beacon\","
            "\"sourcetype\":\"beacon:alert\",\"index\":\"alerts\",\"event\":{"
            "\"fingerprint\":\"ab12\",\"id\":1,\"message\":\"95% used\",\"severity\":\"disaster\","
            "\"source\":\"zabbix\",\"status\":\"firing\",\"tags\":{\"env\":\"prod\"},"
            "\"title\":\"Disk full\",\"url\":\"https://zabbix.example/e/1\"}}"
            // Resolved: the time is when it ended; no host, so none is sent.
            "{\"time\":1795662000.005,\"source\":\"beacon\","
            "\"sourcetype\":\"beacon:alert\",\"index\":\"alerts\",\"event\":{"
            "\"fingerprint\":\"ab12\",\"id\":2,\"message\":\"95% used\",\"severity\":\"disaster\","
            "\"source\":\"zabbix\",\"status\":\"resolved\",\"tags\":{},"
            "\"title\":\"Disk full\",\"url\":\"https://zabbix.example/e/1\"}}");
}

TEST(SplunkHecTest, HostFieldTagAndDefaultsOmitEmptyFields) {
  SplunkHecConfig config = Config();
  config.index.clear();
  config.source.clear();
  config.host_field = "instance";
  FakeHttp http;
  SplunkHecNotifier notifier(config, &http);
  Notification n = WithAlerts(2);
  n.alerts[0].tags["instance"] = "db1.prod.example";
  ASSERT_EQ(notifier.Deliver(n).outcome, DeliveryOutcome::kDelivered);
  const std::string& body = http.requests.at(0).body;
  EXPECT_EQ(body.find("\"index\""), std::string::npos);
  EXPECT_EQ(body.rfind("{\"time\":1795658400.123,\"host\":\"db1.prod.example\","
                       "\"sourcetype\":\"beacon:alert\",\"event\":",
                       0),
            0u)
      << body;
  // The second alert has no such tag: its own host.
  EXPECT_NE(body.find("{\"time\":1795658400.123,\"host\":\"db1\",\"sourcetype\""),
            std::string::npos);
}

TEST(SplunkHecTest, BatchesAndResumes) {
  FakeHttp http;
  SplunkHecNotifier notifier(Config(), &http);
  const Notification n = WithAlerts(250);
  EXPECT_EQ(notifier.MessageCount(n), 3);
  DeliveryResult result = notifier.Deliver(n);
  EXPECT_EQ(result.outcome, DeliveryOutcome::kDelivered);
  EXPECT_EQ(result.parts_done, 3);
  ASSERT_EQ(http.requests.size(), 3u);
  EXPECT_EQ(CountEvents(http.requests[0].body), 100u);
  EXPECT_EQ(CountEvents(http.requests[1].body), 100u);
  EXPECT_EQ(CountEvents(http.requests[2].body), 50u);
  EXPECT_NE(http.requests[2].body.find("\"id\":201,"), std::string::npos);
  EXPECT_NE(http.requests[2].body.find("\"id\":250,"), std::string::npos);

  // The second request fails: parts_done says one batch is in; the retry sends only the rest.
  FakeHttp flaky;
  SplunkHecNotifier second(Config(), &flaky);
  flaky.replies.push_back(FakeHttp::Response(200, R"({"text":"Success","code":0})"));
  flaky.replies.push_back(FakeHttp::Response(503, R"({"text":"Server is busy","code":9})"));
  result = second.Deliver(n);
  EXPECT_EQ(result.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(result.parts_done, 1);
  EXPECT_EQ(flaky.requests.size(), 2u);
  Notification retry = n;
  retry.parts_done = result.parts_done;
  flaky.requests.clear();
  result = second.Deliver(retry);
  EXPECT_EQ(result.outcome, DeliveryOutcome::kDelivered);
  EXPECT_EQ(result.parts_done, 3);
  ASSERT_EQ(flaky.requests.size(), 2u);
  EXPECT_EQ(flaky.requests[0].body, notifier.BatchBody(n, 1));
  EXPECT_NE(flaky.requests[0].body.find("\"id\":101,"), std::string::npos);

  SplunkHecConfig small = Config();
  small.batch_size = 7;
  SplunkHecNotifier by_seven(small, &http);
  EXPECT_EQ(by_seven.MessageCount(WithAlerts(14)), 2);
  EXPECT_EQ(by_seven.MessageCount(WithAlerts(15)), 3);
  EXPECT_EQ(by_seven.MessageCount(WithAlerts(0)), 1);
}

TEST(SplunkHecTest, EveryDocumentedReplyMapsToItsOutcome) {
  struct Case {
    int status;
    std::string body;
    DeliveryOutcome outcome;
    std::string error;
  };
  const std::vector<Case> cases = {
      {200, R"({"text":"Success","code":0})", DeliveryOutcome::kDelivered, ""},
      {403, R"({"text":"Token disabled","code":1})", DeliveryOutcome::kPermanent,
       "HEC code 1: Token disabled (HTTP 403); check the receiver's token_file/token_env"},
      {401, R"({"text":"Token is required","code":2})", DeliveryOutcome::kPermanent,
       "HEC code 2: Token is required (HTTP 401); check the receiver's token_file/token_env"},
      {401, R"({"text":"Invalid authorization","code":3})", DeliveryOutcome::kPermanent,
       "HEC code 3: Invalid authorization (HTTP 401); check the receiver's token_file/token_env"},
      {403, R"({"text":"Invalid token","code":4})", DeliveryOutcome::kPermanent,
       "HEC code 4: Invalid token (HTTP 403); check the receiver's token_file/token_env"},
      {400, R"({"text":"No data","code":5})", DeliveryOutcome::kPermanent,
       "HEC code 5: No data (HTTP 400)"},
      {400, R"({"text":"Invalid data format","code":6})", DeliveryOutcome::kPermanent,
       "HEC code 6: Invalid data format (HTTP 400)"},
      {400, R"({"text":"Incorrect index","code":7,"invalid-event-number":0})",
       DeliveryOutcome::kPermanent, "HEC code 7: Incorrect index (HTTP 400)"},
      {500, R"({"text":"Internal server error","code":8})", DeliveryOutcome::kRetry,
       "HEC code 8: Internal server error (HTTP 500)"},
      {503, R"({"text":"Server is busy","code":9})", DeliveryOutcome::kRetry,
       "HEC code 9: Server is busy (HTTP 503)"},
      {400, R"({"text":"Data channel is missing","code":10})", DeliveryOutcome::kPermanent,
       "HEC code 10: Data channel is missing (HTTP 400)"},
      {400, R"({"text":"Invalid data channel","code":11})", DeliveryOutcome::kPermanent,
       "HEC code 11: Invalid data channel (HTTP 400)"},
      {400, R"({"text":"Event field is required","code":12})", DeliveryOutcome::kPermanent,
       "HEC code 12: Event field is required (HTTP 400)"},
      {400, R"({"text":"Event field cannot be blank","code":13})", DeliveryOutcome::kPermanent,
       "HEC code 13: Event field cannot be blank (HTTP 400)"},
      {400, R"({"text":"ACK is disabled","code":14})", DeliveryOutcome::kPermanent,
       "HEC code 14: ACK is disabled (HTTP 400)"},
      {502, "<html>Bad Gateway</html>", DeliveryOutcome::kRetry,
       "HEC HTTP 502: <html>Bad Gateway</html>"},
      {404, "not found", DeliveryOutcome::kPermanent, "HEC HTTP 404: not found"},
  };
  for (const Case& c : cases) {
    FakeHttp http;
    http.replies.push_back(FakeHttp::Response(c.status, c.body));
    SplunkHecNotifier notifier(Config(), &http);
    const DeliveryResult result = notifier.Deliver(WithAlerts(1));
    EXPECT_EQ(result.outcome, c.outcome) << c.body;
    EXPECT_EQ(result.error, c.error) << c.body;
    EXPECT_EQ(result.parts_done, c.outcome == DeliveryOutcome::kDelivered ? 1 : 0);
  }
  FakeHttp down;
  down.replies.push_back(Status::Unavailable("connect to splunk.example:8088: refused"));
  SplunkHecNotifier notifier(Config(), &down);
  const DeliveryResult result = notifier.Deliver(WithAlerts(1));
  EXPECT_EQ(result.outcome, DeliveryOutcome::kRetry);
  EXPECT_EQ(result.error, "HEC request failed: connect to splunk.example:8088: refused");
}

TEST(SplunkHecTest, TheTokenNeverAppearsInAnError) {
  FakeHttp http;
  SplunkHecNotifier notifier(Config(), &http);
  // A proxy that echoes the request, and a transport error that quotes a header.
  http.replies.push_back(FakeHttp::Response(
      401, std::string(R"({"text":"bad Authorization: Splunk )") + kToken + R"(","code":3})"));
  http.replies.push_back(Status::Unavailable(std::string("proxy refused header Splunk ") + kToken));
  http.replies.push_back(FakeHttp::Response(502, std::string("echo: ") + kToken));
  for (int i = 0; i < 3; ++i) {
    const DeliveryResult result = notifier.Deliver(WithAlerts(1));
    EXPECT_NE(result.outcome, DeliveryOutcome::kDelivered);
    EXPECT_FALSE(result.error.empty());
    EXPECT_EQ(result.error.find(kToken), std::string::npos) << result.error;
    EXPECT_NE(result.error.find("***"), std::string::npos) << result.error;
  }
  // Registered with the log redactor, so no log line can carry it either.
  EXPECT_EQ(log::Redact(std::string("token ") + kToken), "token ***");
}

class SplunkHecConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("beacon_hec_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "hec.token") << kToken << "\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  NotifierFactory Parse(const std::string& section, std::string* errors) {
    const std::string path = (dir_ / "collector.yaml").string();
    std::ofstream(path) << "alerts:\n  receivers:\n    splunk:\n      type: splunk_hec\n"
                        << section;
    auto doc = config::Document::LoadFile(path);
    EXPECT_TRUE(doc.ok());
    NotifierFactory factory = ParseSplunkHecReceiver(
        "splunk", (*doc)->root().Child("alerts").Child("receivers").Child("splunk"));
    const Status status = (*doc)->Finish();
    *errors = status.ok() ? "" : status.message();
    return factory;
  }

  std::filesystem::path dir_;
};

TEST_F(SplunkHecConfigTest, AValidSectionBuildsANotifierThatUsesTheDepsClient) {
  std::string errors;
  NotifierFactory factory =
      Parse(std::string("      url: ") + kUrl +
                "\n      token_file: hec.token\n      index: main\n      sourcetype: beacon:test\n"
                "      batch_size: 2\n      timeout: 3s\n",
            &errors);
  ASSERT_EQ(errors, "");
  ASSERT_TRUE(factory);
  FakeHttp http;
  NotifierDeps deps;
  deps.http = &http;
  std::unique_ptr<Notifier> notifier = factory(deps);
  EXPECT_EQ(notifier->type(), "splunk_hec");
  EXPECT_EQ(notifier->MessageCount(WithAlerts(5)), 3);
  ASSERT_EQ(notifier->Deliver(WithAlerts(1)).outcome, DeliveryOutcome::kDelivered);
  ASSERT_EQ(http.requests.size(), 1u);
  EXPECT_EQ(http.requests[0].headers.Get("Authorization"), std::string("Splunk ") + kToken);
  EXPECT_EQ(http.requests[0].timeout_ms, 3000);
  EXPECT_NE(http.requests[0].body.find("\"sourcetype\":\"beacon:test\",\"index\":\"main\""),
            std::string::npos);
}

TEST_F(SplunkHecConfigTest, TokenFromTheEnvironment) {
  ::setenv("BEACON_TEST_HEC_TOKEN", kToken, 1);
  std::string errors;
  NotifierFactory factory = Parse(
      std::string("      url: ") + kUrl + "\n      token_env: BEACON_TEST_HEC_TOKEN\n", &errors);
  EXPECT_EQ(errors, "");
  EXPECT_TRUE(factory);
}

TEST_F(SplunkHecConfigTest, ConfigErrorsNameTheKeyAndNeverTheToken) {
  struct Case {
    std::string section;
    std::string error;
  };
  const std::string token = "      token_file: hec.token\n";
  const std::vector<Case> cases = {
      {token, "collector.yaml:3: alerts.receivers.splunk.url: required key is missing"},
      {"      url: ftp://splunk/services/collector/event\n" + token,
       "collector.yaml:5: alerts.receivers.splunk.url: expected an http:// or https:// URL"},
      {"      url: https://splunk:8088/api/events\n" + token,
       "collector.yaml:5: alerts.receivers.splunk.url: expected the HEC event endpoint"},
      {std::string("      url: ") + kUrl + "\n",
       "alerts.receivers.splunk.token_file: required: the HEC token in token_file or token_env"},
      {std::string("      url: ") + kUrl + "\n      token: " + kToken + "\n",
       "alerts.receivers.splunk.token"},
      {std::string("      url: ") + kUrl + "\n" + token + "      batch_size: 0\n",
       "collector.yaml:7: alerts.receivers.splunk.batch_size:"},
      {std::string("      url: ") + kUrl + "\n" + token + "      timeout: soon\n",
       "collector.yaml:7: alerts.receivers.splunk.timeout:"},
      {std::string("      url: ") + kUrl + "\n" + token + "      ca_file: missing.pem\n",
       "collector.yaml:7: alerts.receivers.splunk.ca_file: cannot read"},
      {std::string("      url: ") + kUrl + "\n" + token + "      tls_verify: maybe\n",
       "collector.yaml:7: alerts.receivers.splunk.tls_verify:"},
      {std::string("      url: ") + kUrl + "\n" + token + "      batchsize: 5\n",
       "collector.yaml:7: alerts.receivers.splunk.batchsize: unknown key"},
  };
  for (const Case& c : cases) {
    std::string errors;
    EXPECT_FALSE(Parse(c.section, &errors)) << c.section;
    EXPECT_NE(errors.find(c.error), std::string::npos) << errors;
    EXPECT_EQ(errors.find(kToken), std::string::npos) << errors;
  }
}

TEST_F(SplunkHecConfigTest, OwnTlsSettingsBuildTheirOwnClient) {
  std::ofstream(dir_ / "ca.pem") << "not used before a request\n";
  std::string errors;
  NotifierFactory factory = Parse(std::string("      url: ") + kUrl +
                                      "\n      token_file: hec.token\n      tls_verify: false\n"
                                      "      ca_file: ca.pem\n",
                                  &errors);
  ASSERT_EQ(errors, "");
  ASSERT_TRUE(factory);
  NotifierDeps deps;  // no client: the notifier must not need this one
  std::unique_ptr<Notifier> notifier = factory(deps);
  EXPECT_EQ(notifier->type(), "splunk_hec");
  EXPECT_EQ(notifier->MessageCount(WithAlerts(250)), 3);
}

}  // namespace
}  // namespace beacon::notifier
