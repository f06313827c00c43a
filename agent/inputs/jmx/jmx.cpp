// Configuration of the jmx input (targets, extra MBeans) and the gather loop over targets.
#include "agent/inputs/jmx/jmx.h"

#include <set>

#include "agent/inputs/jmx/zabbix_gateway.h"
#include "common/url.h"

namespace beacon::agent::inputs {
namespace {

constexpr char kTransportJolokia[] = "jolokia";
constexpr char kTransportJmxProxy[] = "jmxproxy";
constexpr char kTransportGateway[] = "zabbix_gateway";

// "host:port" -> parts; false when malformed. "[::1]:10052" is accepted for IPv6.
bool SplitHostPort(const std::string& text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
  std::string h = text.substr(0, colon);
  if (h.size() > 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  int p = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9' || p > 65535) return false;
    p = p * 10 + (c - '0');
  }
  if (p < 1 || p > 65535) return false;
  *host = h;
  *port = p;
  return true;
}

}  // namespace

JmxInput::JmxInput(std::shared_ptr<http::HttpClient> http) : injected_http_(std::move(http)) {}

std::vector<MetricSpec> JmxInput::metrics() const {
  using enum MetricType;
  return {
      {"jmx.target.up",
       "",
       "1 when the target answered the last gather, else 0",
       kGauge,
       {"target"}},
      {"jmx.heap.used", "bytes", "Heap in use (Memory HeapMemoryUsage.used)", kGauge, {"target"}},
      {"jmx.heap.committed",
       "bytes",
       "Heap committed by the JVM (HeapMemoryUsage.committed)",
       kGauge,
       {"target"}},
      {"jmx.heap.max",
       "bytes",
       "Heap limit (HeapMemoryUsage.max; absent when undefined)",
       kGauge,
       {"target"}},
      {"jmx.nonheap.used",
       "bytes",
       "Non-heap memory in use (NonHeapMemoryUsage.used)",
       kGauge,
       {"target"}},
      {"jmx.nonheap.committed",
       "bytes",
       "Non-heap memory committed (NonHeapMemoryUsage.committed)",
       kGauge,
       {"target"}},
      {"jmx.threads.count",
       "count",
       "Live JVM threads (Threading ThreadCount)",
       kGauge,
       {"target"}},
      {"jmx.gc.count",
       "count",
       "Collections per garbage collector (CollectionCount)",
       kCounter,
       {"target", "collector"}},
      {"jmx.gc.time",
       "seconds",
       "Time spent collecting per garbage collector (CollectionTime)",
       kCounter,
       {"target", "collector"}},
      {"jmx.threadpool.busy",
       "count",
       "Busy threads of a connector (ThreadPool currentThreadsBusy)",
       kGauge,
       {"target", "connector"}},
      {"jmx.threadpool.max",
       "count",
       "Thread limit of a connector (ThreadPool maxThreads)",
       kGauge,
       {"target", "connector"}},
      {"jmx.requests.count",
       "count",
       "Requests served by a connector (GlobalRequestProcessor)",
       kCounter,
       {"target", "connector"}},
      {"jmx.requests.errors",
       "count",
       "Requests that failed (errorCount)",
       kCounter,
       {"target", "connector"}},
      {"jmx.requests.processing_time",
       "seconds",
       "Total request processing time (processingTime)",
       kCounter,
       {"target", "connector"}},
      {"jmx.requests.bytes_sent",
       "bytes",
       "Bytes sent by a connector (bytesSent)",
       kCounter,
       {"target", "connector"}},
      {"jmx.requests.bytes_received",
       "bytes",
       "Bytes received by a connector (bytesReceived)",
       kCounter,
       {"target", "connector"}},
      {"jmx.sessions.active",
       "count",
       "Active HTTP sessions of a web application (Manager)",
       kGauge,
       {"target", "context"}},
  };
}

Status JmxInput::Init(config::Node node) {
  rules_.clear();
  targets_.clear();
  int64_t timeout_ms = 5000;
  node.GetDurationMs("timeout", &timeout_ms, 100);
  bool default_metrics = true;
  node.Get("default_metrics", &default_metrics);
  if (default_metrics) rules_ = jmx::TomcatDefaultRules();

  for (config::Node mbean : node.Sequence("mbeans")) {
    std::string name, pattern;
    std::vector<std::string> attributes;
    if (mbean.Require("name")) mbean.Get("name", &name);
    if (mbean.Require("mbean")) mbean.Get("mbean", &pattern);
    if (mbean.Require("attributes")) mbean.Get("attributes", &attributes);
    bool ok = true;
    if (!name.empty() &&
        (jmx::SanitizeMetricPart(name) != name || !wire::IsValidMetricName(name))) {
      mbean.Error("name", "must be letters, digits, '_', '.', '-'");
      ok = false;
    }
    if (!pattern.empty()) {
      if (auto parsed = jmx::ParseObjectName(pattern); !parsed.ok()) {
        mbean.Error("mbean", parsed.status().message());
        ok = false;
      }
    }
    std::vector<std::pair<std::string, std::string>> labels;
    for (auto& [label, value] : mbean.Entries("labels")) {
      if (!value.IsScalar() || !wire::IsValidMetricName(label) || label == "target") {
        mbean.Error("labels", "'" + label + "' must map a label name (not 'target') to an " +
                                  "object-name property");
        ok = false;
        continue;
      }
      labels.emplace_back(label, value.Scalar());
    }
    if (!ok || name.empty() || pattern.empty()) continue;
    if (attributes.empty()) {
      mbean.Error("attributes", "list at least one attribute");
      continue;
    }
    for (const std::string& attribute : attributes) {
      jmx::MetricRule rule;
      rule.metric = "jmx." + name + "." + jmx::SanitizeMetricPart(attribute);
      rule.mbean = pattern;
      rule.attribute = attribute;
      rule.labels = labels;
      rule.infer_labels = labels.empty();
      rules_.push_back(std::move(rule));
    }
  }
  queries_ = jmx::QueriesForRules(rules_);

  std::set<std::string> names;
  for (config::Node t : node.Sequence("targets")) {
    Target target;
    std::string transport = kTransportJolokia;
    if (t.Require("name")) t.Get("name", &target.name);
    t.GetEnum("transport", &transport, {kTransportJolokia, kTransportJmxProxy, kTransportGateway});
    std::string username;
    config::Secret password;
    t.Get("username", &username);
    t.GetSecret("password", &password);
    int64_t target_timeout_ms = timeout_ms;
    t.GetDurationMs("timeout", &target_timeout_ms, 100);
    if (!target.name.empty() && !names.insert(target.name).second) {
      t.Error("name", "duplicate target name '" + target.name + "'");
    }

    if (transport == kTransportGateway) {
      std::string gateway = "127.0.0.1:10052", host, endpoint;
      int port = 0;
      t.Get("gateway", &gateway);
      t.Get("host", &host);
      t.Get("port", &port, 1, 65535);
      t.Get("jmx_endpoint", &endpoint);
      jmx::GatewayTargetOptions options;
      if (!SplitHostPort(gateway, &options.gateway_host, &options.gateway_port)) {
        t.Error("gateway", "expected host:port, got '" + gateway + "'");
      }
      if (endpoint.empty() && (host.empty() || port == 0)) {
        t.Error("jmx_endpoint", "set jmx_endpoint, or host and port of the JVM's JMX remote");
      }
      if (t.Has("url")) t.Error("url", "not used by transport zabbix_gateway");
      options.jmx_endpoint = endpoint.empty() ? jmx::DefaultJmxEndpoint(host, port) : endpoint;
      options.username = username;
      options.password = password;
      options.timeout_ms = target_timeout_ms;
      target.transport = jmx::NewZabbixGatewayTransport(std::move(options));
    } else {
      jmx::HttpTargetOptions options;
      if (t.Require("url")) t.Get("url", &options.url);
      if (!options.url.empty() && !IsHttpUrl(options.url)) {
        t.Error("url", "must start with http:// or https://");
      }
      bool tls_verify = true;
      std::string ca_file;
      t.Get("tls_verify", &tls_verify);
      t.Get("ca_file", &ca_file);
      for (const char* key : {"gateway", "host", "port", "jmx_endpoint"}) {
        if (t.Has(key)) t.Error(key, "only used by transport zabbix_gateway");
      }
      options.username = username;
      options.password = password;
      options.timeout_ms = target_timeout_ms;
      if (injected_http_) {
        target.http = injected_http_;
      } else {
        http::CurlClientOptions curl;
        curl.verify_tls = tls_verify;
        curl.ca_file = ca_file;
        curl.timeout_ms = target_timeout_ms;
        curl.connect_timeout_ms = target_timeout_ms;
        target.http = http::NewCurlHttpClient(curl);
      }
      target.transport = transport == kTransportJmxProxy
                             ? jmx::NewJmxProxyTransport(target.http.get(), std::move(options))
                             : jmx::NewJolokiaTransport(target.http.get(), std::move(options));
    }
    targets_.push_back(std::move(target));
  }
  return Status::Ok();
}

Status JmxInput::Gather(Emitter& emitter) {
  std::vector<std::string> errors;
  for (Target& target : targets_) {
    auto results = target.transport->Read(queries_);
    if (!results.ok()) {
      errors.push_back("target " + target.name + ": " + results.status().message());
      emitter.AddSample("jmx.target.up", 0, {{"target", target.name}});
      continue;
    }
    emitter.AddSample("jmx.target.up", 1, {{"target", target.name}});
    std::vector<std::string> query_errors;
    for (size_t i = 0; i < queries_.size() && i < results->size(); ++i) {
      jmx::MapToMetrics(
          rules_, queries_[i], (*results)[i], target.name,
          [&](const std::string& metric, double value, std::map<std::string, std::string> labels) {
            emitter.AddSample(metric, value, std::move(labels));
          });
      for (const std::string& e : (*results)[i].errors) query_errors.push_back(e);
    }
    if (!query_errors.empty()) {
      std::string joined = query_errors[0];
      for (size_t i = 1; i < query_errors.size() && i < 5; ++i) joined += "; " + query_errors[i];
      if (query_errors.size() > 5) {
        joined += "; and " + std::to_string(query_errors.size() - 5) + " more";
      }
      errors.push_back("target " + target.name + ": " + joined);
    }
  }
  if (errors.empty()) return Status::Ok();
  std::string message = errors[0];
  for (size_t i = 1; i < errors.size(); ++i) message += "; " + errors[i];
  return Status::Unavailable(message);
}

}  // namespace beacon::agent::inputs
