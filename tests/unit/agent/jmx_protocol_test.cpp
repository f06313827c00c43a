// jmx input protocol code without I/O: object names, Jolokia bulk read JSON, JMXProxyServlet
// text, Zabbix Java gateway JSON (bytes as a Zabbix 6.0 gateway sends them), metric mapping.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "agent/inputs/jmx/jmxproxy.h"
#include "agent/inputs/jmx/jolokia.h"
#include "agent/inputs/jmx/model.h"
#include "agent/inputs/jmx/zabbix_gateway.h"

namespace beacon::agent::inputs::jmx {
namespace {

const std::string kFixtures = std::string(BEACON_FIXTURES_DIR) + "/agent/jmx/";

std::string Read(const std::string& name) {
  std::ifstream in(kFixtures + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Sample {
  std::string metric;
  double value;
  std::map<std::string, std::string> labels;
};

// Runs the default Tomcat rules over per-query results.
std::vector<Sample> Map(const std::vector<MBeanQuery>& queries,
                        const std::vector<QueryResult>& results,
                        const std::vector<MetricRule>& rules) {
  std::vector<Sample> out;
  for (size_t i = 0; i < queries.size(); ++i) {
    MapToMetrics(rules, queries[i], results[i], "tc1",
                 [&](const std::string& m, double v, std::map<std::string, std::string> l) {
                   out.push_back({m, v, std::move(l)});
                 });
  }
  return out;
}

const Sample* Find(const std::vector<Sample>& samples, const std::string& metric,
                   const std::map<std::string, std::string>& labels) {
  for (const Sample& s : samples) {
    if (s.metric != metric) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s.labels.find(k);
      match = match && it != s.labels.end() && it->second == v;
    }
    if (match) return &s;
  }
  return nullptr;
}

TEST(ObjectName, ParsesQuotedValuesAndPatterns) {
  auto name = ParseObjectName("Catalina:type=ThreadPool,name=\"http-nio-8080\"");
  ASSERT_TRUE(name.ok()) << name.status().ToString();
  EXPECT_EQ(name->domain, "Catalina");
  EXPECT_EQ(name->Property("type"), "ThreadPool");
  EXPECT_EQ(name->Property("name"), "http-nio-8080");
  // A comma inside a quoted value does not split properties.
  auto quoted = ParseObjectName("d:name=\"a,b\",type=X");
  ASSERT_TRUE(quoted.ok());
  EXPECT_EQ(quoted->Property("name"), "a,b");
  auto pattern = ParseObjectName("Catalina:type=Manager,*");
  ASSERT_TRUE(pattern.ok());
  EXPECT_TRUE(pattern->property_list_pattern);
  EXPECT_TRUE(IsObjectNamePattern("java.lang:type=GarbageCollector,name=*"));
  EXPECT_FALSE(IsObjectNamePattern("java.lang:type=Memory"));
  EXPECT_FALSE(ParseObjectName("no-colon").ok());
  EXPECT_FALSE(ParseObjectName("d:novalue").ok());
  EXPECT_FALSE(ParseObjectName("d:name=\"open").ok());
}

TEST(Rules, DefaultSetNeedsSixQueriesWithDeduplicatedAttributes) {
  auto queries = QueriesForRules(TomcatDefaultRules());
  ASSERT_EQ(queries.size(), 6u);
  EXPECT_EQ(queries[0].mbean, "java.lang:type=Memory");
  EXPECT_EQ(queries[0].attributes.size(), 5u);  // heap used/committed/max, non-heap used/committed
  EXPECT_EQ(queries[2].mbean, "java.lang:type=GarbageCollector,name=*");
}

TEST(Jolokia, BulkReadRequestsTopLevelAttributesOnce) {
  auto queries = QueriesForRules(TomcatDefaultRules());
  auto body = nlohmann::json::parse(BuildJolokiaBulkRead(queries));
  ASSERT_TRUE(body.is_array());
  ASSERT_EQ(body.size(), 6u);
  EXPECT_EQ(body[0]["type"], "read");
  EXPECT_EQ(body[0]["mbean"], "java.lang:type=Memory");
  EXPECT_EQ(body[0]["attribute"], nlohmann::json({"HeapMemoryUsage", "NonHeapMemoryUsage"}));
  EXPECT_EQ(body[5]["mbean"], "Catalina:type=Manager,host=*,context=*");
}

TEST(Jolokia, TomcatBulkResponseMapsToTheDefaultMetrics) {
  const auto rules = TomcatDefaultRules();
  const auto queries = QueriesForRules(rules);
  auto results = ParseJolokiaBulkResponse(Read("jolokia_tomcat_bulk.json"), queries);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  for (const auto& r : *results) EXPECT_TRUE(r.errors.empty()) << r.errors[0];
  auto samples = Map(queries, *results, rules);

  auto expect = [&](const std::string& metric, std::map<std::string, std::string> labels,
                    double value) {
    labels["target"] = "tc1";
    const Sample* s = Find(samples, metric, labels);
    ASSERT_NE(s, nullptr) << metric;
    EXPECT_DOUBLE_EQ(s->value, value) << metric;
    EXPECT_EQ(s->labels, labels) << metric;
  };
  expect("jmx.heap.used", {}, 26214400);
  expect("jmx.heap.committed", {}, 268435456);
  expect("jmx.heap.max", {}, 4202692608.0);
  expect("jmx.nonheap.used", {}, 47185920);
  expect("jmx.threads.count", {}, 42);  // single attribute collapsed to a bare value
  expect("jmx.gc.count", {{"collector", "G1 Young Generation"}}, 17);
  expect("jmx.gc.time", {{"collector", "G1 Young Generation"}}, 0.23);  // ms -> s
  expect("jmx.gc.count", {{"collector", "G1 Old Generation"}}, 0);
  expect("jmx.threadpool.busy", {{"connector", "http-nio-8080"}}, 3);
  expect("jmx.threadpool.max", {{"connector", "ajp-nio-127.0.0.1-8009"}}, 150);
  expect("jmx.requests.count", {{"connector", "http-nio-8080"}}, 1234);
  expect("jmx.requests.errors", {{"connector", "http-nio-8080"}}, 5);
  expect("jmx.requests.processing_time", {{"connector", "http-nio-8080"}}, 45.678);
  expect("jmx.requests.bytes_sent", {{"connector", "http-nio-8080"}}, 9876543);
  expect("jmx.requests.bytes_received", {{"connector", "http-nio-8080"}}, 12345);  // string long
  expect("jmx.sessions.active", {{"context", "/shop"}}, 7);
  expect("jmx.sessions.active", {{"context", "/manager"}}, 2);
  EXPECT_EQ(samples.size(), 21u);  // 3 heap, 2 non-heap, 1 threads, 4 gc, 4 pool, 5 grp, 2 sessions
}

TEST(Jolokia, PerRequestErrorsStayWithTheirQuery) {
  std::vector<MBeanQuery> queries = {{"java.lang:type=Nope", {"X"}},
                                     {"java.lang:type=Threading", {"ThreadCount"}}};
  const std::string body =
      R"([{"request":{"mbean":"java.lang:type=Nope","type":"read"},"error_type":"javax.manageme)"
      R"(nt.InstanceNotFoundException","error":"javax.management.InstanceNotFoundException : ja)"
      R"(va.lang:type=Nope","status":404},{"request":{"mbean":"java.lang:type=Threading","type")"
      R"(:"read"},"value":{"ThreadCount":9},"status":200}])";
  auto results = ParseJolokiaBulkResponse(body, queries);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ((*results)[0].errors.size(), 1u);
  EXPECT_NE((*results)[0].errors[0].find("InstanceNotFoundException"), std::string::npos);
  ASSERT_EQ((*results)[1].values.size(), 1u);
  EXPECT_EQ((*results)[1].values[0].value, 9);
}

TEST(Jolokia, PatternWithoutMatchesIsEmptyNotAnError) {
  std::vector<MBeanQuery> queries = {
      {"Catalina:type=Manager,host=*,context=*", {"activeSessions"}}};
  const std::string body =
      R"([{"request":{"mbean":"Catalina:context=*,host=*,type=Manager","type":"read"},"error_ty)"
      R"(pe":"javax.management.InstanceNotFoundException","error":"javax.management.InstanceNot)"
      R"(FoundException : No MBean with pattern Catalina:context=*,host=*,type=Manager found fo)"
      R"(r reading attributes","status":404}])";
  auto results = ParseJolokiaBulkResponse(body, queries);
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  EXPECT_TRUE((*results)[0].errors.empty());
  EXPECT_TRUE((*results)[0].values.empty());
}

TEST(Jolokia, NonNumericAndMissingCompositeKeysAreQueryErrors) {
  std::vector<MBeanQuery> queries = {{"java.lang:type=Runtime", {"VmName", "Uptime.nokey"}}};
  const std::string body =
      R"({"request":{},"value":{"VmName":"OpenJDK 64-Bit Server VM","Uptime":5},"status":200})";
  auto results = ParseJolokiaBulkResponse(body, queries);
  ASSERT_TRUE(results.ok());
  EXPECT_TRUE((*results)[0].values.empty());
  EXPECT_EQ((*results)[0].errors.size(), 2u);
}

TEST(Jolokia, GarbageAndShapeMismatchAreWholeResponseErrors) {
  auto queries = QueriesForRules(TomcatDefaultRules());
  auto html = ParseJolokiaBulkResponse("<html><body>Login</body></html>", queries);
  ASSERT_FALSE(html.ok());
  EXPECT_NE(html.status().message().find("not JSON"), std::string::npos);
  EXPECT_FALSE(ParseJolokiaBulkResponse("[]", queries).ok());
  EXPECT_FALSE(ParseJolokiaBulkResponse(R"({"a":1})", queries).ok());
  // An element with a non-numeric status is an error for that query, not a crash.
  auto odd = ParseJolokiaReadResponse(R"({"status":"x","value":1})", {"d:a=b", {"A"}});
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->errors.size(), 1u);
}

TEST(JmxProxy, ParsesQueryListingWithCompositeValues) {
  auto beans = ParseJmxProxyQuery(Read("jmxproxy_memory.txt"));
  ASSERT_TRUE(beans.ok()) << beans.status().ToString();
  ASSERT_EQ(beans->size(), 1u);
  EXPECT_EQ((*beans)[0].name, "java.lang:type=Memory");
  EXPECT_EQ((*beans)[0].modeler_type, "sun.management.MemoryImpl");
  auto result =
      JmxProxyValues(*beans, {"java.lang:type=Memory",
                              {"HeapMemoryUsage.used", "HeapMemoryUsage.max",
                               "NonHeapMemoryUsage.committed", "ObjectPendingFinalizationCount"}});
  ASSERT_TRUE(result.errors.empty()) << result.errors[0];
  ASSERT_EQ(result.values.size(), 4u);
  EXPECT_EQ(result.values[0].value, 26214400);
  EXPECT_EQ(result.values[1].value, 4202692608.0);
  EXPECT_EQ(result.values[2].value, 50331648);
  EXPECT_EQ(result.values[3].value, 0);
}

// Debian tomcat10 10.1.60 prints a composite as the bare map, without CompositeDataSupport(...).
TEST(JmxProxy, ParsesTomcat101BareCompositeMap) {
  auto beans = ParseJmxProxyQuery(
      "OK - Number of results: 1\n\nName: java.lang:type=Memory\n"
      "modelerType: sun.management.MemoryImpl\nObjectPendingFinalizationCount: 0\n"
      "HeapMemoryUsage: {committed=536870912, init=398458880, max=6320816128, used=105507680}\n"
      "NonHeapMemoryUsage: {committed=26017792, init=7667712, max=-1, used=22942576}\n"
      "Verbose: false\nObjectName: java.lang:type=Memory\n\n\n");
  ASSERT_TRUE(beans.ok()) << beans.status().ToString();
  auto result =
      JmxProxyValues(*beans, {"java.lang:type=Memory",
                              {"HeapMemoryUsage.used", "NonHeapMemoryUsage.max", "Verbose.used"}});
  ASSERT_EQ(result.values.size(), 2u);
  EXPECT_EQ(result.values[0].value, 105507680);
  EXPECT_EQ(result.values[1].value, -1);
  ASSERT_EQ(result.errors.size(), 1u);  // "false" is neither a number nor a map
  EXPECT_NE(result.errors[0].find("Verbose.used"), std::string::npos);
}

TEST(JmxProxy, PatternListingJoinsContinuationLinesAndMapsConnectors) {
  auto beans = ParseJmxProxyQuery(Read("jmxproxy_threadpool.txt"));
  ASSERT_TRUE(beans.ok()) << beans.status().ToString();
  ASSERT_EQ(beans->size(), 2u);
  const auto& attrs = (*beans)[0].attributes;
  auto tls = std::find_if(attrs.begin(), attrs.end(),
                          [](const auto& a) { return a.first == "sslEnabledProtocols"; });
  ASSERT_NE(tls, attrs.end());
  EXPECT_NE(tls->second.find("TLSv1.3"), std::string::npos);
  EXPECT_EQ(attrs.back().first, "running");  // the continuation lines were not attributes

  const auto rules = TomcatDefaultRules();
  MBeanQuery query{"Catalina:type=ThreadPool,name=*", {"currentThreadsBusy", "maxThreads"}};
  auto samples = Map({query}, {JmxProxyValues(*beans, query)}, rules);
  ASSERT_EQ(samples.size(), 4u);
  const Sample* busy =
      Find(samples, "jmx.threadpool.busy", {{"connector", "http-nio-8080"}, {"target", "tc1"}});
  ASSERT_NE(busy, nullptr);
  EXPECT_EQ(busy->value, 3);
}

TEST(JmxProxy, GetAnswersAndErrors) {
  auto plain =
      ParseJmxProxyGet("OK - Attribute get 'java.lang:type=Threading' - ThreadCount = 25\r\n");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, "25");
  auto keyed = ParseJmxProxyGet(
      "OK - Attribute get 'java.lang:type=Memory' - HeapMemoryUsage - key 'used' = 12718592\n");
  ASSERT_TRUE(keyed.ok());
  EXPECT_EQ(*keyed, "12718592");

  auto error = ParseJmxProxyQuery(Read("jmxproxy_error.txt"));
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(error.status().message().find("Key properties cannot be empty"), std::string::npos);
  EXPECT_EQ(error.status().message().find("at java.management"), std::string::npos);
  EXPECT_FALSE(ParseJmxProxyGet(Read("jmxproxy_error.txt")).ok());

  auto login = ParseJmxProxyQuery("<!doctype html><title>401 Unauthorized</title>");
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(login.status().code(), StatusCode::kInvalidArgument);
  // A named MBean that matched nothing is reported.
  auto none = JmxProxyValues({}, {"java.lang:type=Memory", {"HeapMemoryUsage.used"}});
  EXPECT_EQ(none.errors.size(), 1u);
}

TEST(ZabbixGateway, RequestMatchesTheServersCapturedBytes) {
  // The Zabbix 6.0.14 server's request to the gateway (reference zabbix.md §3).
  const std::string expected =
      R"({"request":"java gateway jmx","jmx_endpoint":"service:jmx:rmi:///jndi/rmi://127.0.0.1:)"
      R"(20099/jmxrmi","keys":["jmx[\"java.lang:type=Threading\",ThreadCount]","jmx[\"java.lang)"
      R"(:type=Memory\",\"HeapMemoryUsage.used\"]"]})";
  std::string request =
      BuildGatewayRequest(DefaultJmxEndpoint("127.0.0.1", 20099), "", "",
                          {GatewayJmxKey("java.lang:type=Threading", "ThreadCount"),
                           GatewayJmxKey("java.lang:type=Memory", "HeapMemoryUsage.used")});
  EXPECT_EQ(request, expected);
  EXPECT_EQ(request.size(), 0xd7u);  // the length in the captured ZBXD header
  auto with_auth =
      nlohmann::json::parse(BuildGatewayRequest("service:jmx:x", "monitor", "s3cret", {"k"}));
  EXPECT_EQ(with_auth["username"], "monitor");
  EXPECT_EQ(with_auth["password"], "s3cret");
  EXPECT_EQ(GatewayJmxKey("Catalina:type=ThreadPool,name=\"http-nio-8080\"", "maxThreads"),
            R"(jmx["Catalina:type=ThreadPool,name=\"http-nio-8080\"",maxThreads])");
  EXPECT_EQ(GatewayDiscoveryKey("java.lang:type=GarbageCollector,name=*"),
            R"(jmx.discovery[beans,"java.lang:type=GarbageCollector,name=*"])");
}

TEST(ZabbixGateway, ParsesCapturedResponsesAndErrors) {
  auto ok = ParseGatewayResponse(
      R"({"response":"success","data":[{"value":"11"},{"value":"12718592"}]})", 2);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE((*ok)[0].ok);
  EXPECT_EQ((*ok)[1].value, "12718592");

  auto per_key = ParseGatewayResponse(
      R"({"response":"success","data":[{"error":"Object or attribute not found: java.lang:type=)"
      R"(Nonexistent"}]})",
      1);
  ASSERT_TRUE(per_key.ok());
  EXPECT_FALSE((*per_key)[0].ok);
  EXPECT_EQ((*per_key)[0].error, "Object or attribute not found: java.lang:type=Nonexistent");

  auto refused = ParseGatewayResponse(
      R"({"response":"failed","error":"Connection refused: service:jmx:rmi:///jndi/rmi://127.0.)"
      R"(0.1:20098/jmxrmi"})",
      1);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("Connection refused"), std::string::npos);

  EXPECT_FALSE(ParseGatewayResponse(R"({"response":"success","data":[]})", 1).ok());
  EXPECT_FALSE(ParseGatewayResponse("\x01\x02garbage", 1).ok());
}

TEST(ZabbixGateway, ParsesBeansDiscovery) {
  auto names = ParseBeansDiscovery(
      R"({"data":[{"{#JMXOBJ}":"java.lang:name=G1 Young Generation,type=GarbageCollector","{#JM)"
      R"(XDOMAIN}":"java.lang","{#JMXNAME}":"G1 Young Generation","{#JMXTYPE}":"GarbageCollecto)"
      R"(r"},{"{#JMXOBJ}":"java.lang:name=G1 Old Generation,type=GarbageCollector"}]})");
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  ASSERT_EQ(names->size(), 2u);
  EXPECT_EQ((*names)[1], "java.lang:name=G1 Old Generation,type=GarbageCollector");
  EXPECT_FALSE(ParseBeansDiscovery("nope").ok());
}

TEST(Rules, InferredLabelsAreThePropertiesThePatternLeavesOpen) {
  MetricRule rule{"jmx.queue.size", "com.example:type=Queue,*", "Size", 1.0, {}, true};
  QueryResult result;
  result.values.push_back({"com.example:type=Queue,name=\"orders\",shard=2", "Size", 12});
  std::vector<Sample> samples = Map({{rule.mbean, {"Size"}}}, {result}, {rule});
  ASSERT_EQ(samples.size(), 1u);
  std::map<std::string, std::string> want = {{"name", "orders"}, {"shard", "2"}, {"target", "tc1"}};
  EXPECT_EQ(samples[0].labels, want);
}

TEST(Numbers, AcceptsJvmNumbersOnly) {
  double v = 0;
  EXPECT_TRUE(ParseNumber("-1", &v));
  EXPECT_EQ(v, -1);
  EXPECT_TRUE(ParseNumber("0.25", &v));
  EXPECT_TRUE(ParseNumber("true", &v));
  EXPECT_EQ(v, 1);
  EXPECT_FALSE(ParseNumber("nan", &v));
  EXPECT_FALSE(ParseNumber("0x10", &v));
  EXPECT_FALSE(ParseNumber("12 MB", &v));
  EXPECT_FALSE(ParseNumber("", &v));
}

}  // namespace
}  // namespace beacon::agent::inputs::jmx
