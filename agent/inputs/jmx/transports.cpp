// Transports of the jmx input: HTTP through the injected HttpClient, ZBXD through
// agent/zabbix/zbxd_client.h so a hanging gateway costs at most the target's timeout.
#include "agent/inputs/jmx/transports.h"

#include <algorithm>
#include <chrono>

#include "agent/inputs/jmx/jmxproxy.h"
#include "agent/inputs/jmx/jolokia.h"
#include "agent/inputs/jmx/zabbix_gateway.h"
#include "agent/zabbix/zbxd.h"
#include "common/crypto/crypto.h"
#include "common/posix.h"
#include "common/url.h"

namespace beacon::agent::inputs::jmx {
namespace {

void AddBasicAuth(const HttpTargetOptions& options, http::HttpRequest* request) {
  if (options.username.empty() && options.password.empty()) return;
  request->headers.Set("Authorization", "Basic " + crypto::Base64Encode(options.username + ":" +
                                                                        options.password.value()));
}

Status CheckHttpStatus(const http::HttpResponse& response, const std::string& what) {
  if (response.status == 200) return Status::Ok();
  if (response.status == 401 || response.status == 403) {
    return Status::PermissionDenied(what + ": HTTP " + std::to_string(response.status) +
                                    " (check username and password)");
  }
  return Status::Unavailable(what + ": HTTP " + std::to_string(response.status));
}

class JolokiaTransport final : public Transport {
 public:
  JolokiaTransport(http::HttpClient* http, HttpTargetOptions options)
      : http_(http), options_(std::move(options)) {}

  Result<std::vector<QueryResult>> Read(const std::vector<MBeanQuery>& queries) override {
    if (queries.empty()) return std::vector<QueryResult>();
    http::HttpRequest request;
    request.method = "POST";
    request.url = options_.url;
    request.timeout_ms = options_.timeout_ms;
    request.headers.Set("Content-Type", "application/json");
    request.body = BuildJolokiaBulkRead(queries);
    AddBasicAuth(options_, &request);
    BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, http_->Send(request));
    BEACON_RETURN_IF_ERROR(CheckHttpStatus(response, "Jolokia"));
    return ParseJolokiaBulkResponse(response.body, queries);
  }

 private:
  http::HttpClient* http_;
  HttpTargetOptions options_;
};

class JmxProxyTransport final : public Transport {
 public:
  JmxProxyTransport(http::HttpClient* http, HttpTargetOptions options)
      : http_(http), options_(std::move(options)) {}

  Result<std::vector<QueryResult>> Read(const std::vector<MBeanQuery>& queries) override {
    // One listing per MBean pattern returns all of its attributes at once; the deadline is
    // shared so a slow servlet cannot take timeout x queries.
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.timeout_ms);
    std::vector<QueryResult> results;
    for (const MBeanQuery& query : queries) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                            deadline - std::chrono::steady_clock::now())
                            .count();
      if (left <= 0) return Status::DeadlineExceeded("JMXProxyServlet: timed out");
      http::HttpRequest request;
      request.url = options_.url + (options_.url.find('?') == std::string::npos ? "?" : "&") +
                    "qry=" + PercentEncode(query.mbean);
      request.timeout_ms = left;
      AddBasicAuth(options_, &request);
      BEACON_ASSIGN_OR_RETURN(http::HttpResponse response, http_->Send(request));
      BEACON_RETURN_IF_ERROR(CheckHttpStatus(response, "JMXProxyServlet"));
      auto beans = ParseJmxProxyQuery(response.body);
      if (!beans.ok()) {
        // The servlet's own "Error - ..." concerns this query; anything else is not the servlet.
        if (beans.status().code() != StatusCode::kFailedPrecondition) return beans.status();
        QueryResult failed;
        failed.errors.push_back(query.mbean + ": " + beans.status().message());
        results.push_back(std::move(failed));
        continue;
      }
      results.push_back(JmxProxyValues(*beans, query));
    }
    return results;
  }

 private:
  http::HttpClient* http_;
  HttpTargetOptions options_;
};

class ZabbixGatewayTransport final : public Transport {
 public:
  explicit ZabbixGatewayTransport(GatewayTargetOptions options) : options_(std::move(options)) {}

  Result<std::vector<QueryResult>> Read(const std::vector<MBeanQuery>& queries) override {
    const auto start = std::chrono::steady_clock::now();
    std::vector<QueryResult> results(queries.size());
    // Round 1: discover the MBeans behind every pattern (the gateway reads named MBeans only).
    std::vector<std::vector<std::string>> objects(queries.size());
    std::vector<std::string> discovery_keys;
    std::vector<size_t> discovery_of;
    for (size_t i = 0; i < queries.size(); ++i) {
      if (IsObjectNamePattern(queries[i].mbean)) {
        discovery_keys.push_back(GatewayDiscoveryKey(queries[i].mbean));
        discovery_of.push_back(i);
      } else {
        objects[i].push_back(queries[i].mbean);
      }
    }
    if (!discovery_keys.empty()) {
      BEACON_ASSIGN_OR_RETURN(std::vector<GatewayItem> items, Exchange(discovery_keys, start));
      for (size_t k = 0; k < items.size(); ++k) {
        const size_t i = discovery_of[k];
        if (!items[k].ok) {
          results[i].errors.push_back(queries[i].mbean + ": " + items[k].error);
          continue;
        }
        auto names = ParseBeansDiscovery(items[k].value);
        if (!names.ok()) {
          results[i].errors.push_back(queries[i].mbean + ": " + names.status().message());
          continue;
        }
        objects[i] = std::move(*names);
      }
    }
    // Round 2: every (object, attribute path) as one jmx[...] key, in one request.
    struct Slot {
      size_t query;
      std::string object;
      std::string attribute;
    };
    std::vector<std::string> keys;
    std::vector<Slot> slots;
    for (size_t i = 0; i < queries.size(); ++i) {
      for (const std::string& object : objects[i]) {
        for (const std::string& attribute : queries[i].attributes) {
          keys.push_back(GatewayJmxKey(object, attribute));
          slots.push_back({i, object, attribute});
        }
      }
    }
    if (keys.empty()) return results;
    BEACON_ASSIGN_OR_RETURN(std::vector<GatewayItem> items, Exchange(keys, start));
    for (size_t k = 0; k < items.size(); ++k) {
      const Slot& slot = slots[k];
      QueryResult& result = results[slot.query];
      double value = 0;
      if (!items[k].ok) {
        result.errors.push_back(slot.object + " " + slot.attribute + ": " + items[k].error);
      } else if (!ParseNumber(items[k].value, &value)) {
        result.errors.push_back(slot.object + ": attribute " + slot.attribute + " is not numeric");
      } else {
        result.values.push_back({slot.object, slot.attribute, value});
      }
    }
    return results;
  }

 private:
  Result<std::vector<GatewayItem>> Exchange(const std::vector<std::string>& keys,
                                            std::chrono::steady_clock::time_point start) {
    const int64_t spent = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
    const int64_t left = options_.timeout_ms - spent;
    if (left <= 0) return Status::DeadlineExceeded("Java gateway: timed out");
    const std::string request = BuildGatewayRequest(options_.jmx_endpoint, options_.username,
                                                    options_.password.value(), keys);
    BEACON_ASSIGN_OR_RETURN(
        std::string body, ZbxdExchange(options_.gateway_host, options_.gateway_port, request, left,
                                       options_.max_response_bytes));
    return ParseGatewayResponse(body, keys.size());
  }

  GatewayTargetOptions options_;
};

}  // namespace

std::unique_ptr<Transport> NewJolokiaTransport(http::HttpClient* http, HttpTargetOptions options) {
  return std::make_unique<JolokiaTransport>(http, std::move(options));
}

std::unique_ptr<Transport> NewJmxProxyTransport(http::HttpClient* http, HttpTargetOptions options) {
  return std::make_unique<JmxProxyTransport>(http, std::move(options));
}

std::unique_ptr<Transport> NewZabbixGatewayTransport(GatewayTargetOptions options) {
  return std::make_unique<ZabbixGatewayTransport>(std::move(options));
}

}  // namespace beacon::agent::inputs::jmx
