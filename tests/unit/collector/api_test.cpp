// The collector over real HTTP (port 0, curl client): ingest happy path (plain and zstd),
// queries, admin tokens, /healthz, /metrics, and every bad input of the acceptance list, each
// answered with the right 4xx JSON error, leaving the store unchanged and no token in any log.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "collector/config.h"
#include "collector/service.h"
#include "common/clock.h"
#include "common/compress/zstd.h"
#include "common/http/client.h"
#include "common/log/log.h"
#include "common/wire/wire.h"

namespace beacon::collector {
namespace {

constexpr int64_t kT0 = 1'764'136'000'000;  // 2025-11-26T05:46:40Z
const char kAdminToken[] = "test-admin-token-0123456789abcdef";

wire::Batch SampleBatch(const std::string& agent, uint64_t first_seq) {
  wire::Batch batch;
  batch.agent = agent;
  batch.agent_version = "0.1.0";
  batch.sent_at_ms = kT0;
  wire::Record cpu;
  cpu.seq = first_seq;
  cpu.ts_ms = kT0 - 1000;
  cpu.sample.metric = "system.cpu.util";
  cpu.sample.value = 12.5;
  cpu.sample.labels = {{"mode", "user"}};
  wire::Record event;
  event.seq = first_seq + 1;
  event.ts_ms = kT0 - 500;
  event.type = wire::RecordType::kEvent;
  event.event.kind = "port.unexpected";
  event.event.severity = "high";
  event.event.subject = "tcp/8081";
  event.event.message = "unexpected listener on 8081";
  event.event.data = {{"port", 8081}, {"process", "nc"}};
  batch.records = {cpu, event};
  return batch;
}

class CollectorApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("collector_api_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    log_path_ = (dir_ / "collector.log").string();
    log::LogOptions log_options;
    log_options.level = "debug";
    log_options.file = log_path_;
    ASSERT_TRUE(log::Init(log_options, "beacon-collector-test").ok());

    CollectorConfig config;
    config.listen.port = 0;
    config.store.path = (dir_ / "collector.db").string();
    config.api.admin_token = config::Secret(kAdminToken);
    config.ingest.max_body_bytes = 64 * 1024;
    config.ingest.max_decompressed_bytes = 256 * 1024;
    config.ingest.max_records = 100;
    config.ingest.max_json_values = 5000;
    service_ = std::make_unique<CollectorService>(config, &clock_);
    Status started = service_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
    base_ = "http://127.0.0.1:" + std::to_string(service_->port());
    client_ = http::NewCurlHttpClient();
  }

  void TearDown() override {
    service_.reset();
    log::LogOptions quiet;  // back to stderr so the next test's file is its own
    (void)log::Init(quiet, "beacon-collector-test");
    std::filesystem::remove_all(dir_);
  }

  http::HttpResponse Send(const std::string& method, const std::string& path,
                          const std::string& token, const std::string& body = "",
                          const std::string& encoding = "") {
    http::HttpRequest request;
    request.method = method;
    request.url = base_ + path;
    if (!token.empty()) request.headers.Set("Authorization", "Bearer " + token);
    if (!body.empty() || method == "POST") {
      request.headers.Set("Content-Type", "application/json");
      request.body = body;
    }
    if (!encoding.empty()) request.headers.Set("Content-Encoding", encoding);
    Result<http::HttpResponse> response = client_->Send(request);
    EXPECT_TRUE(response.ok()) << response.status().ToString();
    return response.ok() ? *response : http::HttpResponse{};
  }

  nlohmann::json Json(const http::HttpResponse& response) {
    nlohmann::json j = nlohmann::json::parse(response.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON: " << response.body;
    return j;
  }

  std::string CreateAgentToken(const std::string& agent) {
    http::HttpResponse created =
        Send("POST", "/api/v1/admin/tokens", kAdminToken, nlohmann::json{{"agent", agent}}.dump());
    EXPECT_EQ(created.status, 201) << created.body;
    nlohmann::json j = Json(created);
    EXPECT_EQ(j["agent"], agent);
    EXPECT_TRUE(j["id"].is_number_integer());
    EXPECT_EQ(j["created"], FormatRfc3339(clock_.NowMs()));
    return j.value("token", "");
  }

  StoreCounts Counts() {
    Result<StoreCounts> counts = service_->store()->Counts();
    EXPECT_TRUE(counts.ok());
    return counts.value_or(StoreCounts{});
  }

  std::string ReadLog() {
    std::ifstream in(log_path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  // The Prometheus sample value of `series` (exact text before the space), or -1.
  double MetricValue(const std::string& series) {
    http::HttpResponse metrics = Send("GET", "/metrics", "");
    std::istringstream lines(metrics.body);
    std::string line;
    while (std::getline(lines, line)) {
      if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
    }
    return -1;
  }

  FakeClock clock_{kT0};
  std::filesystem::path dir_;
  std::string log_path_;
  std::unique_ptr<CollectorService> service_;
  std::unique_ptr<http::HttpClient> client_;
  std::string base_;
};

TEST_F(CollectorApiTest, HealthzAndMetricsNeedNoToken) {
  http::HttpResponse health = Send("GET", "/healthz", "");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(Json(health), (nlohmann::json{{"status", "ok"}, {"version", BEACON_VERSION}}));
  http::HttpResponse metrics = Send("GET", "/metrics", "");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.headers.Get("content-type").find("text/plain"), std::string::npos);
  EXPECT_NE(metrics.body.find("# TYPE beacon_ingest_batch_seconds histogram"), std::string::npos);
  EXPECT_NE(metrics.body.find("beacon_store_size_bytes "), std::string::npos);
  EXPECT_EQ(MetricValue("beacon_ingest_batches_total"), 0);
}

TEST_F(CollectorApiTest, IngestedBatchesShowUpInHostsEventsAndMetrics) {
  const std::string token = CreateAgentToken("web-01");
  ASSERT_FALSE(token.empty());

  // Plain JSON body.
  http::HttpResponse plain =
      Send("POST", "/api/v1/ingest", token, wire::EncodeBatch(SampleBatch("web-01", 1)));
  ASSERT_EQ(plain.status, 200) << plain.body;
  EXPECT_EQ(Json(plain),
            (nlohmann::json{{"acked_through", 2}, {"accepted", 2}, {"duplicates", 0}}));

  // zstd body.
  clock_.AdvanceMs(30'000);
  http::HttpResponse zstd =
      Send("POST", "/api/v1/ingest", token,
           compress::ZstdCompress(wire::EncodeBatch(SampleBatch("web-01", 3))), "zstd");
  ASSERT_EQ(zstd.status, 200) << zstd.body;
  EXPECT_EQ(Json(zstd), (nlohmann::json{{"acked_through", 4}, {"accepted", 2}, {"duplicates", 0}}));

  // Re-sent: acknowledged again, nothing added.
  StoreCounts before = Counts();
  http::HttpResponse resent =
      Send("POST", "/api/v1/ingest", token, wire::EncodeBatch(SampleBatch("web-01", 3)));
  ASSERT_EQ(resent.status, 200);
  EXPECT_EQ(Json(resent),
            (nlohmann::json{{"acked_through", 4}, {"accepted", 0}, {"duplicates", 2}}));
  EXPECT_EQ(Counts().events, before.events);
  EXPECT_EQ(Counts().samples, before.samples);

  clock_.AdvanceMs(10'000);
  http::HttpResponse hosts = Send("GET", "/api/v1/hosts", kAdminToken);
  ASSERT_EQ(hosts.status, 200) << hosts.body;
  nlohmann::json list = Json(hosts)["hosts"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["name"], "web-01");
  EXPECT_EQ(list[0]["agent_version"], "0.1.0");
  EXPECT_EQ(list[0]["first_seen"], FormatRfc3339(kT0));
  EXPECT_EQ(list[0]["last_seen"], FormatRfc3339(kT0 + 30'000));
  EXPECT_EQ(list[0]["last_seen_age_seconds"], 10.0);
  EXPECT_EQ(list[0]["state"], "up");
  EXPECT_EQ(list[0]["last_seq"], 4);
  EXPECT_EQ(list[0]["events_total"], 2);
  EXPECT_EQ(list[0]["samples_total"], 2);

  http::HttpResponse host = Send("GET", "/api/v1/hosts/web-01", kAdminToken);
  ASSERT_EQ(host.status, 200) << host.body;
  nlohmann::json detail = Json(host);
  EXPECT_EQ(detail["name"], "web-01");
  ASSERT_EQ(detail["metrics"].size(), 1u);
  EXPECT_EQ(detail["metrics"][0], (nlohmann::json{{"metric", "system.cpu.util"},
                                                  {"labels", {{"mode", "user"}}},
                                                  {"value", 12.5},
                                                  {"ts", FormatRfc3339(kT0 - 1000)}}));
  ASSERT_EQ(detail["recent_events"].size(), 2u);
  EXPECT_EQ(detail["recent_events"][0]["seq"], 4);

  http::HttpResponse events =
      Send("GET", "/api/v1/events?host=web-01&kind=port.*&since=1h&limit=1", kAdminToken);
  ASSERT_EQ(events.status, 200) << events.body;
  nlohmann::json ev = Json(events)["events"];
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0], (nlohmann::json{{"host", "web-01"},
                                   {"seq", 4},
                                   {"ts", FormatRfc3339(kT0 - 500)},
                                   {"kind", "port.unexpected"},
                                   {"severity", "high"},
                                   {"subject", "tcp/8081"},
                                   {"message", "unexpected listener on 8081"},
                                   {"data", {{"port", 8081}, {"process", "nc"}}}}));
  // An RFC 3339 bound after every event, and a host with nothing.
  EXPECT_TRUE(Json(Send("GET", "/api/v1/events?since=" + FormatRfc3339(kT0), kAdminToken))["events"]
                  .empty());
  EXPECT_TRUE(Json(Send("GET", "/api/v1/events?host=db-01", kAdminToken))["events"].empty());

  // Past hosts.stale_after (2m) the host is stale.
  clock_.AdvanceMs(3 * 60'000);
  EXPECT_EQ(Json(Send("GET", "/api/v1/hosts", kAdminToken))["hosts"][0]["state"], "stale");

  EXPECT_EQ(MetricValue("beacon_ingest_batches_total"), 3);
  EXPECT_EQ(MetricValue("beacon_ingest_records_total{type=\"sample\"}"), 2);
  EXPECT_EQ(MetricValue("beacon_ingest_records_total{type=\"event\"}"), 2);
  EXPECT_EQ(MetricValue("beacon_ingest_duplicates_total"), 2);
  EXPECT_EQ(MetricValue("beacon_ingest_batch_seconds_count"), 3);
  EXPECT_EQ(MetricValue("beacon_ingest_batch_seconds_bucket{le=\"+Inf\"}"), 3);
  EXPECT_EQ(MetricValue("beacon_agent_last_seen_age_seconds{agent=\"web-01\"}"), 190);
  EXPECT_GT(MetricValue("beacon_store_size_bytes"), 0);
}

struct BadInput {
  std::string name;
  int status;
  std::string error_part;  // must appear in the JSON error
  std::string reason;      // beacon_ingest_rejected_total label
};

TEST_F(CollectorApiTest, EveryBadIngestIsRejectedAndChangesNothing) {
  const std::string token = CreateAgentToken("web-01");
  const std::string revoked_token = CreateAgentToken("old-01");
  ASSERT_EQ(Send("DELETE", "/api/v1/admin/tokens/old-01", kAdminToken).status, 200);
  ASSERT_EQ(
      Send("POST", "/api/v1/ingest", token, wire::EncodeBatch(SampleBatch("web-01", 1))).status,
      200);
  const StoreCounts before = Counts();

  nlohmann::json wrong_type = nlohmann::json::parse(wire::EncodeBatch(SampleBatch("web-01", 10)));
  wrong_type["records"][0]["seq"] = "ten";
  std::string oversized = wire::EncodeBatch(SampleBatch("web-01", 20));
  oversized.insert(oversized.size() - 1, ",\"pad\":\"" + std::string(70 * 1024, 'x') + "\"");
  // A zstd bomb: small on the wire, larger than max_decompressed_bytes once expanded.
  std::string bomb_body = wire::EncodeBatch(SampleBatch("web-01", 30));
  bomb_body.insert(bomb_body.size() - 1, ",\"pad\":\"" + std::string(300 * 1024, ' ') + "\"");
  const std::string bomb = compress::ZstdCompress(bomb_body);
  ASSERT_LT(bomb.size(), 64u * 1024);
  // ~200 KB of nested arrays in an event's data (compressed to pass max_body_bytes): before
  // common/json/parse.h the recursive dump() of event.data overflowed the worker's stack.
  std::string deep_body = wire::EncodeBatch(SampleBatch("web-01", 120));
  const std::string deep_data =
      "{\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  deep_body.replace(deep_body.find("{\"port\":8081"),
                    std::string("{\"port\":8081,\"process\":\"nc\"}").size(), deep_data);
  ASSERT_GT(deep_body.size(), 200u * 1000);
  const std::string deep = compress::ZstdCompress(deep_body);
  // 6,000 values in 12 KB: over the test's max_json_values of 5,000.
  std::string wide_body = wire::EncodeBatch(SampleBatch("web-01", 130));
  std::string zeros = "[0";
  for (int i = 1; i < 6000; ++i) zeros += ",0";
  zeros += "]";
  wide_body.replace(wide_body.find("8081,"), 4, zeros);
  std::string corrupt = compress::ZstdCompress(wire::EncodeBatch(SampleBatch("web-01", 40)));
  for (size_t i = 8; i < corrupt.size(); ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  wire::Batch too_many = SampleBatch("web-01", 50);
  for (uint64_t seq = 52; seq < 160; ++seq) {
    wire::Record r = too_many.records[0];
    r.seq = seq;
    too_many.records.push_back(r);
  }

  struct Case {
    BadInput expect;
    std::string token;
    std::string body;
    std::string encoding;
  };
  const std::vector<Case> cases = {
      {{"malformed JSON", 400, "malformed JSON body: invalid JSON at byte 32", "invalid_batch"},
       token,
       "{\"agent\": \"web-01\", \"records\": [",
       ""},
      {{"wrong types", 400, "records[0].seq", "invalid_batch"}, token, wrong_type.dump(), ""},
      {{"non-object body", 400, "expected an object", "invalid_batch"}, token, "[1,2,3]", ""},
      {{"too many records", 413, "more than the limit of 100", "too_large"},
       token,
       wire::EncodeBatch(too_many),
       ""},
      {{"deep nesting", 400, "malformed JSON body: JSON nested deeper than 64 levels at byte",
        "invalid_batch"},
       token,
       deep,
       "zstd"},
      {{"too many JSON values", 413, "JSON has more than 5000 values", "too_large"},
       token,
       wide_body,
       ""},
      {{"oversized body", 413, "request body too large", "too_large"}, token, oversized, ""},
      {{"corrupt zstd", 400, "corrupt zstd stream", "corrupt_zstd"}, token, corrupt, "zstd"},
      {{"zstd bomb", 413, "decompressed body exceeds 262144 bytes", "too_large"},
       token,
       bomb,
       "zstd"},
      {{"gzip", 415, "unsupported Content-Encoding 'gzip'", "unsupported_encoding"},
       token,
       wire::EncodeBatch(SampleBatch("web-01", 60)),
       "gzip"},
      {{"missing token", 401, "missing bearer token", "missing_token"},
       "",
       wire::EncodeBatch(SampleBatch("web-01", 70)),
       ""},
      {{"invalid token", 401, "unknown or revoked token", "invalid_token"},
       "not-a-real-token-but-long-enough",
       wire::EncodeBatch(SampleBatch("web-01", 80)),
       ""},
      {{"revoked token", 401, "unknown or revoked token", "invalid_token"},
       revoked_token,
       wire::EncodeBatch(SampleBatch("old-01", 90)),
       ""},
      {{"admin token", 403, "admin token cannot be used to ingest", "admin_token"},
       kAdminToken,
       wire::EncodeBatch(SampleBatch("web-01", 100)),
       ""},
      {{"another agent's name", 403, "token belongs to agent 'web-01', batch claims 'db-01'",
        "agent_mismatch"},
       token,
       wire::EncodeBatch(SampleBatch("db-01", 110)),
       ""},
  };

  for (const Case& c : cases) {
    SCOPED_TRACE(c.expect.name);
    const double rejected_before =
        MetricValue("beacon_ingest_rejected_total{reason=\"" + c.expect.reason + "\"}");
    http::HttpResponse response = Send("POST", "/api/v1/ingest", c.token, c.body, c.encoding);
    EXPECT_EQ(response.status, c.expect.status) << response.body;
    nlohmann::json body = Json(response);
    ASSERT_TRUE(body.is_object());
    ASSERT_TRUE(body.contains("error")) << response.body;
    EXPECT_NE(body["error"].get<std::string>().find(c.expect.error_part), std::string::npos)
        << response.body;
    EXPECT_EQ(response.body.find(token), std::string::npos);
    EXPECT_EQ(response.body.find(kAdminToken), std::string::npos);
    EXPECT_EQ(MetricValue("beacon_ingest_rejected_total{reason=\"" + c.expect.reason + "\"}"),
              std::max(rejected_before, 0.0) + 1);
    const StoreCounts after = Counts();
    EXPECT_EQ(after.agents, before.agents);
    EXPECT_EQ(after.samples, before.samples);
    EXPECT_EQ(after.events, before.events);
    EXPECT_EQ(after.latest, before.latest);
  }
  EXPECT_EQ(Json(Send("GET", "/api/v1/hosts/web-01", kAdminToken))["last_seq"], 2);

  // The log names each rejection with the remote address, and never a token.
  const std::string log = ReadLog();
  EXPECT_NE(log.find("ingest rejected from 127.0.0.1"), std::string::npos) << log;
  EXPECT_NE(log.find("agent_mismatch"), std::string::npos);
  EXPECT_NE(log.find("corrupt_zstd"), std::string::npos);
  EXPECT_EQ(log.find(token), std::string::npos);
  EXPECT_EQ(log.find(revoked_token), std::string::npos);
  EXPECT_EQ(log.find(kAdminToken), std::string::npos);
  EXPECT_EQ(log.find("not-a-real-token-but-long-enough"), std::string::npos);
}

TEST_F(CollectorApiTest, QueryAndAdminRoutesNeedTheAdminToken) {
  const std::string token = CreateAgentToken("web-01");
  for (const std::string path :
       {"/api/v1/hosts", "/api/v1/hosts/web-01", "/api/v1/events", "/api/v1/admin/tokens"}) {
    SCOPED_TRACE(path);
    http::HttpResponse none = Send("GET", path, "");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(Json(none)["error"], "missing bearer token");
    http::HttpResponse agent = Send("GET", path, token);
    EXPECT_EQ(agent.status, 403);
    EXPECT_EQ(Json(agent)["error"], "agent tokens cannot use the admin API");
    http::HttpResponse unknown = Send("GET", path, "someone-elses-token-xyz");
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(Json(unknown)["error"], "unknown or revoked token");
  }
  const StoreCounts before = Counts();
  http::HttpResponse create = Send("POST", "/api/v1/admin/tokens", token, "{\"agent\":\"x-01\"}");
  EXPECT_EQ(create.status, 403);
  EXPECT_EQ(Counts().tokens, before.tokens);
  EXPECT_EQ(Send("DELETE", "/api/v1/admin/tokens/web-01", token).status, 403);
  EXPECT_EQ(ReadLog().find(token), std::string::npos);
}

TEST_F(CollectorApiTest, BadQueriesAreClientErrors) {
  struct Case {
    std::string path;
    int status;
    std::string error_part;
  };
  const std::vector<Case> cases = {
      {"/api/v1/events?limit=0", 400, "limit: expected an integer from 1 to 10000, got '0'"},
      {"/api/v1/events?limit=10001", 400, "limit:"},
      {"/api/v1/events?limit=ten", 400, "limit:"},
      {"/api/v1/events?since=yesterday", 400,
       "since: expected an RFC 3339 time or a duration like 1h, got 'yesterday'"},
      {"/api/v1/events?until=2026-13-45T99:00:00Z", 400, "until:"},
      {"/api/v1/events?kind=bad%20kind", 400, "kind: invalid kind 'bad kind'"},
      {"/api/v1/events?host=..%2Fetc", 400, "host: invalid host name"},
      {"/api/v1/hosts/nobody", 404, "no such host 'nobody'"},
      {"/api/v1/nothing-here", 404, "not found"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    http::HttpResponse response = Send("GET", c.path, kAdminToken);
    EXPECT_EQ(response.status, c.status) << response.body;
    EXPECT_NE(Json(response).value("error", "").find(c.error_part), std::string::npos)
        << response.body;
  }
  EXPECT_EQ(Send("PUT", "/api/v1/hosts", kAdminToken, "{}").status, 405);
  EXPECT_EQ(Send("GET", "/api/v1/ingest", "").status, 405);
  http::HttpResponse bad_agent =
      Send("POST", "/api/v1/admin/tokens", kAdminToken, "{\"agent\": 42}");
  EXPECT_EQ(bad_agent.status, 400);
  EXPECT_EQ(Json(bad_agent)["error"], "agent: expected a string");
  http::HttpResponse bad_json = Send("POST", "/api/v1/admin/tokens", kAdminToken, "{agent");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(
      Json(bad_json)["error"].get<std::string>().rfind("malformed JSON body: invalid JSON", 0), 0u)
      << bad_json.body;
  http::HttpResponse bad_name =
      Send("POST", "/api/v1/admin/tokens", kAdminToken, "{\"agent\": \"-rm -rf\"}");
  EXPECT_EQ(bad_name.status, 400);
  EXPECT_EQ(Counts().tokens, 0);
}

TEST_F(CollectorApiTest, TokensAreListedWithoutSecretsAndRevokedAtOnce) {
  const std::string token = CreateAgentToken("web-01");
  const std::string other = CreateAgentToken("db-01");
  EXPECT_NE(token, other);
  EXPECT_GE(token.size(), 32u);
  ASSERT_EQ(
      Send("POST", "/api/v1/ingest", token, wire::EncodeBatch(SampleBatch("web-01", 1))).status,
      200);

  http::HttpResponse list = Send("GET", "/api/v1/admin/tokens", kAdminToken);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find(token), std::string::npos);
  EXPECT_EQ(list.body.find(other), std::string::npos);
  nlohmann::json tokens = Json(list)["tokens"];
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0]["agent"], "db-01");
  EXPECT_TRUE(tokens[0]["last_used"].is_null());
  EXPECT_TRUE(tokens[0]["revoked"].is_null());
  EXPECT_EQ(tokens[1]["agent"], "web-01");
  EXPECT_EQ(tokens[1]["last_used"], FormatRfc3339(kT0));
  EXPECT_EQ(tokens[1].size(), 5u);  // id, agent, created, last_used, revoked: no secret

  clock_.AdvanceMs(1000);
  http::HttpResponse revoke = Send("DELETE", "/api/v1/admin/tokens/web-01", kAdminToken);
  ASSERT_EQ(revoke.status, 200);
  EXPECT_EQ(Json(revoke), (nlohmann::json{{"agent", "web-01"}, {"revoked", 1}}));
  http::HttpResponse after =
      Send("POST", "/api/v1/ingest", token, wire::EncodeBatch(SampleBatch("web-01", 3)));
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(Json(Send("GET", "/api/v1/admin/tokens", kAdminToken))["tokens"][1]["revoked"],
            FormatRfc3339(kT0 + 1000));
  // The other agent is unaffected.
  EXPECT_EQ(
      Send("POST", "/api/v1/ingest", other, wire::EncodeBatch(SampleBatch("db-01", 1))).status,
      200);
}

TEST_F(CollectorApiTest, ConcurrentAgentsAndPruningLoseNothing) {
  constexpr int kAgents = 4;
  constexpr int kBatches = 20;
  std::vector<std::string> tokens;
  for (int a = 0; a < kAgents; ++a)
    tokens.push_back(CreateAgentToken("agent-" + std::to_string(a)));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int a = 0; a < kAgents; ++a) {
    threads.emplace_back([&, a] {
      auto client = http::NewCurlHttpClient();
      for (int b = 0; b < kBatches; ++b) {
        // Every batch is sent twice, as an agent does when an ack is lost.
        for (int attempt = 0; attempt < 2; ++attempt) {
          http::HttpRequest request;
          request.method = "POST";
          request.url = base_ + "/api/v1/ingest";
          request.headers.Set("Authorization", "Bearer " + tokens[a]);
          request.body = wire::EncodeBatch(
              SampleBatch("agent-" + std::to_string(a), static_cast<uint64_t>(2 * b + 1)));
          Result<http::HttpResponse> response = client->Send(request);
          if (!response.ok() || response->status != 200) ++failures;
        }
      }
    });
  }
  // Retention passes run alongside; nothing ingested is old enough to go.
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(service_->PruneOnce().ok());
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  StoreCounts counts = Counts();
  EXPECT_EQ(counts.events, kAgents * kBatches);
  EXPECT_EQ(counts.samples, kAgents * kBatches);
  for (const nlohmann::json& host : Json(Send("GET", "/api/v1/hosts", kAdminToken))["hosts"]) {
    EXPECT_EQ(host["events_total"], kBatches);
    EXPECT_EQ(host["last_seq"], 2 * kBatches);
  }
  EXPECT_EQ(MetricValue("beacon_ingest_duplicates_total"), 2 * kAgents * kBatches);
}

TEST_F(CollectorApiTest, PruneOnDemandDeletesExpiredSamplesAndIsCounted) {
  const std::string token = CreateAgentToken("web-01");
  ASSERT_EQ(
      Send("POST", "/api/v1/ingest", token, wire::EncodeBatch(SampleBatch("web-01", 1))).status,
      200);
  clock_.AdvanceMs(8 * kDayMs);  // past the 7d sample retention, within the 90d events one
  Result<PruneResult> pruned = service_->PruneOnce();
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->samples, 1);
  EXPECT_EQ(pruned->events, 0);
  EXPECT_EQ(Counts().samples, 0);
  EXPECT_EQ(Counts().events, 1);
  EXPECT_EQ(MetricValue("beacon_retention_pruned_total{type=\"sample\"}"), 1);
  EXPECT_EQ(MetricValue("beacon_retention_pruned_total{type=\"event\"}"), 0);
}

}  // namespace
}  // namespace beacon::collector
